"""Loopback tier: the loopback's EventBridge runs a schedule as crhelper writes it.

The handler registers no crhelper poller, but the loopback models crhelper's polling (a rule of
``rate(N minutes)`` targeting the function) so that a handler that started polling would be run, and caught
by ``assert_well_behaved`` leaving a rule behind. This pins that the loopback reads crhelper's own schedule.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from crhelper import CfnResource

from comprehend_loopback.cloudformation import CloudFormation


class RecordingEvents:
    """An EventBridge client that records ``put_rule`` and answers with a rule ARN."""

    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []

    def put_rule(self, **kwargs: Any) -> dict[str, str]:
        self.rules.append(kwargs)
        return {"RuleArn": f"arn:aws:events:us-east-1:111122223333:rule/{kwargs['Name']}"}


@pytest.mark.parametrize(("interval", "period_s"), [(1, 60.0), (2, 120.0), (15, 900.0)])
def test_the_loopback_fires_crhelpers_polling_rule_every_interval(monkeypatch, interval, period_s):
    # GIVEN the rule crhelper puts for a poller of ``interval`` minutes (its boto3 clients are not built)
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    monkeypatch.setattr(logging.root, "level", logging.root.level)  # crhelper sets the root logger's level
    helper: Any = CfnResource(json_logging=False, log_level="INFO", polling_interval=interval)
    helper._events_client = events = RecordingEvents()
    helper._event = {"LogicalResourceId": "Endpoint"}
    helper._put_rule()
    (rule,) = events.rules
    # WHEN the loopback's driver works out when that rule fires next, counting from its creation
    driver: Any = SimpleNamespace(_rule_fired={})
    # THEN it fires every ``interval`` minutes
    assert CloudFormation._next_fire(driver, rule["Name"], 1000.0, rule["ScheduleExpression"]) == 1000.0 + period_s
