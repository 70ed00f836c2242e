"""``comprehend-endpoint-rehearse --drill``: your update played again at CloudFormation's worst moments.

Each drill starts a fresh loopback account, creates your stack from the first assembly, then updates it to the
second one while something goes wrong, as it can in a real account:

- ``sibling-fails``: another resource fails 60 s after the update's first request to an endpoint was sent, while
  that endpoint is still being created, replaced or updated: CloudFormation cancels the request without waiting
  for its answer and rolls back at once;
- ``late-rollback``: the same, but the rollback reaches the endpoint 25 minutes later (a slow sibling rolled back
  first), after a new endpoint is already in service;
- ``retried``: the same failure with rollback disabled (``cdk deploy --no-rollback``), then the deployment is run
  again: CloudFormation sends the failed request again with the same RequestId.

The failing sibling is a resource the drill adds to a copy of the second template (a
``AWS::CloudFormation::WaitConditionHandle`` that depends on every endpoint, so CloudFormation reaches it last).
After each drill the stack is destroyed. A drill reports a problem when an endpoint the stack does not describe
is billing after the play, when CloudFormation waited for an answer that never came, when the stack does not end
as CloudFormation would end it, or when anything but kept endpoints bills after the destroy.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comprehend_loopback.stack import ENDPOINT_TYPE, StackPlayer
from comprehend_loopback.template import StackTemplate
from comprehend_loopback.world import World

SIBLING = "RehearsalDrillFailingSibling"
"""The logical id of the resource the drill adds and fails."""
CANCEL_AFTER_S = 60.0
LATE_ROLLBACK_S = 25 * 60.0
"""Longer than an endpoint takes to be created (10-20 minutes): the rollback comes after it is in service."""


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    rollback_delay_s: float = 0.0
    disable_rollback: bool = False
    ends: str = "UPDATE_ROLLBACK_COMPLETE"
    """The stack status CloudFormation ends the play with."""


SCENARIOS = (
    Scenario("sibling-fails", "a sibling fails 60 s into the update; CloudFormation cancels and rolls back at once"),
    Scenario(
        "late-rollback",
        "a sibling fails 60 s into the update; the rollback reaches the endpoints 25 minutes later",
        rollback_delay_s=LATE_ROLLBACK_S,
    ),
    Scenario(
        "retried",
        "the update fails 60 s in with rollback disabled, then is deployed again (the same RequestId re-sent)",
        disable_rollback=True,
        ends="UPDATE_COMPLETE",
    ),
)


@dataclass
class DrillResult:
    scenario: Scenario
    stack: str
    problems: list[str] = field(default_factory=list)
    skipped: str = ""
    virtual_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def with_failing_sibling(template: StackTemplate) -> StackTemplate:
    """A copy of ``template`` with the drill's sibling, created after every endpoint."""
    body: dict[str, Any] = dict(template.body)
    resources = dict(body.get("Resources", {}))
    endpoints = sorted(lid for lid, r in resources.items() if r.get("Type") == ENDPOINT_TYPE)
    resources[SIBLING] = {"Type": "AWS::CloudFormation::WaitConditionHandle", "DependsOn": endpoints}
    body["Resources"] = resources
    return dataclasses.replace(template, body=body)


def run_drills(
    first: Sequence[StackTemplate],
    second: Sequence[StackTemplate],
    prepare: Callable[[World], None],
    *,
    account: str,
    region: str,
    scenarios: Sequence[Scenario] = SCENARIOS,
) -> list[DrillResult]:
    """Play every scenario for every stack of ``second`` that ``first`` also has, each in a fresh world that
    ``prepare`` readies (models, quotas)."""
    results = []
    before = {t.name: t for t in first}
    for template in second:
        if template.name not in before:
            continue
        for scenario in scenarios:
            results.append(_drill(scenario, before[template.name], template, prepare, account, region))
    return results


def _drill(
    scenario: Scenario,
    first: StackTemplate,
    second: StackTemplate,
    prepare: Callable[[World], None],
    account: str,
    region: str,
) -> DrillResult:
    result = DrillResult(scenario, second.name)
    with tempfile.TemporaryDirectory() as tmp, World.start(Path(tmp), account=account, region=region) as world:
        prepare(world)
        started = world.clock.now()
        player = StackPlayer(world, second.name)
        created = player.deploy(first)
        if created != "CREATE_COMPLETE":
            result.skipped = f"the first assembly does not deploy ({created}): see the rehearsal above"
            return result
        sent_before = len(player.answers)
        status = player.deploy(
            with_failing_sibling(second),
            fail={SIBLING},
            cancel_after_s=CANCEL_AFTER_S,
            rollback_delay_s=scenario.rollback_delay_s,
            disable_rollback=scenario.disable_rollback,
        )
        if not _endpoint_requests(player, sent_before) and not any(
            e.reason.startswith("Resource") and "cancelled" in e.reason for e in player.events
        ):
            result.skipped = "the update sends no request to an endpoint: nothing to drill"
            return result
        if scenario.disable_rollback:
            status = player.deploy(with_failing_sibling(second))
        world.settle()
        if status != scenario.ends:
            result.problems.append(f"the stack ended {status}, not {scenario.ends}")
        waited = [e for e in player.events if "no answer" in e.reason]
        for event in waited:
            result.problems.append(f"CloudFormation waited in vain for {event.logical_id}: {event.reason}")
        described = set(player.endpoints().values())
        for arn in sorted(set(world.comprehend.endpoints) - described - player.kept_endpoints()):
            result.problems.append(f"billing but not in the stack: {arn}")
        destroyed = player.destroy()
        world.settle()
        kept = player.kept_endpoints()
        if destroyed != "DELETE_COMPLETE":
            result.problems.append(f"destroy ended {destroyed}")
        for arn in sorted(set(world.comprehend.endpoints) - kept):
            result.problems.append(f"left billing after destroy: {arn}")
        result.virtual_s = world.clock.now() - started
    return result


def _endpoint_requests(player: StackPlayer, since: int) -> bool:
    return any(True for _ in player.answers[since:])
