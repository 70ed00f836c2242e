"""Loopback tier: CloudFormation's stack operations (CreateStack, UpdateStack, DeleteStack,
ContinueUpdateRollback, DescribeStackEvents) on the loopback server, called by a real boto3 client, played by
the stack player with a stand-in for inline code; and the registry's rule for a replaced id's cleanup."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from comprehend_loopback.cfnstacks import Recorder, StackService
from comprehend_loopback.clock import EPOCH
from comprehend_loopback.cloudformation import STACK_ID
from comprehend_loopback.stacks import CloudFormationState
from comprehend_loopback.world import World

FUNCTION = "probe-recorder"


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with World.start(tmp_path) as w:
        yield w


@pytest.fixture
def recorder(world) -> Recorder:
    service = StackService.install(world)
    recorder = Recorder(world)
    service.register_stand_in("probe-*", recorder)
    return recorder


def client():
    return boto3.session.Session(aws_access_key_id="loopback", aws_secret_access_key="loopback").client(
        "cloudformation"
    )


def body(**resources: dict[str, Any]) -> str:
    """A template: the inline-code function and custom resources it answers with these properties."""
    return json.dumps(
        {
            "Resources": {
                "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
                "Recorder": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "FunctionName": FUNCTION,
                        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                        "Code": {"ZipFile": "def handler(e, c): pass"},
                    },
                },
                **{
                    lid: {
                        "Type": "Custom::Recorder",
                        "Properties": {"ServiceToken": {"Fn::GetAtt": ["Recorder", "Arn"]}, **props},
                    }
                    for lid, props in resources.items()
                },
            }
        }
    )


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_update_and_delete_stack_play_the_stack_with_the_stand_in_and_report_its_events(world, recorder):
    # GIVEN the loopback's stack operations with a recorder stand-in for the inline function
    cfn = client()
    # WHEN a stack is created, updated so that its resource answers a new physical id, then deleted
    stack_id = cfn.create_stack(StackName="probe-one", TemplateBody=body(Thing={"PhysicalId": "a"}))["StackId"]
    created = cfn.describe_stacks(StackName="probe-one")["Stacks"][0]["StackStatus"]
    cfn.update_stack(StackName=stack_id, TemplateBody=body(Thing={"PhysicalId": "b"}))
    updated = cfn.describe_stack_resource(StackName=stack_id, LogicalResourceId="Thing")["StackResourceDetail"]
    events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
    cfn.delete_stack(StackName="probe-one")
    # THEN each operation ran to its end: created, updated (replaced, the old id deleted in the cleanup), deleted
    assert created == "CREATE_COMPLETE"
    assert (updated["PhysicalResourceId"], updated["ResourceStatus"]) == ("b", "UPDATE_COMPLETE")
    received = [r["event"] for r in recorder.of("probe-one") if r["kind"] == "received"]
    assert [(e["RequestType"], e.get("PhysicalResourceId")) for e in received] == [
        ("Create", None),
        ("Update", "a"),
        ("Delete", "a"),
        ("Delete", "b"),
    ]
    # AND the events come newest first, the stack's own last
    assert events[0]["LogicalResourceId"] == "probe-one" and events[0]["ResourceStatus"] == "UPDATE_COMPLETE"
    assert [e["Timestamp"] for e in events] == sorted((e["Timestamp"] for e in events), reverse=True)
    assert ("Thing", "DELETE_COMPLETE", "a") in {
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("PhysicalResourceId")) for e in events
    }
    assert error_of(cfn.describe_stacks, StackName="probe-one")[0] == "ValidationError"


def test_a_failing_sibling_cancels_a_slow_update_and_the_late_answer_comes_when_the_clock_is_read(world, recorder):
    # GIVEN a stack whose Slow resource will take 3 minutes and whose new sibling fails 30 s in
    cfn = client()
    stack_id = cfn.create_stack(StackName="probe-two", TemplateBody=body(Slow={"Version": "1"}))["StackId"]
    # WHEN the update runs
    cfn.update_stack(
        StackName=stack_id, TemplateBody=body(Slow={"Version": "2", "Wait": 180}, Failing={"Fail": "true", "Wait": 30})
    )
    status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    # THEN the update was cancelled 30 s in and rolled back without the slow answer
    assert status == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]]
    assert "Resource update cancelled" in reasons
    assert not [r for r in recorder.of("probe-two") if r["kind"] == "answered" and r["answer"]["Status"] == "FAILED"]
    # AND once the virtual clock has passed the 3 minutes, a read lets the late answer happen (and it is ignored)
    world.clock.sleep(240)
    cfn.describe_stacks(StackName=stack_id)
    late = [r for r in recorder.of("probe-two") if r["kind"] == "answered" and r["at"] >= EPOCH + 180]
    assert late and late[0]["http"] == 200
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"


def test_update_stack_refuses_the_same_template_and_a_stack_that_does_not_exist(world, recorder):
    # GIVEN a created stack
    cfn = client()
    cfn.create_stack(StackName="probe-three", TemplateBody=body(Thing={}))
    # WHEN it is updated to the template it has, or another stack name is updated or created twice
    same = error_of(cfn.update_stack, StackName="probe-three", TemplateBody=body(Thing={}))
    missing = error_of(cfn.update_stack, StackName="probe-none", TemplateBody=body(Thing={}))
    twice = error_of(cfn.create_stack, StackName="probe-three", TemplateBody=body(Thing={}))
    # THEN CloudFormation's errors come back
    assert same == ("ValidationError", "No updates are to be performed.")
    assert missing == ("ValidationError", "Stack with id probe-none does not exist")
    assert twice[0] == "AlreadyExistsException"
    # AND deleting a stack that does not exist succeeds, doing nothing
    cfn.delete_stack(StackName="probe-none")


def test_continue_update_rollback_is_refused_unless_the_rollback_failed(world, recorder):
    # GIVEN a created stack
    cfn = client()
    cfn.create_stack(StackName="probe-four", TemplateBody=body(Thing={}))
    # WHEN its rollback is continued
    code, message = error_of(cfn.continue_update_rollback, StackName="probe-four")
    # THEN it is refused: the stack is not UPDATE_ROLLBACK_FAILED
    assert code == "ValidationError"
    assert "CREATE_COMPLETE state and can not continue update rollback" in message


def test_continue_update_rollback_resends_the_failed_rollback_update_with_the_same_request_id(world, recorder):
    # GIVEN a stack at properties that fail a request's first delivery (reached by a retried deployment)
    cfn = client()
    stack_id = cfn.create_stack(StackName="probe-six", TemplateBody=body(Thing={"V": "1"}))["StackId"]
    flaky = body(Thing={"V": "2", "FailFirst": "true"})
    cfn.update_stack(StackName=stack_id, TemplateBody=flaky, DisableRollback=True)
    cfn.update_stack(StackName=stack_id, TemplateBody=flaky, DisableRollback=True)
    # AND an update that fails, whose rollback Update (back to them) fails its first delivery
    cfn.update_stack(StackName=stack_id, TemplateBody=body(Thing={"V": "3", "Fail": "true"}))
    failed = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
    world.clock.sleep(20)
    # WHEN the rollback is continued
    cfn.continue_update_rollback(StackName=stack_id)
    # THEN the failed rollback Update was sent again (same RequestId, a new ResponseURL) and the rollback completed
    assert failed == "UPDATE_ROLLBACK_FAILED"
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    updates = [r["event"] for r in recorder.of("probe-six") if r["kind"] == "received"]
    assert [e["ResourceProperties"]["V"] for e in updates] == ["1", "2", "2", "3", "2", "2"]
    first, again = updates[-2:]
    assert first["RequestId"] == again["RequestId"]
    assert first["ResponseURL"] != again["ResponseURL"]


def test_without_a_stack_service_the_operations_are_not_served(world):
    # GIVEN a loopback world whose registry has no operator
    # WHEN a stack is created
    code, message = error_of(client().create_stack, StackName="probe-five", TemplateBody=body(Thing={}))
    # THEN the action is refused as not served, and no stack exists
    assert code == "InvalidAction"
    assert "no stack operator" in message
    assert world.aws.stacks.stacks() == []


def test_a_replaced_ids_cleanup_leaves_the_resource_as_describe_stack_resource_shows_it():
    # GIVEN a resource updated to physical id "new" (the old one, "old", about to be deleted in the cleanup)
    stacks = CloudFormationState()
    stacks.register(STACK_ID, at=EPOCH)
    stacks.set_resource_status(STACK_ID, "Thing", "UPDATE_COMPLETE", at=EPOCH + 10, physical_id="new")
    # WHEN the old id's deletion is recorded, then the current one's
    stacks.set_resource_status(STACK_ID, "Thing", "DELETE_IN_PROGRESS", at=EPOCH + 20, physical_id="old")
    during = stacks.resource(STACK_ID, "Thing")[1]
    seen = (during.physical_id, during.status, during.updated_at)
    stacks.set_resource_status(STACK_ID, "Thing", "DELETE_IN_PROGRESS", at=EPOCH + 30, physical_id="new")
    # THEN the cleanup left the resource as it was; the current id's deletion is shown
    assert seen == ("new", "UPDATE_COMPLETE", EPOCH + 10)
    assert stacks.resource_status(STACK_ID, "Thing") == "DELETE_IN_PROGRESS"
