"""Unit tier: a Create or Update that CloudFormation no longer waits for creates nothing more, deletes what it
created and answers nothing; deadlines run on CloudFormation's clock; the ARN CreateEndpoint gives must be the one
the request names; an endpoint kept on purpose is marked, unmarked once its resource no longer keeps it, and
never taken over by a Create; a tag-only Update reads the stack before it changes a tag.

Driven from the outside: a request in (with a SigV4-shaped ResponseURL where its send time matters), Comprehend's
and CloudFormation's answers stubbed in order (each call checked against botocore's model), the outcome out.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from comprehend_cr.delivery import Delivery
from comprehend_cr.lifecycle import DEADLINE_MARGIN_S, Request, failed_create_marker
from tests.unit.stubs import ARN, MODEL, OWNED, STACK, create_params, described, no_strays, run

MARKER = failed_create_marker("Endpoint")
KEPT = [*OWNED, {"Key": "cdk-comprehend-endpoint:retained", "Value": "true"}]
OTHER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/theirs"


def url(sent_at: float) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(sent_at))
    return f"https://cfn.example/s%7CEndpoint%7Creq-1?X-Amz-Date={stamp}&X-Amz-SignedHeaders=host&X-Amz-Signature=x"


def create(sent_at: float | None = 1000.0, **props: Any) -> Request:
    properties = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1", **props}
    delivery = Delivery.of(url(sent_at)) if sent_at is not None else None
    return Request("Create", STACK, "req-1", "Endpoint", "", properties, {}, delivery)


def stack_says(stub, stack_status: str, resource_status: str, at: float = 1000.0, physical_id: str = "") -> None:
    """One read of the stack: DescribeStacks, then DescribeStackResource of the request's resource."""
    when = datetime.fromtimestamp(at, UTC)
    stub.add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": "s", "StackId": STACK, "StackStatus": stack_status, "CreationTime": when}]},
        {"StackName": STACK},
    )
    detail: dict[str, Any] = {
        "LogicalResourceId": "Endpoint",
        "ResourceType": "Custom::ComprehendEndpoint",
        "LastUpdatedTimestamp": when,
        "ResourceStatus": resource_status,
    }
    if physical_id:
        detail["PhysicalResourceId"] = physical_id
    stub.add_response(
        "describe_stack_resource",
        {"StackResourceDetail": detail},
        {"StackName": STACK, "LogicalResourceId": "Endpoint"},
    )


def created_while_the_stack_creates_it(stub, cfn_stub) -> None:
    """The Create's first steps: the stack still creates the resource, CreateEndpoint gives ARN, and ARN is in
    service at its first read."""
    stack_says(cfn_stub, "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS")
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, create_params())
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})


def test_a_create_cancelled_before_it_runs_creates_nothing_and_answers_nothing(comprehend, cloudformation):
    client, _ = comprehend
    cfn, stub = cloudformation
    # GIVEN the stack's creation already rolls back and the resource's Create was cancelled (a queued invocation)
    stack_says(stub, "ROLLBACK_IN_PROGRESS", "CREATE_FAILED")
    # WHEN the Create runs THEN no Comprehend call is made (the strict client fails on any) and nothing is answered
    outcome = run(client, create(), cloudformation=cfn)
    assert (outcome.status, outcome.physical_id) == ("SILENT", MARKER)


def test_a_create_whose_stack_rolled_back_meanwhile_deletes_its_endpoint_and_answers_nothing(
    comprehend, cloudformation
):
    client, stub = comprehend
    cfn, cfn_stub = cloudformation
    # GIVEN the stack still creates the resource when the endpoint is created
    cfn_stub_order = [("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS"), ("ROLLBACK_IN_PROGRESS", "CREATE_FAILED")]
    stack_says(cfn_stub, *cfn_stub_order[0])
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, create_params())
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    # WHEN, before the answer, the stack says it rolls back (a sibling failed: the Create was cancelled)
    stack_says(cfn_stub, *cfn_stub_order[1])
    # THEN the endpoint it created is deleted once the stack (read again) does not hold it and its tags say it is
    # this resource's, and nothing is answered
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stack_says(cfn_stub, *cfn_stub_order[1])
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": ARN})
    outcome = run(client, create(), cloudformation=cfn)
    assert outcome.status == "SILENT"


