"""Python type checks of what is passed to ``ComprehendEndpoint`` and its methods, with the construct's messages.

Python does not check annotations: a string where an ``iam.IRole`` belongs, or a list where a dict
belongs, would otherwise surface as an ``AttributeError`` deep in the construct or as jsii's
``type of argument ...`` error, naming neither the construct nor the prop. These checks run first and
raise a ``TypeError`` in the shape of ``_validation.check``'s ``ValueError``::

    ComprehendEndpoint <construct path>: <prop> must be <what it takes>, got <type> <value>

The error is a ``PropTypeError``: a ``TypeError`` that is also a ``ValueError``, so that
``except ValueError`` still catches every error the construct raises for a bad argument (as it did
when some of these were value errors). They promise only the type; the value (range, pattern,
environment) is ``_validation``'s business.
Tokens stay accepted wherever the construct accepts them: string tokens are ``str``, number tokens
(``CfnParameter.value_as_number``) are ``float``, and a prop that renders a number into the template as a
string (``desired_inference_units``) also takes string tokens and ``IResolvable`` values.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, NoReturn

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import _validation

MAX_SHOWN = 100
"""Longest ``repr`` of a wrong value a message shows (then ``...``)."""

STRING = "a str"
ARN = "a str (an ARN, or a string token such as a resource's attr_arn)"
NUMBER_PARAMETER = "a token such as CfnParameter.value_as_number"
UNITS = f"a whole number >= 1 (an int, or {NUMBER_PARAMETER})"
NUMBER = f"a number (an int or float, or {NUMBER_PARAMETER})"
DURATION = "a cdk.Duration (e.g. cdk.Duration.hours(6))"
BOOL = "a bool"


class PropTypeError(TypeError, ValueError):
    """An argument of the wrong Python type; the message names the construct path, the prop and the value.

    Exported as ``cdk_comprehend_endpoint.PropTypeError`` (and shown under that name in tracebacks)."""


PropTypeError.__module__ = "cdk_comprehend_endpoint"


def describe(value: object) -> str:
    """``str 'abc'``, ``int 42``, ``None``: the type and (a shortened) ``repr`` of a wrong value."""
    if value is None:
        return "None"
    shown = repr(value)
    if len(shown) > MAX_SHOWN:
        shown = shown[: MAX_SHOWN - 3] + "..."
    return f"{type(value).__name__} {shown}"


def fail(where: Construct | str, prop: str, expected: str, value: object) -> NoReturn:
    """Raise the construct's ``PropTypeError`` for ``prop``."""
    path = _validation.path_of(where)
    raise PropTypeError(f"ComprehendEndpoint {path}: {prop} must be {expected}, got {describe(value)}")


def construct(scope: object) -> None:
    """``scope`` is a construct (there is no path to name yet)."""
    if not isinstance(scope, Construct):
        raise PropTypeError(f"ComprehendEndpoint: scope must be a Construct (e.g. a Stack), got {describe(scope)}")


def scope_and_id(scope: object, construct_id: object) -> str:
    """Check the ``scope`` and ``construct_id`` a construct is about to be created with; return its path.

    The path is the one the construct gets (``<scope path>/<id>``), so that props can be checked before
    the construct exists (a construct that fails its checks is then never added to the tree).
    """
    construct(scope)
    assert isinstance(scope, Construct)
    if not isinstance(construct_id, str) or not construct_id:
        fail(scope, "construct_id", "a non-empty str", construct_id)
    return "/".join(part for part in (scope.node.path, construct_id) if part)


