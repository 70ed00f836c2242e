"""Unit tier: property coercion, ARN parsing, tokens, diffs and response bodies (no network)."""

from __future__ import annotations

import json

import pytest

from comprehend_cr import arns
from comprehend_cr.lifecycle import endpoint_changes, failed_create_marker
from comprehend_cr.properties import EndpointSpec, PropertyError, parse_properties
from comprehend_cr.response import MAX_BODY_BYTES, build_body

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
EVENT = {
    "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
    "RequestId": "r",
    "LogicalResourceId": "L",
}


def test_string_properties_are_coerced_to_api_types():
    spec = parse_properties(
        {
            "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:f",
            "ServiceTimeout": "2700",
            "EndpointName": "news",
            "ModelArn": MODEL,
            "DesiredInferenceUnits": "2",
            "Tags": [{"Key": "team", "Value": "nlp"}],
        }
    )
    assert spec == EndpointSpec(name="news", units=2, model_arn=MODEL, tags={"team": "nlp"}, service_timeout_s=2700)


@pytest.mark.parametrize(
    "units", ["0", "-1", "1.0", "1e2", " ", "two", True, "١٢", "²", "1\n2", "9" * 5000, "0x10", "1_000"]
)
def test_units_must_be_a_whole_number_of_at_least_one_in_ascii_digits(units):
    # WHEN the units are anything but a short run of ASCII digits >= 1
    with pytest.raises(PropertyError) as err:
        parse_properties({"EndpointName": "n", "ModelArn": MODEL, "DesiredInferenceUnits": units})
    # THEN the error names the property (never a bare ValueError from int())
    assert err.value.prop == "DesiredInferenceUnits"
    assert len(str(err.value)) < 300


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("EndpointName", "news\n"),
        ("ModelArn", MODEL + "\n"),
        ("FlywheelArn", "arn:aws:comprehend:us-east-1:111122223333:flywheel/f\n"),
        ("DataAccessRoleArn", "arn:aws:iam::111122223333:role/r\n"),
        ("ClientRequestToken", "token\n"),
        ("DataAccessRoleArn", "arn:aws:iam::١١١١٢٢٢٢٣٣٣٣:role/r"),
    ],
)
def test_patterns_match_the_whole_value(prop, value):
    # GIVEN a value that only a ``re.match`` with ``$`` (or ``\\d``) would accept
    raw = {"EndpointName": "n", "ModelArn": MODEL, "DesiredInferenceUnits": "1", prop: value}
    # THEN it is refused, naming the property
    with pytest.raises(PropertyError) as err:
        parse_properties(raw)
    assert err.value.prop == prop


def test_ownership_tag_keys_are_reserved():
    with pytest.raises(PropertyError) as err:
        parse_properties(
            {
                "EndpointName": "n",
                "ModelArn": MODEL,
                "DesiredInferenceUnits": "1",
                "Tags": [{"Key": "cdk-comprehend-endpoint:stack-id", "Value": "someone-else"}],
            }
        )
    assert err.value.prop == "Tags[0].Key"


def test_duplicate_tag_keys_are_refused():
    with pytest.raises(PropertyError, match=r"Tags\[1\].Key: duplicate key 'a'"):
        parse_properties(
            {
                "EndpointName": "n",
                "ModelArn": MODEL,
                "DesiredInferenceUnits": "1",
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
            }
        )


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


def test_token_is_deterministic_per_request_and_valid():
    one = arns.derive_token("stack", "Logical", "request-1")
    assert one == arns.derive_token("stack", "Logical", "request-1")
    assert one != arns.derive_token("stack", "Logical", "request-2")
    assert one != arns.derive_token("stack", "Other", "request-1")
    assert arns.TOKEN.match(one) and len(one) <= 64


def live(**overrides):
    base = {
        "Status": "IN_SERVICE",
        "ModelArn": MODEL,
        "DesiredModelArn": MODEL,
        "DesiredInferenceUnits": 1,
        "CurrentInferenceUnits": 1,
    }
    base.update(overrides)
    return base


def test_changes_name_only_what_differs():
    spec = EndpointSpec(name="n", units=3, model_arn=MODEL)
    assert endpoint_changes(spec, live()) == {"DesiredInferenceUnits": 3}
    assert endpoint_changes(EndpointSpec(name="n", units=1, model_arn=MODEL), live()) == {}


def test_removing_a_role_in_place_is_refused_naming_the_property():
    with pytest.raises(PropertyError, match="DataAccessRoleArn"):
        endpoint_changes(
            EndpointSpec(name="n", units=1, model_arn=MODEL), live(DataAccessRoleArn="arn:aws:iam::111122223333:role/r")
        )


def test_response_body_stays_under_the_limit_and_keeps_status():
    body = build_body(status="FAILED", reason="x" * 50_000, physical_id="p", event=EVENT, data={"k": "v" * 10_000})
    assert len(body) <= MAX_BODY_BYTES
    assert json.loads(body)["Status"] == "FAILED"


def test_oversized_data_never_turns_into_a_silent_success():
    body = json.loads(build_body(status="SUCCESS", reason="", physical_id="p", event=EVENT, data={"k": "v" * 10_000}))
    assert body["Status"] == "FAILED" and body["Data"] == {}


