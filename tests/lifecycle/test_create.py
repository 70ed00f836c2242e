"""Lifecycle tier, Create: the handler driven as CloudFormation and Lambda drive it."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest

from comprehend_loopback.comprehend import Timing
from tests.lifecycle.conftest import (
    ARN,
    CLASSIFIER,
    FLYWHEEL,
    RECOGNIZER,
    ROLE,
    assert_well_behaved,
    endpoint_arn,
    endpoint_count,
    props,
    user_tags,
)


def test_create_answers_success_with_the_arn_once_in_service(world, cfn):
    # GIVEN a classifier model and a 17-minute create
    # WHEN CloudFormation sends Create with string properties
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits=2, Tags=[{"Key": "team", "Value": "nlp"}]))
    # THEN the answer is SUCCESS with the endpoint ARN as physical id and in Data
    body = answer.body
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == ARN
    assert body["Data"] == {
        "EndpointArn": ARN,
        "ModelArn": CLASSIFIER,
        "EndpointName": "news",
        "EndpointType": "document-classifier-endpoint",
        "OwnershipTagKeys": "cdk-comprehend-endpoint:stack-id,cdk-comprehend-endpoint:logical-id",
    }
    # ... only after the endpoint is IN_SERVICE, with the requested units and tags
    endpoint = world.comprehend.endpoints[ARN]
    assert answer.at >= endpoint.reached_at["IN_SERVICE"]
    assert endpoint.units == 2 and user_tags(endpoint) == {"team": "nlp"}
    assert_well_behaved(world, cfn)


def test_create_longer_than_one_invocation_continues_in_a_new_invocation(world, cfn):
    # GIVEN a create (17 min) longer than the function's 15-minute budget
    answer = cfn.create("Endpoint", props())
    # THEN the function handed over to itself, and the answer still came within seconds of IN_SERVICE
    kinds = [i.kind for i in cfn.invocations]
    assert kinds == ["cloudformation", "continuation"]
    assert answer.body["Status"] == "SUCCESS"
    assert answer.at - world.comprehend.endpoints[ARN].reached_at["IN_SERVICE"] <= 15
    assert all(i.ended - i.started <= cfn.timeout_s for i in cfn.invocations)
    assert_well_behaved(world, cfn)


def test_retried_create_reuses_the_endpoint(world, cfn):
    # GIVEN Lambda delivers the same Create event twice
    event = cfn.event("Create", "Endpoint", props())
    answer = cfn.send(event, deliveries=2)
    # THEN both deliveries reach one endpoint, with one token
    assert answer.body["Status"] == "SUCCESS"
    assert world.comprehend.creates == [ARN]
    assert world.aws.calls["CreateEndpoint"] == 2
    # ... and CloudFormation is answered once: the second delivery, in the same execution environment,
    # finds the request already answered
    answers = world.receiver.answers[event["RequestId"]]
    assert [(a.body["Status"], a.body["PhysicalResourceId"]) for a in answers] == [("SUCCESS", ARN)]
    # (two deliveries poll independently, so the 5-second pace holds per delivery, not across them)
    assert_well_behaved(world, cfn, paced=False)


def test_lost_create_response_is_retried_onto_the_same_endpoint(world, cfn):
    # GIVEN the service creates the endpoint but its response is lost (a 500)
    world.aws.faults.lose_response["CreateEndpoint"] = 1
    answer = cfn.create("Endpoint", props())
    # THEN botocore's retry, with the same token, reaches the same endpoint
    assert answer.body["Status"] == "SUCCESS"
    assert world.aws.calls["CreateEndpoint:lost"] == 1
    assert endpoint_count(world) == 1
    assert_well_behaved(world, cfn)


def test_token_is_the_users_when_given(world, cfn):
    cfn.create("Endpoint", props(ClientRequestToken="my-own-token"))
    assert world.comprehend.tokens == {"my-own-token": ARN}


def test_token_is_derived_from_stack_logical_id_request_and_delivery(world, cfn):
    # GIVEN a Create with a known stack, logical id and request id
    event = cfn.event("Create", "Endpoint", props())
    event["RequestId"] = "5f1b7e0e-4a8c-4a11-9f3e-1c2d3e4f5a6b"
    cfn.send(event)
    # THEN CreateEndpoint got exactly this token: "cfn-" and 60 hex digits of SHA-256 over
    # "<StackId>\n<LogicalResourceId>\n<RequestId>\n<delivery>", the delivery being 20 hex digits of SHA-256
    # over the ResponseURL's path and query string (it must not change between releases, or a retried
    # invocation after an upgrade would create a second endpoint)
    parts = urlsplit(event["ResponseURL"])
    delivery = hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:20]
    text = f"{cfn.stack_id}\nEndpoint\n{event['RequestId']}\n{delivery}"
    assert world.comprehend.tokens == {"cfn-" + hashlib.sha256(text.encode()).hexdigest()[:60]: ARN}


def test_failed_endpoint_answers_failed_and_rollback_delete_leaves_nothing(world, cfn):
    # GIVEN a model whose endpoint goes FAILED
    world.comprehend.add_model(CLASSIFIER, fails_with="Model artifacts are corrupt")
    # WHEN created
    answer = cfn.create("Endpoint", props())
    # THEN FAILED with the service's message, and the endpoint ARN as physical id
    assert answer.body["Status"] == "FAILED"
    assert "Model artifacts are corrupt" in answer.body["Reason"]
    assert answer.body["PhysicalResourceId"] == ARN
    # WHEN CloudFormation rolls back with Delete of that physical id
    delete = cfn.delete("Endpoint", answer.body["PhysicalResourceId"], props())
    # THEN nothing is left billing
    assert delete.body["Status"] == "SUCCESS"
    assert endpoint_count(world) == 0
    assert_well_behaved(world, cfn)


def test_name_in_use_fails_and_rollback_leaves_the_other_endpoint_alone(world, cfn):
    # GIVEN an endpoint named "news" that this stack did not create
    foreign = world.comprehend.put_foreign_endpoint("news", CLASSIFIER)
    # WHEN the stack creates an endpoint with the same name
    answer = cfn.create("Endpoint", props())
    # THEN FAILED naming the conflict, with a physical id that is not the other endpoint
    assert answer.body["Status"] == "FAILED"
    assert "EndpointName" in answer.body["Reason"] and "'news'" in answer.body["Reason"]
    assert answer.body["PhysicalResourceId"] != foreign
    # WHEN CloudFormation's rollback deletes what was answered
    delete = cfn.delete("Endpoint", answer.body["PhysicalResourceId"], props())
    # THEN the other endpoint is untouched
    assert delete.body["Status"] == "SUCCESS"
    assert world.comprehend.endpoints[foreign].status == "IN_SERVICE"
    assert world.aws.calls["DeleteEndpoint"] == 0 and world.aws.calls["UpdateEndpoint"] == 0
    assert_well_behaved(world, cfn)


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"DesiredInferenceUnits": "0"}, "DesiredInferenceUnits"),
        ({"DesiredInferenceUnits": "1.5"}, "DesiredInferenceUnits"),
        ({"DesiredInferenceUnits": "two"}, "DesiredInferenceUnits"),
        ({"DesiredInferenceUnits": None}, "DesiredInferenceUnits"),
        ({"EndpointName": "bad_name"}, "EndpointName"),
        ({"EndpointName": "x" * 41}, "EndpointName"),
        ({"ModelArn": None}, "ModelArn"),
        ({"ModelArn": "arn:aws:s3:::bucket"}, "ModelArn"),
        ({"ModelArn": "arn:aws:comprehend:us-east-1:111122223333:document-classifier/unknown"}, "ModelArn"),
        ({"DataAccessRoleArn": "not-a-role"}, "DataAccessRoleArn"),
        ({"FlywheelArn": "arn:aws:comprehend:us-east-1:111122223333:flywheel/missing"}, "FlywheelArn"),
        ({"Tags": [{"Key": "aws:reserved", "Value": "x"}]}, "Tags[0].Key"),
        ({"ClientRequestToken": "not valid!"}, "ClientRequestToken"),
        ({"Unknown": "x"}, "Unknown"),
    ],
)
def test_bad_input_fails_within_seconds_naming_the_property(world, cfn, overrides, prop):
    # WHEN Create has a bad property
    answer = cfn.create("Endpoint", props(**overrides))
    # THEN FAILED at once, the reason names the property, and no endpoint exists
    assert answer.body["Status"] == "FAILED"
    assert prop in answer.body["Reason"], answer.body["Reason"]
    assert answer.at - cfn.sent[answer.request_id] < 10
    assert endpoint_count(world) == 0
    assert not answer.body["PhysicalResourceId"].startswith("arn:")
    # AND the rollback Delete of that physical id succeeds at once
    delete = cfn.delete("Endpoint", answer.body["PhysicalResourceId"], props(**overrides))
    assert delete.body["Status"] == "SUCCESS" and delete.at - cfn.sent[delete.request_id] < 1


def test_flywheel_only_entity_recognizer_with_data_access_role(world, cfn):
    # GIVEN a flywheel whose active model is an entity recognizer
    world.comprehend.add_flywheel(FLYWHEEL, "ENTITY_RECOGNIZER", RECOGNIZER)
    # WHEN an endpoint is created from the flywheel alone, with a data-access role
    answer = cfn.create(
        "Endpoint", props(ModelArn=None, FlywheelArn=FLYWHEEL, EndpointName="people", DataAccessRoleArn=ROLE)
    )
    # THEN it is an entity-recognizer endpoint serving the flywheel's model, with the role
    arn = endpoint_arn("people", "entity-recognizer")
    assert answer.body["Status"] == "SUCCESS"
    assert answer.body["Data"]["EndpointType"] == "entity-recognizer-endpoint"
    assert {k: answer.body["Data"][k] for k in ("EndpointArn", "ModelArn", "EndpointName")} == {
        "EndpointArn": arn,
        "ModelArn": RECOGNIZER,
        "EndpointName": "people",
    }
    endpoint = world.comprehend.endpoints[arn]
    assert endpoint.role == ROLE and endpoint.flywheel == FLYWHEEL
    assert_well_behaved(world, cfn)


def test_create_survives_throttling_on_every_other_call(world, cfn):
    # GIVEN the API throttles every other call
    world.aws.faults.throttle_every = 2
    # WHEN created, updated and deleted
    create = cfn.create("Endpoint", props())
    update = cfn.update("Endpoint", create.body["PhysicalResourceId"], props(DesiredInferenceUnits=2), props())
    delete = cfn.delete("Endpoint", create.body["PhysicalResourceId"], props(DesiredInferenceUnits=2))
    # THEN every request succeeds, one endpoint was created, and it is gone
    assert [a.body["Status"] for a in (create, update, delete)] == ["SUCCESS"] * 3
    assert world.aws.calls["DescribeEndpoint:TooManyRequestsException"] > 10
    assert world.comprehend.creates == [ARN] and endpoint_count(world) == 0
    assert_well_behaved(world, cfn)


def test_create_survives_server_errors(world, cfn):
    world.aws.faults.server_error_every = 3
    answer = cfn.create("Endpoint", props())
    assert answer.body["Status"] == "SUCCESS"
    assert world.aws.calls["DescribeEndpoint:InternalServerException"] > 5
    assert_well_behaved(world, cfn)


def test_handler_answers_failed_itself_before_the_service_timeout_without_orphans(make_world):
    # GIVEN an endpoint that takes 50 minutes to create, longer than the 45-minute ServiceTimeout
    with make_world(Timing(create_s=50 * 60)) as world:
        world.comprehend.add_model(CLASSIFIER)
        cfn = world.cloudformation()
        answer = cfn.create("Endpoint", props())
        # THEN the handler answers FAILED before CloudFormation would give up, with the endpoint ARN
        assert answer.body["Status"] == "FAILED"
        assert "deadline" in answer.body["Reason"] and "CREATING" in answer.body["Reason"]
        assert answer.body["PhysicalResourceId"] == ARN
        assert answer.at - cfn.sent[answer.request_id] < cfn.service_timeout_s
        # AND CloudFormation's rollback Delete waits out CREATING and removes the endpoint
        delete = cfn.delete("Endpoint", ARN, props())
        assert delete.body["Status"] == "SUCCESS"
        assert endpoint_count(world) == 0
        assert_well_behaved(world, cfn)


def test_units_above_the_quota_fail_naming_the_property_from_the_services_refusal(world, cfn):
    # GIVEN 11 units: the handler does not pre-check quotas (they can be raised); the service refuses
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits="11"))
    # THEN the refusal is answered at once, naming the property and the quota, with the marker id
    assert world.aws.calls["CreateEndpoint"] == 1
    assert answer.body["Status"] == "FAILED" and answer.body["Reason"].startswith("DesiredInferenceUnits: 11 exceeds")
    assert "ResourceLimitExceededException" in answer.body["Reason"]
    assert answer.body["PhysicalResourceId"] == "ComprehendEndpoint-CREATE_FAILED-Endpoint"


def test_a_flywheel_the_handler_may_not_describe_fails_naming_the_flywheel(world, cfn):
    forbidden = "arn:aws:comprehend:us-east-1:111122223333:flywheel/forbidden"
    world.comprehend.add_flywheel(forbidden, "DOCUMENT_CLASSIFIER", CLASSIFIER)
    answer = cfn.create("Endpoint", props(ModelArn=None, FlywheelArn=forbidden))
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith("FlywheelArn: AccessDeniedException")
    assert answer.at - cfn.sent[answer.request_id] < 5 and endpoint_count(world) == 0