def test_an_endpoint_the_stack_knows_is_never_deleted_by_a_withdrawn_duplicate(comprehend, cloudformation):
    client, stub = comprehend
    cfn, cfn_stub = cloudformation
    # GIVEN another delivery of this request already answered with the endpoint (the resource CREATE_COMPLETE)
    created_while_the_stack_creates_it(stub, cfn_stub)
    stack_says(cfn_stub, "CREATE_IN_PROGRESS", "CREATE_COMPLETE", physical_id=ARN)
    # THEN this duplicate, reading the stack again before any deletion, answers nothing and deletes nothing (the
    # strict client fails on DeleteEndpoint)
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stack_says(cfn_stub, "CREATE_IN_PROGRESS", "CREATE_COMPLETE", physical_id=ARN)
    assert run(client, create(), cloudformation=cfn).status == "SILENT"


def test_an_event_cloudformation_gave_up_on_creates_nothing_and_answers_nothing(comprehend):
    client, _ = comprehend
    # GIVEN a Create sent 2,700 s (its ServiceTimeout) before it first runs (Lambda's queue held it)
    request = create(sent_at=1000.0 - 2700, ServiceTimeout="2700")
    # THEN no call at all, and no answer
    assert run(client, request).status == "SILENT"


def test_the_deadline_counts_from_when_cloudformation_sent_the_request(comprehend):
    client, _ = comprehend
    # GIVEN a Create sent so long ago that the handler's deadline has just passed (but not the ServiceTimeout)
    request = create(sent_at=1000.0 - (2700 - DEADLINE_MARGIN_S), ServiceTimeout="2700")
    # THEN it fails at once with the marker, having created nothing
    outcome = run(client, request)
    assert (outcome.status, outcome.physical_id) == ("FAILED", MARKER)
    assert "handler's deadline" in outcome.reason


def test_an_arn_other_than_the_one_named_fails_the_create_touching_nothing(comprehend):
    client, stub = comprehend
    # GIVEN CreateEndpoint answers with another endpoint (its token was another resource's)
    params = create_params()
    params["ClientRequestToken"] = "shared-token"
    stub.add_response("create_endpoint", {"EndpointArn": OTHER}, params)
    outcome = run(client, create(ClientRequestToken="shared-token"))
    # THEN FAILED with the marker, the whole reason pinned (it names the token and says nothing changed); nothing
    # is described or deleted
    assert (outcome.status, outcome.physical_id) == ("FAILED", MARKER)
    assert outcome.reason == (
        f"ClientRequestToken: CreateEndpoint answered with {OTHER}, not {ARN}: the token belongs to another "
        "endpoint's request (give each endpoint its own client_request_token); nothing was changed"
    )


def test_a_create_does_not_take_over_an_endpoint_its_resource_kept_on_purpose(comprehend):
    client, stub = comprehend
    # GIVEN the name is held by an endpoint this resource kept (removed with RETAIN, then added back)
    stub.add_client_error("create_endpoint", "ResourceInUseException", http_status_code=400)
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": KEPT}, {"ResourceArn": ARN})
    outcome = run(client, create())
    # THEN the Create fails with the marker (the rollback Delete cannot reach the kept endpoint) naming it
    assert (outcome.status, outcome.physical_id) == ("FAILED", MARKER)
    assert "kept on purpose" in outcome.reason and ARN in outcome.reason


def test_an_endpoint_of_a_retained_resource_is_marked_before_the_answer(comprehend):
    client, stub = comprehend
    # GIVEN a Create with RemovalPolicy Retain
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, create_params())
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    # THEN, once in service, its tags are read (ownership) and the retained mark is written, then SUCCESS
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    mark = [{"Key": "cdk-comprehend-endpoint:retained", "Value": "true"}]
    stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": mark})
    outcome = run(client, create(RemovalPolicy="Retain"))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_a_withdrawn_create_leaves_its_endpoint_to_a_newer_forward_delivery(comprehend, cloudformation):
    client, stub = comprehend
    cfn, cfn_stub = cloudformation
    # GIVEN the endpoint is created while the stack still creates the resource
    created_while_the_stack_creates_it(stub, cfn_stub)
    # WHEN, before the answer, the resource is in progress again, stamped later: the same request sent again by a
    # retried deployment (a forward operation), which takes this endpoint back by its name
    stack_says(cfn_stub, "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", at=1000.0 + 600)
    # THEN this delivery answers nothing and deletes nothing (the strict client fails on any further call)
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stack_says(cfn_stub, "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", at=1000.0 + 600)
    assert run(client, create(), cloudformation=cfn).status == "SILENT"


