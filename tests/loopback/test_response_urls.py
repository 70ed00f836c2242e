"""Loopback tier: the ResponseURL receiver models S3 pre-signed (SigV4) URLs as CloudFormation hands them
out: the object key is the request, the signature is per delivery, expiry counts from X-Amz-Date on the
virtual clock, and every still-valid URL of a key writes the same object."""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from comprehend_loopback.clock import EPOCH, VirtualClock
from comprehend_loopback.receiver import ResponseReceiver

STACK = "arn:aws:cloudformation:eu-west-1:111122223333:stack/MyStack/0547cbc0-0000-4000-8000-000000000001"
REQUEST = "6d3bd4fe-2b63-4d5e-8f00-000000000001"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(EPOCH + 0.75)


@pytest.fixture
def receiver(tmp_path, clock) -> Iterator[ResponseReceiver]:
    started = ResponseReceiver(clock.now, tmp_path).start()
    yield started
    started.stop()


def put(receiver: ResponseReceiver, url: str, body: bytes) -> tuple[int, bytes]:
    parts = urlsplit(url)
    trust = ssl.create_default_context(cafile=str(receiver.ca_file))
    connection = http.client.HTTPSConnection(parts.netloc, context=trust, timeout=5)
    try:
        connection.request("PUT", f"{parts.path}?{parts.query}", body=body)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def answer(status: str = "SUCCESS", **extra: str) -> bytes:
    return json.dumps({"Status": status, "RequestId": REQUEST, **extra}).encode()


def test_a_url_has_the_shape_of_a_real_sigv4_response_url(receiver):
    # GIVEN a request sent at EPOCH + 0.75 s (virtual)
    url = urlsplit(receiver.url_for(REQUEST, STACK, "MyResource"))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    # THEN the path is the bucket and the url-quoted StackId|LogicalResourceId|RequestId
    assert url.scheme == "https"
    assert url.path == (
        "/cloudformation-custom-resource-response-euwest1/arn%3Aaws%3Acloudformation%3Aeu-west-1%3A111122223333"
        "%3Astack%2FMyStack%2F0547cbc0-0000-4000-8000-000000000001%7CMyResource%7C6d3bd4fe-2b63-4d5e-8f00-000000000001"
    )
    # AND the query carries SigV4's parameters, X-Amz-Date the send time rounded down to the second
    assert list(query) == [
        "X-Amz-Algorithm",
        "X-Amz-Date",
        "X-Amz-SignedHeaders",
        "X-Amz-Expires",
        "X-Amz-Credential",
        "X-Amz-Signature",
    ]
    assert (query["X-Amz-Algorithm"], query["X-Amz-Date"], query["X-Amz-SignedHeaders"]) == (
        "AWS4-HMAC-SHA256",
        "20270115T080000Z",
        "host",
    )
    assert query["X-Amz-Expires"] == "7200"
    assert query["X-Amz-Credential"].endswith("/20270115/eu-west-1/s3/aws4_request")
    assert "SECRET-SIGNATURE" in query["X-Amz-Signature"]


def test_each_delivery_of_a_request_is_signed_apart_for_the_same_key(receiver, clock):
    # GIVEN the same request sent twice, an hour apart
    first = receiver.deliver(REQUEST, STACK, "MyResource")
    clock.advance_to(EPOCH + 3600.5)
    second = receiver.deliver(REQUEST, STACK, "MyResource")
    # THEN both write one key, with different signatures and dates
    assert first.key == second.key == f"{STACK}|MyResource|{REQUEST}"
    assert first.signature != second.signature
    assert (first.amz_date, second.amz_date) == ("20270115T080000Z", "20270115T090000Z")
    assert receiver.delivery_of(second.url) == second


