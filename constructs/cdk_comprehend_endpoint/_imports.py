"""Endpoints defined elsewhere: what an import by ARN, by name or by attributes resolves to.

An endpoint's ARN names its type (``document-classifier-endpoint/...`` or
``entity-recognizer-endpoint/...``); a name alone does not, so an import by name needs the model
type to build the ARN. Concrete values are checked with the construct's messages
(``ComprehendEndpoint <path>: <prop> <rule>, got <value>``); tokens are accepted as they are.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk
from constructs import Construct

from cdk_comprehend_endpoint import _types, _validation
from cdk_comprehend_endpoint._contract import contract


class ModelType(enum.Enum):
    """The kind of custom model an endpoint serves; it fixes the endpoint's ARN and its inference API."""

    DOCUMENT_CLASSIFIER = "document-classifier"
    """A custom classifier: the endpoint is a ``document-classifier-endpoint``, called with ClassifyDocument."""

    ENTITY_RECOGNIZER = "entity-recognizer"
    """A custom entity recognizer: the endpoint is an ``entity-recognizer-endpoint``, called with DetectEntities."""


_KINDS = frozenset(t.value for t in ModelType)
ModelTypeLike = ModelType | Literal["document-classifier", "entity-recognizer"]
"""A ``ModelType`` or its value as a string."""


@dataclass(frozen=True)
class ImportedAttributes:
    """What an imported endpoint knows: its ARN and name (tokens or strings), and its model kind if known."""

    endpoint_arn: str
    endpoint_name: str
    model_kind: str | None


def model_kind(scope: Construct | str, model_type: ModelTypeLike | None) -> str | None:
    """``document-classifier`` / ``entity-recognizer`` for a ``ModelType`` or its string value; None for None.

    Another type raises ``TypeError``, another string ``ValueError``, both naming ``model_type``.
    """
    if model_type is None or isinstance(model_type, ModelType):
        return model_type.value if model_type is not None else None
    if not isinstance(model_type, str):
        _types.fail(
            scope,
            "model_type",
            "a ModelType (ModelType.DOCUMENT_CLASSIFIER or ModelType.ENTITY_RECOGNIZER) or its str value",
            model_type,
        )
    _validation.check(
        scope,
        model_type in _KINDS,
        "model_type",
        "must be ModelType.DOCUMENT_CLASSIFIER or ModelType.ENTITY_RECOGNIZER "
        "('document-classifier' or 'entity-recognizer')",
        model_type,
    )
    return str(model_type)


def resolve(
    scope: Construct,
    *,
    endpoint_arn: str | None,
    endpoint_name: str | None,
    model_type: ModelTypeLike | None,
) -> ImportedAttributes:
    """Check the given attributes against each other and fill in what they imply.

    - A concrete ARN must be an endpoint ARN; it gives the name and the kind, and a ``model_type`` or
      ``endpoint_name`` given with it must agree.
    - A token ARN is taken as is; the name is ``endpoint_name`` or the part after the ``/``, the kind is
      ``model_type`` (unknown without it).
    - A name without an ARN needs ``model_type``; the ARN is built in the stack's partition, region and
      account (``Stack.format_arn``), as an endpoint is always in the account and region that call it.
    """
    kind = model_kind(scope, model_type)
    if endpoint_name is not None and not cdk.Token.is_unresolved(endpoint_name):
        _validation.check_endpoint_name(scope, endpoint_name)
    if endpoint_arn is None:
        _validation.check(scope, endpoint_name is not None, "endpoint_arn", "or endpoint_name is required", None)
        assert endpoint_name is not None
        _validation.check(
            scope,
            kind is not None,
            "model_type",
            "is required to import an endpoint by name (the endpoint ARN depends on it)",
            None,
        )
        arn = cdk.Stack.of(scope).format_arn(
            service="comprehend",
            resource=f"{kind}-endpoint",
            resource_name=endpoint_name,
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME,
        )
        return ImportedAttributes(arn, endpoint_name, kind)
    if cdk.Token.is_unresolved(endpoint_arn):
        name = endpoint_name if endpoint_name is not None else cdk.Fn.select(1, cdk.Fn.split("/", endpoint_arn))
        return ImportedAttributes(endpoint_arn, name, kind)
    match = check_endpoint_arn(scope, endpoint_arn)
    arn_kind = match["kind"].removesuffix("-endpoint")
    _validation.check(scope, kind in (None, arn_kind), "model_type", f"must match endpoint_arn ({arn_kind})", kind)
    if endpoint_name is not None and not cdk.Token.is_unresolved(endpoint_name):
        _validation.check(
            scope,
            endpoint_name == match["name"],
            "endpoint_name",
            f"must match endpoint_arn ({match['name']})",
            endpoint_name,
        )
    return ImportedAttributes(endpoint_arn, match["name"], arn_kind)


def check_endpoint_arn(scope: Construct | str, endpoint_arn: str) -> re.Match[str]:
    """The match of a concrete ``endpoint_arn`` against the endpoint ARN pattern; ``ValueError`` if none."""
    match = contract.endpoint_arn(endpoint_arn)
    _validation.check(
        scope,
        match is not None,
        "endpoint_arn",
        "must be a document-classifier-endpoint or entity-recognizer-endpoint ARN",
        endpoint_arn,
    )
    assert match is not None
    return match
