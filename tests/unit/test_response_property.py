"""Unit tier, property-based: the response body stays within CloudFormation's limit for any text.

Skipped where hypothesis is not installed (the newer-Python run installs only what the handler needs).
"""

from __future__ import annotations

import json

import pytest

from comprehend_cr.response import MAX_BODY_BYTES, build_body

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

EVENT = {
    "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
    "RequestId": "r",
    "LogicalResourceId": "L",
}


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(
    status=st.sampled_from(["SUCCESS", "FAILED"]),
    reason=st.text(max_size=6000),
    data=st.dictionaries(st.text(max_size=40), st.text(max_size=1500), max_size=4),
    physical_id=st.text(min_size=1, max_size=300),
)
def test_any_response_body_fits_in_4096_encoded_bytes(status, reason, data, physical_id):
    # WHEN a body is built from any text at all (multi-byte characters escape to 6-12 bytes each)
    body = build_body(status=status, reason=reason, physical_id=physical_id, event=EVENT, data=data)
    # THEN it fits CloudFormation's limit in bytes, is JSON, and the reason is a prefix of the real one
    assert len(body) <= MAX_BODY_BYTES
    decoded = json.loads(body)
    kept = decoded["Reason"].removesuffix(" ...(truncated)")
    assert reason.startswith(kept)
    assert decoded["PhysicalResourceId"] == physical_id
    assert decoded["Status"] == status or (status == "SUCCESS" and decoded["Data"] == {})