def string(where: Construct | str, prop: str, value: object, expected: str = STRING, *, optional: bool = True) -> None:
    """``value`` is a ``str`` (string tokens are strings), or None when ``optional``."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        hint = "; wrap a non-string token in cdk.Token.as_string(...)" if _is_resolvable(value) else ""
        fail(where, prop, expected + hint, value)


def number(
    where: Construct | str,
    prop: str,
    value: object,
    expected: str = NUMBER,
    *,
    optional: bool = False,
    any_token: bool = False,
) -> None:
    """``value`` is an ``int`` or ``float`` (not a ``bool``; number tokens are floats), or None when
    ``optional``. With ``any_token``, a string token or an ``IResolvable`` is accepted too (for a prop
    the construct renders into the template as a string)."""
    if value is None and optional:
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        return
    tokenish = (isinstance(value, str) or _is_resolvable(value)) and cdk.Token.is_unresolved(value)
    if any_token and tokenish:
        return
    hint = "; wrap a string token in cdk.Token.as_number(...)" if tokenish else ""
    fail(where, prop, expected + hint, value)


def boolean(where: Construct | str, prop: str, value: object) -> None:
    """``value`` is a ``bool`` or None."""
    if value is not None and not isinstance(value, bool):
        fail(where, prop, BOOL, value)


def instance(
    where: Construct | str, prop: str, value: object, cls: type, expected: str, *, optional: bool = True
) -> None:
    """``value`` is an instance of ``cls`` (a jsii class, enum or ``datetime``), or None when ``optional``."""
    if value is None and optional:
        return
    if not isinstance(value, cls):
        fail(where, prop, expected, value)


def string_map(where: Construct | str, prop: str, value: object) -> None:
    """``value`` is None or a mapping of ``str`` keys to ``str`` values."""
    if value is None:
        return
    expected = 'a dict of str to str (e.g. {"team": "nlp"})'
    if not isinstance(value, Mapping):
        fail(where, prop, expected, value)
    for key, item in value.items():
        if not isinstance(key, str):
            fail(where, f"every key of {prop}", STRING, key)
        if not isinstance(item, str):
            fail(where, f"{prop} value of {key!r}", STRING, item)


def role(where: Construct | str, prop: str, value: object) -> None:
    """``value`` is None or an ``iam.IRole`` (anything with a ``role_arn`` string that is not a string itself:
    jsii interfaces cannot be checked with ``isinstance``)."""
    if value is None:
        return
    if isinstance(value, str) or not isinstance(getattr(value, "role_arn", None), str):
        fail(where, prop, 'an iam.IRole (e.g. iam.Role.from_role_arn(self, "Role", arn))', value)


def grantable(where: Construct | str, prop: str, value: object) -> None:
    """``value`` is an ``iam.IGrantable`` (it has a ``grant_principal``): a role, user, group or function."""
    if isinstance(value, str) or getattr(value, "grant_principal", None) is None:
        fail(where, prop, "an iam.IGrantable (a role, user, group or function)", value)


def import_args(where: str, *, endpoint_arn: object, endpoint_name: object) -> None:
    """The ARN and name given to ``from_endpoint_arn`` / ``from_endpoint_name`` / ``from_endpoint_attributes``
    (``model_type`` is checked by ``_imports.model_kind``)."""
    string(where, "endpoint_arn", endpoint_arn, ARN)
    string(where, "endpoint_name", endpoint_name)


def scaling_args(where: Construct, *, min_capacity: object, max_capacity: object) -> None:
    """The arguments of ``auto_scale_inference_units`` (number tokens only: the scalable target takes numbers)."""
    number(where, "min_capacity", min_capacity, UNITS)
    number(where, "max_capacity", max_capacity, UNITS)


def utilization_args(where: Construct, **props: Any) -> None:
    """The arguments of ``scale_on_utilization``."""
    number(where, "target_utilization_percent", props["target_utilization_percent"])
    boolean(where, "disable_scale_in", props["disable_scale_in"])
    string(where, "policy_name", props["policy_name"])
    instance(where, "scale_in_cooldown", props["scale_in_cooldown"], cdk.Duration, DURATION)
    instance(where, "scale_out_cooldown", props["scale_out_cooldown"], cdk.Duration, DURATION)


def schedule_args(where: Construct, construct_id: object, **props: Any) -> str:
    """The arguments of ``scale_on_schedule``; returns the label its messages use, ``scale_on_schedule('<id>')``."""
    string(where, "scale_on_schedule construct_id", construct_id, optional=False)
    label = f"scale_on_schedule({construct_id!r})"
    instance(
        where,
        f"{label} schedule",
        props["schedule"],
        appscaling.Schedule,
        'an appscaling.Schedule (e.g. appscaling.Schedule.cron(hour="20", minute="0"))',
        optional=False,
    )
    number(where, f"{label} min_capacity", props["min_capacity"], UNITS, optional=True)
    number(where, f"{label} max_capacity", props["max_capacity"], UNITS, optional=True)
    for prop in ("start_time", "end_time"):
        instance(where, f"{label} {prop}", props[prop], datetime.datetime, "a datetime.datetime")
    zone = "a cdk.TimeZone (e.g. cdk.TimeZone.EUROPE_LONDON)"
    instance(where, f"{label} time_zone", props["time_zone"], cdk.TimeZone, zone)
    return label


def idle_alarm_args(where: Construct, construct_id: object, **props: Any) -> None:
    """The arguments of ``alarm_when_idle``."""
    string(where, "alarm_when_idle construct_id", construct_id, optional=False)
    instance(where, "window", props["window"], cdk.Duration, DURATION)
    string(where, "alarm_name", props["alarm_name"])
    boolean(where, "actions_enabled", props["actions_enabled"])


def provider_args(where: Construct, *, log_removal_policy: object, log_retention: object) -> None:
    """The arguments of ``ComprehendEndpoint.configure_provider``."""
    instance(
        where,
        "log_removal_policy",
        log_removal_policy,
        cdk.RemovalPolicy,
        "a cdk.RemovalPolicy (e.g. cdk.RemovalPolicy.DESTROY)",
    )
    instance(
        where, "log_retention", log_retention, logs.RetentionDays, "a logs.RetentionDays (e.g. RetentionDays.ONE_WEEK)"
    )


def _is_resolvable(value: object) -> bool:
    """A jsii ``IResolvable`` (e.g. ``CfnParameter.value``): it has a ``resolve`` method."""
    return not isinstance(value, str | int | float) and callable(getattr(value, "resolve", None))
