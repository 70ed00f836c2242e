"""Loopback tier: the stack player plays CloudFormation's timing: a custom resource's request cancelled
when a sibling fails while it is in flight, its rollback sent late, a stack left failed with rollback
disabled and its failed request re-sent with the same RequestId; the registry follows the stack. A
trivial fake function (tests.loopback.fakes) stands in for the handler."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from comprehend_loopback.stack import StackPlayer
from comprehend_loopback.template import StackTemplate
from comprehend_loopback.world import World
from tests.loopback.fakes import FakeFunction, Plan

BODY: dict[str, Any] = {
    "Resources": {
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Metadata": {"aws:asset:path": "asset.fake"},
            "Properties": {"FunctionName": "fake-fn", "Role": "arn:aws:iam::111122223333:role/fake", "Timeout": 900},
        },
        "Thing": {
            "Type": "Custom::Thing",
            "Properties": {"ServiceToken": {"Fn::GetAtt": ["Fn", "Arn"]}, "Version": "1"},
        },
        "Sibling": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "v1"}},
    }
}


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    (tmp_path / "asset.fake").mkdir()
    with World.start(tmp_path) as w:
        yield w


@pytest.fixture
def function(world: World, monkeypatch: pytest.MonkeyPatch) -> FakeFunction:
    """The stack's function runs the fake, whatever code its template stages."""
    fake = FakeFunction(world, "fake-fn")
    monkeypatch.setattr(world, "handler", lambda code_dir=None, *, access_key=None: fake)
    return fake


def template(tmp_path, version: str) -> StackTemplate:
    body = copy.deepcopy(BODY)
    body["Resources"]["Thing"]["Properties"]["Version"] = version
    body["Resources"]["Sibling"]["Properties"]["DisplayName"] = f"v{version}"
    return StackTemplate("MyStack", body, tmp_path)


@pytest.fixture
def player(world, function, tmp_path) -> StackPlayer:
    created = StackPlayer(world, "MyStack")
    assert created.deploy(template(tmp_path, "1")) == "CREATE_COMPLETE"
    return created


def events(player: StackPlayer, logical_id: str) -> list[tuple[float, str, str]]:
    return [(e.at, e.status, e.reason) for e in player.events if e.logical_id == logical_id]


def requests(player: StackPlayer, request_type: str) -> list[dict[str, Any]]:
    (driver,) = player.drivers
    return [e for e in driver.events.values() if e["RequestType"] == request_type]


