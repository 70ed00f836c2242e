"""crhelper, made safe, wired to :class:`~comprehend_cr.lifecycle.Lifecycle` and to continuations.

crhelper 2.0.12 as it ships logs the event (with the pre-signed ResponseURL) at DEBUG, its default
level; sleeps 120 s before answering every Delete; makes up a random physical id when a Create
fails; and retries a failed response forever. :class:`EndpointResource` keeps crhelper's request
dispatch and JSON logging but logs at INFO (crhelper's own loggers are pinned there), never sleeps
on delete, answers a failed Create with the endpoint's ARN (or a fixed marker when no endpoint
exists), and sends responses with :func:`~comprehend_cr.response.send_response`.

Waiting longer than one invocation: when the lifecycle returns ``PENDING``, the handler invokes
its own function asynchronously with the original event plus ``PROGRESS_KEY`` and returns without
answering; the next invocation resumes at once. Nothing is created in EventBridge or in the
function's resource policy, so nothing is left behind.

One answer per request: crhelper arms a timer that fires half a second before the invocation is
killed and, as shipped, answers FAILED from that thread while the main thread may still be about
to create an endpoint and answer SUCCESS (orphaning the endpoint the FAILED answer did not name).
Here the timer never answers: it marks the invocation abandoned, after which the lifecycle makes no
further call and nothing is sent; Lambda then retries the event and the retry resumes idempotently
(same token, same progress). The lifecycle's own budget (:mod:`comprehend_cr.budget`) keeps every
call and the answer clear of the end of the invocation, so the timer is a last resort only. Every
answer goes through :meth:`EndpointResource._send`, which sends at most one per request.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from crhelper import CfnResource

from comprehend_cr.clock import Clock
from comprehend_cr.lifecycle import Lifecycle, Request, failed_create_marker
from comprehend_cr.outcome import Outcome
from comprehend_cr.response import build_body
from comprehend_cr.response import send_response as deliver

logger = logging.getLogger(__name__)

PROGRESS_KEY = "ComprehendEndpointProgress"
"""Event key that carries a request's progress from one invocation to the next."""
MAX_HOPS = 12
"""Continuations per request; ServiceTimeout (<= 1 h) needs at most 5 of 15-minute invocations."""


class ResourceFailed(Exception):
    """Raised inside a crhelper handler so crhelper answers FAILED with this reason."""


