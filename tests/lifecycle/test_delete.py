"""Lifecycle tier, Delete: what may be deleted, retried while the endpoint is in use, and answering only
once it is gone."""

from __future__ import annotations

from comprehend_loopback.comprehend import Timing
from tests.lifecycle.conftest import ARN, CLASSIFIER, assert_well_behaved, created, endpoint_count, owned_by, props


def test_delete_answers_once_the_endpoint_is_gone(world, cfn):
    # GIVEN an endpoint in service
    arn = cfn.create("Endpoint", props()).body["PhysicalResourceId"]
    # WHEN deleted
    answer = cfn.delete("Endpoint", arn, props())
    # THEN SUCCESS only after the endpoint no longer exists (so its model can be deleted next)
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == arn
    assert endpoint_count(world) == 0
    assert answer.at >= world.comprehend.gone[arn]["GONE"]
    assert world.aws.calls["DeleteEndpoint"] == 1
    assert_well_behaved(world, cfn)


def test_delete_of_a_physical_id_that_is_not_an_endpoint_arn_succeeds_at_once_with_read_calls_only(world, cfn):
    answer = cfn.delete("Endpoint", "ComprehendEndpoint-CREATE_FAILED-Endpoint", props())
    assert answer.body["Status"] == "SUCCESS"
    assert answer.at - cfn.sent[answer.request_id] < 1
    assert {call for call in world.aws.calls if ":" not in call} <= {"DescribeEndpoint", "ListEndpoints"}


def test_delete_with_a_made_up_physical_id_removes_the_endpoint_its_unanswered_create_made(world, cfn):
    # GIVEN an endpoint this resource's Create made, whose answer CloudFormation never got (it stopped
    # waiting and made up a physical id, "<stack>-<logical id>-<suffix>")
    world.comprehend.CreateEndpoint(
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn)}
    )
    # WHEN the rollback Delete comes with that made-up id
    answer = cfn.delete("Endpoint", "ComprehendEndpointStack-Endpoint-1A2B3C4D5E6F", props())
    # THEN the endpoint is gone (waited out of CREATING, then deleted), answered with the id it was sent
    assert answer.body["Status"] == "SUCCESS"
    assert answer.body["PhysicalResourceId"] == "ComprehendEndpointStack-Endpoint-1A2B3C4D5E6F"
    assert endpoint_count(world) == 0 and world.comprehend.deleted == [ARN]


def test_delete_with_a_made_up_physical_id_leaves_an_endpoint_this_resource_does_not_own(world, cfn):
    world.comprehend.CreateEndpoint(
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn, "Other")}
    )
    answer = cfn.delete("Endpoint", "ComprehendEndpointStack-Endpoint-1A2B3C4D5E6F", props())
    assert answer.body["Status"] == "SUCCESS"
    assert world.aws.calls["DeleteEndpoint"] == 0 and endpoint_count(world) == 1


def test_delete_of_an_endpoint_already_gone_succeeds_at_once(world, cfn):
    answer = cfn.delete("Endpoint", ARN, props())
    assert answer.body["Status"] == "SUCCESS"
    assert answer.at - cfn.sent[answer.request_id] < 1
    assert world.aws.calls["DeleteEndpoint"] == 0


def test_delete_of_a_creating_endpoint_waits_it_out_then_deletes(world, cfn):
    # GIVEN an endpoint still CREATING (its Create is being rolled back)
    world.comprehend.CreateEndpoint(
        {
            "EndpointName": "news",
            "ModelArn": CLASSIFIER,
            "DesiredInferenceUnits": 1,
            "ClientRequestToken": "t1",
            "Tags": owned_by(cfn),
        }
    )
    # WHEN deleted
    answer = cfn.delete("Endpoint", ARN, props())
    # THEN the handler waited for CREATING to end, deleted it, and answered once it was gone
    assert answer.body["Status"] == "SUCCESS"
    assert endpoint_count(world) == 0
    assert answer.at - cfn.sent[answer.request_id] >= world.comprehend.timing.create_s
    assert_well_behaved(world, cfn)


def test_delete_of_an_updating_endpoint_waits_it_out_then_deletes(world, cfn):
    arn = cfn.create("Endpoint", props()).body["PhysicalResourceId"]
    world.comprehend.UpdateEndpoint({"EndpointArn": arn, "DesiredInferenceUnits": 2})
    answer = cfn.delete("Endpoint", arn, props())
    assert answer.body["Status"] == "SUCCESS" and endpoint_count(world) == 0
    assert_well_behaved(world, cfn)


def test_delete_answers_within_seconds_of_the_endpoint_being_gone(make_world):
    with make_world(Timing(delete_s=120)) as world:
        world.comprehend.add_model(CLASSIFIER)
        cfn = world.cloudformation()
        arn = cfn.create("Endpoint", props()).body["PhysicalResourceId"]
        endpoint = world.comprehend.endpoints[arn]
        answer = cfn.delete("Endpoint", arn, props())
        assert 0 <= answer.at - endpoint.reached_at["GONE"] <= 15


def test_delete_of_an_endpoint_a_sibling_resource_now_owns_leaves_it_to_that_resource(world, cfn):
    # GIVEN "news", owned by resource Other of the same stack
    world.comprehend.CreateEndpoint(
        {
            "EndpointName": "news",
            "ModelArn": CLASSIFIER,
            "DesiredInferenceUnits": 1,
            "ClientRequestToken": "t1",
            "Tags": owned_by(cfn, "Other"),
        }
    )
    # WHEN resource Endpoint's Delete names it
    answer = cfn.delete("Endpoint", ARN, props())
    # THEN SUCCESS without deleting it: it is the other resource's to delete
    assert answer.body["Status"] == "SUCCESS"
    assert world.aws.calls["DeleteEndpoint"] == 0 and ARN in world.comprehend.endpoints


def test_delete_of_an_endpoint_without_ownership_tags_fails_and_leaves_it(world, cfn):
    # GIVEN "news", created outside the stack (no ownership tags)
    world.comprehend.put_foreign_endpoint("news", CLASSIFIER)
    # WHEN a Delete names it
    answer = cfn.delete("Endpoint", ARN, props())
    # THEN FAILED, saying why, and the endpoint is untouched
    assert answer.body["Status"] == "FAILED"
    assert "is not this resource's" in answer.body["Reason"] and "Ownership tags" in answer.body["Reason"]
    assert world.aws.calls["DeleteEndpoint"] == 0 and world.comprehend.endpoints[ARN].status == "IN_SERVICE"


def test_delete_refused_as_in_use_is_tried_again_until_the_endpoint_is_gone(world, cfn):
    arn = created(cfn)
    world.aws.faults.in_use = {"DeleteEndpoint": 2}
    answer = cfn.delete("Endpoint", arn, props())
    assert answer.body["Status"] == "SUCCESS"
    assert endpoint_count(world) == 0 and world.aws.calls["DeleteEndpoint"] == 3
    assert answer.at >= world.comprehend.gone[arn]["GONE"]
