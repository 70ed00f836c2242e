"""An HTTPS receiver for CloudFormation's pre-signed ResponseURLs (S3 objects), served with a test CA.

The handler trusts the CA through ``SSL_CERT_FILE``. A URL has the shape of a real one (AWS's public
examples): the S3 object key is ``StackId|LogicalResourceId|RequestId`` (url-quoted, ``%7C`` between
the parts) and the query carries SigV4 query parameters: ``X-Amz-Algorithm=AWS4-HMAC-SHA256``,
``X-Amz-Date`` (the VIRTUAL time CloudFormation sent the request, UTC, whole seconds, rounded down),
``X-Amz-SignedHeaders=host``, ``X-Amz-Expires=7200``, ``X-Amz-Credential`` and ``X-Amz-Signature``
(containing the text ``SECRET-SIGNATURE``, different for every delivery). On the loopback host the
bucket is addressed path-style: ``https://127.0.0.1:<port>/cloudformation-custom-resource-response-
<region without dashes>/<key>?...``.

What S3 does with a PUT, modelled:

- The signature covers the path and the query only (``X-Amz-SignedHeaders=host``): a PUT to a path or
  query no delivery was signed for is refused with 403 ``SignatureDoesNotMatch``, neither counted in
  :attr:`ResponseReceiver.puts` nor recorded. Headers, a ``Content-Type`` included, are not signed,
  so they do not matter.
- A PUT after ``X-Amz-Date + X-Amz-Expires`` (virtual time) is refused with 403 ``AccessDenied``
  "Request has expired"; counted and recorded as a refused PUT, not as an answer.
- A PUT to any still-valid URL of a key writes that key: two deliveries of the same request (the same
  RequestId sent again) share one object, so a stale delivery's late PUT overwrites the answer of a
  newer one. Every PUT is kept (:meth:`ResponseReceiver.puts_to`); CloudFormation reads, for a
  delivery it sent at T, the first answer written to the key at or after T (:meth:`ResponseReceiver.first`;
  assumed: an answer written at the very virtual instant T counts, whichever URL it came through).
  Answers are filed by RequestId (the key's last part, unique per request).
- A body over 4,096 bytes is refused with 400 and recorded as refused. Known to differ from AWS: S3 takes
  such a PUT (the URL does not sign its length) and CloudFormation then fails the resource with "Response
  object is too long." (aws-cdk issues 23958 and 25114). The handler never writes more than 4,096 bytes
  (``comprehend_cr.response``, property-tested), so a test fails either way when it does.

Fault knobs, armed by tests, apply to signed PUTs before the checks above, in the order hang, drop,
``status_next``, garble, ``refuse_next`` (500).
"""

from __future__ import annotations

import itertools
import json
import math
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import trustme

from comprehend_loopback.loopback import HOST, BackgroundServer, QuietHandler

URL_EXPIRES_S = 7200
"""How long a ResponseURL stays valid (``X-Amz-Expires`` of AWS's public examples)."""
MAX_BODY_BYTES = 4096
"""CloudFormation refuses a custom resource response larger than this (User Guide)."""
ACCESS_KEY = "AKIALOOPBACKEXAMPLE0"
AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Delivery:
    """One ResponseURL CloudFormation handed out: the object key it writes, when it was signed, its URL."""

    key: str
    """``StackId|LogicalResourceId|RequestId`` (or the RequestId alone, for a URL made without a stack)."""
    request_id: str
    sent_at: float
    amz_date: str
    expires_s: int
    signature: str
    url: str

    @property
    def signed_at(self) -> float:
        """``X-Amz-Date`` as epoch seconds (the send time rounded down to the second)."""
        return datetime.strptime(self.amz_date, AMZ_DATE).replace(tzinfo=UTC).timestamp()

    @property
    def expires_at(self) -> float:
        return self.signed_at + self.expires_s


@dataclass
class Answer:
    """A response written to a request's key: its body, when it arrived, and the URL it came through."""

    request_id: str
    body: dict[str, Any]
    at: float
    raw_size: int
    delivery: Delivery | None = None