def test_a_withdrawn_update_deletes_its_replacement_while_the_stack_rolls_back(comprehend, cloudformation):
    client, stub = comprehend
    cfn, cfn_stub = cloudformation
    new_arn = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"
    rename = Request(
        "Update",
        STACK,
        "req-1",
        "Endpoint",
        ARN,
        {"EndpointName": "news-v2", "ModelArn": MODEL, "DesiredInferenceUnits": "1"},
        {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1"},
        Delivery.of(url(1000.0)),
    )
    # GIVEN a rename whose replacement is created while the stack updates
    stack_says(cfn_stub, "UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")
    params = {**create_params(), "EndpointName": "news-v2"}
    stub.add_response("create_endpoint", {"EndpointArn": new_arn}, params)
    stub.add_response("describe_endpoint", described(arn=new_arn), {"EndpointArn": new_arn})
    # WHEN, before the answer, the stack rolls back and the rollback's Update is in progress for the resource
    stack_says(cfn_stub, "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", at=1000.0 + 600, physical_id=ARN)
    # THEN the replacement it created is deleted (its tags read first), and nothing is answered
    stub.add_response("describe_endpoint", described(arn=new_arn), {"EndpointArn": new_arn})
    stack_says(cfn_stub, "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", at=1000.0 + 600, physical_id=ARN)
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": new_arn})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": new_arn})
    assert run(client, rename, cloudformation=cfn).status == "SILENT"


RETAINED_MARK = "cdk-comprehend-endpoint:retained"


def update(props: dict[str, Any], old_props: dict[str, Any]) -> Request:
    """An Update of ARN (endpoint "news" of ``MODEL``, 1 unit) from ``old_props`` to ``props``, sent at 1000."""
    base = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1"}
    return Request(
        "Update", STACK, "req-1", "Endpoint", ARN, {**base, **props}, {**base, **old_props}, Delivery.of(url(1000.0))
    )


def rollback_already_ran(stub) -> None:
    """The stack read of an Update CloudFormation no longer waits for: it was cancelled and its rollback Update
    already answered (the resource is UPDATE_COMPLETE, stamped after the request was sent)."""
    stack_says(stub, "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_COMPLETE", at=1000.0 + 300, physical_id=ARN)


TEAM = {"Key": "team", "Value": "nlp"}


@pytest.mark.parametrize(
    ("props", "old_props", "live_tags"),
    [
        pytest.param({"Tags": [TEAM]}, {}, OWNED, id="only-a-tag-added"),
        pytest.param({}, {"Tags": [TEAM]}, [*OWNED, TEAM], id="only-a-tag-removed"),
    ],
)
def test_a_tag_only_update_no_longer_waited_for_reads_the_stack_first_and_changes_no_tag(
    comprehend, cloudformation, props, old_props, live_tags
):
    client, stub = comprehend
    cfn, cfn_stub = cloudformation
    # GIVEN an Update of ARN whose only change is one tag (added, or removed), run after CloudFormation cancelled
    # it and its rollback Update was already answered
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": live_tags}, {"ResourceArn": ARN})
    rollback_already_ran(cfn_stub)
    # WHEN it runs
    outcome = run(client, update(props, old_props), cloudformation=cfn)
    # THEN it reads the stack before touching the tags, and answers nothing having called neither TagResource nor
    # UntagResource (the strict client fails on any call not stubbed; every stubbed read was made)
    assert (outcome.status, outcome.physical_id) == ("SILENT", ARN)


def test_an_update_from_retain_to_destroy_clears_the_retained_mark(comprehend):
    client, stub = comprehend
    # GIVEN an endpoint kept on purpose (it carries the retained mark), and an Update whose only change is its
    # RemovalPolicy, from Retain to Delete
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": KEPT}, {"ResourceArn": ARN})
    # THEN the mark is removed (UntagResource of that key alone, never a TagResource), and the Update succeeds
    stub.add_response("untag_resource", {}, {"ResourceArn": ARN, "TagKeys": [RETAINED_MARK]})
    no_strays(stub)
    outcome = run(client, update({"RemovalPolicy": "Delete"}, {"RemovalPolicy": "Retain"}))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_an_update_of_a_retained_resource_leaves_its_retained_mark_alone(comprehend):
    client, stub = comprehend
    # GIVEN an endpoint kept on purpose, already marked, and an Update of it that keeps RemovalPolicy Retain and
    # changes nothing else
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": KEPT}, {"ResourceArn": ARN})
    no_strays(stub)
    # WHEN it runs THEN it succeeds without any tag call (the strict client fails on any call not stubbed)
    outcome = run(client, update({"RemovalPolicy": "Retain"}, {"RemovalPolicy": "Retain"}))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)
