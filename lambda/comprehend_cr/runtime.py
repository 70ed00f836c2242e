"""The ``Custom::ComprehendEndpoint`` handler: crhelper (through :mod:`comprehend_cr.crhelper_adapter`) wired
to :class:`~comprehend_cr.lifecycle.Lifecycle` and to continuations.

crhelper 2.0.12 dispatches each request and writes JSON logs; the adapter changes what it does with them
(no DEBUG records of the event, no sleep before a Delete, no made-up physical id, no answer from its
timer's thread, a bounded and redacting sender): see that module. A failed Create is answered with the
endpoint's ARN (or a fixed marker when no endpoint exists), and responses are sent with
:func:`~comprehend_cr.response.send_response`.

Waiting longer than one invocation: when the lifecycle returns ``PENDING``, the handler invokes
its own function asynchronously with the original event plus ``PROGRESS_KEY`` and returns without
answering; the next invocation resumes at once. Nothing is created in EventBridge or in the
function's resource policy, so nothing is left behind.

One answer per delivery: when crhelper's last-second timer marks the invocation abandoned, the lifecycle
makes no further call, nothing is sent, and the invocation ends with an error so that Lambda retries the
event (the retry resumes idempotently: same token, same progress). The lifecycle's own budget
(:mod:`comprehend_cr.budget`) keeps every call and the answer clear of the end of the invocation, so the
timer is a last resort only.

Per-invocation state: every invocation starts from a clean slate, an event without a usable ResponseURL (a
console test event) is logged and answered nowhere, and at most one answer is sent per invocation
(CloudFormation may send the same RequestId again as a new delivery: that one is answered too).
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from comprehend_cr.clock import Clock
from comprehend_cr.crhelper_adapter import AdaptedCfnResource
from comprehend_cr.delivery import Delivery, InvalidResponseUrl
from comprehend_cr.lifecycle import Lifecycle, Request, failed_create_marker
from comprehend_cr.outcome import Outcome
from comprehend_cr.progress import Phase, Progress, ProgressError
from comprehend_cr.response import build_body
from comprehend_cr.response import send_response as send

logger = logging.getLogger(__name__)

PROGRESS_KEY = "ComprehendEndpointProgress"
"""Event key that carries a request's progress from one invocation to the next."""
MAX_HOPS = 12
"""Continuations per request; ServiceTimeout (<= 1 h) needs at most 5 of 15-minute invocations."""


REQUIRED_EVENT_KEYS = ("RequestType", "StackId", "RequestId", "LogicalResourceId")


class ResourceFailed(Exception):
    """Raised inside a crhelper handler so crhelper answers FAILED with this reason."""


class InvocationAbandoned(RuntimeError):
    """The invocation was given up unanswered: raised to Lambda so that it runs the event again."""


class EndpointResource(AdaptedCfnResource):
    """The ``Custom::ComprehendEndpoint`` handler: crhelper with safe defaults (see module doc)."""

    # Reset by ``__call__`` at the start of every invocation.
    _pending: bool = False
    """The request continues in a new invocation: this one sends no answer."""
    _lifecycle: Lifecycle | None = None
    """The lifecycle of the request this invocation runs, once it has started (read to answer a crash)."""

    def __init__(
        self, *, comprehend: Any, lambda_client: Any, clock: Clock, log_level: str, cloudformation: Any = None
    ) -> None:
        self._comprehend = comprehend
        self._lambda = lambda_client
        self._cloudformation = cloudformation
        self._clock = clock
        super().__init__(log_level=log_level)

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        """One invocation: per-invocation state is reset before crhelper arms its timer; an event that
        cannot be answered is logged and dropped; an abandoned invocation raises so Lambda retries it."""
        self.begin_invocation()
        self._pending = False
        self._lifecycle = None
        missing = [key for key in REQUIRED_EVENT_KEYS if not isinstance(event.get(key), str)]
        try:
            Delivery.of(event.get("ResponseURL"))
        except InvalidResponseUrl as exc:
            missing.append(str(exc))
        if missing:
            logger.error(
                {
                    "message": "not a CloudFormation request that can be answered: ignored",
                    "Missing": missing,
                    "RequestType": str(event.get("RequestType")),
                    "LogicalResourceId": str(event.get("LogicalResourceId")),
                }
            )
            return
        super().__call__(event, context)
        if self.abandoned and not self._pending:
            raise InvocationAbandoned(
                f"request {event.get('RequestId')} abandoned at the end of the invocation: Lambda retries it"
            )

    def handle(self, event: dict[str, Any], context: Any) -> str | None:
        request = Request.from_event(event)
        invocation_end = self._clock.now() + context.get_remaining_time_in_millis() / 1000.0
        self._lifecycle = Lifecycle(
            self._comprehend,
            self._clock,
            invocation_end,
            lambda: self.abandoned,
            cloudformation=self._cloudformation,
        )
        try:
            progress = Progress.from_json(event[PROGRESS_KEY]) if PROGRESS_KEY in event else None
        except ProgressError as exc:
            logger.error({"message": "the carried progress is malformed", "Error": str(exc)})
            self.PhysicalResourceId = request.physical_id or failed_create_marker(request.logical_id)
            raise ResourceFailed(f"{PROGRESS_KEY}: {exc}") from None
        outcome = self._lifecycle.run(request, progress)
        if self.abandoned:
            return None
        if outcome.status == "SILENT":
            logger.warning({"message": "not answered: CloudFormation no longer waits for this request"})
            self.withhold_answer()
            return None
        if outcome.status == "PENDING":
            outcome = self._hand_over(event, context, outcome)
        if outcome.status == "PENDING":
            self._pending = True
            self.withhold_answer()
            return None
        if outcome.status == "SILENT":
            self.withhold_answer()
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
        progress = Progress.from_json(outcome.progress)
        progress.hops += 1
        if progress.hops > MAX_HOPS:
            if progress.phase == Phase.WITHDRAW:
                logger.error({"message": f"withdrawn request given up after {MAX_HOPS} continuations"})
                return Outcome.silent(outcome.physical_id)
            return Outcome.failed(outcome.physical_id, f"gave up after {MAX_HOPS} continuations")
        payload = {**{k: v for k, v in event.items() if k != PROGRESS_KEY}, PROGRESS_KEY: progress.to_json()}
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
                "Hop": progress.hops,
                "PhysicalResourceId": outcome.physical_id,
            }
        )
        return outcome

    # --- what the crhelper adapter asks for ------------------------------------------------

    def fallback_physical_id(self, event: dict[str, Any]) -> str:
        """The physical id of a Create that crashed: the endpoint's ARN once CreateEndpoint may have
        been sent (so the rollback Delete finds it), else the marker. (The lifecycle records the ARN it
        expects before it calls CreateEndpoint, and the ARN it gets back is that one.)"""
        state = self._lifecycle.current if self._lifecycle else None
        return (state.expected_arn if state else "") or failed_create_marker(event["LogicalResourceId"])

    def deliver(self, *, status: str, reason: str, physical_id: str) -> None:
        """Answer CloudFormation with :func:`~comprehend_cr.response.send_response`; a FAILED reason names
        the function's log group."""
        if status == "FAILED" and self._context is not None:
            reason = f"{reason} (log group {self._context.log_group_name})"
        body = build_body(
            status=status, reason=reason, physical_id=physical_id, event=self._event, data=self.Data or {}
        )
        send(self._response_url, body, self._clock)


def log_level_from_env() -> str:
    """``LOG_LEVEL`` if it names a level, else INFO (DEBUG is allowed but crhelper stays at INFO)."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    return level if level in {"DEBUG", "WARNING", "ERROR"} else "INFO"
