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
from http.client import HTTPSConnection
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from comprehend_cr.clock import Clock

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
MAX_REASON_CHARS = 1024
SEND_ATTEMPTS = 5


def build_body(
    *,
    status: str,
    reason: str,
    physical_id: str,
    event: Mapping[str, Any],
    data: Mapping[str, str],
    no_echo: bool = False,
) -> bytes:
    """The JSON response, shortened (reason first, then ``Data``) to fit ``MAX_BODY_BYTES``."""
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 15] + " ...(truncated)"
    body: dict[str, Any] = {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": no_echo,
        "Data": dict(data),
    }
    encoded = json.dumps(body).encode()
    if len(encoded) > MAX_BODY_BYTES:
        body["Reason"] = reason[:256]
        encoded = json.dumps(body).encode()
    if len(encoded) > MAX_BODY_BYTES:
        body["Data"] = {}
        if status == "SUCCESS":
            body["Status"], body["Reason"] = "FAILED", "Response Data exceeded 4,096 bytes"
        encoded = json.dumps(body).encode()
    return encoded


def send_response(url: str, body: bytes, clock: Clock, ssl_context: ssl.SSLContext | None = None) -> bool:
    """PUT ``body`` to the pre-signed ``url``; True once CloudFormation accepted it.

    Retries connection errors and 5xx answers ``SEND_ATTEMPTS`` times with exponential backoff;
    a 4xx answer (an expired or already-used URL) is final.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("ResponseURL must be an https URL")
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    context = ssl_context or ssl.create_default_context()
    delay = 1.0
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            connection = HTTPSConnection(parts.netloc, context=context, timeout=30)
            try:
                connection.request("PUT", path, body=body, headers={"Content-Type": ""})
                status = connection.getresponse().status
            finally:
                connection.close()
        except OSError as exc:
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
