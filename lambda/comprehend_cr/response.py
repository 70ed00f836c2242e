"""Answering CloudFormation: a bounded, redacting replacement for crhelper's response sender.

crhelper 2.0.12 logs the pre-signed ResponseURL and the whole body at DEBUG and retries a failed
PUT forever. ``send_response`` tries a bounded number of times, logs only the outcome (never the
URL, never ``Data``), and keeps the body under CloudFormation's 4,096-byte limit.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Mapping
from http.client import HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from comprehend_cr.clock import Clock

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
"""CloudFormation's limit on a response, in encoded bytes."""
MAX_REASON_BYTES = 1024
SEND_ATTEMPTS = 5
SEND_TIMEOUT_S = 5.0
"""Socket timeout of each connect, send and read of one attempt."""
SEND_FIRST_BACKOFF_S = 1.0


def build_body(
    *,
    status: str,
    reason: str,
    physical_id: str,
    event: Mapping[str, Any],
    data: Mapping[str, str],
) -> bytes:
    """The JSON response, within ``MAX_BODY_BYTES`` encoded bytes.

    The reason is cut first (to ``MAX_REASON_BYTES``, then further), then ``Data`` is dropped; a
    SUCCESS whose ``Data`` cannot fit becomes FAILED rather than an answer CloudFormation refuses.
    """
    body: dict[str, Any] = {
        "Status": status,
        "Reason": _cut(reason, MAX_REASON_BYTES),
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": dict(data),
    }
    encoded = _encode(body)
    if len(encoded) > MAX_BODY_BYTES:
        room = MAX_BODY_BYTES - (len(encoded) - len(_encode(body["Reason"])))
        body["Reason"] = _cut(reason, max(room, 128))
        encoded = _encode(body)
    if len(encoded) > MAX_BODY_BYTES:
        body["Data"] = {}
        if status == "SUCCESS":
            body["Status"], body["Reason"] = "FAILED", "Response Data exceeded 4,096 bytes"
        encoded = _encode(body)
    return encoded


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()


def _cut(text: str, max_bytes: int) -> str:
    """``text``, shortened so that its JSON encoding (escapes included) takes at most ``max_bytes``."""
    if len(_encode(text)) <= max_bytes:
        return text
    suffix = " ...(truncated)"
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the suffix
        middle = (low + high + 1) // 2
        if len(_encode(text[:middle] + suffix)) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return text[:low] + suffix


def send_response(url: str, body: bytes, clock: Clock, ssl_context: ssl.SSLContext | None = None) -> bool:
    """PUT ``body`` to the pre-signed ``url``; True once CloudFormation accepted it.

    Retries connection and protocol errors and 5xx answers, ``SEND_ATTEMPTS`` times in all with
    exponential backoff; a 4xx answer (an expired or already-used URL) is final. Never logs the URL.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("ResponseURL must be an https URL")
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    context = ssl_context or ssl.create_default_context()
    delay = SEND_FIRST_BACKOFF_S
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            connection = HTTPSConnection(parts.netloc, context=context, timeout=SEND_TIMEOUT_S)
            try:
                # No Content-Type (http.client adds none): the pre-signed URL was signed without one.
                connection.request("PUT", path, body=body)
                status = connection.getresponse().status
            finally:
                connection.close()
        except (OSError, HTTPException) as exc:
            logger.warning(
                {"message": "response not delivered, retrying", "Attempt": attempt, "Error": type(exc).__name__}
            )
        else:
            if status < 300:
                logger.info({"message": "response delivered", "HttpStatus": status})
                return True
            logger.warning({"message": "response refused", "HttpStatus": status, "Attempt": attempt})
            if status < 500:
                return False
        if attempt < SEND_ATTEMPTS:
            clock.sleep(delay)
            delay *= 2
    logger.error({"message": "response could not be delivered", "Attempts": SEND_ATTEMPTS})
    return False
