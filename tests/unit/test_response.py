"""Unit tier: the answer's body, cut to CloudFormation's limits: exact cuts (the longest reason that
fits, in encoded bytes). Its delivery is tested in tests/lifecycle/test_sender.py."""

from __future__ import annotations

import json

import pytest

from comprehend_cr.response import MAX_BODY_BYTES, _cut, build_body

EVENT = {
    "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
    "RequestId": "r",
    "LogicalResourceId": "L",
}
SUFFIX = " ...(truncated)"


def body(status="FAILED", reason="", data=None):
    raw = build_body(status=status, reason=reason, physical_id="id", event=EVENT, data=data or {})
    return raw, json.loads(raw)


@pytest.mark.parametrize(
    ("reason", "kept"),
    [
        ("x" * 1022, "x" * 1022),  # 1,024 bytes with its quotes: kept whole
        ("x" * 1023, "x" * 1007 + SUFFIX),  # one more: cut to 1,007 + suffix + quotes = 1,024
        ("\u00e9" * 600, "\u00e9" * 167 + SUFFIX),  # escaped to 6 bytes each: 167 fit (1,019 bytes), 168 do not
    ],
)
def test_the_reason_keeps_the_longest_prefix_whose_encoding_fits_1024_bytes(reason, kept):
    # WHEN a body is built, THEN the reason is kept whole if it fits, else its longest prefix with the suffix
    _, decoded = body(reason=reason)
    assert decoded["Reason"] == kept


def test_with_large_data_the_reason_is_cut_to_what_room_is_left_and_the_body_fills_4096_bytes():
    # GIVEN attributes that leave less than 1,024 bytes for the reason
    data = {"Big": "d" * 3500}
    # WHEN a SUCCESS body is built with a long reason
    raw, decoded = body("SUCCESS", "x" * 2000, data)
    # THEN the data is kept, and the reason takes exactly the bytes that are left
    assert decoded["Status"] == "SUCCESS" and decoded["Data"] == data
    assert decoded["Reason"].endswith(SUFFIX) and len(raw) == 4096


@pytest.mark.parametrize("status", ["SUCCESS", "FAILED"])
def test_data_that_cannot_fit_is_dropped_and_a_success_becomes_a_failure(status):
    # GIVEN attributes larger than the whole limit
    raw, decoded = body(status, "x" * 2000, {"Big": "d" * 5000})
    # THEN the data is dropped; a SUCCESS turns FAILED saying why, a FAILED keeps its reason cut to 128 bytes
    assert decoded["Data"] == {} and decoded["Status"] == "FAILED" and len(raw) <= 4096
    expected = "Response Data exceeded 4,096 bytes" if status == "SUCCESS" else "x" * 111 + SUFFIX
    assert decoded["Reason"] == expected


def test_response_body_stays_under_the_limit_and_keeps_status():
    body = build_body(status="FAILED", reason="x" * 50_000, physical_id="p", event=EVENT, data={"k": "v" * 10_000})
    assert len(body) <= MAX_BODY_BYTES
    assert json.loads(body)["Status"] == "FAILED"


def test_oversized_data_never_turns_into_a_silent_success():
    body = json.loads(build_body(status="SUCCESS", reason="", physical_id="p", event=EVENT, data={"k": "v" * 10_000}))
    assert body["Status"] == "FAILED" and body["Data"] == {}


def test_a_long_multibyte_reason_keeps_as_much_as_fits_in_bytes():
    # GIVEN a reason of 2,000 emoji (12 bytes each once JSON-escaped)
    body = json.loads(build_body(status="FAILED", reason="😀" * 2000, physical_id="p", event=EVENT, data={}))
    # THEN the reason is cut to what fits in 1,024 encoded bytes, not to a number of characters
    kept = body["Reason"].removesuffix(" ...(truncated)")
    assert set(kept) == {"😀"}
    assert len(json.dumps(body["Reason"])) <= 1024 < len(json.dumps(body["Reason"] + "😀"))


def test_a_body_of_exactly_the_limit_is_sent_whole():
    # GIVEN a SUCCESS whose Data makes the body exactly MAX_BODY_BYTES long, with a short reason
    short, _ = body(status="SUCCESS", reason="done", data={"Pad": ""})
    raw, parsed = body(status="SUCCESS", reason="done", data={"Pad": "p" * (MAX_BODY_BYTES - len(short))})
    assert len(raw) == MAX_BODY_BYTES
    # THEN nothing is cut or dropped: it is within CloudFormation's limit
    assert (parsed["Status"], parsed["Reason"], len(parsed["Data"]["Pad"])) == (
        "SUCCESS",
        "done",
        MAX_BODY_BYTES - len(short),
    )


def test_a_cut_never_exceeds_its_limit_even_when_only_the_suffix_fits():
    # GIVEN a limit that holds the truncation suffix (with its quotes) and not one character more
    limit = len(json.dumps(SUFFIX))
    # WHEN a longer text is cut to it THEN the result is the suffix alone, within the limit
    cut = _cut("a" * 40, limit)
    assert cut == SUFFIX
    assert len(json.dumps(cut).encode()) <= limit