def test_a_sibling_failing_while_the_update_is_in_flight_cancels_it_and_rolls_it_back_late(
    world, function, player, tmp_path
):
    # GIVEN Thing's update takes 10 x 30 s (it would answer physical-2), its rollback answers at once
    function.plans["Update Thing"] = [Plan(steps=10, step_s=30, physical_id="physical-2"), Plan(step_s=5)]
    # WHEN an update fails Sibling 60 s after Thing's request was sent, and the rollback reaches Thing
    # 120 s after it started
    status = player.deploy(template(tmp_path, "2"), fail={"Sibling"}, cancel_after_s=60, rollback_delay_s=120)
    # THEN Thing's update was cancelled when Sibling failed, and the stack rolled back
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    update, rollback = requests(player, "Update")
    (driver,) = player.drivers
    sent = driver.deliveries[update["RequestId"]][0].sent_at
    failed = [(e.logical_id, e.at, e.reason) for e in player.events if e.status == "UPDATE_FAILED"]
    assert failed == [
        ("Sibling", sent + 60, "injected failure (the test asked this resource to fail)"),
        ("Thing", sent + 60, "Resource update cancelled"),
    ]
    assert (sent + 60, "UPDATE_ROLLBACK_IN_PROGRESS", "") in events(player, "MyStack")
    # AND the rollback Update was sent 120 s later, from the cancelled properties back to the old ones,
    # with the physical id CloudFormation last heard of
    assert driver.deliveries[rollback["RequestId"]][0].sent_at == sent + 180
    assert (rollback["ResourceProperties"]["Version"], rollback["OldResourceProperties"]["Version"]) == ("1", "2")
    assert rollback["PhysicalResourceId"] == "physical-1"
    # AND the cancelled chain ran on past the rollback's answer; its answer was written and never read
    late = world.receiver.first(update["RequestId"])
    assert late is not None and late.body["PhysicalResourceId"] == "physical-2"
    assert late.at > driver.read[rollback["RequestId"]].at
    assert update["RequestId"] not in driver.read
    assert [a[2]["PhysicalResourceId"] for a in player.answers] == ["physical-1", "physical-1"]
    # AND the registry, as the handler reads it, followed the stack
    history = [status for _, status in world.aws.stacks.stack(player.stack_id).history]
    assert history == [
        "REVIEW_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    cloudformation = boto3.client("cloudformation")
    detail = cloudformation.describe_stack_resource(StackName="MyStack", LogicalResourceId="Thing")
    assert (detail["StackResourceDetail"]["ResourceStatus"], detail["StackResourceDetail"]["PhysicalResourceId"]) == (
        "UPDATE_COMPLETE",
        "physical-1",
    )


def test_an_update_answered_before_the_sibling_fails_is_rolled_back_without_a_cancellation(
    world, function, player, tmp_path
):
    # GIVEN Thing's update answers 10 s after it was sent, well before the 60 s
    # WHEN the update fails Sibling
    status = player.deploy(template(tmp_path, "2"), fail={"Sibling"}, cancel_after_s=60)
    # THEN nothing is cancelled: Thing's update completed, then the rollback restored it
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    assert [s for _, s, r in events(player, "Thing") if "cancelled" in r] == []
    assert len(requests(player, "Update")) == 2 and len(player.answers) == 3


def test_with_rollback_disabled_a_failure_stays_and_the_next_deploy_resends_the_same_request(
    world, function, player, tmp_path
):
    # GIVEN Thing's update fails the first time and succeeds the second
    function.plans["Update Thing"] = [Plan(status="FAILED"), Plan(physical_id="physical-2")]
    # WHEN the update is deployed with rollback disabled
    assert player.deploy(template(tmp_path, "2"), disable_rollback=True) == "UPDATE_FAILED"
    # THEN the stack stays UPDATE_FAILED, with no rollback request
    (update,) = requests(player, "Update")
    assert world.aws.stacks.status(player.stack_id) == "UPDATE_FAILED"
    assert world.aws.stacks.resource_status(player.stack_id, "Thing") == "UPDATE_FAILED"
    # WHEN the same template is deployed again a minute later
    world.clock.advance_to(world.clock.now() + 60)
    assert player.deploy(template(tmp_path, "2")) == "UPDATE_COMPLETE"
    # THEN Thing's request was re-sent with the SAME RequestId, as a new delivery, and its answer read
    (driver,) = player.drivers
    assert [e["RequestId"] for e in requests(player, "Update")] == [update["RequestId"]]
    first, second = driver.deliveries[update["RequestId"]]
    assert second.sent_at > first.sent_at and second.key == first.key
    assert driver.read[update["RequestId"]].body["PhysicalResourceId"] == "physical-2"
    assert player.resources["Thing"].physical_id == "physical-2"


def test_a_cancelled_request_resent_after_its_chain_answered_reads_only_the_new_answer(
    world, function, player, tmp_path
):
    # GIVEN Thing's update is slow (answers FAILED after 300 s) the first time and quick the second
    function.plans["Update Thing"] = [Plan(steps=10, step_s=30, status="FAILED"), Plan(physical_id="physical-2")]
    # WHEN a sibling failure cancels it with rollback disabled, and the template is deployed again
    first = player.deploy(template(tmp_path, "2"), fail={"Sibling"}, cancel_after_s=60, disable_rollback=True)
    assert first == "UPDATE_FAILED"
    world.clock.advance_to(world.clock.now() + 60)
    assert player.deploy(template(tmp_path, "2")) == "UPDATE_COMPLETE"
    # THEN the stale chain's FAILED (written before the resend) is not what CloudFormation read
    (driver,) = player.drivers
    (update,) = requests(player, "Update")
    statuses = [a.body["Status"] for a in world.receiver.answers[update["RequestId"]]]
    assert statuses == ["FAILED", "SUCCESS"]
    assert driver.read[update["RequestId"]].body["Status"] == "SUCCESS" and driver.stale_answers == []
