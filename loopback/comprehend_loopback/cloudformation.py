"""Plays CloudFormation and Lambda's asynchronous invocation against a handler, on the virtual clock.

CloudFormation sends a request (properties as strings, an HTTPS pre-signed ResponseURL) by
invoking the function asynchronously. Lambda runs it with a 15-minute budget; an invocation that
raises or outlives its budget is retried twice (after 1 and 2 minutes). Continuations (the
function invoking itself) and EventBridge schedules (crhelper's polling) are run when they are due.
CloudFormation gives up at the resource's ServiceTimeout.
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
from comprehend_loopback.receiver import Answer, ResponseReceiver
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


class CloudFormationTimeout(AssertionError):
    """No answer before the resource's ServiceTimeout."""


class Stuck(AssertionError):
    """Nothing answered the request and nothing is scheduled to."""


class InvalidResponse(AssertionError):
    """An answer CloudFormation would not accept (the User Guide's custom resource response objects)."""


def check_response(event: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidResponse` unless ``body`` answers ``event`` as CloudFormation requires: Status
    SUCCESS or FAILED (with a Reason), a non-empty PhysicalResourceId, and the request's StackId,
    RequestId and LogicalResourceId."""
    problems = [
        f"{key} is {body.get(key)!r}, not the request's {event[key]!r}"
        for key in ("StackId", "RequestId", "LogicalResourceId")
        if body.get(key) != event[key]
    ]
    if body.get("Status") not in ("SUCCESS", "FAILED"):
        problems.append(f"Status is {body.get('Status')!r}")
    if body.get("Status") == "FAILED" and not body.get("Reason"):
        problems.append("a FAILED answer has no Reason")
    if not isinstance(body.get("PhysicalResourceId"), str) or not body["PhysicalResourceId"]:
        problems.append(f"PhysicalResourceId is {body.get('PhysicalResourceId')!r}")
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
    attempt: int = field(compare=False, default=1)
    qualifier: str | None = field(compare=False, default=None)


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
        self.events: dict[str, dict[str, Any]] = {}
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
        ServiceTimeout to the properties (a template's resolved properties already carry theirs)."""
        request_id = str(uuid.uuid4())
        base = {"ServiceToken": self.service_token, "ServiceTimeout": self.service_timeout_s} if defaults else {}
        props = {**base, **properties}
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": props.get("ServiceToken", self.service_token),
            "ResponseURL": self.receiver.url_for(request_id),
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

    def submit(self, event: dict[str, Any], *, deliveries: int = 1, delay_s: float = 0.0) -> None:
        """Send ``event`` ``delay_s`` seconds from now (virtual time) without waiting for its answer: with
        a delay, e.g. the rollback CloudFormation sends while a request it cancelled still runs.

        Assumed (the User Guide does not describe it for custom resources): when a sibling fails while a
        custom resource's Update is in progress, CloudFormation does not wait for that Update's answer; it
        sends the rollback Update with the physical id it last heard of and ignores the late answer, while
        the cancelled request's Lambda chain runs on. A test plays this with two ``submit`` calls and
        ``run`` on the rollback's RequestId only.
        """
        at = self.clock.now() + delay_s
        self.sent[event["RequestId"]] = at
        self.events[event["RequestId"]] = event
        timeout = str(event["ResourceProperties"].get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT_S))
        self.timeouts[event["RequestId"]] = float(timeout) if timeout.isdigit() else DEFAULT_SERVICE_TIMEOUT_S
        # CloudFormation invokes the ServiceToken: an alias ARN carries its qualifier as 8th field.
        token_parts = str(event.get("ServiceToken", "")).split(":")
        qualifier = token_parts[7] if len(token_parts) > 7 else None
        for _ in range(deliveries):
            self._push(at, event, "cloudformation", qualifier=qualifier)

    # -- the loop --------------------------------------------------------------------------------
    def run(self, request_ids: Iterable[str]) -> dict[str, Answer]:
        """Run invocations until every request is answered; then drain what is still queued for them."""
        ids = list(request_ids)
        while True:
            self._collect_async()
            unanswered = [rid for rid in ids if self.receiver.first(rid) is None]
            if not unanswered:
                break
            for rid in unanswered:
                if self.clock.now() > self.sent[rid] + self.timeouts[rid]:
                    raise CloudFormationTimeout(f"request {rid} not answered within {self.timeouts[rid]:.0f} s")
            if self._queue:
                due = [heapq.heappop(self._queue)]
                self.clock.advance_to(due[0].at)
                while self.concurrent and self._queue and self._queue[0].at <= self.clock.now():
                    due.append(heapq.heappop(self._queue))
                self._run_batch(due)
            elif not self._fire_rules():
                raise Stuck(f"no answer for {unanswered} and nothing scheduled")
        # Lambda still runs queued duplicates (retries) after CloudFormation has its answer.
        while self._queue:
            self._collect_async()
            item = heapq.heappop(self._queue)
            self.clock.advance_to(item.at)
            self._run_batch([item])
            self._collect_async()
        answers = {rid: self.receiver.first(rid) for rid in ids}
        for rid, answer in answers.items():
            if answer is not None:
                check_response(self.events[rid], answer.body)
        return {rid: a for rid, a in answers.items() if a is not None}

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
