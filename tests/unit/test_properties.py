"""Unit tier: the resource properties the handler parses: string values coerced to the API's types, every
way a property can be wrong refused naming it, the limits exactly where the service puts them (46 user
tags, 128-character keys, 256-character values, autoscaling bounds), and the diff of old and new."""

from __future__ import annotations

import pytest

from comprehend_cr.lifecycle import endpoint_changes
from comprehend_cr.properties import (
    DEFAULT_SERVICE_TIMEOUT_S,
    EndpointSpec,
    PropertyError,
    UnitsRange,
    parse_properties,
    service_timeout_or_default,
)

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"


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


def test_46_tags_of_the_longest_key_and_value_and_an_int_unit_count_are_accepted():
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
