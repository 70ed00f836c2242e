"""Validation and coercion of the custom resource's properties.

CloudFormation delivers every property value as a string (``"2"``, not ``2``). ``parse_properties``
turns them into an :class:`EndpointSpec` or raises :class:`PropertyError` naming the property, so a
bad template fails within seconds instead of waiting for a timeout.

Numbers are ASCII digits only (``str.isdecimal`` would take ``'١٢'`` as 12), at most
``MAX_DIGITS`` of them (checked before ``int()``, which refuses very long strings with a bare
ValueError), and every pattern must match the whole value (no trailing newline).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from comprehend_cr import contract

DEFAULT_SERVICE_TIMEOUT_S = 3600
"""CloudFormation's ServiceTimeout when the template sets none."""
MAX_DIGITS = contract.MAX_DIGITS
"""Longest whole number accepted anywhere (units are at most 10 by default, timeouts at most 3600)."""
_DIGITS = re.compile(r"[0-9]+")


class PropertyError(ValueError):
    """A property value the endpoint cannot be built from; ``str()`` names the property."""

    def __init__(self, prop: str, problem: str) -> None:
        super().__init__(f"{prop}: {problem}")
        self.prop = prop


@dataclass(frozen=True)
class UnitsRange:
    """The inference units an Application Auto Scaling target may move the endpoint between."""

    minimum: int
    maximum: int

    def clamp(self, units: int) -> int:
        return max(self.minimum, min(self.maximum, units))


@dataclass(frozen=True)
class EndpointSpec:
    """The desired endpoint, as the template describes it."""

    name: str
    units: int
    model_arn: str | None = None
    flywheel_arn: str | None = None
    data_access_role_arn: str | None = None
    client_request_token: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    service_timeout_s: int = DEFAULT_SERVICE_TIMEOUT_S
    autoscaling: UnitsRange | None = None
    """Set when a scaler owns the live units within this range (see ``diffs.endpoint_changes``)."""
    retain: bool = False
    """CloudFormation keeps the endpoint when the resource is replaced or removed (``RemovalPolicy: Retain``)."""


def parse_properties(raw: Mapping[str, Any]) -> EndpointSpec:
    """Validate ``ResourceProperties`` and coerce them to their API types.

    Raises :class:`PropertyError` for: an unknown property, a name that does not match the
    service's pattern or is longer than 40 characters, units that are not a whole number >= 1,
    neither ``ModelArn`` nor ``FlywheelArn``, malformed ARNs, tokens, tags or autoscaling range.
    """
    unknown = sorted(set(raw) - contract.PROPERTIES)
    if unknown:
        raise PropertyError(unknown[0], f"unknown property (expected one of {sorted(contract.PROPERTIES)})")

    name = _required_str(raw, contract.ENDPOINT_NAME_PROPERTY)
    if not contract.endpoint_name_ok(name):
        raise PropertyError(
            contract.ENDPOINT_NAME_PROPERTY,
            f"must be 1-{contract.ENDPOINT_NAME_MAX} letters, digits and inner hyphens, got {name!r}",
        )

    units = _whole_number(raw, contract.UNITS_PROPERTY, minimum=contract.MIN_UNITS)
    model_arn = _optional_str(raw, contract.MODEL_ARN_PROPERTY)
    flywheel_arn = _optional_str(raw, contract.FLYWHEEL_ARN_PROPERTY)
    if model_arn is None and flywheel_arn is None:
        raise PropertyError(contract.MODEL_ARN_PROPERTY, "either ModelArn or FlywheelArn is required, got neither")
    if model_arn is not None and not contract.model_arn(model_arn):
        raise PropertyError(
            contract.MODEL_ARN_PROPERTY, f"must be a document-classifier or entity-recognizer ARN, got {model_arn!r}"
        )
    if flywheel_arn is not None and not contract.flywheel_arn(flywheel_arn):
        raise PropertyError(contract.FLYWHEEL_ARN_PROPERTY, f"must be a Comprehend flywheel ARN, got {flywheel_arn!r}")

    role_arn = _optional_str(raw, contract.ROLE_PROPERTY)
    if role_arn is not None and not contract.role_arn(role_arn):
        raise PropertyError(contract.ROLE_PROPERTY, f"must be an IAM role ARN, got {role_arn!r}")

    token = _optional_str(raw, contract.TOKEN_PROPERTY)
    if token is not None and not contract.client_request_token_ok(token):
        raise PropertyError(contract.TOKEN_PROPERTY, f"must be 1-64 letters, digits or hyphens, got {token!r}")

    timeout = _whole_number(raw, contract.SERVICE_TIMEOUT, minimum=1, default=DEFAULT_SERVICE_TIMEOUT_S)
    scaling = _autoscaling(raw.get(contract.AUTOSCALING_PROPERTY))
    policy = _optional_str(raw, contract.REMOVAL_POLICY_PROPERTY) or contract.REMOVAL_POLICY_DELETE
    if policy not in contract.REMOVAL_POLICIES:
        raise PropertyError(
            contract.REMOVAL_POLICY_PROPERTY, f"must be one of {list(contract.REMOVAL_POLICIES)}, got {policy!r}"
        )
    return EndpointSpec(
        name=name,
        units=units,
        model_arn=model_arn,
        flywheel_arn=flywheel_arn,
        data_access_role_arn=role_arn,
        client_request_token=token,
        tags=_tags(raw.get(contract.TAGS_PROPERTY)),
        service_timeout_s=timeout,
        autoscaling=scaling,
        retain=policy == contract.REMOVAL_POLICY_RETAIN,
    )