@dataclass
class Put:
    """One signed PUT to a key and what it met: 200 (written); ``"expired"`` (refused 403 AccessDenied);
    ``"too large"`` (refused 400); or an armed fault: 500, a ``status_next`` status, ``"hang"``,
    ``"drop"``, ``"garble"``."""

    delivery: Delivery
    at: float
    outcome: int | str
    raw: bytes


def amz_date(at: float) -> str:
    """``X-Amz-Date`` for a request signed at virtual time ``at``: UTC, whole seconds rounded down."""
    return datetime.fromtimestamp(math.floor(at), UTC).strftime(AMZ_DATE)


def _s3_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        "<RequestId>LOOPBACK</RequestId></Error>"
    ).encode()


def _origin_form(target: str) -> bool:
    """Whether a request target is ``absolute-path ["?" query]`` (RFC 9112 §3.2.1): no scheme, no fragment."""
    return target.startswith("/") and "#" not in target


class ResponseReceiver:
    def __init__(self, now: Callable[[], float], workdir: Path) -> None:
        self._now = now
        self.ca = trustme.CA()
        self.ca_file = workdir / "loopback-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.answers: dict[str, list[Answer]] = {}
        """RequestId -> every answer written to its key, in arrival order."""
        self.refuse_next = 0
        self.garble_next = 0
        """The next N PUTs get a malformed status line (an HTTPException that is not an OSError)."""
        self.drop_next = 0
        """The next N PUTs see the connection closed without an answer (an OSError)."""
        self.hang_next = 0
        """The next N PUTs are read and never answered (until the receiver stops)."""
        self._stopped = threading.Event()
        self.status_next: list[int] = []
        """Statuses to answer the next PUTs with instead of 200 (e.g. 403: an expired URL)."""
        self.puts = 0
        """Signed PUTs received (refused signatures are not counted)."""
        self.lock = threading.Lock()
        self._deliveries: dict[str, Delivery] = {}
        """Signature -> the delivery it was made for."""
        self._puts: dict[str, list[Put]] = {}
        """RequestId -> every signed PUT to its key."""
        self._serial = itertools.count(1)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server = BackgroundServer(self._handler_class(), tls=context)

    def start(self) -> ResponseReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._server.stop()

    # -- URLs --------------------------------------------------------------------------------------
    def url_for(
        self,
        request_id: str,
        stack_id: str = "",
        logical_id: str = "",
        *,
        sent_at: float | None = None,
        expires_s: int = URL_EXPIRES_S,
    ) -> str:
        """A new pre-signed URL (a new delivery) for the request's key, signed at ``sent_at`` (default:
        now). Without ``stack_id`` and ``logical_id`` the key is the RequestId alone."""
        return self.deliver(request_id, stack_id, logical_id, sent_at=sent_at, expires_s=expires_s).url

    def deliver(
        self,
        request_id: str,
        stack_id: str = "",
        logical_id: str = "",
        *,
        sent_at: float | None = None,
        expires_s: int = URL_EXPIRES_S,
    ) -> Delivery:
        """Like :meth:`url_for`, returning the whole :class:`Delivery`."""
        at = self._now() if sent_at is None else sent_at
        key = "|".join((stack_id, logical_id, request_id)) if stack_id or logical_id else request_id
        region = stack_id.split(":")[3] if stack_id.count(":") >= 5 else "us-east-1"
        date = amz_date(at)
        with self.lock:
            signature = f"SECRET-SIGNATURE-{next(self._serial):06d}"
        query = urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Date": date,
                "X-Amz-SignedHeaders": "host",
                "X-Amz-Expires": str(expires_s),
                "X-Amz-Credential": f"{ACCESS_KEY}/{date[:8]}/{region}/s3/aws4_request",
                "X-Amz-Signature": signature,
            }
        )
        bucket = "cloudformation-custom-resource-response-" + region.replace("-", "")
        url = f"https://{HOST}:{self._server.port}/{bucket}/{quote(key, safe='')}?{query}"
        delivery = Delivery(key, request_id, at, date, expires_s, signature, url)
        with self.lock:
            self._deliveries[signature] = delivery
        return delivery

    def delivery_of(self, url: str) -> Delivery:
        """The delivery a URL made by :meth:`url_for` belongs to."""
        signature = parse_qs(urlsplit(url).query).get("X-Amz-Signature", [""])[0]
        with self.lock:
            return self._deliveries[signature]

    def _signed(self, target: str) -> Delivery | None:
        """The delivery whose URL has exactly this path and these query parameters, if any."""
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        with self.lock:
            delivery = self._deliveries.get(query.get("X-Amz-Signature", [""])[0])
        if delivery is None:
            return None
        signed = urlsplit(delivery.url)
        if unquote(parts.path) != unquote(signed.path) or query != parse_qs(signed.query, keep_blank_values=True):
            return None
        return delivery

    # -- what was written --------------------------------------------------------------------------
    def first(self, request_id: str, since: float | None = None) -> Answer | None:
        """The first answer written to the request's key (at or after virtual time ``since``, if given):
        what CloudFormation reads for the delivery it sent at ``since``."""
        with self.lock:
            for answer in self.answers.get(request_id, []):
                if since is None or answer.at >= since:
                    return answer
            return None

    def puts_to(self, request_id: str) -> list[Put]:
        """Every signed PUT to the request's key, accepted or refused, in arrival order."""
        with self.lock:
            return list(self._puts.get(request_id, []))

    def _meet(self, delivery: Delivery, raw: bytes) -> int | str:
        """Count and keep a signed PUT and pick what it meets: the first armed fault, in the order hang,
        drop, ``status_next``, garble, refuse (500); else an expired URL, a body too large; else 200,
        with the answer recorded."""
        with self.lock:
            now = self._now()
            self.puts += 1
            outcome = self._outcome(delivery, raw, now)
            self._puts.setdefault(delivery.request_id, []).append(Put(delivery, now, outcome, raw))
            if outcome == 200:
                answer = Answer(delivery.request_id, json.loads(raw), now, len(raw), delivery)
                self.answers.setdefault(delivery.request_id, []).append(answer)
            return outcome

    def _outcome(self, delivery: Delivery, raw: bytes, now: float) -> int | str:
        if self.hang_next > 0:
            self.hang_next -= 1
            return "hang"
        if self.drop_next > 0:
            self.drop_next -= 1
            return "drop"
        if self.status_next:
            return self.status_next.pop(0)
        if self.garble_next > 0:
            self.garble_next -= 1
            return "garble"
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return 500
        if now > delivery.expires_at:
            return "expired"
        if len(raw) > MAX_BODY_BYTES:
            return "too large"
        return 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(QuietHandler):
            def do_PUT(self) -> None:
                raw = self.read_body()
                if not _origin_form(self.path):
                    # RFC 9112 §3.2.1: a request to an origin server names its target in origin-form,
                    # absolute-path ["?" query]; a fragment is never part of a target (RFC 9110 §7.1).
                    # Assumed: S3 answers anything else with its error for a URI it cannot parse, uncounted.
                    self.reply(400, _s3_error("InvalidURI", "Couldn't parse the specified URI."))
                    return
                delivery = receiver._signed(self.path)
                if delivery is None:
                    # The signature covers the path and the query string: S3 refuses anything else, uncounted.
                    message = "The request signature we calculated does not match the signature you provided."
                    self.reply(403, _s3_error("SignatureDoesNotMatch", message))
                    return
                outcome = receiver._meet(delivery, raw)
                if outcome == "hang":
                    receiver._stopped.wait()
                elif outcome == "drop":
                    self.close_connection = True
                    self.connection.close()
                elif outcome == "garble":  # not HTTP: the client's parser raises http.client.BadStatusLine
                    self.wfile.write(b"HTTP/1.1 garbage\r\n\r\n")
                    self.close_connection = True
                elif outcome == "expired":
                    self.reply(403, _s3_error("AccessDenied", "Request has expired"))
                elif outcome == "too large":
                    self.reply(400, _s3_error("EntityTooLarge", "Response is larger than 4096 bytes"))
                else:
                    assert isinstance(outcome, int)
                    self.reply(outcome)

        return Handler
