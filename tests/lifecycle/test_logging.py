"""Lifecycle tier: what the handler writes to its log (docs/design.md §4: structured logs, no secrets).

Every record is one JSON object that carries the request's identifiers, so an operator can follow one
request across its invocations in CloudWatch Logs Insights; the function's ``LOG_LEVEL`` (INFO, as the
construct sets it) decides what is written, and botocore speaks only of warnings and errors.
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.lifecycle.conftest import props


def test_each_record_is_one_json_object_naming_the_request_at_the_functions_level(world, cfn, monkeypatch, caplog):
    # GIVEN the function's LOG_LEVEL is INFO, as the construct sets it
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    # WHEN a Create runs
    answer = cfn.create("Endpoint", props())
    assert answer.body["Status"] == "SUCCESS"
    # THEN every record of the handler is a JSON object with the request's identifiers ...
    handler_lines = [line for line in caplog.text.splitlines() if "comprehend_cr." in line]
    assert handler_lines
    records = [json.loads(line) for line in handler_lines]
    assert {(r["RequestType"], r["RequestId"], r["LogicalResourceId"]) for r in records} == {
        ("Create", answer.request_id, "Endpoint")
    }
    assert any(r["message"].get("message") == "answering SUCCESS" for r in records)
    # ... written at the function's level, with botocore held to warnings
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("botocore").level == logging.WARNING


@pytest.mark.parametrize(
    ("setting", "level"),
    [
        ("DEBUG", logging.DEBUG),
        ("warning", logging.WARNING),
        ("ERROR", logging.ERROR),
        ("INFO", logging.INFO),
        ("verbose", logging.INFO),
        (None, logging.INFO),
    ],
)
def test_the_functions_log_level_is_taken_when_it_names_a_level_and_crhelper_stays_at_info(
    world, cfn, monkeypatch, setting, level
):
    # GIVEN the function's LOG_LEVEL is set (in any case), set to something that is not a level, or unset
    if setting is None:
        monkeypatch.delenv("LOG_LEVEL")
    else:
        monkeypatch.setenv("LOG_LEVEL", setting)
    # WHEN a request runs
    assert cfn.create("Endpoint", props()).body["Status"] == "SUCCESS"
    # THEN the handler logs at that level (INFO when it names none), and crhelper, which would log the
    # event and its pre-signed ResponseURL at DEBUG, at INFO or above
    assert logging.getLogger().level == level
    assert logging.getLogger("crhelper").level == max(logging.INFO, level)


def test_a_success_answer_has_no_reason(world, cfn):
    # GIVEN an endpoint created; WHEN CloudFormation reads the answer, THEN its Reason is empty (the log
    # group is named only in failures)
    assert cfn.create("Endpoint", props()).body["Reason"] == ""