class EndpointResource(CfnResource):
    """The ``Custom::ComprehendEndpoint`` handler: crhelper with safe defaults (see module doc)."""

    # Set by crhelper for every request (not declared in its type stubs).
    _event: dict[str, Any]
    _context: Any
    _response_url: str
    # Set by ``__call__`` at the start of every invocation.
    _pending: bool
    """The request continues in a new invocation: this one sends no answer."""
    _abandoned: bool
    """crhelper's timer fired: this invocation makes no further call and sends no answer of its own."""
    _lifecycle: Lifecycle | None
    """The lifecycle of the request this invocation runs, once it has started (read to answer a crash)."""

    def __init__(self, *, comprehend: Any, lambda_client: Any, clock: Clock, log_level: str) -> None:
        super().__init__(json_logging=True, log_level=log_level, boto_level="WARNING", sleep_on_delete=0)
        # crhelper logs the raw event and the ResponseURL at DEBUG: never let those records through.
        logging.getLogger("crhelper").setLevel(max(logging.INFO, logging.getLevelName(log_level)))
        self._comprehend = comprehend
        self._lambda = lambda_client
        self._clock = clock
        self._answered: str | None = None
        """RequestId of the last request answered by this instance (guarded by ``_answer_lock``)."""
        self._answer_lock = threading.Lock()
        self.create(self._handle)
        self.update(self._handle)
        self.delete(self._handle)

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        """One invocation: per-invocation state is reset before crhelper arms its timer."""
        self._pending = False
        self._abandoned = False
        self._lifecycle = None
        super().__call__(event, context)

    def _handle(self, event: dict[str, Any], context: Any) -> str | None:
        request = Request.from_event(event)
        invocation_end = self._clock.now() + context.get_remaining_time_in_millis() / 1000.0
        self._lifecycle = Lifecycle(self._comprehend, self._clock, invocation_end, lambda: self._abandoned)
        progress = event.get(PROGRESS_KEY) or {}
        outcome = self._lifecycle.run(request, progress)
        if self._abandoned:
            return None
        if outcome.status == "PENDING":
            outcome = self._hand_over(event, context, outcome)
        if outcome.status == "PENDING":
            self._pending = True
            return None
        self.PhysicalResourceId = outcome.physical_id
        self.Data = outcome.data
        log = logger.info if outcome.status == "SUCCESS" else logger.error
        log(
            {
                "message": f"answering {outcome.status}",
                "PhysicalResourceId": outcome.physical_id,
                "Reason": outcome.reason,
            }
        )
        if outcome.status == "FAILED":
            raise ResourceFailed(outcome.reason)
        return outcome.physical_id

    def _hand_over(self, event: dict[str, Any], context: Any, outcome: Outcome) -> Outcome:
        """Invoke this function again with the progress so far; FAILED if that is impossible."""
        progress = dict(outcome.progress)
        progress["hops"] = int(progress.get("hops", 0)) + 1
        if progress["hops"] > MAX_HOPS:
            return Outcome.failed(outcome.physical_id, f"gave up after {MAX_HOPS} continuations")
        payload = {**{k: v for k, v in event.items() if k != PROGRESS_KEY}, PROGRESS_KEY: progress}
        try:
            self._lambda.invoke(
                FunctionName=context.function_name,  # unqualified: the ARN the policy names
                InvocationType="Event",
                Payload=json.dumps(payload).encode(),
            )
        except Exception as exc:  # any failure here must still be answered
            logger.error({"message": "could not continue in a new invocation", "Error": repr(exc)})
            return Outcome.failed(outcome.physical_id, f"could not continue waiting in a new invocation: {exc}")
        logger.info(
            {
                "message": "continuing in a new invocation",
                "Hop": progress["hops"],
                "PhysicalResourceId": outcome.physical_id,
            }
        )
        return outcome

    # --- crhelper overrides ---------------------------------------------------------------

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self._pending:
            return
        self._send()

    def _fallback_physical_id(self, event: dict[str, Any]) -> str:
        """The physical id of a Create that crashed: the endpoint's ARN once CreateEndpoint may have
        been sent (so the rollback Delete finds it), else the marker. (The lifecycle records the ARN it
        expects before it calls CreateEndpoint, and the ARN it gets back is that one.)"""
        state = self._lifecycle.current_state if self._lifecycle else {}
        return str(state.get("expected_arn") or failed_create_marker(event["LogicalResourceId"]))

    def _timeout(self) -> None:
        """crhelper's last-second timer: give the invocation up without answering (see module doc)."""
        self._abandoned = True
        logger.error(
            {
                "message": "invocation about to be killed while still working: abandoned without an answer, "
                "Lambda's retry of this event resumes the request",
                "RequestId": self._event.get("RequestId"),
            }
        )

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        """Answer CloudFormation, at most once per request (a delivered answer is final) and never once
        the invocation is abandoned (crhelper's ``send_response`` argument is ignored: see module doc)."""
        request_id = str(self._event.get("RequestId"))
        with self._answer_lock:
            if self._abandoned or self._answered == request_id:
                logger.error({"message": "answer suppressed", "Abandoned": self._abandoned, "RequestId": request_id})
                return
            self._answered = request_id
        final_status = status or self.Status
        final_reason = reason if status else self.Reason
        if final_status == "FAILED" and self._context is not None:
            final_reason = f"{final_reason} (log group {self._context.log_group_name})"
        # crhelper answers some failures itself (its initialization failed): with no physical id set.
        physical_id = self.PhysicalResourceId or self._event.get("PhysicalResourceId")
        body = build_body(
            status=final_status,
            reason=final_reason,
            physical_id=str(physical_id or self._fallback_physical_id(self._event)),
            event=self._event,
            data=self.Data or {},
        )
        if not deliver(self._response_url, body, self._clock):
            with self._answer_lock:  # never delivered: a later delivery of this request may still answer
                self._answered = None


def log_level_from_env() -> str:
    """``LOG_LEVEL`` if it names a level, else INFO (DEBUG is allowed but crhelper stays at INFO)."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    return level if level in {"DEBUG", "WARNING", "ERROR"} else "INFO"
