"""Lifecycle tier: the answer's delivery to the pre-signed URL, PUT to the loopback ResponseURL receiver
(HTTPS with a test CA, refusing what S3 would), the sender's back-off recorded on a manual clock."""

from __future__ import annotations

import http.client
import ssl
import threading
from urllib.parse import urlsplit

import pytest

from comprehend_cr import response
from comprehend_cr.response import send_response
from comprehend_loopback.receiver import ResponseReceiver
from tests.lifecycle.conftest import props
from tests.unit.stubs import Clock


@pytest.fixture
def receiver(tmp_path):
    started = ResponseReceiver(lambda: 0.0, tmp_path).start()
    yield started
    started.stop()


def deliver(receiver, clock):
    trust = ssl.create_default_context(cafile=str(receiver.ca_file))
    return send_response(receiver.url_for("r"), b'{"Status": "SUCCESS"}', clock, ssl_context=trust)


class Sleeps(Clock):
    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        super().sleep(seconds)


@pytest.mark.parametrize(("status", "delivered"), [(200, True), (299, True), (300, False), (499, False)])
def test_an_answer_below_500_is_final_and_only_below_300_is_a_delivery(receiver, status, delivered):
    # GIVEN the URL answers the first PUT with this status
    receiver.status_next = [status]
    clock = Sleeps()
    # WHEN the answer is sent, THEN one PUT decides it, without waiting
    assert deliver(receiver, clock) is delivered
    assert receiver.puts == 1 and clock.slept == []


def test_server_errors_are_retried_five_times_in_all_backing_off_1_2_4_8_seconds(receiver):
    # GIVEN the URL answers 500 to every PUT
    receiver.status_next = [500] * 10
    clock = Sleeps()
    # WHEN the answer is sent, THEN it gives up after 5 PUTs, having waited 1, 2, 4 and 8 s between them
    assert deliver(receiver, clock) is False
    assert receiver.puts == 5 and clock.slept == [1.0, 2.0, 4.0, 8.0]


def test_a_server_error_then_an_acceptance_is_a_delivery_after_one_back_off(receiver):
    receiver.status_next = [503]
    clock = Sleeps()
    assert deliver(receiver, clock) is True
    assert receiver.puts == 2 and clock.slept == [1.0]


def test_an_answer_is_sent_only_over_https():
    with pytest.raises(ValueError, match=r"^ResponseURL must be an https URL$"):
        send_response("http://127.0.0.1:1/x?X-Amz-Signature=s", b"{}", Clock())


def test_the_answer_is_put_to_the_exact_path_and_query_the_url_was_signed_for(receiver):
    # GIVEN the receiver refuses (403) a PUT to any other request target, as S3 does
    # WHEN the answer is sent, THEN it is accepted at once and recorded whole
    assert deliver(receiver, Sleeps()) is True
    first = receiver.first("r")
    assert receiver.puts == 1 and first is not None and first.body == {"Status": "SUCCESS"}


def test_an_url_that_never_answers_is_given_up_on_after_each_attempts_timeout(receiver, monkeypatch):
    # GIVEN a ResponseURL that reads every PUT and never answers, and a 0.2 s socket timeout
    monkeypatch.setattr(response, "SEND_TIMEOUT_S", 0.2)
    receiver.hang_next = 10
    clock = Sleeps()
    outcome: list[bool] = []
    sender = threading.Thread(target=lambda: outcome.append(deliver(receiver, clock)), daemon=True)
    # WHEN the answer is sent
    sender.start()
    sender.join(timeout=30)
    # THEN each attempt times out, and the sender gives up after its 5 attempts
    assert not sender.is_alive() and outcome == [False]
    assert receiver.puts == 5 and clock.slept == [1.0, 2.0, 4.0, 8.0]


