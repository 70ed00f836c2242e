"""Lifecycle tier: the promises an independent review could break without any test noticing (issue #10),
each pinned from the outside: events in, responses and API calls out, against a world that is faithful
rather than permissive (late status changes, ResourceInUse, deletions outside the stack, tag rules)."""

from __future__ import annotations

import importlib.util
import itertools

import pytest

from comprehend_cr import budget
from comprehend_cr.runtime import MAX_HOPS
from comprehend_loopback.comprehend import Timing
from comprehend_loopback.world import default_handler_dir
from tests.lifecycle.conftest import CLASSIFIER, assert_well_behaved, endpoint_count, props, user_tags

ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
ARN_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"


def created(cfn, **overrides):
    answer = cfn.create("Endpoint", props(**overrides))
    assert answer.body["Status"] == "SUCCESS", answer.body
    return answer.body["PhysicalResourceId"]


def test_update_answers_only_once_the_new_units_are_live_even_when_updating_shows_late(make_world):
    # GIVEN a service that keeps showing IN_SERVICE (old values) for a minute after UpdateEndpoint
    with make_world(Timing(status_lag_s=60)) as world:
        cfn = world.cloudformation()
        arn = created(cfn)
        # WHEN the units change
        answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=3), props())
        # THEN the answer came after the new units were live, not at the first IN_SERVICE it saw
        endpoint = world.comprehend.endpoints[arn]
        assert answer.body["Status"] == "SUCCESS" and endpoint.units == 3
        assert answer.at >= endpoint.reached_at["IN_SERVICE"] > cfn.sent[answer.request_id] + 60


def test_update_refused_as_in_use_is_tried_again_until_it_goes_through(world, cfn):
    arn = created(cfn)
    world.aws.faults.in_use = {"UpdateEndpoint": 2}
    answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=2), props())
    assert answer.body["Status"] == "SUCCESS" and world.comprehend.endpoints[arn].units == 2
    assert world.aws.calls["UpdateEndpoint"] == 3
    assert_well_behaved(world, cfn)


def test_delete_refused_as_in_use_is_tried_again_until_the_endpoint_is_gone(world, cfn):
    arn = created(cfn)
    world.aws.faults.in_use = {"DeleteEndpoint": 2}
    answer = cfn.delete("Endpoint", arn, props())
    assert answer.body["Status"] == "SUCCESS"
    assert endpoint_count(world) == 0 and world.aws.calls["DeleteEndpoint"] == 3
    assert answer.at >= world.comprehend.gone[arn]["GONE"]


def test_an_endpoint_deleted_outside_the_stack_while_awaited_fails_within_seconds(world, cfn):
    # GIVEN someone deletes the endpoint 5 minutes into its creation
    start = world.clock.now()
    world.comprehend.at(start + 300, lambda: world.comprehend.delete_outside(ARN))
    # WHEN the Create waits for it
    answer = cfn.create("Endpoint", props())
    # THEN FAILED with its ARN within seconds of it being gone, not at the deadline
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == ARN
    assert "disappeared" in answer.body["Reason"]
    assert answer.at - world.comprehend.gone[ARN]["GONE"] <= 15


def test_tag_convergence_leaves_aws_tags_alone(world, cfn):
    # GIVEN an endpoint that also carries a tag AWS set (aws: keys cannot be removed by anyone)
    arn = created(cfn, Tags=[{"Key": "team", "Value": "nlp"}])
    world.comprehend.endpoints[arn].tags["aws:cloudformation:stack-name"] = "Shop"
    # WHEN the template's tags change
    old = props(Tags=[{"Key": "team", "Value": "nlp"}])
    answer = cfn.update("Endpoint", arn, props(Tags=[{"Key": "env", "Value": "prod"}]), old)
    # THEN the template's tags converged and the aws: tag is still there
    assert answer.body["Status"] == "SUCCESS"
    assert user_tags(world.comprehend.endpoints[arn]) == {"env": "prod", "aws:cloudformation:stack-name": "Shop"}


def test_renaming_onto_a_name_someone_else_holds_fails_and_keeps_the_old_endpoint(world, cfn):
    arn = created(cfn)
    foreign = world.comprehend.put_foreign_endpoint("news-v2", CLASSIFIER)
    answer = cfn.update("Endpoint", arn, props(EndpointName="news-v2"), props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == arn
    assert "EndpointName: 'news-v2' is already used" in answer.body["Reason"]
    assert world.comprehend.endpoints[foreign].status == "IN_SERVICE"
    assert world.comprehend.endpoints[arn].status == "IN_SERVICE"
    assert world.aws.calls["DeleteEndpoint"] == 0 and world.aws.calls["UpdateEndpoint"] == 0


def test_a_flywheel_the_handler_may_not_describe_fails_naming_the_flywheel(world, cfn):
    forbidden = "arn:aws:comprehend:us-east-1:111122223333:flywheel/forbidden"
    world.comprehend.add_flywheel(forbidden, "DOCUMENT_CLASSIFIER", CLASSIFIER)
    answer = cfn.create("Endpoint", props(ModelArn=None, FlywheelArn=forbidden))
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith("FlywheelArn: AccessDeniedException")
    assert answer.at - cfn.sent[answer.request_id] < 5 and endpoint_count(world) == 0


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


_fresh = itertools.count()


def fresh_entry_point():
    """``index.handler``, the function's configured entry point, from a new copy of index.py (so its
    module-level clients are built from this world's environment)."""
    path = default_handler_dir() / "index.py"
    spec = importlib.util.spec_from_file_location(f"index_entry_{next(_fresh)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def test_the_deployed_entry_point_index_handler_answers_through_its_own_clients(world):
    # GIVEN the entry point Lambda calls (index.handler), with its boto3 clients built from the environment
    # (it runs on the real clock: only requests that need no waiting are sent to it)
    cfn = world.cloudformation(fresh_entry_point)
    # WHEN CloudFormation sends a Create with bad input and a Delete of an endpoint that no longer exists
    refused = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    deleted = cfn.delete("Endpoint", ARN, props())
    # THEN both are answered as the handler promises, the Delete after a real lookup of the endpoint and,
    # since the stack shows the resource itself being deleted, a real search for its strays
    assert refused.body["Status"] == "FAILED" and refused.body["Reason"].startswith("DesiredInferenceUnits:")
    assert deleted.body["Status"] == "SUCCESS"
    assert world.aws.calls["DescribeEndpoint"] == 1 and world.aws.calls["ListEndpoints"] == 2
    assert world.aws.calls["cloudformation:DescribeStackResource"] >= 1


def test_a_dropped_connection_to_the_response_url_is_retried(world, cfn):
    world.receiver.drop_next = 2
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    assert answer.body["Status"] == "FAILED" and world.receiver.puts == 3


def test_a_4xx_from_the_response_url_is_final(world, cfn):
    # GIVEN CloudFormation's URL answers 403 (expired): retrying cannot help
    world.receiver.status_next = [403]
    event = cfn.event("Create", "Endpoint", props(DesiredInferenceUnits="0"))
    cfn.submit(event)
    with pytest.raises(AssertionError, match="nothing scheduled"):
        cfn.run([event["RequestId"]])
    # THEN one PUT, no retry, and the invocation ended cleanly
    assert world.receiver.puts == 1
    assert [i for i in cfn.invocations if i.raised or i.timed_out] == []


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
