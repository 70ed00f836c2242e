"""Unit tier: ``StackReader`` against CloudFormation's answers (botocore's Stubber, the real client's model).

What the handler reads from its stack: a gone stack, a resource not listed yet, a failed read ("unknown",
never "over"), and the start of the stack's latest update rollback, from its events, newest first.
"""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from comprehend_cr.watch import EVENT_PAGES, StackReader, StackView

STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/app/1b2c"
CHILD = "arn:aws:cloudformation:us-east-1:111122223333:stack/app-Child-X/9z"
T = datetime(2026, 12, 3, 10, 15, tzinfo=UTC)


@pytest.fixture
def cfn():
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def reader(client, guarded=None):
    return StackReader(client, guard=(lambda: guarded.append(1)) if guarded is not None else (lambda: None))


def stack(status):
    return {"Stacks": [{"StackName": "app", "StackId": STACK, "CreationTime": T, "StackStatus": status}]}


def resource(status="UPDATE_IN_PROGRESS", physical="arn:x"):
    return {
        "StackResourceDetail": {
            "LogicalResourceId": "Endpoint",
            "PhysicalResourceId": physical,
            "ResourceType": "AWS::CloudFormation::CustomResource",
            "LastUpdatedTimestamp": T,
            "ResourceStatus": status,
        }
    }


def event(status, *, physical=STACK, kind="AWS::CloudFormation::Stack", at=T, logical="app"):
    return {
        "StackId": STACK,
        "EventId": f"e-{status}-{at.timestamp()}",
        "StackName": "app",
        "LogicalResourceId": logical,
        "PhysicalResourceId": physical,
        "ResourceType": kind,
        "Timestamp": at,
        "ResourceStatus": status,
    }


# -- the stack and the resource ------------------------------------------------------------------------------


def test_a_read_gives_the_stacks_and_the_resources_status_time_and_physical_id(cfn):
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"), {"StackName": STACK})
    stubber.add_response("describe_stack_resource", resource(), {"StackName": STACK, "LogicalResourceId": "Endpoint"})
    guarded: list[int] = []
    view = reader(client, guarded).view(STACK, "Endpoint")
    assert view == StackView("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", T.timestamp(), "arn:x")
    # AND every call went through the guard (the time budget and abandonment check)
    assert guarded == [1, 1]


@pytest.mark.parametrize("answer", [{"Stacks": []}, stack("DELETE_COMPLETE")])
def test_a_stack_listed_as_deleted_or_not_at_all_is_gone(cfn, answer):
    client, stubber = cfn
    stubber.add_response("describe_stacks", answer, {"StackName": STACK})
    assert reader(client).view(STACK, "Endpoint") == StackView(None)


def test_a_stack_cloudformation_says_does_not_exist_is_gone(cfn):
    client, stubber = cfn
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    assert reader(client).view(STACK, "Endpoint") == StackView(None)


def test_a_resource_the_stack_does_not_list_yet_gives_the_stacks_status_only(cfn):
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("CREATE_IN_PROGRESS"))
    stubber.add_client_error("describe_stack_resource", "ValidationError", "Resource Endpoint does not exist")
    assert reader(client).view(STACK, "Endpoint") == StackView("CREATE_IN_PROGRESS")


@pytest.mark.parametrize("failing", ["describe_stacks", "describe_stack_resource"])
@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_a_refused_or_throttled_read_is_unknown_never_over(cfn, failing, code):
    client, stubber = cfn
    if failing == "describe_stack_resource":
        stubber.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"))
    stubber.add_client_error(failing, code, "no")
    assert reader(client).view(STACK, "Endpoint") is None


def test_a_read_that_never_reached_cloudformation_is_unknown(cfn):
    client, _ = cfn

    def unreachable(**_kwargs):
        raise EndpointConnectionError(endpoint_url="https://cloudformation.us-east-1.amazonaws.com")

    client.describe_stacks = unreachable
    assert reader(client).view(STACK, "Endpoint") is None


# -- the start of the stack's latest update rollback ---------------------------------------------------------


