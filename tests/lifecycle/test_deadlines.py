"""Lifecycle tier: requests that cannot finish in time (a slow or throttled service, the ServiceTimeout, the
continuation limit, an invocation too short for more than one call) fail before CloudFormation gives up,
with the physical id the rollback can act on and nothing left billing that nobody knows of; a withdrawal
CloudFormation no longer listens for ends at the continuation limit without an answer."""

from __future__ import annotations

from comprehend_cr import budget
from comprehend_cr.runtime import MAX_HOPS, PROGRESS_KEY
from comprehend_loopback.cloudformation import LambdaContext
from comprehend_loopback.comprehend import Timing
from tests.lifecycle.conftest import ARN, ARN_V2, CLASSIFIER, MARKER, created, endpoint_count, owned_by, props


def test_a_request_needing_more_continuations_than_the_hop_limit_fails_with_its_arn(make_world):
    # GIVEN 5-minute invocations, a one-hour ServiceTimeout and an endpoint that takes 50 minutes
    with make_world(Timing(create_s=50 * 60)) as world:
        cfn = world.cloudformation(timeout_s=300, service_timeout_s=3600)
        answer = cfn.create("Endpoint", props())
        # THEN after MAX_HOPS continuations the handler answers FAILED with the endpoint's ARN
        assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == ARN
        assert f"gave up after {MAX_HOPS} continuations" in answer.body["Reason"]
        assert [i.kind for i in cfn.invocations].count("continuation") == MAX_HOPS
        # ... and the rollback Delete removes it
        assert cfn.delete("Endpoint", ARN, props()).body["Status"] == "SUCCESS" and endpoint_count(world) == 0


def test_an_update_slower_than_the_service_timeout_fails_in_time_with_the_arn(make_world):
    with make_world(Timing(update_s=50 * 60)) as world:
        cfn = world.cloudformation()
        arn = created(cfn)
        answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=2), props())
        assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == arn
        assert "deadline" in answer.body["Reason"]
        assert answer.at - cfn.sent[answer.request_id] < cfn.service_timeout_s


def test_a_delete_slower_than_the_service_timeout_fails_in_time(make_world):
    with make_world(Timing(delete_s=50 * 60)) as world:
        cfn = world.cloudformation()
        arn = created(cfn)
        answer = cfn.delete("Endpoint", arn, props())
        assert answer.body["Status"] == "FAILED" and "deadline" in answer.body["Reason"]
        assert answer.at - cfn.sent[answer.request_id] < cfn.service_timeout_s


def test_a_replacement_too_slow_for_the_deadline_is_removed_and_the_old_endpoint_kept(make_world):
    # GIVEN endpoints that take 40 minutes to create (the first create still fits in 45)
    with make_world(Timing(create_s=40 * 60)) as world:
        cfn = world.cloudformation()
        arn = created(cfn)
        # WHEN a rename needs a second one
        answer = cfn.update("Endpoint", arn, props(EndpointName="news-v2"), props())
        # THEN FAILED in time with the old ARN, and the replacement is on its way out
        assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == arn
        assert "replacement endpoint was deleted" in answer.body["Reason"]
        assert answer.at - cfn.sent[answer.request_id] < cfn.service_timeout_s
        assert ARN_V2 in world.comprehend.deleted or world.comprehend.endpoints[ARN_V2].status == "DELETING"
        assert world.comprehend.endpoints[arn].status == "IN_SERVICE"


def test_an_invocation_with_exactly_the_call_reserve_left_still_makes_its_call(world):
    # GIVEN a function timeout of exactly CALL_RESERVE_S: the time one call and the answer after it may take
    cfn = world.cloudformation(timeout_s=budget.CALL_RESERVE_S)
    # WHEN a Create runs
    answer = cfn.create("Endpoint", props())
    # THEN the first invocation calls CreateEndpoint (its budget is the remaining time, to the millisecond),
    # and every invocation after it makes its one call, until the hop limit ends the request with the ARN
    assert world.aws.calls["CreateEndpoint"] == 1
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == ARN
    assert f"gave up after {MAX_HOPS} continuations" in answer.body["Reason"]


def test_a_create_throttled_until_its_deadline_fails_in_time_with_the_marker(world):
    # GIVEN every Comprehend call throttled, and a 5-minute ServiceTimeout
    world.aws.faults.throttle_every = 1
    cfn = world.cloudformation(service_timeout_s=300)
    answer = cfn.create("Endpoint", props())
    # THEN FAILED before CloudFormation gives up, with nothing created
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == MARKER
    assert "deadline" in answer.body["Reason"] and answer.at - cfn.sent[answer.request_id] < 300
    assert endpoint_count(world) == 0


def test_a_rename_throttled_until_its_deadline_fails_keeping_the_old_endpoint(world):
    cfn = world.cloudformation(service_timeout_s=300)
    world.comprehend.CreateEndpoint(
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn)}
    )
    world.settle()
    world.aws.faults.throttle_every = 1
    answer = cfn.update("Endpoint", ARN, props(EndpointName="news-v2"), props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == ARN
    assert "deadline" in answer.body["Reason"] and list(world.comprehend.endpoints) == [ARN]


def test_a_replacement_still_creating_at_the_deadline_is_left_to_delete_by_hand(make_world):
    # GIVEN "news" in service, and new endpoints that take an hour to create (beyond the ServiceTimeout)
    with make_world(Timing(create_s=60 * 60)) as world:
        cfn = world.cloudformation()
        world.comprehend.put_foreign_endpoint("news", CLASSIFIER)
        world.comprehend.endpoints[ARN].tags.update({t["Key"]: t["Value"] for t in owned_by(cfn)})
        # WHEN a rename needs a second endpoint
        answer = cfn.update("Endpoint", ARN, props(EndpointName="news-v2"), props())
        # THEN FAILED in time with the old ARN, saying the replacement could not be deleted and must be
        assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == ARN
        assert f"delete the replacement endpoint {ARN_V2} by hand" in answer.body["Reason"]
        assert answer.at - cfn.sent[answer.request_id] < cfn.service_timeout_s


def test_a_withdrawal_still_under_way_at_the_hop_limit_ends_without_an_answer_or_another_continuation(world, cfn):
    # GIVEN news, still CREATING, which a Create delivery made before CloudFormation stopped waiting for it
    world.comprehend.CreateEndpoint(
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn)}
    )
    # AND that delivery's withdrawal (delete news once it can be deleted) has already used MAX_HOPS continuations
    event = cfn.event("Create", "Endpoint", props())
    event[PROGRESS_KEY] = {
        "started": world.clock.now(),
        "phase": "withdraw",
        "arn": ARN,
        "created": True,
        "expected_arn": ARN,
        "reason": "CloudFormation no longer waits",
        "hops": MAX_HOPS,
    }
    # WHEN its next continuation runs out of time with news still CREATING
    world.handler()(event, LambdaContext(world.clock, 300, 256))
    # THEN it gives up without answering (CloudFormation no longer listens on that URL: no FAILED is sent) and
    # without invoking itself again; news is left to the resource's next sweep
    assert world.receiver.puts_to(event["RequestId"]) == []
    assert world.aws.calls["lambda:Invoke"] == 0
    assert world.comprehend.endpoints[ARN].status == "CREATING"
