"""An HTTPS receiver for CloudFormation's pre-signed ResponseURLs, served with a test CA.

The handler trusts the CA through ``SSL_CERT_FILE``. Each PUT is recorded with the virtual time
it arrived; ``refuse_next`` makes the next N PUTs fail with a 500 (to test bounded retries). A PUT
to another path or query string, or with a Content-Type, is refused with 403 and not counted, as S3
refuses a request its pre-signed URL was not signed for (a signature version 2 URL signs the
Content-Type, empty).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import trustme

from comprehend_loopback.loopback import HOST, BackgroundServer, QuietHandler


@dataclass
class Answer:
    request_id: str
    body: dict[str, Any]
    at: float
    raw_size: int


class ResponseReceiver:
    def __init__(self, now: Callable[[], float], workdir: Path) -> None:
        self._now = now
        self.ca = trustme.CA()
        self.ca_file = workdir / "loopback-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.answers: dict[str, list[Answer]] = {}
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
        self.lock = threading.Lock()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server = BackgroundServer(self._handler_class(), tls=context)

    def start(self) -> ResponseReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._server.stop()

    def url_for(self, request_id: str) -> str:
        # Looks like a real pre-signed S3 URL: the signature is the secret that must never be logged.
        return f"https://{HOST}:{self._server.port}{self.path_for(request_id)}"

    @staticmethod
    def path_for(request_id: str) -> str:
        """The request target of a PUT to ``url_for(request_id)``: path and query string, exactly."""
        return (
            f"/cloudformation-custom-resource-response/{request_id}"
            f"?X-Amz-Signature=SECRET-SIGNATURE-{request_id}&X-Amz-Expires=7200"
        )

    def first(self, request_id: str) -> Answer | None:
        with self.lock:
            answers = self.answers.get(request_id)
            return answers[0] if answers else None

    def _meet(self, request_id: str, raw: bytes) -> int | str:
        """Count a signed PUT and pick what it meets: the first armed fault, in the order hang, drop,
        ``status_next``, garble, refuse (500); else 200, with the answer recorded."""
        with self.lock:
            self.puts += 1
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
            self.answers.setdefault(request_id, []).append(Answer(request_id, json.loads(raw), self._now(), len(raw)))
            return 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(QuietHandler):
            def do_PUT(self) -> None:
                raw = self.read_body()
                request_id = self.path.split("?")[0].rsplit("/", 1)[1]
                if self.path != receiver.path_for(request_id) or self.headers.get("Content-Type"):
                    # The URL is signed for exactly this path and query string, and no content type (a
                    # signature version 2 URL signs it, empty): S3 refuses anything else, uncounted.
                    self.reply(403, b"SignatureDoesNotMatch")
                    return
                outcome = receiver._meet(request_id, raw)
                if outcome == "hang":
                    receiver._stopped.wait()
                elif outcome == "drop":
                    self.close_connection = True
                    self.connection.close()
                elif outcome == "garble":  # not HTTP: the client's parser raises http.client.BadStatusLine
                    self.wfile.write(b"HTTP/1.1 garbage\r\n\r\n")
                    self.close_connection = True
                else:
                    assert isinstance(outcome, int)
                    self.reply(outcome)

        return Handler
