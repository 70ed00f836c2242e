"""Unit tier (Stubber contract): how the lifecycle classifies an API error it sees once botocore has given up retrying.

A server error (HTTP 5xx) or a throttling code is transient: the lifecycle tries again on its next
round. Anything else is a refusal, quoted in the reason with the error's code and message. botocore
builds these errors from what the service sent, so a test raises them as botocore would, with fields
the Stubber cannot leave out.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from comprehend_cr.lifecycle import failed_create_marker
from tests.unit.stubs import ARN, described, run


class FailsOnce:
    """``client``, except that the first call of ``operation`` raises ``error``."""

    _error: Exception | None

    def __init__(self, client: Any, operation: str, error: Exception) -> None:
        self._client, self._operation, self._error = client, operation, error

    def __getattr__(self, name: str) -> Any:
        if name == self._operation and self._error is not None:
            error, self._error = self._error, None

            def fail(**kwargs: Any) -> Any:
                raise error

            return fail
        return getattr(self._client, name)


def client_error(status: int, error: dict[str, str]) -> ClientError:
    response: Any = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "CreateEndpoint")


@pytest.mark.parametrize(
    ("status", "error", "logged"),
    [
        (500, {"Code": "SomethingNew", "Message": "oops"}, "SomethingNew: oops"),
        (503, {"Code": "SomethingNew"}, "SomethingNew: "),
    ],
)
def test_a_server_error_with_a_code_the_handler_does_not_know_is_tried_again(comprehend, caplog, status, error, logged):
    # GIVEN CreateEndpoint answers once with a server error whose code is not a known transient one
    caplog.set_level(logging.WARNING, logger="comprehend_cr")
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    flaky = FailsOnce(client, "create_endpoint", client_error(status, error))
    # WHEN the Create runs
    outcome = run(flaky)
    # THEN the lifecycle calls again on its next round, and the endpoint is created
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)
    # ... having logged the error it retried, with the service's code and message, for the operator
    retried = [r.msg for r in caplog.records if isinstance(r.msg, dict) and "will retry" in r.msg["message"]]
    assert [m["Error"] for m in retried] == [logged]


@pytest.mark.parametrize(
    ("error", "quoted"),
    [({"Code": "SomethingNew", "Message": "no"}, "SomethingNew: no"), ({"Code": "SomethingNew"}, "SomethingNew: ")],
)
def test_a_client_error_with_a_code_the_handler_does_not_know_is_a_refusal(comprehend, error, quoted):
    # GIVEN CreateEndpoint refuses with HTTP 499 and a code the handler does not know
    client, _ = comprehend
    refusing = FailsOnce(client, "create_endpoint", client_error(499, error))
    # WHEN the Create runs, THEN it fails at once, quoting the code and message (empty when there is none)
    outcome = run(refusing)
    assert (outcome.status, outcome.physical_id) == ("FAILED", failed_create_marker("Endpoint"))
    assert outcome.reason == f"CreateEndpoint failed [{quoted}]"


def test_a_connection_error_botocore_gave_up_on_is_tried_again_and_logged(comprehend, caplog):
    # GIVEN CreateEndpoint fails once with a connection error botocore's own retries did not overcome
    caplog.set_level(logging.WARNING, logger="comprehend_cr")
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    flaky = FailsOnce(client, "create_endpoint", EndpointConnectionError(endpoint_url="https://comprehend.example"))
    # WHEN the Create runs, THEN it calls again on its next round and succeeds
    outcome = run(flaky)
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)
    # ... having logged the error's type and text
    retried = [r.msg["Error"] for r in caplog.records if isinstance(r.msg, dict) and "will retry" in r.msg["message"]]
    assert retried == ['EndpointConnectionError: Could not connect to the endpoint URL: "https://comprehend.example"']


def test_a_refusal_without_an_error_code_is_quoted_with_an_empty_code(comprehend):
    # GIVEN CreateEndpoint refuses with an error that carries a message but no code
    client, _ = comprehend
    refusing = FailsOnce(client, "create_endpoint", client_error(400, {"Message": "the service's words"}))
    # WHEN the Create runs, THEN the reason quotes the message after an empty code
    outcome = run(refusing)
    assert outcome.reason == "CreateEndpoint failed [: the service's words]"
