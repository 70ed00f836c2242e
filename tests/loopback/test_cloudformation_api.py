"""Loopback tier: CloudFormation's DescribeStacks, DescribeStackResource and DescribeStackEvents on the loopback
server, read by a real boto3 client (botocore parses the query protocol's XML), answered from the registry the
driver keeps, with CloudFormation's errors and IAM's refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from comprehend_loopback import cfnquery
from comprehend_loopback.clock import EPOCH
from comprehend_loopback.cloudformation import STACK_ID
from comprehend_loopback.stacks import CloudFormationState, StackNotFound
from comprehend_loopback.world import World

OTHER_STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/Other/2a2a2a2a-0000-4000-8000-000000000002"
READER_ROLE = "arn:aws:iam::111122223333:role/reader"


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with World.start(tmp_path) as w:
        yield w


def client(access_key: str = "loopback"):
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key="loopback")
    return session.client("cloudformation")


def at(offset_s: float) -> datetime:
    return datetime.fromtimestamp(EPOCH + offset_s, UTC)


def error_of(call, **kwargs) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_describe_stacks_reports_the_registered_status_and_times_by_name_or_id(world):
    # GIVEN a stack created at EPOCH, updated 90.25 s later, failed at 120.5 s with a reason
    stacks = world.aws.stacks
    stacks.register(STACK_ID, at=EPOCH, status="CREATE_IN_PROGRESS")
    stacks.set_stack_status(STACK_ID, "CREATE_COMPLETE", at=EPOCH + 30)
    stacks.set_stack_status(STACK_ID, "UPDATE_IN_PROGRESS", at=EPOCH + 90.25)
    stacks.set_stack_status(STACK_ID, "UPDATE_ROLLBACK_IN_PROGRESS", at=EPOCH + 120.5, reason="Endpoint failed")
    # WHEN a boto3 client reads it by name and by StackId
    by_name = client().describe_stacks(StackName="ComprehendEndpointStack")["Stacks"]
    by_id = client().describe_stacks(StackName=STACK_ID)["Stacks"]
    # THEN botocore parses every field, times to the millisecond
    assert by_name == by_id
    (stack,) = by_name
    assert (stack["StackId"], stack["StackName"], stack["StackStatus"], stack["StackStatusReason"]) == (
        STACK_ID,
        "ComprehendEndpointStack",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "Endpoint failed",
    )
    assert (stack["CreationTime"], stack["LastUpdatedTime"]) == (at(0), at(120.5))
    assert world.aws.calls["cloudformation:DescribeStacks"] == 2


def test_a_stack_never_updated_has_no_last_updated_time(world):
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_IN_PROGRESS")
    (stack,) = client().describe_stacks(StackName=STACK_ID)["Stacks"]
    assert "LastUpdatedTime" not in stack and stack["StackStatus"] == "CREATE_IN_PROGRESS"


def test_describe_stack_resource_reports_status_reason_time_and_physical_id(world):
    # GIVEN a custom resource that failed 2.5 s in, with the physical id CloudFormation last heard of
    stacks = world.aws.stacks
    stacks.register(STACK_ID, at=EPOCH, status="UPDATE_IN_PROGRESS")
    stacks.set_resource_status(
        STACK_ID, "Endpoint", "UPDATE_IN_PROGRESS", at=EPOCH + 1, physical_id="arn:x", resource_type="Custom::E"
    )
    stacks.set_resource_status(
        STACK_ID, "Endpoint", "UPDATE_FAILED", at=EPOCH + 2.5, reason="Resource update cancelled"
    )
    # WHEN a boto3 client reads it
    detail = client().describe_stack_resource(StackName="ComprehendEndpointStack", LogicalResourceId="Endpoint")
    resource = detail["StackResourceDetail"]
    # THEN every field is there, the physical id and the type kept from the earlier status
    assert {k: resource[k] for k in ("StackId", "StackName", "LogicalResourceId", "PhysicalResourceId")} == {
        "StackId": STACK_ID,
        "StackName": "ComprehendEndpointStack",
        "LogicalResourceId": "Endpoint",
        "PhysicalResourceId": "arn:x",
    }
    assert (resource["ResourceType"], resource["ResourceStatus"], resource["ResourceStatusReason"]) == (
        "Custom::E",
        "UPDATE_FAILED",
        "Resource update cancelled",
    )
    assert resource["LastUpdatedTimestamp"] == at(2.5)
    assert world.aws.calls["cloudformation:DescribeStackResource"] == 1


def test_a_resource_without_a_physical_id_has_none_in_the_answer(world):
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_IN_PROGRESS")
    world.aws.stacks.set_resource_status(STACK_ID, "Endpoint", "CREATE_IN_PROGRESS", at=EPOCH)
    detail = client().describe_stack_resource(StackName=STACK_ID, LogicalResourceId="Endpoint")
    assert "PhysicalResourceId" not in detail["StackResourceDetail"]


@pytest.mark.parametrize("name", ["ComprehendEndpointStack", STACK_ID])
def test_an_unknown_stack_is_a_validation_error(world, name):
    # GIVEN no stack registered
    # WHEN either call names it, THEN CloudFormation's ValidationError comes back (HTTP 400)
    assert error_of(client().describe_stacks, StackName=name) == (
        400,
        "ValidationError",
        f"Stack with id {name} does not exist",
    )
    assert error_of(client().describe_stack_resource, StackName=name, LogicalResourceId="Endpoint")[:2] == (
        400,
        "ValidationError",
    )


def test_an_unknown_logical_id_is_a_validation_error(world):
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_COMPLETE")
    assert error_of(
        client().describe_stack_resource, StackName="ComprehendEndpointStack", LogicalResourceId="Nope"
    ) == (
        400,
        "ValidationError",
        "Resource Nope does not exist for stack ComprehendEndpointStack",
    )


def test_a_deleted_stack_is_found_by_id_but_not_by_name(world):
    # GIVEN a deleted stack
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_COMPLETE")
    world.aws.stacks.set_stack_status(STACK_ID, "DELETE_COMPLETE", at=EPOCH + 10)
    # THEN its StackId still finds it, its name no longer does
    assert client().describe_stacks(StackName=STACK_ID)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert error_of(client().describe_stacks, StackName="ComprehendEndpointStack")[1] == "ValidationError"


def test_describe_stacks_without_a_name_lists_the_stacks_that_are_not_deleted(world):
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_COMPLETE")
    world.aws.stacks.register(OTHER_STACK, at=EPOCH, status="CREATE_COMPLETE")
    world.aws.stacks.set_stack_status(OTHER_STACK, "DELETE_COMPLETE", at=EPOCH + 1)
    assert [s["StackId"] for s in client().describe_stacks()["Stacks"]] == [STACK_ID]


def reader(world, resource: str, actions=("cloudformation:DescribeStacks", "cloudformation:DescribeStackResource")):
    principal = world.aws.register_principal("reader", READER_ROLE)
    principal.policies["read"] = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }
    return client("reader")


def test_a_principal_allowed_on_its_own_stack_reads_it(world):
    # GIVEN a principal allowed to read stack/ComprehendEndpointStack/* only
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_COMPLETE")
    world.aws.stacks.set_resource_status(STACK_ID, "Endpoint", "CREATE_COMPLETE", at=EPOCH)
    reading = reader(world, STACK_ID.rsplit("/", 1)[0] + "/*")
    # WHEN it reads its stack by id and by name, THEN it is answered
    assert reading.describe_stacks(StackName=STACK_ID)["Stacks"][0]["StackId"] == STACK_ID
    assert reading.describe_stacks(StackName="ComprehendEndpointStack")["Stacks"][0]["StackId"] == STACK_ID
    detail = reading.describe_stack_resource(StackName=STACK_ID, LogicalResourceId="Endpoint")
    assert detail["StackResourceDetail"]["ResourceStatus"] == "CREATE_COMPLETE"
    assert world.aws.denied == []


def test_a_principal_is_refused_another_stack_before_it_is_looked_up(world):
    # GIVEN a principal allowed on ComprehendEndpointStack only, and another stack that does not exist
    reading = reader(world, STACK_ID.rsplit("/", 1)[0] + "/*")
    # WHEN it asks for the other stack by id and by name
    by_id = error_of(reading.describe_stacks, StackName=OTHER_STACK)
    by_name = error_of(reading.describe_stack_resource, StackName="Other", LogicalResourceId="Endpoint")
    # THEN IAM refuses both (403 AccessDenied, not the ValidationError of a missing stack), on the stack's ARN
    assert by_id[:2] == by_name[:2] == (403, "AccessDenied")
    assert "cloudformation:DescribeStacks" in by_id[2] and OTHER_STACK in by_id[2]
    assert world.aws.denied == [
        (READER_ROLE, "cloudformation:DescribeStacks", OTHER_STACK),
        (
            READER_ROLE,
            "cloudformation:DescribeStackResource",
            "arn:aws:cloudformation:us-east-1:111122223333:stack/Other/*",
        ),
    ]


def test_a_principal_allowed_one_action_is_refused_the_other(world):
    world.aws.stacks.register(STACK_ID, at=EPOCH, status="CREATE_COMPLETE")
    reading = reader(world, "*", actions=("cloudformation:DescribeStacks",))
    assert reading.describe_stacks(StackName=STACK_ID)["Stacks"]
    assert error_of(reading.describe_stack_resource, StackName=STACK_ID, LogicalResourceId="Endpoint")[:2] == (
        403,
        "AccessDenied",
    )
    assert world.aws.calls["cloudformation:DescribeStackResource:AccessDenied"] == 1


def test_the_registry_does_not_know_a_stack_it_never_registered():
    state = CloudFormationState()
    with pytest.raises(StackNotFound):
        state.set_stack_status(STACK_ID, "UPDATE_IN_PROGRESS", at=EPOCH)
    assert not state.exists(STACK_ID)


# -- DescribeStackEvents ------------------------------------------------------------------------------------


def test_describe_stack_events_lists_every_status_change_newest_first(world):
    # GIVEN a stack that went into update, a resource that went in progress, then the stack's rollback
    stacks = world.aws.stacks
    stacks.register(STACK_ID, at=EPOCH, status="UPDATE_IN_PROGRESS")
    stacks.set_resource_status(STACK_ID, "Endpoint", "UPDATE_IN_PROGRESS", at=EPOCH + 1, physical_id="arn:x")
    stacks.set_stack_status(STACK_ID, "UPDATE_ROLLBACK_IN_PROGRESS", at=EPOCH + 30.5, reason="Sibling failed")
    # WHEN a boto3 client reads the events
    events = client().describe_stack_events(StackName=STACK_ID)["StackEvents"]
    # THEN they come newest first, the stack's own with its type, name and StackId, the resource's with its own
    seen = [(e["LogicalResourceId"], e["ResourceStatus"], e["Timestamp"]) for e in events]
    assert seen == [
        ("ComprehendEndpointStack", "UPDATE_ROLLBACK_IN_PROGRESS", at(30.5)),
        ("Endpoint", "UPDATE_IN_PROGRESS", at(1)),
        ("ComprehendEndpointStack", "UPDATE_IN_PROGRESS", at(0)),
    ]
    rollback = events[0]
    assert (rollback["ResourceType"], rollback["PhysicalResourceId"], rollback["StackId"]) == (
        "AWS::CloudFormation::Stack",
        STACK_ID,
        STACK_ID,
    )
    assert rollback["ResourceStatusReason"] == "Sibling failed"
    assert (events[1]["ResourceType"], events[1]["PhysicalResourceId"]) == (
        "AWS::CloudFormation::CustomResource",
        "arn:x",
    )
    assert len({e["EventId"] for e in events}) == 3


def test_describe_stack_events_pages_with_a_next_token(world):
    # GIVEN more events than one page holds
    stacks = world.aws.stacks
    stacks.register(STACK_ID, at=EPOCH, status="UPDATE_IN_PROGRESS")
    for i in range(cfnquery.EVENTS_PAGE + 4):
        stacks.set_resource_status(STACK_ID, f"R{i}", "UPDATE_IN_PROGRESS", at=EPOCH + 1 + i)
    # WHEN read page by page
    first = client().describe_stack_events(StackName=STACK_ID)
    second = client().describe_stack_events(StackName=STACK_ID, NextToken=first["NextToken"])
    # THEN the first page is full, the second holds the rest (oldest last) and no further token
    assert len(first["StackEvents"]) == cfnquery.EVENTS_PAGE
    assert first["StackEvents"][0]["LogicalResourceId"] == f"R{cfnquery.EVENTS_PAGE + 3}"
    assert [e["LogicalResourceId"] for e in second["StackEvents"]] == [
        "R3",
        "R2",
        "R1",
        "R0",
        "ComprehendEndpointStack",
    ]
    assert "NextToken" not in second
    # AND a token this server never gave is refused
    assert error_of(client().describe_stack_events, StackName=STACK_ID, NextToken="garbage")[:2] == (
        400,
        "ValidationError",
    )


def test_describe_stack_events_of_an_unknown_stack_is_a_validation_error(world):
    assert error_of(client().describe_stack_events, StackName=STACK_ID) == (
        400,
        "ValidationError",
        f"Stack with id {STACK_ID} does not exist",
    )
