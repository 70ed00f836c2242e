"""What the crhelper tests share: a CloudFormation event as crhelper receives it and a Lambda context."""

from __future__ import annotations

from typing import Any

STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1"
RESPONSE_URL = "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=s"


def event(request_type: str = "Create", **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "StackId": STACK,
        "RequestId": "req-1",
        "LogicalResourceId": "Endpoint",
        "ResponseURL": RESPONSE_URL,
        "ResourceProperties": {},
        **extra,
    }


class Context:
    """A Lambda context with a fixed remaining time."""

    function_name = "handler"
    aws_request_id = "invocation-1"
    log_group_name = "/aws/lambda/handler"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
