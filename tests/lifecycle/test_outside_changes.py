"""Lifecycle tier: endpoints changed outside the stack (deleted, being deleted, left FAILED) while the
handler creates, replaces or updates them: a failure that says so within seconds, or a recovery."""

from __future__ import annotations

from tests.lifecycle.conftest import ARN, ARN_V2, CLASSIFIER, FLYWHEEL, created, props


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


def test_a_replacement_deleted_outside_the_stack_fails_the_update_keeping_the_old(world, cfn):
    old = created(cfn)
    world.comprehend.at(world.clock.now() + 300, lambda: world.comprehend.delete_outside(ARN_V2))
    answer = cfn.update("Endpoint", old, props(EndpointName="news-v2"), props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == old
    assert "disappeared" in answer.body["Reason"] and world.comprehend.endpoints[old].status == "IN_SERVICE"


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
