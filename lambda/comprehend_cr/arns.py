"""Endpoint ARNs: parsed, built in a stack's account and region, and the idempotency token derived.

The shapes (model, flywheel, endpoint and role ARNs, names, tokens) are the contract's
(``comprehend_cr.contract``), shared with the construct.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from comprehend_cr import contract

EndpointType = Literal["document-classifier-endpoint", "entity-recognizer-endpoint"]

TOKEN = contract.CLIENT_REQUEST_TOKEN
"""The shape every derived token has (:func:`derive_token`)."""
STACK_ARN = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):cloudformation:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]):"
    r"(?P<account>[0-9]{12}):stack/.+"
)
"""A CloudFormation StackId (from CloudFormation itself, not from the template)."""

_MODEL_TO_ENDPOINT: dict[str, EndpointType] = {
    "document-classifier": "document-classifier-endpoint",
    "entity-recognizer": "entity-recognizer-endpoint",
    "DOCUMENT_CLASSIFIER": "document-classifier-endpoint",
    "ENTITY_RECOGNIZER": "entity-recognizer-endpoint",
}


@dataclass(frozen=True)
class EndpointArn:
    """A parsed endpoint ARN; ``str()`` gives the ARN back."""

    partition: str
    region: str
    account: str
    kind: EndpointType
    name: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:comprehend:{self.region}:{self.account}:{self.kind}/{self.name}"


def parse_endpoint_arn(value: str) -> EndpointArn | None:
    """The endpoint ARN in ``value``, or None when ``value`` is anything else (e.g. a failed-create marker)."""
    match = contract.endpoint_arn(value)
    if not match:
        return None
    kind: EndpointType = _MODEL_TO_ENDPOINT[match["kind"].removesuffix("-endpoint")]
    return EndpointArn(match["partition"], match["region"], match["account"], kind, match["name"])


def endpoint_type_for_model(model_arn: str) -> EndpointType:
    """The endpoint type that serves ``model_arn`` (which must be a model ARN of the contract)."""
    match = contract.model_arn(model_arn)
    if not match:
        raise ValueError(f"not a Comprehend model ARN: {model_arn!r}")
    return _MODEL_TO_ENDPOINT[match["kind"]]


def endpoint_type_for_model_type(model_type: str) -> EndpointType:
    """The endpoint type for a flywheel's ``ModelType`` (``DOCUMENT_CLASSIFIER`` / ``ENTITY_RECOGNIZER``)."""
    try:
        return _MODEL_TO_ENDPOINT[model_type]
    except KeyError:
        raise ValueError(f"unknown flywheel ModelType {model_type!r}") from None


def derive_token(stack_id: str, logical_id: str, request_id: str, delivery: str) -> str:
    """A ClientRequestToken that is the same for every invocation of one delivery of a request.

    Lambda runs an asynchronous event again when an invocation fails or times out, and the handler continues
    a request in new invocations: all of them carry the same event, so a retried Create reaches the endpoint
    of its first invocation. CloudFormation may send the same request again (same RequestId) as a new
    delivery (``delivery``: its id, see ``comprehend_cr.delivery``): that attempt gets a new token, so it can
    create anew when the first attempt's endpoint failed or is gone. A new request (an Update that replaces the
    endpoint) gets a new token too. Matches ``TOKEN``.
    """
    digest = hashlib.sha256(f"{stack_id}\n{logical_id}\n{request_id}\n{delivery}".encode()).hexdigest()
    return f"cfn-{digest[:60]}"


def endpoint_arn_in_stack(stack_id: str, kind: EndpointType, name: str) -> str:
    """The ARN an endpoint of ``kind`` named ``name`` has in the account, region and partition of the
    stack ``stack_id`` (a CloudFormation stack ARN). Endpoint ARNs are fixed by name and type, so the
    handler knows an endpoint's ARN before creating it."""
    match = STACK_ARN.fullmatch(stack_id)
    if not match:
        raise ValueError(f"StackId: not a CloudFormation stack ARN: {stack_id!r}")
    return str(EndpointArn(match["partition"], match["region"], match["account"], kind, name))
