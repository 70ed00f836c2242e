"""One loopback HTTP server for every AWS API the handler (and crhelper) calls.

boto3 reaches it through ``AWS_ENDPOINT_URL``. Comprehend and EventBridge speak JSON 1.1
(``X-Amz-Target``); Lambda's Invoke, AddPermission, RemovePermission and GetPolicy speak REST
JSON. Asynchronous invocations are queued for the driver to run. Faults are injectable: every
Nth Comprehend call throttled (``TooManyRequestsException``) or failing with a 500.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from tests.harness.clock import VirtualClock
from tests.harness.comprehend import ApiError, FakeComprehend
from tests.harness.loopback import HOST, BackgroundServer, QuietHandler


@dataclass
class Faults:
    throttle_every: int = 0
    """Throttle every Nth Comprehend call (2 = every other call); 0 = never."""
    server_error_every: int = 0
    """Answer every Nth Comprehend call with a 500 InternalServerException; 0 = never."""
    refuse_invoke: bool = False
    """Answer Lambda Invoke with AccessDeniedException (a function that may not continue itself)."""
    lose_response: dict[str, int] = field(default_factory=dict)
    """Operation -> how many times to carry it out but answer 500 (the response is lost)."""
    _count: int = 0

    def pick(self) -> ApiError | None:
        self._count += 1
        if self.throttle_every and self._count % self.throttle_every == 0:
            return ApiError("TooManyRequestsException", "Rate exceeded")
        if self.server_error_every and self._count % self.server_error_every == 0:
            return ApiError("InternalServerException", "Internal error", status=500)
        return None


@dataclass
class Rule:
    name: str
    schedule: str
    created: float
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)


class LoopbackAws:
    """State of the loopback account: Comprehend, the async-invocation queue, rules, permissions."""

    def __init__(self, comprehend: FakeComprehend, clock: VirtualClock) -> None:
        self.comprehend = comprehend
        self.clock = clock
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.describes: list[tuple[float, str, str]] = []
        """(time, EndpointArn, RequestId of the CloudFormation request being run) per DescribeEndpoint."""
        self.current_request = ""
        self.call_latency_s = 0.0
        """Virtual seconds each API call takes (0 in tests; the benchmarks model a round trip)."""
        self.async_invocations: deque[dict[str, Any]] = deque()
        self.rules: dict[str, Rule] = {}
        self.permissions: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()
        self._server = BackgroundServer(self._handler_class())

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.port}"

    def start(self) -> LoopbackAws:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # -- dispatch --------------------------------------------------------------------------------
    def comprehend_call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock, self.comprehend.lock:
            self.calls[operation] += 1
            fault = self.faults.pick()
            if fault:
                self.calls[f"{operation}:{fault.code}"] += 1
                raise fault
            if self.call_latency_s:
                self.clock.advance_to(self.clock.now() + self.call_latency_s)
            self.comprehend.advance()
            if operation == "DescribeEndpoint":
                self.describes.append((self.clock.now(), body.get("EndpointArn", ""), self.current_request))
            method = getattr(self.comprehend, operation, None)
            if method is None:
                raise ApiError("UnknownOperationException", operation)
            result: dict[str, Any] = method(body)
            if self.faults.lose_response.get(operation, 0) > 0:
                self.faults.lose_response[operation] -= 1
                self.calls[f"{operation}:lost"] += 1
                raise ApiError("InternalServerException", "response lost", status=500)
            return result

    def events_call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls[f"events:{operation}"] += 1
            if operation == "PutRule":
                self.rules[body["Name"]] = Rule(body["Name"], body["ScheduleExpression"], self.clock.now())
                return {"RuleArn": f"arn:aws:events:us-east-1:111122223333:rule/{body['Name']}"}
            if operation == "PutTargets":
                for target in body["Targets"]:
                    self.rules[body["Rule"]].targets[target["Id"]] = target
                return {"FailedEntryCount": 0, "FailedEntries": []}
            if operation == "RemoveTargets":
                for target_id in body["Ids"]:
                    self.rules[body["Rule"]].targets.pop(target_id, None)
                return {"FailedEntryCount": 0, "FailedEntries": []}
            if operation == "DeleteRule":
                self.rules.pop(body["Name"], None)
                return {}
            raise ApiError("UnknownOperationException", operation)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        aws = self

        class Handler(QuietHandler):
            def _reply(self, status: int, payload: Any = None, error: ApiError | None = None) -> None:
                headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "loopback"}
                if error is not None:
                    status = error.status
                    payload = {"__type": error.code, "message": error.message, "Message": error.message}
                    headers["x-amzn-ErrorType"] = error.code
                self.reply(status, b"" if payload is None else json.dumps(payload).encode(), headers)

            def do_POST(self) -> None:
                raw = self.read_body()
                target = self.headers.get("X-Amz-Target", "")
                try:
                    if target.startswith("Comprehend_20171127."):
                        self._reply(200, aws.comprehend_call(target.split(".", 1)[1], json.loads(raw or b"{}")))
                    elif target.startswith("AWSEvents."):
                        self._reply(200, aws.events_call(target.split(".", 1)[1], json.loads(raw or b"{}")))
                    elif self.path.startswith("/2015-03-31/functions/") and self.path.endswith("/invocations"):
                        function = unquote(self.path.split("/")[3])
                        if aws.faults.refuse_invoke:
                            raise ApiError("AccessDeniedException", "not authorized to invoke", 403)
                        with aws.lock:
                            aws.calls["lambda:Invoke"] += 1
                            aws.async_invocations.append({"function": function, "payload": json.loads(raw)})
                        self._reply(202)
                    elif self.path.startswith("/2015-03-31/functions/") and self.path.endswith("/policy"):
                        statement = json.loads(raw)
                        with aws.lock:
                            aws.calls["lambda:AddPermission"] += 1
                            aws.permissions[statement["StatementId"]] = statement
                        self._reply(201, {"Statement": json.dumps(statement)})
                    else:
                        self._reply(404, error=ApiError("UnknownOperationException", self.path, 404))
                except ApiError as exc:
                    self._reply(400, error=exc)

            def do_DELETE(self) -> None:
                self.read_body()
                if "/policy/" in self.path:
                    sid = unquote(self.path.rsplit("/", 1)[1].split("?")[0])
                    with aws.lock:
                        aws.calls["lambda:RemovePermission"] += 1
                        aws.permissions.pop(sid, None)
                    self.reply(204)
                else:
                    self._reply(404, error=ApiError("UnknownOperationException", self.path, 404))

        return Handler
