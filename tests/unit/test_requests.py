"""Unit tier: what the handler reads from a CloudFormation event and derives from it: the request's fields
and delivery, the endpoint's type and expected ARN, the ownership tags, the client request token."""

from __future__ import annotations

from typing import Any

import pytest

from comprehend_cr import arns
from comprehend_cr.delivery import Delivery
from comprehend_cr.lifecycle import Lifecycle, Request, failed_create_marker
from comprehend_cr.ownership import Owner
from tests.unit.stubs import Clock

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
BASE = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1"}


def test_model_and_flywheel_types_map_to_endpoint_types_and_anything_else_is_refused():
    assert arns.endpoint_type_for_model(MODEL) == "document-classifier-endpoint"
    assert arns.endpoint_type_for_model_type("ENTITY_RECOGNIZER") == "entity-recognizer-endpoint"
    with pytest.raises(ValueError, match="not a Comprehend model ARN"):
        arns.endpoint_type_for_model("arn:aws:comprehend:us-east-1:111122223333:flywheel/f")
    with pytest.raises(ValueError, match="unknown flywheel ModelType 'TOPIC_MODEL'"):
        arns.endpoint_type_for_model_type("TOPIC_MODEL")


def test_the_expected_endpoint_arn_follows_the_stacks_partition_region_and_account():
    stack = "arn:aws-cn:cloudformation:cn-north-1:111122223333:stack/Shop/0000"
    assert (
        arns.endpoint_arn_in_stack(stack, "entity-recognizer-endpoint", "people")
        == "arn:aws-cn:comprehend:cn-north-1:111122223333:entity-recognizer-endpoint/people"
    )
    with pytest.raises(ValueError, match="StackId: not a CloudFormation stack ARN"):
        arns.endpoint_arn_in_stack("Shop", "entity-recognizer-endpoint", "people")


def test_ownership_is_read_from_the_tags_and_absent_without_the_stack_tag():
    owner = Owner("arn:aws:cloudformation:us-east-1:111122223333:stack/Shop/1", "Alpha")
    assert Owner.from_tags(owner.tags()) == owner
    assert Owner.from_tags({"cdk-comprehend-endpoint:logical-id": "Alpha"}) is None
    assert Owner.from_tags({"cdk-comprehend-endpoint:stack-id": owner.stack_id}) == Owner(owner.stack_id, "")
    assert owner.describe() == f"resource Alpha of stack {owner.stack_id}"
    assert Owner(owner.stack_id, "").describe() == f"resource ? of stack {owner.stack_id}"


def test_a_cloudformation_event_maps_to_the_requests_fields():
    # GIVEN an Update event as CloudFormation sends it (with fields the lifecycle does not read)
    event: dict[str, Any] = {
        "RequestType": "Update",
        "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:f",
        "ResponseURL": "https://example.invalid/r?X-Amz-Date=20261203T101500Z&X-Amz-SignedHeaders=host",
        "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
        "RequestId": "req-1",
        "LogicalResourceId": "Endpoint",
        "PhysicalResourceId": "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news",
        "ResourceType": "Custom::ComprehendEndpoint",
        "ResourceProperties": {**BASE, "DesiredInferenceUnits": "2"},
        "OldResourceProperties": BASE,
    }
    # THEN each field the lifecycle reads is taken from its key
    assert Request.from_event(event) == Request(
        "Update",
        event["StackId"],
        "req-1",
        "Endpoint",
        event["PhysicalResourceId"],
        {**BASE, "DesiredInferenceUnits": "2"},
        BASE,
        Delivery.of(event["ResponseURL"]),
    )
    # AND the delivery's send time is the URL's X-Amz-Date (2026-12-03 10:15:00 UTC)
    assert Request.from_event(event).sent_at == 1796292900.0


def test_a_create_event_has_no_physical_id_and_an_unknown_request_type_fails_with_the_marker():
    # GIVEN a Create event (no PhysicalResourceId, no OldResourceProperties) whose type is then unknown
    create = {"RequestType": "Create", "StackId": "s", "RequestId": "r", "LogicalResourceId": "Endpoint"}
    request = Request.from_event(create)
    assert (request.physical_id, request.properties, request.old_properties) == ("", {}, {})
    # WHEN a request of an unknown type runs, THEN it fails naming the field, with the marker for a physical id
    outcome = Lifecycle(None, Clock(), invocation_end=0.0).run(Request.from_event({**create, "RequestType": "Rename"}))
    assert (outcome.status, outcome.physical_id) == ("FAILED", failed_create_marker("Endpoint"))
    assert outcome.reason == "RequestType: unsupported value 'Rename'"


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        (MODEL, "document-classifier-endpoint"),
        ("arn:aws-cn:comprehend:cn-north-1:111122223333:entity-recognizer/p/version/v-1", "entity-recognizer-endpoint"),
    ],
)
def test_endpoint_type_follows_the_model(arn, kind):
    assert arns.endpoint_type_for_model(arn) == kind


def test_endpoint_arn_round_trips_and_rejects_other_ids():
    arn = "arn:aws-us-gov:comprehend:us-gov-west-1:111122223333:entity-recognizer-endpoint/people"
    parsed = arns.parse_endpoint_arn(arn)
    assert parsed is not None and str(parsed) == arn and parsed.name == "people"
    assert arns.parse_endpoint_arn(failed_create_marker("Endpoint")) is None
    assert arns.parse_endpoint_arn(MODEL) is None


@pytest.mark.parametrize(("length", "taken"), [(256, True), (257, False)])
def test_a_physical_id_is_an_endpoint_arn_up_to_botocores_256_characters(length, taken):
    # GIVEN a physical id matching the endpoint ARN pattern (a long region part), of ``length`` characters
    # (botocore ComprehendEndpointArn: max 256; the construct's import holds the same bound)
    arn = "arn:aws:comprehend:{}:111122223333:document-classifier-endpoint/news"
    physical_id = arn.format("r" * (length - len(arn.format(""))))
    assert len(physical_id) == length
    # WHEN the handler reads it as an endpoint ARN
    parsed = arns.parse_endpoint_arn(physical_id)
    # THEN only one CreateEndpoint could have returned is an endpoint (a longer one is nothing to delete)
    assert (parsed is not None and parsed.name == "news") is taken


def test_token_is_deterministic_per_request_and_valid():
    one = arns.derive_token("stack", "Logical", "request-1", "delivery-1")
    assert one == arns.derive_token("stack", "Logical", "request-1", "delivery-1")
    assert one != arns.derive_token("stack", "Logical", "request-2", "delivery-1")
    assert one != arns.derive_token("stack", "Other", "request-1", "delivery-1")
    assert one != arns.derive_token("stack", "Logical", "request-1", "delivery-2")
    assert arns.TOKEN.match(one) and len(one) <= 64
