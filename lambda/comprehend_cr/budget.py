"""How long the handler's slowest steps can take, derived from the timeouts and retries it uses.

A Lambda invocation is killed at its deadline, wherever it is. The lifecycle therefore starts an
API call only while ``CALL_RESERVE_S`` is still left: the call itself at its worst, then the worst
of what must follow it (another call to hand over to a new invocation, or the answer to
CloudFormation). These figures are computed from the same constants the clients are built with,
so a change of timeouts or retries moves the margins with it.
"""

from __future__ import annotations

from botocore.config import Config

from comprehend_cr import response

API_ATTEMPTS = 3
"""Attempts per API call (botocore standard mode); the lifecycle's own next round retries after that."""
API_CONNECT_TIMEOUT_S = 3.0
API_READ_TIMEOUT_S = 10.0
BOTO_MAX_BACKOFF_S = 20.0
"""botocore standard mode: backoff before retry i is at most min(2**i, 20) s ..."""
BOTO_RETRY_AFTER_EXTRA_S = 5.0
"""... plus up to 5 s more when the service sends ``x-amz-retry-after``."""

BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": API_ATTEMPTS},
    connect_timeout=API_CONNECT_TIMEOUT_S,
    read_timeout=API_READ_TIMEOUT_S,
)

WORST_API_CALL_S = API_ATTEMPTS * (API_CONNECT_TIMEOUT_S + API_READ_TIMEOUT_S) + sum(
    min(2.0**retry, BOTO_MAX_BACKOFF_S) + BOTO_RETRY_AFTER_EXTRA_S for retry in range(API_ATTEMPTS - 1)
)
"""Longest one boto3 call can take: every attempt timing out, with the longest backoffs between."""

WORST_ANSWER_S = response.SEND_ATTEMPTS * 3 * response.SEND_TIMEOUT_S + sum(
    response.SEND_FIRST_BACKOFF_S * 2.0**retry for retry in range(response.SEND_ATTEMPTS - 1)
)
"""Longest delivery of the answer: each attempt's connect, send and read timing out, plus backoffs."""

CALL_RESERVE_S = WORST_API_CALL_S + max(WORST_API_CALL_S, WORST_ANSWER_S)
"""Time that must be left before the invocation ends for the lifecycle to start an API call."""

INVOCATION_MARGIN_S = CALL_RESERVE_S + 5.0
"""Time kept free at the end of every invocation (the reserve plus local work); the lifecycle does
not start a sleep that would end inside it."""
