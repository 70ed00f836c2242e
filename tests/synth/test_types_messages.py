# mypy: disable-error-code="arg-type"
# (every call here passes a wrong type on purpose)
"""Synth tier: the whole message of a wrong-type error, for the cases whose wording says something.

``ComprehendEndpoint <path>: <prop> must be <what it takes>, got <type> <value>``: what it takes names
the kind of value (an ARN, a schedule), a hint appears only for a token of the wrong kind, and a long
value is shown cut to 100 characters.
"""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, new_stack

NIGHTS = appscaling.Schedule.cron(hour="20", minute="0")


def endpoint(stack: cdk.Stack, **props: Any) -> ComprehendEndpoint:
    return ComprehendEndpoint(stack, "Endpoint", **{"model_arn": CLASSIFIER, **props})


def message_of(call) -> str:
    with pytest.raises(TypeError) as err:
        call(new_stack())
    return str(err.value)


@pytest.mark.parametrize(
    ("repr_length", "shown"),
    [(100, "b'" + "x" * 97 + "'"), (101, "b'" + "x" * 95 + "..."), (150, "b'" + "x" * 95 + "...")],
)
def test_a_wrong_value_is_shown_whole_up_to_100_characters_then_cut_with_an_ellipsis(repr_length, shown):
    # GIVEN a wrong value whose repr is around the 100-character limit (bytes: b'...' adds 3)
    value = b"x" * (repr_length - 3)
    # WHEN it is passed where a string belongs
    message = message_of(lambda s: endpoint(s, endpoint_name=value))
    # THEN the message shows it whole when it fits, else its first 97 characters and "..."
    assert message == f"ComprehendEndpoint TestStack/Endpoint: endpoint_name must be a str, got bytes {shown}"


def test_a_value_that_is_not_a_token_gets_no_token_hint():
    message = message_of(lambda s: endpoint(s, model_arn=["arn"]))
    assert message == (
        "ComprehendEndpoint TestStack/Endpoint: model_arn must be a str (an ARN, or a string token such as a "
        "resource's attr_arn), got list ['arn']"
    )


@pytest.mark.parametrize("grantee", [5, object()], ids=["int", "object without grant_principal"])
def test_a_grantee_without_a_principal_fails_with_the_constructs_message(grantee):
    message = message_of(lambda s: endpoint(s).grant_invoke(grantee))
    assert message.startswith(
        "ComprehendEndpoint TestStack/Endpoint: grantee must be an iam.IGrantable (a role, user, group or "
        "function), got "
    )


def test_an_imported_endpoints_arn_of_the_wrong_type_is_said_to_be_an_arn():
    message = message_of(lambda s: ComprehendEndpoint.from_endpoint_attributes(s, "Imported", endpoint_arn=5))
    assert message == (
        "ComprehendEndpoint TestStack/Imported: endpoint_arn must be a str (an ARN, or a string token such as a "
        "resource's attr_arn), got int 5"
    )


def scaled(stack: cdk.Stack) -> Any:
    return endpoint(stack, desired_inference_units=1).auto_scale_inference_units(min_capacity=1, max_capacity=4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: scaled(s).scale_on_schedule(None, schedule=NIGHTS, max_capacity=1),
            "scale_on_schedule construct_id must be a str, got None",
        ),
        (
            lambda s: scaled(s).scale_on_schedule("Nights", schedule=None, max_capacity=1),
            "scale_on_schedule('Nights') schedule must be an appscaling.Schedule "
            '(e.g. appscaling.Schedule.cron(hour="20", minute="0")), got None',
        ),
    ],
    ids=["construct_id None", "schedule None"],
)
def test_a_scheduled_action_needs_an_id_and_a_schedule(call, message):
    assert message_of(call) == f"ComprehendEndpoint TestStack/Endpoint: {message}"


def test_messages_name_the_path_the_construct_would_have():
    # the path is that of the construct about to be created, under a nested scope too
    def nested(stack: cdk.Stack) -> Any:
        return ComprehendEndpoint(cdk.Stack(stack, "Inner"), "Endpoint", model_arn=1)

    assert re.match(r"^ComprehendEndpoint TestStack/Inner/Endpoint: model_arn must be ", message_of(nested))


def test_an_idle_alarm_needs_an_id():
    message = message_of(lambda s: endpoint(s).alarm_when_idle(None))
    assert message == "ComprehendEndpoint TestStack/Endpoint: alarm_when_idle construct_id must be a str, got None"


def test_a_non_string_token_where_an_arn_belongs_gets_the_as_string_hint():
    # GIVEN a number parameter's IResolvable where the model ARN belongs
    message = message_of(lambda s: endpoint(s, model_arn=cdk.CfnParameter(s, "Param", type="Number").value))
    # THEN the message says how to pass a token as a string, then shows what was given
    assert message.startswith(
        "ComprehendEndpoint TestStack/Endpoint: model_arn must be a str (an ARN, or a string token such as a "
        "resource's attr_arn); wrap a non-string token in cdk.Token.as_string(...), got "
    )


def test_a_string_token_where_a_number_belongs_gets_the_as_number_hint():
    # GIVEN a string token where a capacity (a number) belongs
    token = cdk.Fn.import_value("Other-MinUnits")
    message = message_of(lambda s: endpoint(s).auto_scale_inference_units(min_capacity=token, max_capacity=4))
    # THEN the message says how to pass it as a number
    assert message == (
        "ComprehendEndpoint TestStack/Endpoint: min_capacity must be a whole number >= 1 (an int, or a token such "
        f"as CfnParameter.value_as_number); wrap a string token in cdk.Token.as_number(...), got str {token!r}"
    )


def test_a_plain_string_where_a_number_belongs_gets_no_token_hint():
    message = message_of(lambda s: endpoint(s).auto_scale_inference_units(min_capacity="2", max_capacity=4))
    assert message == (
        "ComprehendEndpoint TestStack/Endpoint: min_capacity must be a whole number >= 1 (an int, or a token such "
        "as CfnParameter.value_as_number), got str '2'"
    )


def test_a_scope_that_is_not_a_construct_is_shown_with_its_type_and_value():
    with pytest.raises(TypeError) as err:
        ComprehendEndpoint("TestStack", "Endpoint", model_arn=CLASSIFIER)
    assert str(err.value) == "ComprehendEndpoint: scope must be a Construct (e.g. a Stack), got str 'TestStack'"


def test_a_removal_policy_of_none_is_refused_not_taken_for_the_default():
    # GIVEN removal_policy=None passed explicitly (the default is DESTROY; None is not a policy)
    message = message_of(lambda s: endpoint(s, removal_policy=None))
    # THEN the construct refuses it rather than guess
    assert message == (
        "ComprehendEndpoint TestStack/Endpoint: removal_policy must be a cdk.RemovalPolicy "
        "(e.g. cdk.RemovalPolicy.RETAIN), got None"
    )