def test_a_stale_deliverys_late_put_overwrites_the_answer_of_the_newer_delivery(receiver, clock):
    # GIVEN a request sent at t0, then sent again (same RequestId) 100 s later
    stale = receiver.deliver(REQUEST, STACK, "MyResource")
    clock.advance_to(EPOCH + 100)
    fresh = receiver.deliver(REQUEST, STACK, "MyResource", sent_at=clock.now())
    # WHEN the stale delivery's chain answers FAILED through its own (still valid) URL, and then the
    # fresh one answers SUCCESS
    clock.advance_to(EPOCH + 150)
    assert put(receiver, stale.url, answer("FAILED"))[0] == 200
    clock.advance_to(EPOCH + 160)
    assert put(receiver, fresh.url, answer("SUCCESS"))[0] == 200
    # THEN what CloudFormation reads for the fresh delivery (the first answer at or after its send time)
    # is the stale FAILED, written through the stale URL
    read = receiver.first(REQUEST, since=fresh.sent_at)
    assert read is not None and (read.body["Status"], read.delivery, read.at) == ("FAILED", stale, EPOCH + 150)
    # AND every PUT to the key is kept, in order, with the URL it came through
    assert [(p.delivery, p.outcome) for p in receiver.puts_to(REQUEST)] == [(stale, 200), (fresh, 200)]


def test_an_answer_written_before_a_delivery_was_sent_is_not_its_answer(receiver, clock):
    # GIVEN an answer written at t0 + 10 s, and the same request sent again at t0 + 20 s
    first = receiver.deliver(REQUEST, STACK, "MyResource")
    clock.advance_to(EPOCH + 10)
    put(receiver, first.url, answer())
    clock.advance_to(EPOCH + 20)
    again = receiver.deliver(REQUEST, STACK, "MyResource")
    # THEN the new delivery has no answer yet, the first one has
    assert receiver.first(REQUEST, since=again.sent_at) is None
    assert receiver.first(REQUEST, since=first.sent_at) is not None


def test_a_put_after_the_url_expired_is_refused_and_not_an_answer(receiver, clock):
    # GIVEN a URL signed at 08:00:00 (X-Amz-Date rounds the 0.75 s down) for 7,200 s
    url = receiver.url_for(REQUEST, STACK, "MyResource")
    # WHEN the answer is PUT exactly at the limit, THEN it is written
    clock.advance_to(EPOCH + 7200)
    assert put(receiver, url, answer())[0] == 200
    # WHEN it is PUT a second later, THEN S3 refuses it as expired, and keeps no answer from it
    clock.advance_to(EPOCH + 7201)
    status, body = put(receiver, url, answer("FAILED"))
    assert (status, b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in body) == (403, True)
    assert [a.body["Status"] for a in receiver.answers[REQUEST]] == ["SUCCESS"]
    assert [p.outcome for p in receiver.puts_to(REQUEST)] == [200, "expired"] and receiver.puts == 2


def test_a_body_over_4096_bytes_is_refused_and_not_an_answer(receiver):
    url = receiver.url_for(REQUEST, STACK, "MyResource")
    body = answer(Reason="x" * 4096)
    assert len(body) > 4096
    assert put(receiver, url, body)[0] == 400
    assert receiver.first(REQUEST) is None and [p.outcome for p in receiver.puts_to(REQUEST)] == ["too large"]


def test_a_body_of_exactly_4096_bytes_is_an_answer(receiver):
    url = receiver.url_for(REQUEST, STACK, "MyResource")
    body = answer(Reason="")
    body = answer(Reason="x" * (4096 - len(body)))
    assert len(body) == 4096
    assert put(receiver, url, body)[0] == 200
    assert receiver.first(REQUEST) is not None


def test_an_armed_fault_applies_to_a_signed_put_before_the_expiry(receiver, clock):
    # GIVEN an expired URL and an armed 503
    url = receiver.url_for(REQUEST, STACK, "MyResource")
    clock.advance_to(EPOCH + 9000)
    receiver.status_next = [503]
    # THEN the fault answers first, then the expiry
    assert put(receiver, url, answer())[0] == 503
    assert put(receiver, url, answer())[0] == 403
    assert receiver.first(REQUEST) is None
