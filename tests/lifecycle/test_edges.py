"""Lifecycle tier: the failure paths of replacement, take-back, convergence and deadlines, each from the
outside (a CloudFormation request in, the answer and the endpoints out)."""

from __future__ import annotations

from comprehend_loopback.comprehend import Timing
from tests.lifecycle.conftest import CLASSIFIER, FLYWHEEL, endpoint_count, owned_by, props

ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
ARN_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"
MARKER = "ComprehendEndpoint-CREATE_FAILED-Endpoint"


def created(cfn, **overrides):
    answer = cfn.create("Endpoint", props(**overrides))
    assert answer.body["Status"] == "SUCCESS", answer.body
    return answer.body["PhysicalResourceId"]


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


def test_a_rollback_onto_an_old_endpoint_that_fails_to_converge_fails_keeping_both_ids_known(world, cfn):
    # GIVEN "news" renamed to "news-v2", and the old endpoint's model now failing every update
    old = created(cfn)
    new = cfn.update("Endpoint", old, props(EndpointName="news-v2"), props()).body["PhysicalResourceId"]
    world.comprehend.failing_models[CLASSIFIER] = "model retired"
    # WHEN the rollback Update takes "news" back with 2 units (so it must update it)
    answer = cfn.update("Endpoint", new, props(DesiredInferenceUnits=2), props(EndpointName="news-v2"))
    # THEN FAILED with the current physical id, and neither endpoint was deleted
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == new
    assert "model retired" in answer.body["Reason"]
    assert {ARN, ARN_V2} <= set(world.comprehend.endpoints)


def test_a_replacement_deleted_outside_the_stack_fails_the_update_keeping_the_old(world, cfn):
    old = created(cfn)
    world.comprehend.at(world.clock.now() + 300, lambda: world.comprehend.delete_outside(ARN_V2))
    answer = cfn.update("Endpoint", old, props(EndpointName="news-v2"), props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == old
    assert "disappeared" in answer.body["Reason"] and world.comprehend.endpoints[old].status == "IN_SERVICE"


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


def test_a_name_the_policy_does_not_name_fails_naming_the_denial(world, cfn):
    answer = cfn.create("Endpoint", props(EndpointName="unlisted"))
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == MARKER
    assert answer.body["Reason"].startswith("EndpointName/ModelArn: the handler may not create this endpoint")


def test_a_name_held_by_another_resource_of_the_stack_is_a_conflict(world, cfn):
    world.comprehend.CreateEndpoint(
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn, "Other")}
    )
    answer = cfn.create("Endpoint", props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == MARKER
    assert "belongs to resource Other of this stack" in answer.body["Reason"]


def test_a_name_this_resource_still_holds_while_it_is_being_deleted_is_waited_for_then_created(world, cfn):
    # GIVEN this resource's previous "news" on its way out
    world.comprehend.CreateEndpoint(
        {"EndpointName": "news", "ModelArn": CLASSIFIER, "DesiredInferenceUnits": 1, "Tags": owned_by(cfn)}
    )
    world.settle()
    world.comprehend.delete_outside(ARN)
    gone_at = world.comprehend.endpoints[ARN].until
    # WHEN the Create runs, THEN it waits for the name to be free and creates the endpoint anew
    answer = cfn.create("Endpoint", props())
    assert answer.body["Status"] == "SUCCESS" and answer.body["PhysicalResourceId"] == ARN
    assert world.comprehend.endpoints[ARN].created >= gone_at


def test_an_update_of_an_endpoint_deleted_outside_the_stack_fails_saying_so(world, cfn):
    arn = created(cfn)
    world.comprehend.delete_outside(arn)
    world.settle()
    answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=2), props())
    assert answer.body["Status"] == "FAILED" and "deleted outside the stack" in answer.body["Reason"]


def test_an_update_of_an_endpoint_being_deleted_fails_saying_so(world, cfn):
    arn = created(cfn)
    world.comprehend.delete_outside(arn)
    answer = cfn.update("Endpoint", arn, props(DesiredInferenceUnits=2), props())
    assert answer.body["Status"] == "FAILED" and "is being deleted" in answer.body["Reason"]


def test_a_failed_flywheel_endpoint_is_recovered_by_reapplying_its_units(world, cfn):
    # GIVEN a flywheel endpoint left FAILED by an update outside the stack
    world.comprehend.add_flywheel(FLYWHEEL, "DOCUMENT_CLASSIFIER", CLASSIFIER)
    arn = created(cfn, ModelArn=None, FlywheelArn=FLYWHEEL)
    endpoint = world.comprehend.endpoints[arn]
    endpoint.status, endpoint.message = "FAILED", "update failed"
    # WHEN an Update asks for what it already has
    answer = cfn.update("Endpoint", arn, props(ModelArn=None, FlywheelArn=FLYWHEEL), props())
    # THEN the handler re-applied the units (no model to re-apply) and answered once it was back
    assert answer.body["Status"] == "SUCCESS" and endpoint.status == "IN_SERVICE"
    assert world.aws.calls["UpdateEndpoint"] == 1


def test_autoscaled_units_follow_the_template_when_the_previous_properties_are_unreadable(world, cfn):
    scaling = {"InferenceUnitsAutoScaling": {"MinCapacity": "1", "MaxCapacity": "4"}}
    arn = created(cfn, **scaling)
    # (a request-level test has no scalable target: the units are moved directly, as the scaler would)
    world.comprehend.UpdateEndpoint({"EndpointArn": arn, "DesiredInferenceUnits": 3})
    world.settle()
    # WHEN an Update comes with OldResourceProperties it cannot read (e.g. from another library version)
    event = cfn.event("Update", "Endpoint", props(DesiredInferenceUnits=2, **scaling), physical_id=arn)
    event["OldResourceProperties"] = {"Unexpected": "shape"}
    answer = cfn.send(event)
    # THEN it treats the units as changed: the template's, within the range
    assert answer.body["Status"] == "SUCCESS" and world.comprehend.endpoints[arn].units == 2
