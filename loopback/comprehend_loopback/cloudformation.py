"""Plays CloudFormation and Lambda's asynchronous invocation against a handler, on the virtual clock.

CloudFormation sends a request (properties as strings, an HTTPS pre-signed ResponseURL) by
invoking the function asynchronously. Lambda runs it with a 15-minute budget; an invocation that
raises or outlives its budget is retried twice (after 1 and 2 minutes). Continuations (the
function invoking itself) and EventBridge schedules (crhelper's polling) are run when they are due.
CloudFormation gives up at the resource's ServiceTimeout, counted from the delivery's send time.

Timing as CloudFormation plays it (:meth:`CloudFormation.submit`, :meth:`~CloudFormation.cancel`,
:meth:`~CloudFormation.resend`):

- A request is SENT at a virtual time; only then is its ResponseURL signed (``X-Amz-Date`` = the send
  time). Lambda's asynchronous queue may run the first invocation later (``queued_s``: throttling, an
  earlier crash's retry) without changing the URL.
- For each request, CloudFormation waits for the first answer written to the request's S3 key at or
  after the current delivery's send time (and before its ServiceTimeout). Every still-valid URL of the
  key writes the same object, so an older delivery's late answer can be read for a newer delivery:
  the driver takes it and reports it in :attr:`CloudFormation.stale_answers`.
- A cancelled request is no longer waited for; its Lambda chain runs on, and what it writes later is
  recorded by the receiver but never taken as the request's answer.
- A resent request (the same RequestId again: a retried deployment, a continued rollback) is a new
  delivery with a new URL for the same key.

The registry :attr:`LoopbackAws.stacks` follows the requests (see :meth:`CloudFormation.submit`): the
resource goes ``<TYPE>_IN_PROGRESS`` when a request is sent, ``<TYPE>_COMPLETE`` or ``<TYPE>_FAILED``
when CloudFormation reads its answer (or ``<TYPE>_FAILED`` when it is cancelled or times out); the stack
goes to the operation's ``*_IN_PROGRESS`` status when a request is sent and, when none of this driver's
requests for it is in flight or scheduled any more, to ``<OPERATION>_COMPLETE``, or
``<OPERATION>_FAILED`` if one of them failed or was cancelled. Kept simple on purpose: the request-level
driver sends no rollback of its own (a FAILED answer leaves ``CREATE_FAILED``/``UPDATE_FAILED``, as a
stack with rollback disabled would; a test sends the rollback with ``rollback=True``), and the cleanup
phase (``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``) is not modelled.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from comprehend_loopback.clock import VirtualClock
from comprehend_loopback.comprehend import ACCOUNT, REGION
from comprehend_loopback.receiver import Answer, Delivery, ResponseReceiver
from comprehend_loopback.server import LoopbackAws

STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/ComprehendEndpointStack/1f2e3d4c-0000-4000-8000-000000000001"
)
FUNCTION_NAME = "ComprehendEndpointStack-ComprehendEndpointProviderHandler-AbCdEf123456"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
LOG_GROUP = "ComprehendEndpointStack-ComprehendEndpointProviderLogGroup-XyZ"
"""The construct's log group, which the function's LoggingConfig names: the context reports it."""
LAMBDA_RETRY_DELAYS = (60.0, 120.0)
"""Lambda retries a failed asynchronous invocation after 1 and then 2 minutes (Lambda developer guide)."""
DEFAULT_SERVICE_TIMEOUT_S = 3600.0
OPERATION = {"Create": "CREATE", "Update": "UPDATE", "Delete": "DELETE"}
"""The resource status prefix of each request type."""
CANCELLED = {"Create": "Resource creation cancelled", "Update": "Resource update cancelled"}
"""The reason CloudFormation gives a resource whose request it stopped waiting for."""


MAX_PHYSICAL_ID_BYTES = 1024
"""The User Guide's custom resource response objects: a PhysicalResourceId "can be up to 1 KB in size" (read here
as 1,024 bytes of UTF-8: an assumption; the guide names no unit or encoding)."""


class CloudFormationTimeout(AssertionError):
    """No answer before the resource's ServiceTimeout."""


class Stuck(AssertionError):
    """Nothing answered the request and nothing is scheduled to."""


