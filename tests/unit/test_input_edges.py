"""Unit tier: every way a property can be wrong fails naming it, and the limits sit exactly where the
service puts them (46 user tags, 128-character keys, 256-character values, autoscaling bounds)."""

from __future__ import annotations

from typing import Any

import pytest

from comprehend_cr import arns
from comprehend_cr.delivery import Delivery
from comprehend_cr.lifecycle import Lifecycle, Request, failed_create_marker
from comprehend_cr.ownership import Owner
from comprehend_cr.properties import (
    DEFAULT_SERVICE_TIMEOUT_S,
    PropertyError,
    UnitsRange,
    parse_properties,
    service_timeout_or_default,
)
from tests.unit.stubs import Clock

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
BASE = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1"}


def tags(count, value="v"):
    return [{"Key": f"k{i}", "Value": value} for i in range(count)]


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"EndpointName": 42}, "EndpointName"),
        ({"EndpointName": None}, "EndpointName"),
        ({"FlywheelArn": "arn:aws:s3:::bucket"}, "FlywheelArn"),
        ({"Tags": "team=nlp"}, "Tags"),
        ({"Tags": tags(47)}, "Tags"),
        ({"Tags": [{"Value": "no key"}]}, "Tags[0]"),
        ({"Tags": [{"Key": "team", "Value": 7}]}, "Tags[0].Value"),
        ({"Tags": [{"Key": "k" * 129, "Value": "v"}]}, "Tags[0].Key"),
        ({"Tags": [{"Key": "", "Value": "v"}]}, "Tags[0].Key"),
        ({"Tags": [{"Key": "AWS:upper", "Value": "v"}]}, "Tags[0].Key"),
        ({"Tags": [{"Key": "k", "Value": "v" * 257}]}, "Tags[0].Value"),
        ({"InferenceUnitsAutoScaling": "1-4"}, "InferenceUnitsAutoScaling"),
        ({"InferenceUnitsAutoScaling": {"MinCapacity": "1"}}, "InferenceUnitsAutoScaling.MaxCapacity"),
        ({"InferenceUnitsAutoScaling": {"MaxCapacity": "4"}}, "InferenceUnitsAutoScaling.MinCapacity"),
        (
            {"InferenceUnitsAutoScaling": {"MinCapacity": "0", "MaxCapacity": "4"}},
            "InferenceUnitsAutoScaling.MinCapacity",
        ),
        (
            {"InferenceUnitsAutoScaling": {"MinCapacity": "3", "MaxCapacity": "2"}},
            "InferenceUnitsAutoScaling.MaxCapacity",
        ),
        (
            {"InferenceUnitsAutoScaling": {"MinCapacity": "1", "MaxCapacity": "4", "Target": "70"}},
            "InferenceUnitsAutoScaling.Target",
        ),
        ({"ServiceTimeout": "0"}, "ServiceTimeout"),
        ({"ServiceTimeout": "1e3"}, "ServiceTimeout"),
    ],
)
def test_each_malformed_property_is_refused_naming_it(overrides, prop):
    with pytest.raises(PropertyError) as err:
        parse_properties({**BASE, **overrides})
    assert err.value.prop == prop
    assert str(err.value).startswith(f"{prop}: ")


def test_the_limits_themselves_are_accepted():
    # GIVEN 46 tags (50 minus the four reserved tags), each with a 128-character key and a 256-character value
    longest = [{"Key": f"{i:02d}" + "k" * 126, "Value": "v" * 256} for i in range(46)]
    spec = parse_properties({**BASE, "Tags": longest, "DesiredInferenceUnits": 2, "ServiceTimeout": "3600"})
    # THEN they are all kept, and an int (not only a string) is a whole number too
    assert len(spec.tags) == 46 and spec.units == 2 and spec.service_timeout_s == 3600


def test_an_autoscaling_range_is_parsed_and_clamps():
    spec = parse_properties({**BASE, "InferenceUnitsAutoScaling": {"MinCapacity": "2", "MaxCapacity": "4"}})
    assert spec.autoscaling == UnitsRange(2, 4)
    assert [spec.autoscaling.clamp(units) for units in (1, 2, 3, 4, 5)] == [2, 2, 3, 4, 4]


@pytest.mark.parametrize(("raw", "expected"), [({}, DEFAULT_SERVICE_TIMEOUT_S), ({"ServiceTimeout": "x"}, 3600)])
def test_a_delete_uses_cloudformations_default_timeout_when_the_property_is_missing_or_bad(raw, expected):
    assert service_timeout_or_default(raw) == expected


def test_a_delete_uses_the_given_timeout():
    assert service_timeout_or_default({"ServiceTimeout": "900"}) == 900


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