def test_the_rollbacks_start_is_the_newest_stack_event_that_began_an_update_rollback(cfn):
    # GIVEN events newest first: a resource's rollback, the stack's rollback start, an older rollback start
    client, stubber = cfn
    began = datetime(2026, 12, 3, 10, 15, 30, tzinfo=UTC)
    events = [
        event(
            "UPDATE_IN_PROGRESS",
            physical="arn:x",
            kind="AWS::CloudFormation::CustomResource",
            logical="Endpoint",
            at=datetime(2026, 12, 3, 10, 15, 40, tzinfo=UTC),
        ),
        event("UPDATE_ROLLBACK_IN_PROGRESS", at=began),
        event("UPDATE_ROLLBACK_IN_PROGRESS", at=datetime(2026, 12, 2, tzinfo=UTC)),
    ]
    stubber.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": STACK})
    assert reader(client).rollback_began(STACK) == began.timestamp()


def test_a_nested_stacks_rollback_or_a_resources_status_is_not_this_stacks_rollback(cfn):
    # GIVEN the only UPDATE_ROLLBACK_IN_PROGRESS events are a child stack's (as a resource of this one) and a
    # resource's that is not a stack
    client, stubber = cfn
    events = [
        event("UPDATE_ROLLBACK_IN_PROGRESS", physical=CHILD, logical="Child"),
        event("UPDATE_ROLLBACK_IN_PROGRESS", kind="AWS::CloudFormation::CustomResource"),
        event("UPDATE_IN_PROGRESS"),
    ]
    stubber.add_response("describe_stack_events", {"StackEvents": events})
    # THEN no start is found
    assert reader(client).rollback_began(STACK) is None


def test_the_rollbacks_start_is_looked_for_on_the_next_pages_up_to_a_bound(cfn):
    # GIVEN the start is on the second page
    client, stubber = cfn
    stubber.add_response("describe_stack_events", {"StackEvents": [event("UPDATE_IN_PROGRESS")], "NextToken": "p2"})
    stubber.add_response(
        "describe_stack_events",
        {"StackEvents": [event("UPDATE_ROLLBACK_IN_PROGRESS")]},
        {"StackName": STACK, "NextToken": "p2"},
    )
    assert reader(client).rollback_began(STACK) == T.timestamp()


def test_no_more_than_event_pages_pages_are_read(cfn):
    # GIVEN pages that never hold the start
    client, stubber = cfn
    for page in range(EVENT_PAGES):
        stubber.add_response(
            "describe_stack_events", {"StackEvents": [event("UPDATE_IN_PROGRESS")], "NextToken": f"p{page + 2}"}
        )
    # THEN the reader gives up after EVENT_PAGES pages (the Stubber refuses a call it was not given)
    assert reader(client).rollback_began(STACK) is None


def test_the_last_page_ends_the_search(cfn):
    client, stubber = cfn
    stubber.add_response("describe_stack_events", {"StackEvents": [event("UPDATE_IN_PROGRESS")]})
    guarded: list[int] = []
    assert reader(client, guarded).rollback_began(STACK) is None
    # AND a page without a NextToken is the last one read
    assert guarded == [1]


@pytest.mark.parametrize("code", ["AccessDenied", "ValidationError", "Throttling"])
def test_unreadable_events_give_no_start(cfn, code):
    client, stubber = cfn
    stubber.add_client_error("describe_stack_events", code, "no")
    assert reader(client).rollback_began(STACK) is None


def test_a_resource_without_a_physical_id_yet_reads_as_an_empty_one(cfn):
    # GIVEN a Create in progress, CloudFormation knowing no physical id yet (the field is optional in the model)
    client, stubber = cfn
    detail = resource("CREATE_IN_PROGRESS")
    del detail["StackResourceDetail"]["PhysicalResourceId"]
    stubber.add_response("describe_stacks", stack("CREATE_IN_PROGRESS"))
    stubber.add_response("describe_stack_resource", detail)
    # THEN the view's physical id is empty, never a placeholder text
    assert reader(client).view(STACK, "Endpoint") == StackView(
        "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", T.timestamp(), ""
    )
