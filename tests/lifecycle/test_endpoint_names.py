"""Lifecycle tier: who may hold an endpoint name. A name held by another resource of the stack or by an
endpoint outside it is a conflict that deletes nothing; a name the synthesized policy does not allow fails
naming the denial; a name this resource's own endpoint is giving up is waited for."""

from __future__ import annotations

from tests.lifecycle.conftest import ARN, CLASSIFIER, MARKER, created, owned_by, props


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


def test_renaming_onto_a_name_someone_else_holds_fails_and_keeps_the_old_endpoint(world, cfn):
    arn = created(cfn)
    foreign = world.comprehend.put_foreign_endpoint("news-v2", CLASSIFIER)
    answer = cfn.update("Endpoint", arn, props(EndpointName="news-v2"), props())
    assert answer.body["Status"] == "FAILED" and answer.body["PhysicalResourceId"] == arn
    assert "EndpointName: 'news-v2' is already used" in answer.body["Reason"]
    assert world.comprehend.endpoints[foreign].status == "IN_SERVICE"
    assert world.comprehend.endpoints[arn].status == "IN_SERVICE"
    assert world.aws.calls["DeleteEndpoint"] == 0 and world.aws.calls["UpdateEndpoint"] == 0
