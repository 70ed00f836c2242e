"""What the contract tests share: a manual clock, requests and responses (the stubbed client is the
``comprehend`` fixture in conftest.py)."""

from __future__ import annotations

from typing import Any

from comprehend_cr.lifecycle import Request

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1"


def owned(stack: str = STACK, logical: str = "Endpoint") -> list[dict[str, str]]:
    """The ownership tags of an endpoint of ``logical`` in ``stack``, as ListTagsForResource returns them."""
    return [
        {"Key": "cdk-comprehend-endpoint:logical-id", "Value": logical},
        {"Key": "cdk-comprehend-endpoint:stack-id", "Value": stack},
    ]


OWNED = owned()


class Clock:
    """Seconds that move only when the code under test sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def request(request_type: str = "Create", physical_id: str = "", **props: Any) -> Request:
    properties = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1", **props}
    return Request(request_type, STACK, "req-1", "Endpoint", physical_id, properties, {})


def described(status: str = "IN_SERVICE", units: int = 1, model: str = MODEL) -> dict[str, Any]:
    return {
        "EndpointProperties": {
            "EndpointArn": ARN,
            "Status": status,
            "ModelArn": model,
            "DesiredModelArn": model,
            "DesiredInferenceUnits": units,
            "CurrentInferenceUnits": units,
        }
    }