class InvalidResponse(AssertionError):
    """An answer CloudFormation would not accept (the User Guide's custom resource response objects)."""


def check_response(event: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidResponse` unless ``body`` answers ``event`` as CloudFormation requires: Status
    SUCCESS or FAILED (with a Reason), a non-empty PhysicalResourceId of at most 1 KB, and the request's
    StackId, RequestId and LogicalResourceId."""
    problems = [
        f"{key} is {body.get(key)!r}, not the request's {event[key]!r}"
        for key in ("StackId", "RequestId", "LogicalResourceId")
        if body.get(key) != event[key]
    ]
    if body.get("Status") not in ("SUCCESS", "FAILED"):
        problems.append(f"Status is {body.get('Status')!r}")
    if body.get("Status") == "FAILED" and not body.get("Reason"):
        problems.append("a FAILED answer has no Reason")
    physical_id = body.get("PhysicalResourceId")
    if not isinstance(physical_id, str) or not physical_id:
        problems.append(f"PhysicalResourceId is {physical_id!r}")
    elif (size := len(physical_id.encode())) > MAX_PHYSICAL_ID_BYTES:
        problems.append(f"PhysicalResourceId has {size} bytes")
    if problems:
        raise InvalidResponse(f"CloudFormation would refuse the answer to {event['RequestId']}: {'; '.join(problems)}")


def cfn_strings(value: Any) -> Any:
    """What CloudFormation makes of template values in a custom resource request: strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {k: cfn_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cfn_strings(v) for v in value]
    return value


class LambdaContext:
    """The Lambda context object, with remaining time measured on the virtual clock."""

    def __init__(
        self,
        clock: VirtualClock,
        timeout_s: float,
        memory_mb: int,
        function_name: str = FUNCTION_NAME,
        qualifier: str | None = None,
        log_group_name: str = LOG_GROUP,
        region: str = REGION,
        account: str = ACCOUNT,
    ) -> None:
        self._clock = clock
        self.deadline = clock.now() + timeout_s
        self.function_name = function_name
        arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.invoked_function_arn = f"{arn}:{qualifier}" if qualifier else arn
        self.memory_limit_in_mb = str(memory_mb)
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = log_group_name
        self.kill_next_invocations = 0
        """The next N invocations are killed by Lambda ``kill_after_real_s`` real seconds in (see
        ``LambdaContext.killed_after_real_s``); Lambda then retries the event."""
        self.kill_after_real_s = 0.8
        """crhelper's timer fires half a second before: 0.3 s (real) into such an invocation."""
        self.log_stream_name = "2026/11/29/[$LATEST]0123456789abcdef"

    killed_after_real_s: float | None = None
    """When set, the first reading of the remaining time (crhelper's, which arms its last-second
    timer) says this many real seconds are left: Lambda is about to kill the invocation whatever the
    handler's own budget says. The driver then treats the invocation as timed out."""

    def get_remaining_time_in_millis(self) -> int:
        if self.killed_after_real_s is not None and not self._first_read_done:
            self._first_read_done = True
            return int(self.killed_after_real_s * 1000)
        self._first_read_done = True
        return max(0, int((self.deadline - self._clock.now()) * 1000))

    _first_read_done = False


@dataclass
class Invocation:
    request_id: str
    kind: str
    started: float
    ended: float = 0.0
    raised: str = ""
    timed_out: bool = False


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    event: dict[str, Any] = field(compare=False)
    kind: str = field(compare=False)
    """How Lambda got the event (``cloudformation``, ``lambda-retry``, ``continuation``, ``eventbridge``),
    or ``send``: CloudFormation sends a request then (not an invocation)."""
    attempt: int = field(compare=False, default=1)
    qualifier: str | None = field(compare=False, default=None)
    send: Callable[[], None] | None = field(compare=False, default=None)


class CloudFormation:
    """Sends requests to the function the way CloudFormation and Lambda would, and collects answers.

    ``handler`` makes a new execution environment (a handler instance); concurrent invocations each
    get their own, as on Lambda, and an idle one is reused.
    """

    def __init__(
        self,
        handler: Callable[[], Callable[[dict[str, Any], Any], Any]],
        clock: VirtualClock,
        aws: LoopbackAws,
        receiver: ResponseReceiver,
        *,
        timeout_s: float = 900.0,
        memory_mb: int = 256,
        service_timeout_s: int = 2700,
        concurrent: bool = False,
        function_name: str = FUNCTION_NAME,
        service_token: str = FUNCTION_ARN,
        stack_id: str = STACK_ID,
        retries: int = len(LAMBDA_RETRY_DELAYS),
        log_group_name: str = LOG_GROUP,
    ) -> None:
        self.new_container = handler
        """Makes a handler instance: one per Lambda execution environment, reused while it is idle."""
        self._idle: list[Callable[[dict[str, Any], Any], Any]] = []
        self.clock = clock
        self.aws = aws
        self.receiver = receiver
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.service_timeout_s = service_timeout_s
        self.concurrent = concurrent
        self.function_name = function_name
        self.service_token = service_token
        self.stack_id = stack_id
        self.retry_delays = LAMBDA_RETRY_DELAYS[:retries]
        self.log_group_name = log_group_name
        self.kill_next_invocations = 0
        """The next N invocations are killed by Lambda ``kill_after_real_s`` real seconds in (see
        ``LambdaContext.killed_after_real_s``); Lambda then retries the event."""
        self.kill_after_real_s = 0.8
        """crhelper's timer fires half a second before: 0.3 s (real) into such an invocation."""
        """Lambda's delays before retrying a failed asynchronous invocation (the function's async config)."""
        self.invocations: list[Invocation] = []
        self.timeouts: dict[str, float] = {}
        self.sent: dict[str, float] = {}
        """RequestId -> the (virtual) send time of its current delivery, planned or past."""
        self.events: dict[str, dict[str, Any]] = {}
        self._written_before: dict[str, int] = {}
        """RequestId -> how many answers its key held when its current delivery was sent: CloudFormation reads
        the first one written after that (an answer written at the same virtual instant, before, is older)."""
        """RequestId -> the event of its current delivery."""
        self.deliveries: dict[str, list[Delivery]] = {}
        """RequestId -> every delivery CloudFormation sent for it (a ResponseURL each), in order."""
        self.cancelled: set[str] = set()
        """Requests CloudFormation stopped waiting for (until they are resent)."""
        self.read: dict[str, Answer] = {}
        """RequestId -> the answer CloudFormation read for its current delivery."""
        self.stale_answers: list[Answer] = []
        """Answers CloudFormation read for a delivery that came through an OLDER delivery's URL of the
        same key (a stale chain's late answer overwrote the object)."""
        self._pending: set[str] = set()
        """Requests whose send is scheduled and not yet done."""
        self._operation_failed = False
        self.manage_stack_status = True
        """Whether this driver moves the stack's status in :attr:`LoopbackAws.stacks` (the stack player,
        which plays whole stack operations, sets its own and turns this off)."""
        self.aws.stacks.register(stack_id, at=clock.now())
        self._queue: list[_Due] = []
        self._seq = itertools.count()
        self._rule_fired: dict[str, float] = {}
        self._lock = threading.Lock()

    # -- requests --------------------------------------------------------------------------------
    def event(
        self,
        request_type: str,
        logical_id: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        defaults: bool = True,
    ) -> dict[str, Any]:
        """A request as CloudFormation sends it; ``defaults`` adds this driver's ServiceToken and
        ServiceTimeout to the properties (a template's resolved properties already carry theirs).

        Its ResponseURL is a placeholder signed now: :meth:`submit` replaces it with the URL signed at
        the time the request is actually sent."""
        request_id = str(uuid.uuid4())
        base = {"ServiceToken": self.service_token, "ServiceTimeout": self.service_timeout_s} if defaults else {}
        props = {**base, **properties}
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": props.get("ServiceToken", self.service_token),
            "ResponseURL": self.receiver.url_for(request_id, self.stack_id, logical_id),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": "Custom::ComprehendEndpoint",
            "ResourceProperties": cfn_strings(props),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = cfn_strings({**base, **old_properties})
        return event

    def create(self, logical_id: str, properties: dict[str, Any]) -> Answer:
        return self.send(self.event("Create", logical_id, properties))

    def update(
        self, logical_id: str, physical_id: str, properties: dict[str, Any], old_properties: dict[str, Any]
    ) -> Answer:
        return self.send(
            self.event("Update", logical_id, properties, physical_id=physical_id, old_properties=old_properties)
        )

    def delete(self, logical_id: str, physical_id: str, properties: dict[str, Any]) -> Answer:
        return self.send(self.event("Delete", logical_id, properties, physical_id=physical_id))

    def send(self, event: dict[str, Any], *, deliveries: int = 1) -> Answer:
        """Invoke for ``event`` (``deliveries`` > 1: Lambda delivers the same event again) and return
        CloudFormation's first answer."""
        self.submit(event, deliveries=deliveries)
        return self.run([event["RequestId"]])[event["RequestId"]]

    def submit(
        self,
        event: dict[str, Any],
        *,
        delay_s: float = 0.0,
        queued_s: float = 0.0,
        rollback: bool = False,
        deliveries: int = 1,
    ) -> None:
        """Send ``event`` ``delay_s`` seconds from now (virtual time) without waiting for its answer: with
        a delay, e.g. the rollback CloudFormation sends while a request it cancelled still runs.

        At the send time the event gets its ResponseURL (``X-Amz-Date`` = the send time; ``event`` is
        updated in place), the resource goes ``<TYPE>_IN_PROGRESS`` (PhysicalResourceId: the event's, if
        any) and the stack: ``UPDATE_ROLLBACK_IN_PROGRESS`` with ``rollback``; otherwise it keeps a
        ``*_IN_PROGRESS`` status it is in (the request belongs to the operation under way), else
        ``CREATE_IN_PROGRESS`` for a Create into a stack that has no status yet (``REVIEW_IN_PROGRESS``),
        ``DELETE_IN_PROGRESS`` for a Delete, and ``UPDATE_IN_PROGRESS`` otherwise. Lambda runs the first
        invocation ``queued_s`` after the send (``deliveries`` > 1: it delivers the same event again).

        Assumed (the User Guide does not describe it for custom resources): when a sibling fails while a
        custom resource's Update is in progress, CloudFormation does not wait for that Update's answer; it
        sends the rollback Update with the physical id it last heard of and ignores the late answer, while
        the cancelled request's Lambda chain runs on. A test plays this with ``submit``, :meth:`cancel`
        and ``run`` on the rollback's RequestId only.
        """
        rid = event["RequestId"]
        at = self.clock.now() + delay_s
        self.sent[rid] = at
        self.events[rid] = event
        self.cancelled.discard(rid)
        self.read.pop(rid, None)
        timeout = str(event["ResourceProperties"].get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT_S))
        self.timeouts[rid] = float(timeout) if timeout.isdigit() else DEFAULT_SERVICE_TIMEOUT_S
        send = functools.partial(self._send, event, at, queued_s, rollback, deliveries)
        if delay_s <= 0:
            send()
            return
        with self._lock:
            self._pending.add(rid)
            heapq.heappush(self._queue, _Due(at, next(self._seq), event, "send", send=send))

    def _send(self, event: dict[str, Any], at: float, queued_s: float, rollback: bool, deliveries: int) -> None:
        """CloudFormation sends ``event`` at ``at``: a new ResponseURL, the registry, Lambda's queue."""
        rid = event["RequestId"]
        self._pending.discard(rid)
        with self.receiver.lock:
            self._written_before[rid] = len(self.receiver.answers.get(rid, []))
        delivery = self.receiver.deliver(rid, event["StackId"], event["LogicalResourceId"], sent_at=at)
        event["ResponseURL"] = delivery.url
        self.deliveries.setdefault(rid, []).append(delivery)
        self._stack_in_progress(event, at, rollback)
        if not self._replaced_id_cleanup(event):
            self.aws.stacks.set_resource_status(
                event["StackId"],
                event["LogicalResourceId"],
                f"{OPERATION[event['RequestType']]}_IN_PROGRESS",
                at=at,
                physical_id=event.get("PhysicalResourceId"),
                resource_type=event.get("ResourceType"),
            )
        # CloudFormation invokes the ServiceToken: an alias ARN carries its qualifier as 8th field.
        token_parts = str(event.get("ServiceToken", "")).split(":")
        qualifier = token_parts[7] if len(token_parts) > 7 else None
        for _ in range(deliveries):
            self._push(at + queued_s, event, "cloudformation", qualifier=qualifier)

    def _replaced_id_cleanup(self, event: dict[str, Any]) -> bool:
        """A Delete of a physical id the resource no longer has: the cleanup of a replaced endpoint, which
        leaves the resource as it is (assumed: ``DescribeStackResource`` shows the resource's current physical id
        and status while CloudFormation deletes an old one; the User Guide shows only the stack events)."""
        if event["RequestType"] != "Delete":
            return False
        with self.aws.stacks.lock:
            try:
                _, resource = self.aws.stacks.resource(event["StackId"], event["LogicalResourceId"])
            except LookupError:
                return False
            current = resource.physical_id
        return bool(current) and current != event.get("PhysicalResourceId")

    def _stack_in_progress(self, event: dict[str, Any], at: float, rollback: bool) -> None:
        if not self.manage_stack_status:
            return
        stacks, stack_id = self.aws.stacks, event["StackId"]
        stacks.register(stack_id, at=at)
        current = stacks.status(stack_id)
        if rollback:
            status = "UPDATE_ROLLBACK_IN_PROGRESS"
        elif current.endswith("_IN_PROGRESS") and current != "REVIEW_IN_PROGRESS":
            status = current
        elif event["RequestType"] == "Create" and current == "REVIEW_IN_PROGRESS":
            status = "CREATE_IN_PROGRESS"
        elif event["RequestType"] == "Delete":
            # the cleanup of a replaced physical id, else the stack's deletion
            status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" if self._replaced_id_cleanup(event) else "DELETE_IN_PROGRESS"
        else:
            status = "UPDATE_IN_PROGRESS"
        if status != current:
            self._operation_failed = False
            stacks.set_stack_status(stack_id, status, at=at)

    def cancel(self, request_id: str, reason: str | None = None) -> None:
        """CloudFormation stops waiting for ``request_id``: its resource goes ``<TYPE>_FAILED`` now with
        ``reason`` (default "Resource creation cancelled" for a Create, else "Resource update
        cancelled"). Its Lambda chain runs on (queued invocations, continuations, retries); an answer it
        writes later is recorded by the receiver, never read as the request's answer. The stack's status
        is left to what CloudFormation does next (typically a rollback sent with ``rollback=True``)."""
        event = self.events[request_id]
        with self._lock:
            if request_id in self._pending:  # not sent yet: it never will be
                self._pending.discard(request_id)
                self._queue = [d for d in self._queue if not (d.kind == "send" and d.event is event)]
                heapq.heapify(self._queue)
        self.cancelled.add(request_id)
        self.read.pop(request_id, None)
        self._operation_failed = True
        self.aws.stacks.set_resource_status(
            event["StackId"],
            event["LogicalResourceId"],
            f"{OPERATION[event['RequestType']]}_FAILED",
            at=self.clock.now(),
            reason=reason or CANCELLED.get(event["RequestType"], "Resource update cancelled"),
        )

    def resend(
        self, request_id: str, *, delay_s: float = 0.0, queued_s: float = 0.0, rollback: bool = False
    ) -> dict[str, Any]:
        """CloudFormation sends the SAME request again (same RequestId and properties: a retried
        deployment, a continued rollback) ``delay_s`` from now: a new delivery with a new ResponseURL
        (new ``X-Amz-Date``, same S3 key), the resource ``*_IN_PROGRESS`` again. Returns the new event
        (its ResponseURL is set when it is sent). :meth:`run` then waits for an answer written at or after
        the new send time; the older deliveries' chains run on."""
        event: dict[str, Any] = json.loads(json.dumps(self.events[request_id]))
        self.submit(event, delay_s=delay_s, queued_s=queued_s, rollback=rollback)
        return event

    # -- the loop --------------------------------------------------------------------------------
    def run(self, request_ids: Iterable[str], *, drain: bool = True) -> dict[str, Answer]:
        """Run the world on the virtual clock until CloudFormation has read an answer for the current
        delivery of every request in ``request_ids`` (cancelled ones are not waited for); then, with
        ``drain``, run what is still queued (:meth:`drain`). Without ``drain`` it returns at once, leaving
        other chains queued for a later ``run``/``drain`` to interleave in time order. Returns the
        answers read, by RequestId; :class:`CloudFormationTimeout` when a delivery's ServiceTimeout
        passes first, :class:`Stuck` when nothing is left to run."""
        ids = list(request_ids)
        while True:
            self._collect_async()
            self._read_answers()
            waiting = [rid for rid in ids if rid not in self.cancelled and rid not in self.read]
            if not waiting:
                break
            for rid in waiting:
                if rid not in self._pending and self.clock.now() > self.sent[rid] + self.timeouts[rid]:
                    self._timed_out(rid)
            if self._queue:
                due = [self._pop()]
                self.clock.advance_to(due[0].at)
                if due[0].send is not None:
                    due[0].send()
                    continue
                while self.concurrent and self._queue and self._queue[0].at <= self.clock.now():
                    item = self._pop()
                    if item.send is not None:
                        item.send()
                    else:
                        due.append(item)
                self._run_batch(due)
            elif not self._fire_rules():
                raise Stuck(f"no answer for {waiting} and nothing scheduled")
        if drain:
            self.drain()
        answers = {rid: self.read[rid] for rid in ids if rid in self.read}
        for rid, answer in answers.items():
            check_response(self.events[rid], answer.body)
        return answers

    def drain(self) -> None:
        """Run everything still queued (Lambda still runs queued duplicates, retries and the chains of
        cancelled requests after CloudFormation has its answers), one at a time in time order, reading
        answers as they come. EventBridge schedules are not fired."""
        while self._queue:
            self._collect_async()
            self._run_next()
            self._collect_async()
            self._read_answers()

    def _run_next(self) -> None:
        """Move the clock to the first queued item and run it: a delivery (``send``) or an invocation."""
        item = self._pop()
        self.clock.advance_to(item.at)
        if item.send is not None:
            item.send()
        else:
            self._run_batch([item])

    def run_until(self, when: float) -> None:
        """Run the world up to virtual time ``when``: every queued item (send, invocation) due BEFORE
        ``when`` and every EventBridge schedule that fires before it, in time order, reading answers as
        they come; then move the clock to ``when`` (an invocation started before ``when`` may end after
        it: the clock never goes back). Nothing due at or after ``when`` is started."""
        while True:
            self._collect_async()
            self._read_answers()
            if self._queue and self._queue[0].at < when:
                self._run_next()
                continue
            fire = self._next_rule_fire()
            if fire is None or fire >= when:
                break
            self._fire_rules()
        self.clock.advance_to(when)

    def _pop(self) -> _Due:
        with self._lock:
            return heapq.heappop(self._queue)

    def _timed_out(self, rid: str) -> None:
        event = self.events[rid]
        self.aws.stacks.set_resource_status(
            event["StackId"],
            event["LogicalResourceId"],
            f"{OPERATION[event['RequestType']]}_FAILED",
            at=self.sent[rid] + self.timeouts[rid],
            reason="CloudFormation did not receive a response from your Custom Resource before the timeout",
        )
        raise CloudFormationTimeout(f"request {rid} not answered within {self.timeouts[rid]:.0f} s")

    def _read_answers(self) -> None:
        """CloudFormation reads, for every request it still waits for, the first answer written to the
        request's key at or after the current delivery's send time and within its ServiceTimeout."""
        waiting = [
            rid
            for rid in self.events
            if rid not in self.read and rid not in self.cancelled and rid not in self._pending
        ]
        for rid in waiting:
            with self.receiver.lock:
                written = self.receiver.answers.get(rid, [])[self._written_before.get(rid, 0) :]
            answer = written[0] if written else None
            if answer is None or answer.at > self.sent[rid] + self.timeouts[rid]:
                continue
            self.read[rid] = answer
            current = self.deliveries[rid][-1] if self.deliveries.get(rid) else None
            if answer.delivery is not None and current is not None and answer.delivery != current:
                self.stale_answers.append(answer)
            self._resource_done(self.events[rid], answer)

    def _resource_done(self, event: dict[str, Any], answer: Answer) -> None:
        operation = OPERATION[event["RequestType"]]
        stacks, stack_id = self.aws.stacks, event["StackId"]
        if self._replaced_id_cleanup(event):
            pass  # the resource keeps its current physical id and status
        elif answer.body.get("Status") == "SUCCESS":
            stacks.set_resource_status(
                stack_id,
                event["LogicalResourceId"],
                f"{operation}_COMPLETE",
                at=answer.at,
                physical_id=str(answer.body.get("PhysicalResourceId", "")),
            )
        else:
            self._operation_failed = True
            stacks.set_resource_status(
                stack_id,
                event["LogicalResourceId"],
                f"{operation}_FAILED",
                at=answer.at,
                reason=str(answer.body.get("Reason", "")),
            )
        in_flight = [
            rid
            for rid, other in self.events.items()
            if other["StackId"] == stack_id and rid not in self.read and rid not in self.cancelled
        ]
        current = stacks.status(stack_id)
        if self.manage_stack_status and not in_flight and current.endswith("_IN_PROGRESS"):
            outcome = "FAILED" if self._operation_failed else "COMPLETE"
            stacks.set_stack_status(stack_id, current.removesuffix("IN_PROGRESS") + outcome, at=answer.at)

    def _run_batch(self, items: list[_Due]) -> None:
        if len(items) == 1:
            self._invoke(items[0])
            return
        self.clock.run_concurrently([functools.partial(self._invoke, item) for item in items])

    def _invoke(self, item: _Due) -> None:
        context = LambdaContext(
            self.clock,
            self.timeout_s,
            self.memory_mb,
            self.function_name,
            item.qualifier,
            self.log_group_name,
            self.aws.comprehend.region,
            self.aws.comprehend.account,
        )
        killed = self.kill_next_invocations > 0
        if killed:
            self.kill_next_invocations -= 1
            context.killed_after_real_s = self.kill_after_real_s
        record = Invocation(item.event["RequestId"], item.kind, self.clock.now())
        if not self.concurrent:
            self.aws.current_request = item.event["RequestId"]
        with self._lock:
            container = self._idle.pop() if self._idle else None
        container = container or self.new_container()
        try:
            container(json.loads(json.dumps(item.event)), context)
        except Exception as exc:  # Lambda records the error and retries the event
            record.raised = repr(exc)
        finally:
            with self._lock:
                self._idle.append(container)
        record.ended = self.clock.now()
        record.timed_out = killed or record.ended > context.deadline
        with self._lock:
            self.invocations.append(record)
        if (record.raised or record.timed_out) and item.attempt <= len(self.retry_delays):
            self._push(
                record.ended + self.retry_delays[item.attempt - 1],
                item.event,
                "lambda-retry",
                attempt=item.attempt + 1,
                qualifier=item.qualifier,
            )

    def _push(
        self, at: float, event: dict[str, Any], kind: str, attempt: int = 1, qualifier: str | None = None
    ) -> None:
        with self._lock:
            heapq.heappush(self._queue, _Due(at, next(self._seq), event, kind, attempt, qualifier))

    def _collect_async(self) -> None:
        for item in self.aws.take_invocations(self.function_name):
            self._push(self.clock.now(), item["payload"], "continuation", qualifier=item["qualifier"])

    def _next_rule_fire(self) -> float | None:
        with self.aws.lock:
            fires = [self._next_fire(r.name, r.created, r.schedule) for r in self.aws.rules.values() if r.targets]
        return min(fires, default=None)

    def _fire_rules(self) -> bool:
        """Run the earliest due EventBridge schedule (crhelper's poller); False if there is none."""
        with self.aws.lock:
            schedules = [
                (self._next_fire(rule.name, rule.created, rule.schedule), rule)
                for rule in self.aws.rules.values()
                if rule.targets
            ]
        if not schedules:
            return False
        at, rule = min(schedules, key=lambda pair: pair[0])
        self.clock.advance_to(at)
        self._rule_fired[rule.name] = at
        for target in list(rule.targets.values()):
            self._push(at, json.loads(target["Input"]), "eventbridge")
        return True

    def _next_fire(self, name: str, created: float, schedule: str) -> float:
        match = re.match(r"rate\((\d+) minutes?\)", schedule)
        assert match, schedule
        period = int(match[1]) * 60.0
        last = self._rule_fired.get(name, created)
        return last + period

    # -- measurements ----------------------------------------------------------------------------
    def gb_seconds(self) -> float:
        return sum(i.ended - i.started for i in self.invocations) * self.memory_mb / 1024.0
