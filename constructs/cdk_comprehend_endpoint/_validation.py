"""Synth-time checks of ``ComprehendEndpoint`` props; unresolved tokens are skipped.

Each error names the construct, the prop, the limit and the value given. Patterns are matched
against the whole value (``fullmatch``: ``$`` would let a trailing newline through) and spell out
ASCII classes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from constructs import Construct

_PARTITION = r"aws(-[a-z]+)*"
_REGION = r"[a-z]{2}(-[a-z]+)+-[0-9]"
_ACCOUNT = r"[0-9]{12}"
_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
MODEL_ARN = re.compile(
    rf"arn:{_PARTITION}:comprehend:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
    rf"(?P<kind>document-classifier|entity-recognizer)/{_NAME}(/version/{_NAME})?"
)
FLYWHEEL_ARN = re.compile(
    rf"arn:{_PARTITION}:comprehend:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):flywheel/{_NAME}"
)
ENDPOINT_ARN = re.compile(
    rf"arn:{_PARTITION}:comprehend:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
    rf"(?P<kind>document-classifier-endpoint|entity-recognizer-endpoint)/(?P<name>{_NAME})"
)
ENDPOINT_NAME = re.compile(_NAME)
TOKEN = re.compile(r"[a-zA-Z0-9-]{1,64}")
MAX_NAME = 40
MAX_TAGS = 48
"""Comprehend allows 50 tags per resource; the handler adds two ownership tags."""
RESERVED_TAG_PREFIXES = ("aws:", "cdk-comprehend-endpoint:")
UNIT_QUOTA = 10


def unresolved(value: Any) -> bool:
    """``Token.is_unresolved``, answered in Python where it can be (a jsii round trip per call adds up
    over hundreds of endpoints): strings carry ``${Token[`` markers, and plain ints are never tokens."""
    if value is None or isinstance(value, bool | int):
        return False
    if isinstance(value, str):
        return "${Token[" in value
    return bool(cdk.Token.is_unresolved(value))


def path_of(where: Construct | str) -> str:
    """The construct path a message names: a construct's, or the path of one about to be created."""
    return where if isinstance(where, str) else where.node.path


def check(scope: Construct | str, ok: bool, prop: str, rule: str, value: Any) -> None:
    """Raise ``ValueError`` ``ComprehendEndpoint <path>: <prop> <rule>, got <value>`` unless ``ok``."""
    if not ok:
        raise ValueError(f"ComprehendEndpoint {path_of(scope)}: {prop} {rule}, got {value!r}")


def validate_props(
    scope: Construct,
    *,
    model_arn: str | None,
    flywheel_arn: str | None,
    desired_inference_units: int | float,
    endpoint_name: str | None,
    tags: Mapping[str, str] | None,
    client_request_token: str | None,
) -> None:
    """Raise ``ValueError`` for the first prop that the service would refuse."""
    check(scope, model_arn is not None or flywheel_arn is not None, "model_arn", "or flywheel_arn is required", None)
    if model_arn is not None and not unresolved(model_arn):
        check(
            scope,
            bool(MODEL_ARN.fullmatch(model_arn)),
            "model_arn",
            "must be a document-classifier or entity-recognizer ARN",
            model_arn,
        )
    if flywheel_arn is not None and not unresolved(flywheel_arn):
        check(scope, bool(FLYWHEEL_ARN.fullmatch(flywheel_arn)), "flywheel_arn", "must be a flywheel ARN", flywheel_arn)
    if not unresolved(desired_inference_units):
        whole = (
            isinstance(desired_inference_units, int | float)
            and not isinstance(desired_inference_units, bool)
            and float(desired_inference_units).is_integer()
        )
        check(
            scope,
            whole and desired_inference_units >= 1,
            "desired_inference_units",
            "must be a whole number >= 1",
            desired_inference_units,
        )
    if endpoint_name is not None and not unresolved(endpoint_name):
        check(
            scope,
            len(endpoint_name) <= MAX_NAME and bool(ENDPOINT_NAME.fullmatch(endpoint_name)),
            "endpoint_name",
            f"must be 1-{MAX_NAME} letters, digits and inner hyphens (^[a-zA-Z0-9](-*[a-zA-Z0-9])*$)",
            endpoint_name,
        )
    if client_request_token is not None and not unresolved(client_request_token):
        check(
            scope,
            bool(TOKEN.fullmatch(client_request_token)),
            "client_request_token",
            "must be 1-64 letters, digits or hyphens",
            client_request_token,
        )
    for key, value in (tags or {}).items():
        if unresolved(key):
            continue
        check(
            scope,
            isinstance(key, str) and 1 <= len(key) <= 128 and not key.lower().startswith(RESERVED_TAG_PREFIXES),
            "tags",
            "keys must be 1-128 characters and not start with 'aws:' or 'cdk-comprehend-endpoint:' (reserved for "
            "the ownership tags)",
            key,
        )
        if not unresolved(value):
            check(
                scope,
                isinstance(value, str) and len(value) <= 256,
                "tags",
                f"value of {key!r} must be a string of at most 256 characters",
                value,
            )
    check(scope, len(tags or {}) <= MAX_TAGS, "tags", f"must hold at most {MAX_TAGS} tags", len(tags or {}))


def model_kind(arn: str | None) -> str | None:
    """``document-classifier`` / ``entity-recognizer`` for a concrete model ARN, else None."""
    if arn is None or unresolved(arn):
        return None
    match = MODEL_ARN.fullmatch(arn)
    return match["kind"] if match else None
