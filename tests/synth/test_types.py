# mypy: disable-error-code="arg-type"
# (every call here passes a wrong type on purpose)
"""Synth tier: a wrong Python type for any argument fails with the construct's own message (issue #9).

``ComprehendEndpoint <path>: <prop> must be <what it takes>, got <type> <value>``, raised before jsii or
CPython trip over the value, for every keyword prop of the construct, its methods and the imports; tokens
stay accepted where they were.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import ComprehendEndpoint, ModelType
from tests.synth.helpers import CLASSIFIER, RESOURCE_TYPE, new_stack, template

ENDPOINT_ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
ROLE_ARN = "arn:aws:iam::111122223333:role/x"
NIGHTS = appscaling.Schedule.cron(hour="20", minute="0")


def endpoint(stack: cdk.Stack, **props: Any) -> ComprehendEndpoint:
    return ComprehendEndpoint(stack, "Endpoint", **{"model_arn": CLASSIFIER, **props})


def scaled(stack: cdk.Stack) -> Any:
    return endpoint(stack, desired_inference_units=1).auto_scale_inference_units(min_capacity=1, max_capacity=4)


def parameter(stack: cdk.Stack) -> cdk.CfnParameter:
    return cdk.CfnParameter(stack, "Param", type="Number", default=2)


# (what is called, prop as the message names it, what the message says it must be, what it says was given)
WRONG_TYPES: list[tuple[str, Callable[[cdk.Stack], Any], str, str, str]] = [
    ("model_arn int", lambda s: endpoint(s, model_arn=123), "model_arn", "a str (an ARN", "int 123"),
    (
        "model_arn IResolvable",
        lambda s: endpoint(s, model_arn=parameter(s).value),
        "model_arn",
        r"a str \(an ARN, .*; wrap a non-string token in cdk\.Token\.as_string\(...\)",
        "Reference <",
    ),
    (
        "units str",
        lambda s: endpoint(s, desired_inference_units="2"),
        "desired_inference_units",
        "a whole number >= 1 (an int, or a token such as CfnParameter.value_as_number)",
        "str '2'",
    ),
    (
        "units bool",
        lambda s: endpoint(s, desired_inference_units=True),
        "desired_inference_units",
        "a whole",
        "bool True",
    ),
    ("units None", lambda s: endpoint(s, desired_inference_units=None), "desired_inference_units", "a whole", "None"),
    ("endpoint_name int", lambda s: endpoint(s, endpoint_name=42), "endpoint_name", "a str", "int 42"),
    (
        "tags list",
        lambda s: endpoint(s, tags=[{"Key": "team", "Value": "nlp"}]),
        "tags",
        'a dict of str to str (e.g. {"team": "nlp"})',
        "list [{'Key': 'team', 'Value': 'nlp'}]",
    ),
    ("tags key int", lambda s: endpoint(s, tags={1: "nlp"}), "every key of tags", "a str", "int 1"),
    ("tags value int", lambda s: endpoint(s, tags={"team": 7}), "tags value of 'team'", "a str", "int 7"),
    (
        "data_access_role str",
        lambda s: endpoint(s, data_access_role=ROLE_ARN),
        "data_access_role",
        'an iam.IRole (e.g. iam.Role.from_role_arn(self, "Role", arn))',
        f"str '{ROLE_ARN}'",
    ),
    ("data_access_role dict", lambda s: endpoint(s, data_access_role={"arn": 1}), "data_access_role", "an iam", "dict"),
    ("flywheel_arn int", lambda s: endpoint(s, flywheel_arn=5), "flywheel_arn", "a str (an ARN", "int 5"),
    (
        "client_request_token int",
        lambda s: endpoint(s, client_request_token=5),
        "client_request_token",
        "a str",
        "int 5",
    ),
    (
        "removal_policy str",
        lambda s: endpoint(s, removal_policy="destroy"),
        "removal_policy",
        "a cdk.RemovalPolicy (e.g. cdk.RemovalPolicy.RETAIN)",
        "str 'destroy'",
    ),
    (
        "construct_id int",
        lambda s: ComprehendEndpoint(s, 42, model_arn=CLASSIFIER),
        "construct_id",
        "a non-empty",
        "int 42",
    ),
    (
        "min_capacity str",
        lambda s: endpoint(s).auto_scale_inference_units(min_capacity="1", max_capacity=2),
        "min_capacity",
        "a whole number >= 1",
        "str '1'",
    ),
    (
        "max_capacity bool",
        lambda s: endpoint(s).auto_scale_inference_units(max_capacity=True),
        "max_capacity",
        "a whole number >= 1",
        "bool True",
    ),
    (
        "max_capacity string token",
        lambda s: endpoint(s).auto_scale_inference_units(max_capacity=parameter(s).value_as_string),
        "max_capacity",
        r"a whole number >= 1 .*; wrap a string token in cdk.Token.as_number\(...\)",
        r"str '\$\{Token",
    ),
    (
        "target_utilization_percent str",
        lambda s: scaled(s).scale_on_utilization(target_utilization_percent="70"),
        "target_utilization_percent",
        "a number (an int or float, or a token",
        "str '70'",
    ),
    (
        "disable_scale_in str",
        lambda s: scaled(s).scale_on_utilization(target_utilization_percent=70, disable_scale_in="yes"),
        "disable_scale_in",
        "a bool",
        "str 'yes'",
    ),
    (
        "policy_name int",
        lambda s: scaled(s).scale_on_utilization(target_utilization_percent=70, policy_name=1),
        "policy_name",
        "a str",
        "int 1",
    ),
    (
        "scale_in_cooldown int",
        lambda s: scaled(s).scale_on_utilization(target_utilization_percent=70, scale_in_cooldown=60),
        "scale_in_cooldown",
        "a cdk.Duration (e.g. cdk.Duration.hours(6))",
        "int 60",
    ),
    (
        "scale_out_cooldown str",
        lambda s: scaled(s).scale_on_utilization(target_utilization_percent=70, scale_out_cooldown="1m"),
        "scale_out_cooldown",
        "a cdk.Duration",
        "str '1m'",
    ),
    (
        "scale_on_schedule id int",
        lambda s: scaled(s).scale_on_schedule(5, schedule=NIGHTS, max_capacity=1),
        "scale_on_schedule construct_id",
        "a str",
        "int 5",
    ),
    (
        "schedule str",
        lambda s: scaled(s).scale_on_schedule("Nights", schedule="cron(0 20 * * ? *)", max_capacity=1),
        "scale_on_schedule('Nights') schedule",
        r'an appscaling.Schedule \(e.g. appscaling.Schedule.cron\(hour="20", minute="0"\)\)',
        "str 'cron",
    ),
    (
        "schedule min_capacity str",
        lambda s: scaled(s).scale_on_schedule("Nights", schedule=NIGHTS, min_capacity="1"),
        "scale_on_schedule('Nights') min_capacity",
        "a whole number >= 1",
        "str '1'",
    ),
    (
        "schedule max_capacity bool",
        lambda s: scaled(s).scale_on_schedule("Nights", schedule=NIGHTS, max_capacity=False),
        "scale_on_schedule('Nights') max_capacity",
        "a whole number >= 1",
        "bool False",
    ),
    (
        "start_time str",
        lambda s: scaled(s).scale_on_schedule("Nights", schedule=NIGHTS, max_capacity=1, start_time="2030-01-01"),
        "scale_on_schedule('Nights') start_time",
        "a datetime.datetime",
        "str '2030-01-01'",
    ),
    (
        "end_time date",
        lambda s: scaled(s).scale_on_schedule(
            "Nights", schedule=NIGHTS, max_capacity=1, end_time=datetime.date(2030, 1, 1)
        ),
        "scale_on_schedule('Nights') end_time",
        "a datetime.datetime",
        "date datetime.date(2030, 1, 1)",
    ),
    (
        "time_zone str",
        lambda s: scaled(s).scale_on_schedule("Nights", schedule=NIGHTS, max_capacity=1, time_zone="Europe/London"),
        "scale_on_schedule('Nights') time_zone",
        "a cdk.TimeZone",
        "str 'Europe/London'",
    ),
    (
        "alarm_when_idle id int",
        lambda s: endpoint(s).alarm_when_idle(5),
        "alarm_when_idle construct_id",
        "a str",
        "int 5",
    ),
    (
        "window int",
        lambda s: endpoint(s).alarm_when_idle(window=3600),
        "window",
        r"a cdk.Duration \(e.g. cdk.Duration.hours\(6\)\)",
        "int 3600",
    ),
    ("alarm_name int", lambda s: endpoint(s).alarm_when_idle(alarm_name=1), "alarm_name", "a str", "int 1"),
    (
        "actions_enabled str",
        lambda s: endpoint(s).alarm_when_idle(actions_enabled="true"),
        "actions_enabled",
        "a bool",
        "str 'true'",
    ),
    (
        "grant_invoke str",
        lambda s: endpoint(s).grant_invoke(ROLE_ARN),
        "grantee",
        r"an iam.IGrantable \(a role, user, group or function\)",
        f"str '{ROLE_ARN}'",
    ),
]

# Imports: the construct path in the message is the import's (TestStack/Imported).
WRONG_IMPORT_TYPES: list[tuple[str, Callable[[cdk.Stack], Any], str, str, str]] = [
    (
        "from_endpoint_arn int",
        lambda s: ComprehendEndpoint.from_endpoint_arn(s, "Imported", 123),
        "endpoint_arn",
        "a str (an ARN",
        "int 123",
    ),
    (
        "from_endpoint_arn None",
        lambda s: ComprehendEndpoint.from_endpoint_arn(s, "Imported", None),
        "endpoint_arn",
        "a str",
        "None",
    ),
    (
        "from_endpoint_arn id int",
        lambda s: ComprehendEndpoint.from_endpoint_arn(s, 7, ENDPOINT_ARN),
        "construct_id",
        "a non-empty str",
        "int 7",
    ),
    (
        "from_endpoint_name name int",
        lambda s: ComprehendEndpoint.from_endpoint_name(s, "Imported", 5, model_type=ModelType.DOCUMENT_CLASSIFIER),
        "endpoint_name",
        "a str",
        "int 5",
    ),
    (
        "from_endpoint_name model_type list",
        lambda s: ComprehendEndpoint.from_endpoint_name(s, "Imported", "news", model_type=["document-classifier"]),
        "model_type",
        r"a ModelType \(ModelType.DOCUMENT_CLASSIFIER or ModelType.ENTITY_RECOGNIZER\) or its str value",
        r"list \['document-classifier'\]",
    ),
    (
        "from_endpoint_attributes arn int",
        lambda s: ComprehendEndpoint.from_endpoint_attributes(s, "Imported", endpoint_arn=5),
        "endpoint_arn",
        "a str",
        "int 5",
    ),
    (
        "from_endpoint_attributes name int",
        lambda s: ComprehendEndpoint.from_endpoint_attributes(
            s, "Imported", endpoint_arn=ENDPOINT_ARN, endpoint_name=1
        ),
        "endpoint_name",
        "a str",
        "int 1",
    ),
    (
        "from_endpoint_attributes model_type int",
        lambda s: ComprehendEndpoint.from_endpoint_attributes(s, "Imported", endpoint_arn=ENDPOINT_ARN, model_type=1),
        "model_type",
        "a ModelType",
        "int 1",
    ),
]


def expected(path: str, prop: str, must: str, got: str) -> str:
    return rf"^ComprehendEndpoint {path}: {re.escape(prop)} must be {_pattern(must)}.*, got {_pattern(got)}"


def _pattern(text: str) -> str:
    """Message fragments are literal unless they use regex syntax themselves."""
    return text if any(c in text for c in "\\*") else re.escape(text)


@pytest.mark.parametrize(("case", "call", "prop", "must", "got"), WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES])
def test_a_wrong_type_fails_naming_construct_prop_and_value(case, call, prop, must, got):
    # GIVEN a stack
    stack = new_stack()
    # WHEN the construct or one of its methods gets a value of the wrong Python type
    # THEN the construct's own TypeError names its path, the prop, what it takes and what it got
    path = "TestStack" if prop == "construct_id" else "TestStack/Endpoint"
    with pytest.raises(TypeError, match=expected(path, prop, must, got)):
        call(stack)


@pytest.mark.parametrize(
    ("case", "call", "prop", "must", "got"), WRONG_IMPORT_TYPES, ids=[c[0] for c in WRONG_IMPORT_TYPES]
)
def test_an_import_with_a_wrong_type_fails_naming_construct_prop_and_value(case, call, prop, must, got):
    stack = new_stack()
    path = "TestStack" if prop == "construct_id" else "TestStack/Imported"
    with pytest.raises(TypeError, match=expected(path, prop, must, got)):
        call(stack)


def test_a_wrong_type_is_also_a_value_error():
    # `except ValueError` catches every argument error of the construct, as it did before types were checked
    with pytest.raises(ValueError, match="desired_inference_units must be"):
        endpoint(new_stack(), desired_inference_units="2")


@pytest.mark.parametrize(
    "call",
    [
        lambda: ComprehendEndpoint("TestStack", "Endpoint", model_arn=CLASSIFIER),
        lambda: ComprehendEndpoint.from_endpoint_arn(None, "Imported", ENDPOINT_ARN),
        lambda: ComprehendEndpoint.configure_provider("TestStack"),
    ],
    ids=["construct", "import", "configure_provider"],
)
def test_a_scope_that_is_not_a_construct_fails_with_the_constructs_message(call):
    with pytest.raises(TypeError, match=r"^ComprehendEndpoint: scope must be a Construct \(e.g. a Stack\), got "):
        call()


def test_a_construct_with_a_wrong_type_is_not_added_to_the_app():
    # GIVEN a failed attempt with a wrong type
    stack = new_stack()
    with pytest.raises(TypeError):
        endpoint(stack, data_access_role=ROLE_ARN)
    # THEN nothing was added, so the same id can be used for the corrected call
    assert stack.node.try_find_child("Endpoint") is None
    endpoint(stack)
    template(stack).resource_count_is(RESOURCE_TYPE, 1)


def test_an_import_of_a_non_arn_fails_with_the_constructs_message_not_cdks():
    with pytest.raises(
        ValueError, match=r"^ComprehendEndpoint TestStack/Imported: endpoint_arn must be .*, got 'news'$"
    ):
        ComprehendEndpoint.from_endpoint_arn(new_stack(), "Imported", "news")


def test_tokens_are_still_accepted_where_they_were():
    # GIVEN tokens of every kind the construct took before its types were checked
    stack = new_stack()
    number = parameter(stack)
    text = cdk.CfnParameter(stack, "Text", default="x")
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    units_as_number = ComprehendEndpoint(
        stack,
        "A",
        model_arn=cdk.Fn.import_value("Models-Classifier"),
        desired_inference_units=number.value_as_number,
        endpoint_name=text.value_as_string,
        tags={"team": text.value_as_string},
        client_request_token=text.value_as_string,
    )
    ComprehendEndpoint(stack, "B", model_arn=CLASSIFIER, desired_inference_units=number.value_as_string)
    ComprehendEndpoint(stack, "C", model_arn=CLASSIFIER, desired_inference_units=number.value)
    ComprehendEndpoint(stack, "D", model_arn=CLASSIFIER, desired_inference_units=cdk.Token.as_string(number.value))
    scaling = units_as_number.auto_scale_inference_units(
        min_capacity=number.value_as_number, max_capacity=number.value_as_number
    )
    scaling.scale_on_utilization(target_utilization_percent=number.value_as_number)
    scaling.scale_on_schedule("Nights", schedule=NIGHTS, max_capacity=number.value_as_number)
    imports = [
        ComprehendEndpoint.from_endpoint_arn(stack, "ByArn", cdk.Fn.import_value("Nlp-EndpointArn")),
        ComprehendEndpoint.from_endpoint_name(
            stack, "ByName", text.value_as_string, model_type=ModelType.ENTITY_RECOGNIZER
        ),
        ComprehendEndpoint.from_endpoint_attributes(
            stack,
            "ByAttributes",
            endpoint_arn=cdk.Fn.import_value("Nlp-EndpointArn"),
            endpoint_name=text.value_as_string,
        ),
    ]
    for imported in imports:
        imported.grant_invoke(role)
    # THEN the app synthesizes, with the tokens in the template
    resources = template(stack).find_resources(RESOURCE_TYPE)
    units = sorted(str(r["Properties"]["DesiredInferenceUnits"]) for r in resources.values())
    assert units == sorted([str({"Ref": "Param"})] * 4)