def put(receiver, target: str) -> tuple[int, bytes]:
    """PUT an answer to ``target`` on the receiver's host, trusting its CA: the status and body of the reply."""
    trust = ssl.create_default_context(cafile=str(receiver.ca_file))
    host, port = receiver.url_for("r").split("/")[2].split(":")
    connection = http.client.HTTPSConnection(host, int(port), context=trust, timeout=5)
    try:
        connection.request("PUT", target, body=b'{"Status": "SUCCESS"}')
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def signed_target(receiver, request_id="r"):
    url = urlsplit(receiver.url_for(request_id))
    return url.path, url.query


@pytest.mark.parametrize(
    "target",
    [
        lambda path, query: path,
        lambda path, query: f"{path}?{query.replace('SECRET-SIGNATURE', 'OTHER-SIGNATURE')}",
        lambda path, query: f"{path}?{query.replace('X-Amz-Expires=7200', 'X-Amz-Expires=9999')}",
        lambda path, query: f"{path.replace('/r', '/other')}?{query}",
    ],
    ids=["no query", "another signature", "another expiry", "another key"],
)
def test_the_world_refuses_a_put_the_url_was_not_signed_for_without_counting_it(receiver, target):
    # GIVEN a PUT that differs from what the URL was signed for: its path or its query string
    path, query = signed_target(receiver)
    # WHEN it is sent
    status, body = put(receiver, target(path, query))
    # THEN S3's refusal comes back, and nothing is recorded or counted
    assert (status, b"<Code>SignatureDoesNotMatch</Code>" in body) == (403, True)
    assert receiver.first("r") is None and receiver.puts == 0


def test_a_content_type_is_accepted_as_a_sigv4_url_signs_only_the_host(receiver):
    # GIVEN a URL signed with X-Amz-SignedHeaders=host
    path, query = signed_target(receiver)
    trust = ssl.create_default_context(cafile=str(receiver.ca_file))
    host, port = receiver.url_for("r").split("/")[2].split(":")
    connection = http.client.HTTPSConnection(host, int(port), context=trust, timeout=5)
    # WHEN the answer is PUT with a Content-Type
    connection.request("PUT", f"{path}?{query}", body=b'{"Status": "SUCCESS"}', headers={"Content-Type": "x/y"})
    reply = connection.getresponse()
    # THEN it is written
    assert reply.status == 200
    connection.close()
    first = receiver.first("r")
    assert receiver.puts == 1 and first is not None and first.body == {"Status": "SUCCESS"}


def test_a_dropped_connection_to_the_response_url_is_retried(world, cfn):
    world.receiver.drop_next = 2
    answer = cfn.create("Endpoint", props(DesiredInferenceUnits="0"))
    assert answer.body["Status"] == "FAILED" and world.receiver.puts == 3


def test_a_4xx_from_the_response_url_is_final(world, cfn):
    # GIVEN CloudFormation's URL answers 403 (expired): retrying cannot help
    world.receiver.status_next = [403]
    event = cfn.event("Create", "Endpoint", props(DesiredInferenceUnits="0"))
    cfn.submit(event)
    with pytest.raises(AssertionError, match="nothing scheduled"):
        cfn.run([event["RequestId"]])
    # THEN one PUT, no retry, and the invocation ended cleanly
    assert world.receiver.puts == 1
    assert [i for i in cfn.invocations if i.raised or i.timed_out] == []


@pytest.mark.parametrize(
    "target",
    [
        lambda path, query: f"https:{path}?{query}",
        lambda path, query: f"{path}?{query}#fragment",
    ],
    ids=["a scheme", "a fragment"],
)
def test_the_world_refuses_a_request_target_that_is_not_a_path_and_query_without_counting_it(receiver, target):
    # GIVEN a PUT for the signed path and query, written as other than origin-form (RFC 9112 §3.2.1)
    path, query = signed_target(receiver)
    # WHEN it is sent
    status, body = put(receiver, target(path, query))
    # THEN it is refused as a URI S3 cannot parse, and nothing is recorded or counted
    assert (status, b"<Code>InvalidURI</Code>" in body) == (400, True)
    assert receiver.first("r") is None and receiver.puts == 0