def service_timeout_or_default(raw: Mapping[str, Any]) -> int:
    """``ServiceTimeout`` in seconds, or CloudFormation's default when it is missing or malformed.

    For Delete, which must not fail on properties that a failed Create already refused.
    """
    try:
        return _whole_number(raw, contract.SERVICE_TIMEOUT, minimum=1)
    except PropertyError:
        return DEFAULT_SERVICE_TIMEOUT_S


def _optional_str(raw: Mapping[str, Any], prop: str) -> str | None:
    value = raw.get(prop)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PropertyError(prop, f"must be a string, got {type(value).__name__} {value!r}")
    return value


def _required_str(raw: Mapping[str, Any], prop: str) -> str:
    value = _optional_str(raw, prop)
    if value is None:
        raise PropertyError(prop, "is required")
    return value


def _whole_number(raw: Mapping[str, Any], prop: str, *, minimum: int, default: int | None = None) -> int:
    value = raw.get(prop)
    if value is None or value == "":
        if default is None:
            raise PropertyError(prop, f"is required (a whole number >= {minimum})")
        return default
    return whole_number(value, prop, minimum=minimum)


def whole_number(value: Any, prop: str, *, minimum: int) -> int:
    """``value`` (a string of ASCII digits, or an int) as an int >= ``minimum``; PropertyError otherwise."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or len(text) > MAX_DIGITS or not _DIGITS.fullmatch(text):
        shown = value if not isinstance(value, str) or len(value) <= 40 else f"{value[:40]}... ({len(value)} chars)"
        raise PropertyError(prop, f"must be a whole number >= {minimum} of at most {MAX_DIGITS} digits, got {shown!r}")
    number = int(text)
    if number < minimum:
        raise PropertyError(prop, f"must be a whole number >= {minimum}, got {value!r}")
    return number


def _autoscaling(value: Any) -> UnitsRange | None:
    if value is None or value == "":
        return None
    prop = contract.AUTOSCALING_PROPERTY
    if not isinstance(value, Mapping):
        raise PropertyError(prop, f"must be {{MinCapacity, MaxCapacity}}, got {type(value).__name__}")
    unknown = sorted(set(value) - set(contract.AUTOSCALING_KEYS))
    if unknown:
        raise PropertyError(f"{prop}.{unknown[0]}", "unknown key (expected MinCapacity and MaxCapacity)")
    bounds = {}
    for key in contract.AUTOSCALING_KEYS:
        if value.get(key) in (None, ""):
            raise PropertyError(f"{prop}.{key}", "is required (a whole number >= 1)")
        bounds[key] = whole_number(value[key], f"{prop}.{key}", minimum=1)
    minimum, maximum = bounds["MinCapacity"], bounds["MaxCapacity"]
    if maximum < minimum:
        raise PropertyError(f"{prop}.MaxCapacity", f"must be >= MinCapacity {minimum}, got {maximum}")
    return UnitsRange(minimum, maximum)


def _tags(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, list):
        raise PropertyError("Tags", f"must be a list of {{Key, Value}}, got {type(value).__name__}")
    if len(value) > contract.MAX_USER_TAGS:
        raise PropertyError(
            "Tags",
            f"at most {contract.MAX_USER_TAGS} tags ({contract.MAX_TAGS} minus the ownership tags), got {len(value)}",
        )
    tags: dict[str, str] = {}
    for index, tag in enumerate(value):
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Key"), str):
            raise PropertyError(f"Tags[{index}]", f"must be {{Key: string, Value: string}}, got {tag!r}")
        key, tag_value = tag["Key"], tag.get("Value", "")
        if not isinstance(tag_value, str):
            raise PropertyError(f"Tags[{index}].Value", f"must be a string, got {tag_value!r}")
        if not contract.tag_key_ok(key):
            raise PropertyError(
                f"Tags[{index}].Key",
                f"must be 1-{contract.TAG_KEY_MAX} characters, not starting '{contract.AWS_PREFIX}' or "
                f"'{contract.RESERVED_PREFIX}', got {key!r}",
            )
        if not contract.tag_value_ok(tag_value):
            raise PropertyError(f"Tags[{index}].Value", f"must be at most {contract.TAG_VALUE_MAX} characters")
        if key in tags:
            raise PropertyError(f"Tags[{index}].Key", f"duplicate key {key!r}")
        tags[key] = tag_value
    return tags
