"""One delivery of a CloudFormation request: when CloudFormation sent it, and which attempt it is.

CloudFormation may send the same request (same ``RequestId``) more than once: a deployment retried after
``cdk deploy --no-rollback``, or ``continue-update-rollback``. Each delivery comes with a new pre-signed
ResponseURL. That URL is a signature version 4 URL that signs only ``host``
(``X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=...&X-Amz-SignedHeaders=host&X-Amz-Expires=7200&...``); its
``X-Amz-Date`` is when CloudFormation signed it, i.e. when it sent this delivery. Lambda's retries of a failed
invocation, and the handler's own continuations, carry the same event and so the same URL.

So a delivery is identified by its URL's path and query string (a digest of them: the URL itself is a secret
and is never logged; the host is left out, so the same delivery has the same id wherever it is served), and
its send time is the URL's ``X-Amz-Date`` (whole seconds, rounded down: the true send time is within the
second after it). A URL without a readable ``X-Amz-Date`` gives no send time; the handler then counts from
its first invocation instead.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


class InvalidResponseUrl(ValueError):
    """The event's ResponseURL is missing or is not an https URL: nothing can be answered."""


@dataclass(frozen=True)
class Delivery:
    """``sent_at``: epoch seconds of the URL's ``X-Amz-Date`` (None when it has none); ``id``: a digest of the
    URL, the same for every invocation of this delivery and different for every other delivery."""

    id: str
    sent_at: float | None

    @classmethod
    def of(cls, response_url: object) -> Delivery:
        """The delivery a ResponseURL belongs to; :class:`InvalidResponseUrl` when it is not an https URL."""
        if not isinstance(response_url, str) or not response_url:
            raise InvalidResponseUrl("ResponseURL: missing (a test event or a hand-made invocation?)")
        parts = urlsplit(response_url)
        if parts.scheme != "https" or not parts.netloc:
            raise InvalidResponseUrl("ResponseURL: not an https URL")
        digest = hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:20]
        return cls(digest, amz_date(parts.query))


def amz_date(query: str) -> float | None:
    """Epoch seconds of the query string's ``X-Amz-Date`` (``YYYYMMDDTHHMMSSZ``, UTC), None when absent or
    malformed (the parameter name is matched case-insensitively, as SigV4 canonicalizes names)."""
    values = [v for k, vs in parse_qs(query).items() if k.lower() == "x-amz-date" for v in vs]
    if len(values) != 1 or not _AMZ_DATE.fullmatch(values[0]):
        return None
    try:
        return float(calendar.timegm(time.strptime(values[0], "%Y%m%dT%H%M%SZ")))
    except ValueError:
        return None
