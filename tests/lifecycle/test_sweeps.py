"""Lifecycle tier, strays: what a request's sweep removes (endpoints this resource created that CloudFormation
does not know of) and what it always keeps (the physical id the stack holds, the answer, and anything created
after the request was sent)."""

from __future__ import annotations

import math

from tests.lifecycle.conftest import (
    ARN,
    ARN_V2,
    CLASSIFIER,
    assert_well_behaved,
    endpoint_arn,
    owned_by,
    props,
)

STRAY = endpoint_arn("ep-01")
MARKER = "ComprehendEndpointStack-Endpoint-1A2B3C4D5E6F"
"""A physical id CloudFormation made up for a Create it stopped waiting for."""


def a_stray(world, cfn, name="ep-01", request_id="an-earlier-request"):
    """An endpoint a request of resource Endpoint created that CloudFormation never heard of."""
    tags = owned_by(cfn, request_id=request_id)
    return world.comprehend.CreateEndpoint(
        {"EndpointName": name, "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": tags}
    )["EndpointArn"]


def on_a_whole_second(world):
    """Move the clock to the next whole second (``X-Amz-Date`` has whole seconds: a request sent now is dated now)."""
    world.clock.advance_to(math.floor(world.clock.now()) + 1.0)


def test_the_cleanup_of_a_replaced_endpoint_removes_the_strays_and_keeps_the_current_endpoint(world, cfn):
    # GIVEN news renamed to news-v2 (the stack holds news-v2), and a stray of the resource created meanwhile
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == ARN
    renamed = props(EndpointName="news-v2")
    assert cfn.update("Endpoint", ARN, renamed, props()).body["PhysicalResourceId"] == ARN_V2
    stray = a_stray(world, cfn)
    # WHEN the cleanup deletes news (an old physical id of the resource)
    answer = cfn.delete("Endpoint", ARN, props())
    # THEN news and the stray are gone, and news-v2, the endpoint the stack holds, is kept
    assert answer.body["Status"] == "SUCCESS"
    assert sorted(world.comprehend.deleted) == sorted([ARN, stray])
    assert set(world.comprehend.endpoints) == {ARN_V2}
    assert_well_behaved(world, cfn)


def test_a_delete_of_the_physical_id_the_stack_still_holds_in_a_cleanup_leaves_the_strays_to_a_later_request(
    world, cfn
):
    # GIVEN news, the resource's endpoint, a stray of the resource, and a stack in its update's cleanup that
    # still shows news as the resource's physical id (the Delete may be the cleanup of a replacement)
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == ARN
    stray = a_stray(world, cfn)
    world.aws.stacks.set_stack_status(cfn.stack_id, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", at=world.clock.now())
    # WHEN news is deleted
    answer = cfn.delete("Endpoint", ARN, props())
    # THEN only news is gone: the stray might be the replacement, so nothing is swept
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.deleted == [ARN]
    assert stray in world.comprehend.endpoints
    assert_well_behaved(world, cfn)


def test_a_delete_with_a_made_up_id_keeps_the_endpoint_the_stack_holds_and_removes_the_strays(world, cfn):
    # GIVEN the stack holds news for the resource, and an older stray of the resource exists
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == ARN
    stray = a_stray(world, cfn)
    # WHEN CloudFormation deletes a physical id it made up for the resource (a Create it stopped waiting for)
    answer = cfn.delete("Endpoint", MARKER, props())
    # THEN the stray is gone and news is kept
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.deleted == [stray]
    assert set(world.comprehend.endpoints) == {ARN}
    assert_well_behaved(world, cfn)


def test_a_late_delete_keeps_an_endpoint_created_more_than_a_second_after_it_was_sent(world, cfn):
    # GIVEN an older stray, and a Delete with a made-up id sent on a whole second but run 60 s later (queued)
    older = a_stray(world, cfn)
    on_a_whole_second(world)
    event = cfn.event("Delete", "Endpoint", props(), physical_id=MARKER)
    cfn.submit(event, queued_s=60)
    sent = cfn.sent[event["RequestId"]]
    # AND 1.5 s after it was sent, a newer request of the resource creates news
    cfn.run_until(sent + 1.5)
    newer = a_stray(world, cfn, name="news", request_id="a-newer-request")
    # WHEN the Delete runs
    answer = cfn.run([event["RequestId"]])[event["RequestId"]]
    # THEN it removes the older stray only: news belongs to the newer request
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.deleted == [older]
    assert newer in world.comprehend.endpoints


def test_a_late_update_keeps_an_endpoint_created_more_than_a_second_after_it_was_sent(world, cfn):
    # GIVEN news in service, an older stray, and an Update of news sent on a whole second but run 60 s later
    assert cfn.create("Endpoint", props()).body["PhysicalResourceId"] == ARN
    older = a_stray(world, cfn, name="ep-02")
    on_a_whole_second(world)
    event = cfn.event("Update", "Endpoint", props(DesiredInferenceUnits=2), physical_id=ARN, old_properties=props())
    cfn.submit(event, queued_s=60)
    sent = cfn.sent[event["RequestId"]]
    # AND 1.5 s after it was sent, a newer request of the resource creates ep-01
    cfn.run_until(sent + 1.5)
    newer = a_stray(world, cfn, request_id="a-newer-request")
    # WHEN the Update runs
    answer = cfn.run([event["RequestId"]])[event["RequestId"]]
    # THEN it removes the older stray only (an Update does not wait until its strays are gone)
    assert answer.body["Status"] == "SUCCESS"
    world.settle()
    assert world.comprehend.deleted == [older]
    assert set(world.comprehend.endpoints) == {ARN, newer}


def test_a_delete_removes_its_endpoint_created_within_the_second_it_was_sent(world, cfn):
    # GIVEN a Delete of news sent on a whole second and queued; news is created exactly one second later (within
    # the second X-Amz-Date names, whose fraction the date drops)
    on_a_whole_second(world)
    event = cfn.event("Delete", "Endpoint", props(), physical_id=ARN)
    cfn.submit(event, queued_s=60)
    sent = cfn.sent[event["RequestId"]]
    cfn.run_until(sent + 1.0)
    assert a_stray(world, cfn, name="news") == ARN
    # WHEN the Delete runs
    answer = cfn.run([event["RequestId"]])[event["RequestId"]]
    # THEN news counts as this Delete's endpoint: it is deleted
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.deleted == [ARN]


def test_a_rename_of_a_retained_resource_marks_the_new_endpoint_retained(world, cfn):
    # GIVEN news of a resource with RemovalPolicy Retain
    kept = props(RemovalPolicy="Retain")
    assert cfn.create("Endpoint", kept).body["PhysicalResourceId"] == ARN
    # WHEN it is renamed to news-v2
    answer = cfn.update("Endpoint", ARN, props(EndpointName="news-v2", RemovalPolicy="Retain"), kept)
    # THEN news-v2 carries the retained mark too (CloudFormation keeps it on its replacement or removal)
    assert answer.body["PhysicalResourceId"] == ARN_V2
    assert world.comprehend.endpoints[ARN_V2].tags.get("cdk-comprehend-endpoint:retained") == "true"
    assert_well_behaved(world, cfn)