def test_a_long_multibyte_reason_keeps_as_much_as_fits_in_bytes():
    # GIVEN a reason of 2,000 emoji (12 bytes each once JSON-escaped)
    body = json.loads(build_body(status="FAILED", reason="😀" * 2000, physical_id="p", event=EVENT, data={}))
    # THEN the reason is cut to what fits in 1,024 encoded bytes, not to a number of characters
    kept = body["Reason"].removesuffix(" ...(truncated)")
    assert set(kept) == {"😀"}
    assert len(json.dumps(body["Reason"])) <= 1024 < len(json.dumps(body["Reason"] + "😀"))


BASE = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1"}


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_tags_and_autoscaling_mean_none(empty):
    # GIVEN Tags and InferenceUnitsAutoScaling given as CloudFormation renders an empty value
    spec = parse_properties({**BASE, "Tags": empty, "InferenceUnitsAutoScaling": empty})
    # THEN no tags and no autoscaling, not a type error
    assert (spec.tags, spec.autoscaling) == ({}, None)


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        ("Tags", "team=nlp", "Tags: must be a list of {Key, Value}, got str"),
        (
            "InferenceUnitsAutoScaling",
            ["1", "4"],
            "InferenceUnitsAutoScaling: must be {MinCapacity, MaxCapacity}, got list",
        ),
    ],
)
def test_a_wrongly_shaped_property_names_the_type_it_got(prop, value, message):
    with pytest.raises(PropertyError) as refused:
        parse_properties({**BASE, prop: value})
    assert str(refused.value) == message


def test_a_tag_without_a_value_has_the_empty_value():
    spec = parse_properties({**BASE, "Tags": [{"Key": "team"}]})
    assert spec.tags == {"team": ""}


@pytest.mark.parametrize(
    ("autoscaling", "message"),
    [
        (
            {"MinCapacity": "1", "MaxCapacity": "4", "Step": "1"},
            "InferenceUnitsAutoScaling.Step: unknown key (expected MinCapacity and MaxCapacity)",
        ),
        ({"MaxCapacity": "4"}, "InferenceUnitsAutoScaling.MinCapacity: is required (a whole number >= 1)"),
        (
            {"MinCapacity": "1", "MaxCapacity": ""},
            "InferenceUnitsAutoScaling.MaxCapacity: is required (a whole number >= 1)",
        ),
        (
            {"MinCapacity": "5", "MaxCapacity": "4"},
            "InferenceUnitsAutoScaling.MaxCapacity: must be >= MinCapacity 5, got 4",
        ),
        (
            {"MinCapacity": "0", "MaxCapacity": "4"},
            "InferenceUnitsAutoScaling.MinCapacity: must be a whole number >= 1, got '0'",
        ),
    ],
)
def test_each_bad_autoscaling_range_is_refused_naming_the_key(autoscaling, message):
    with pytest.raises(PropertyError) as refused:
        parse_properties({**BASE, "InferenceUnitsAutoScaling": autoscaling})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DataAccessRoleArn": 5}, "DataAccessRoleArn: must be a string, got int 5"),
        ({"EndpointName": ""}, "EndpointName: is required"),
        ({"ModelArn": None}, "ModelArn: either ModelArn or FlywheelArn is required, got neither"),
        ({"EndpointName": "a" * 41}, f"EndpointName: must be 1-40 letters, digits and inner hyphens, got {'a' * 41!r}"),
    ],
)
def test_each_refusal_names_the_property_and_what_it_got(overrides, message):
    properties = {k: v for k, v in {**BASE, **overrides}.items() if v is not None}
    with pytest.raises(PropertyError) as refused:
        parse_properties(properties)
    assert str(refused.value) == message


def test_the_limits_themselves_are_accepted():
    # GIVEN a 40-character name, an empty optional role, and a one-value autoscaling range
    spec = parse_properties(
        {
            **BASE,
            "EndpointName": "a" * 40,
            "DataAccessRoleArn": "",
            "InferenceUnitsAutoScaling": {"MinCapacity": "2", "MaxCapacity": "2"},
            "DesiredInferenceUnits": "2",
        }
    )
    # THEN all three are valid
    assert (len(spec.name), spec.data_access_role_arn) == (40, None)
    assert spec.autoscaling is not None and (spec.autoscaling.minimum, spec.autoscaling.maximum) == (2, 2)


@pytest.mark.parametrize(("timeout", "seconds"), [("1", 1), ("", 3600), ("100000", 100000)])
def test_service_timeout_takes_one_second_up_to_six_digits_and_defaults_to_cloudformations_hour(timeout, seconds):
    assert parse_properties({**BASE, "ServiceTimeout": timeout}).service_timeout_s == seconds


def test_whole_numbers_may_carry_surrounding_spaces():
    assert parse_properties({**BASE, "DesiredInferenceUnits": " 3 "}).units == 3


@pytest.mark.parametrize(
    ("units", "shown"),
    [("a" * 40, repr("a" * 40)), ("a" * 41, repr("a" * 40 + "... (41 chars)"))],
)
def test_a_refused_number_is_shown_whole_up_to_40_characters_then_cut(units, shown):
    with pytest.raises(PropertyError) as refused:
        parse_properties({**BASE, "DesiredInferenceUnits": units})
    assert str(refused.value) == f"DesiredInferenceUnits: must be a whole number >= 1 of at most 6 digits, got {shown}"
