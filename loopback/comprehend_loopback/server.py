"""One loopback HTTP server for every AWS API the handler (and crhelper) calls.

boto3 reaches it through ``AWS_ENDPOINT_URL``. Comprehend and EventBridge speak JSON 1.1
(``X-Amz-Target``); Lambda's Invoke, AddPermission, RemovePermission and GetPolicy speak REST
JSON. Asynchronous invocations are queued, per function, for the driver that runs that function.
Faults are injectable for the tests (``LoopbackAws.faults``, :mod:`comprehend_loopback._faults`): every Nth
Comprehend call throttled (``TooManyRequestsException``) or failing with a 500, and lost responses.

Authorization: the caller is the access key in the request's SigV4 ``Authorization`` header. A key
registered with :meth:`LoopbackAws.register_principal` is held to its identity policies (see
:mod:`comprehend_loopback.iam`) on every Comprehend call, every Lambda Invoke and the implicit
``iam:PassRole`` of a data-access role; a refused call answers ``AccessDeniedException`` before the
service looks at anything, as IAM does. Keys nobody registered (the request-level tests' default)
are not restricted.

Application Auto Scaling (``AnyScaleFrontendService.``, :mod:`comprehend_loopback.autoscaling`) and Service
Quotas (``ServiceQuotasV20190624.``, :mod:`comprehend_loopback.quotas`) speak JSON 1.1 too: their calls are
authorized (``application-autoscaling:<Operation>``, ``servicequotas:<Operation>`` on ``*``) and served by the
models :class:`~comprehend_loopback.world.World` gives the server (:attr:`LoopbackAws.services`).

CloudFormation's ``DescribeStacks`` and ``DescribeStackResource`` (query protocol, ``POST /`` with a
form-encoded body; see :mod:`comprehend_loopback.cfnquery`) read :attr:`LoopbackAws.stacks`, the
registry the request driver and the stack player keep (:mod:`comprehend_loopback.stacks`); each is
authorized on the stack's ARN first and refused with ``AccessDenied`` (HTTP 403) as IAM does.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from comprehend_loopback import cfnquery, iam
from comprehend_loopback._faults import Faults
from comprehend_loopback.clock import VirtualClock
from comprehend_loopback.comprehend import ACCOUNT, REGION, ApiError, FakeComprehend
from comprehend_loopback.loopback import HOST, BackgroundServer, QuietHandler
from comprehend_loopback.stacks import CloudFormationState

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
_FUNCTION_ARN = re.compile(
    r"(?:arn:aws(?:-[a-z]+)*:lambda:[a-z0-9-]+:)?(?:[0-9]{12}:)?(?:function:)?(?P<name>[a-zA-Z0-9_-]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?"
)

_SIGNING_NAMES = {"AnyScaleFrontendService": "application-autoscaling", "ServiceQuotasV20190624": "servicequotas"}
"""The IAM service prefix of each JSON 1.1 target prefix the server may serve (botocore's models)."""


@dataclass
class Rule:
    name: str
    schedule: str
    created: float
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Principal:
    """An IAM role as the loopback world sees it: its ARN and its identity policies by name."""

    arn: str
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def session_arn(self) -> str:
        account, name = self.arn.split(":")[4], self.arn.rsplit("/", 1)[-1]
        return f"arn:aws:sts::{account}:assumed-role/{name}/loopback"


@dataclass
class Function:
    """A Lambda function: its name, its aliases, and the queue of its asynchronous invocations."""

    name: str
    region: str = REGION
    account: str = ACCOUNT
    aliases: set[str] = field(default_factory=set)
    queue: deque[dict[str, Any]] = field(default_factory=deque)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


class LoopbackAws:
    """State of the loopback account: Comprehend, functions and their queues, rules, permissions, IAM."""

    def __init__(self, comprehend: FakeComprehend, clock: VirtualClock) -> None:
        self.comprehend = comprehend
        self.clock = clock
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.describes: list[tuple[float, str, str]] = []
        """(time, EndpointArn, RequestId of the CloudFormation request being run) per DescribeEndpoint."""
        self.denied: list[tuple[str, str, str]] = []
        """(principal ARN, action, resource) of every call IAM refused."""
        self.current_request = ""
        self.call_latency_s = 0.0
        """Virtual seconds each API call takes (0 in tests; the benchmarks model a round trip)."""
        self.functions: dict[str, Function] = {}
        self.principals: dict[str, Principal] = {}
        self.rules: dict[str, Rule] = {}
        self.permissions: dict[str, dict[str, Any]] = {}
        self.services: dict[str, Any] = {}
        """JSON 1.1 services beside Comprehend, by X-Amz-Target prefix (the World adds Application Auto Scaling
        and Service Quotas): each operation is the model's method of the same name."""
        self.stacks = CloudFormationState()
        """CloudFormation's view of its stacks, which DescribeStacks and DescribeStackResource read."""
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

    # -- set-up --------------------------------------------------------------------------------
    def register_principal(self, access_key: str, role_arn: str) -> Principal:
        """Hold calls signed with ``access_key`` to the policies of ``role_arn`` (none yet: all denied)."""
        with self.lock:
            principal = self.principals.setdefault(access_key, Principal(role_arn))
            principal.arn = role_arn
            return principal

    def register_function(self, name: str) -> Function:
        with self.lock:
            return self.functions.setdefault(name, Function(name, self.comprehend.region, self.comprehend.account))

    def take_invocations(self, function_name: str) -> list[dict[str, Any]]:
        """The asynchronous invocations queued for ``function_name`` since the last call."""
        with self.lock:
            function = self.functions.get(function_name)
            if function is None:
                return []
            items = list(function.queue)
            function.queue.clear()
            return items

    # -- authorization -------------------------------------------------------------------------
    def authorize(
        self,
        access_key: str,
        action: str,
        resources: list[iam.Resource],
        request_keys: dict[str, iam.ConditionValue] | None = None,
    ) -> None:
        """Raise AccessDeniedException unless the caller's policies allow ``action`` on every resource."""
        principal = self.principals.get(access_key)
        if principal is None:
            return
        denied = iam.authorize(principal.policies.values(), action, resources, request_keys)
        if denied is not None:
            self.denied.append((principal.arn, action, denied.resource))
            self.calls[f"{action}:AccessDenied"] += 1
            raise ApiError("AccessDeniedException", denied.message(principal.session_arn))

    def authorization_checks(self, operation: str, body: dict[str, Any]) -> list[tuple[str, list[iam.Resource]]]:
        """The IAM checks one Comprehend operation needs: (action, resources) pairs, the implicit
        ``iam:PassRole`` included (the resource types per action follow the Service Authorization
        Reference; a test checks this table against it)."""

        def endpoint(arn: str) -> iam.Resource:
            return iam.Resource(arn, self.comprehend.tag_keys(arn))

        checks: list[tuple[str, list[iam.Resource]]] = []
        action = f"comprehend:{operation}"
        if operation == "CreateEndpoint":
            resources = [iam.Resource(arn) for arn in (self.comprehend.arn_for_create(body),) if arn]
            resources += [iam.Resource(body[key]) for key in ("ModelArn", "FlywheelArn") if body.get(key)]
            checks.append((action, resources))
        elif operation in ("DescribeEndpoint", "DeleteEndpoint"):
            checks.append((action, [endpoint(body.get("EndpointArn", ""))]))
        elif operation == "UpdateEndpoint":
            resources = [endpoint(body.get("EndpointArn", ""))]
            if body.get("FlywheelArn"):
                resources.append(iam.Resource(body["FlywheelArn"]))
            checks.append((action, resources))
        elif operation in ("TagResource", "UntagResource", "ListTagsForResource"):
            checks.append((action, [endpoint(body.get("ResourceArn", ""))]))
        elif operation == "DescribeFlywheel":
            checks.append((action, [iam.Resource(body.get("FlywheelArn", ""))]))
        else:
            checks.append((action, [iam.Resource("*")]))
        role = body.get("DataAccessRoleArn") or body.get("DesiredDataAccessRoleArn")
        if role and operation in ("CreateEndpoint", "UpdateEndpoint"):
            checks.append(("iam:PassRole", [iam.Resource(role, {"iam:PassedToService": "comprehend.amazonaws.com"})]))
        return checks

    @staticmethod
    def _request_keys(operation: str, body: dict[str, Any]) -> dict[str, iam.ConditionValue]:
        if operation in ("TagResource", "CreateEndpoint"):
            # The Service Authorization Reference lists aws:RequestTag/${TagKey} and aws:TagKeys for both: on
            # CreateEndpoint in the rows of its endpoint resource types (tests/loopback/test_iam.py). ASSUMED, not
            # documented: IAM puts these request keys in the context of every resource the call is authorized on,
            # the model and flywheel included (a policy conditioned on them for CreateEndpoint should therefore
            # name only endpoint ARNs). A malformed tag is the service's to refuse (InvalidRequestException), after
            # IAM: skip it here.
            tags = [t for t in body.get("Tags") or [] if isinstance(t, dict) and isinstance(t.get("Key"), str)]
            keys: dict[str, iam.ConditionValue] = {f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in tags}
            keys["aws:TagKeys"] = [t["Key"] for t in tags]
            return keys
        if operation == "UntagResource":
            return {"aws:TagKeys": list(body.get("TagKeys", []))}
        return {}

    # -- dispatch --------------------------------------------------------------------------------
    def _hang(self, operation: str) -> None:
        """Block this call for the real seconds ``faults.hang_real_s`` holds next for ``operation``."""
        with self.lock:
            delays = self.faults.hang_real_s.get(operation)
            delay = delays.pop(0) if delays else 0.0
        if delay:
            time.sleep(delay)

    def comprehend_call(self, operation: str, body: dict[str, Any], access_key: str = "") -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError("InvalidRequestException", "the request body must be a JSON object")
        self._hang(operation)
        with self.lock, self.comprehend.lock:
            self.calls[operation] += 1
            fault = self.faults.pick()
            if fault:
                self.calls[f"{operation}:{fault.code}"] += 1
                raise fault
            if self.call_latency_s:
                self.clock.advance_to(self.clock.now() + self.call_latency_s)
            self.comprehend.advance()
            for action, resources in self.authorization_checks(operation, body):
                self.authorize(access_key, action, resources, self._request_keys(operation, body))
            if operation == "DescribeEndpoint":
                self.describes.append((self.clock.now(), body.get("EndpointArn", ""), self.current_request))
            method = getattr(self.comprehend, operation, None)
            if method is None:
                raise ApiError("UnknownOperationException", operation)
            queued_errors = self.faults.errors.get(operation)
            if queued_errors:
                code = queued_errors.pop(0)
                self.calls[f"{operation}:{code}"] += 1
                raise ApiError(code, "injected by the test")
            if self.faults.in_use.get(operation, 0) > 0:
                self.faults.in_use[operation] -= 1
                self.calls[f"{operation}:ResourceInUseException"] += 1
                raise ApiError("ResourceInUseException", "the resource is in use by another operation")
            result: dict[str, Any] = method(body)
            if self.faults.lose_response.get(operation, 0) > 0:
                self.faults.lose_response[operation] -= 1
                self.calls[f"{operation}:lost"] += 1
                raise ApiError("InternalServerException", "response lost", status=500)
            return result

    def service_call(self, prefix: str, operation: str, body: Any, access_key: str = "") -> dict[str, Any]:
        """One call of a JSON 1.1 service of :attr:`services`: counted as ``<signing name>:<Operation>``,
        authorized on ``*`` (neither service has resource-level permissions for these operations), then
        served on the world's current time (the scheduled changes that are due happen first)."""
        model = self.services.get(prefix)
        method = getattr(model, operation, None) if operation[:1].isupper() else None
        if method is None:
            raise ApiError("UnknownOperationException", f"{prefix}.{operation}")
        action = f"{_SIGNING_NAMES[prefix]}:{operation}"
        with self.lock, self.comprehend.lock:
            self.calls[action] += 1
            self.comprehend.advance()
            self.authorize(access_key, action, [iam.Resource("*")])
            result: dict[str, Any] = method(body)
            return result

    def lambda_invoke(
        self,
        function_ref: str,
        qualifier: str | None,
        payload: Any,
        access_key: str = "",
        *,
        invocation_type: str = "Event",
    ) -> None:
        """An asynchronous Invoke: authorized on the exact ARN invoked (qualified or not), then queued.

        Only ``InvocationType`` ``Event`` is modelled. A value outside the API's enum is refused with
        ValidationException (assumed: the API reference lists the enum, not the error). A synchronous
        ``RequestResponse`` invoke (the API's default) is refused as not modelled: the caller would
        wait on the callee for up to its whole timeout, far beyond the caller's read timeout.
        """
        self._hang("lambda:Invoke")
        if invocation_type not in ("Event", "RequestResponse", "DryRun"):
            raise ApiError("ValidationException", f"InvocationType: {invocation_type!r} is not one of the enum", 400)
        if invocation_type != "Event":
            raise ApiError("NotModelled", f"InvocationType {invocation_type} is not modelled by the loopback", 400)
        match = _FUNCTION_ARN.fullmatch(function_ref)
        if match is None:
            raise ApiError("ValidationException", f"invalid FunctionName {function_ref!r}", 400)
        qualifier = qualifier or match["qualifier"]
        with self.lock:
            function = self.functions.get(match["name"])
            if function is None:
                raise ApiError("ResourceNotFoundException", f"Function not found: {function_ref}", 404)
            resource = f"{function.arn}:{qualifier}" if qualifier else function.arn
            if self.faults.refuse_invoke:
                raise ApiError("AccessDeniedException", "not authorized to invoke", 403)
            try:
                self.authorize(access_key, "lambda:InvokeFunction", [iam.Resource(resource)])
            except ApiError as exc:
                raise ApiError(exc.code, exc.message, 403) from None
            if qualifier not in (None, "$LATEST") and qualifier not in function.aliases:
                raise ApiError("ResourceNotFoundException", f"Function not found: {resource}", 404)
            self.calls["lambda:Invoke"] += 1
            function.queue.append({"function": function.name, "qualifier": qualifier, "payload": payload})

    def cloudformation_call(self, params: dict[str, str], access_key: str = "") -> bytes:
        """A CloudFormation query-protocol call (``Action`` and its parameters): counted as
        ``cloudformation:<Action>``, authorized on the stack's ARN before anything is looked up (refused:
        ``AccessDenied``, HTTP 403), then answered from :attr:`stacks` (see :mod:`.cfnquery`)."""
        action = params.get("Action", "")
        if action not in cfnquery.ACTIONS:
            raise cfnquery.QueryError("InvalidAction", f"The action {action} is not valid for this web service.")
        resource = cfnquery.resource_arn(params.get("StackName", ""), self.comprehend.region, self.comprehend.account)
        with self.lock:
            self.calls[f"cloudformation:{action}"] += 1
            try:
                self.authorize(access_key, f"cloudformation:{action}", [iam.Resource(resource)])
            except ApiError as exc:
                raise cfnquery.QueryError("AccessDenied", exc.message, 403) from None
        return cfnquery.answer(self.stacks, action, params)

    def events_call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls[f"events:{operation}"] += 1
            if operation == "PutRule":
                self.rules[body["Name"]] = Rule(body["Name"], body["ScheduleExpression"], self.clock.now())
                region, account = self.comprehend.region, self.comprehend.account
                return {"RuleArn": f"arn:aws:events:{region}:{account}:rule/{body['Name']}"}
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

            def _access_key(self) -> str:
                match = _CREDENTIAL.search(self.headers.get("Authorization", ""))
                return match[1] if match else ""

            def do_POST(self) -> None:
                raw = self.read_body()
                target = self.headers.get("X-Amz-Target", "")
                url = urlsplit(self.path)
                if (
                    not target
                    and url.path == "/"
                    and self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
                ):
                    self._query(raw)
                    return
                try:
                    if target.startswith("Comprehend_20171127."):
                        operation = target.split(".", 1)[1]
                        body = json.loads(raw or b"{}")
                        self._reply(200, aws.comprehend_call(operation, body, self._access_key()))
                    elif target.split(".", 1)[0] in aws.services:
                        prefix, operation = target.split(".", 1)
                        body = json.loads(raw or b"{}")
                        self._reply(200, aws.service_call(prefix, operation, body, self._access_key()))
                    elif target.startswith("AWSEvents."):
                        self._reply(200, aws.events_call(target.split(".", 1)[1], json.loads(raw or b"{}")))
                    elif url.path.startswith("/2015-03-31/functions/") and url.path.endswith("/invocations"):
                        function = unquote(url.path.split("/")[3])
                        qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
                        invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                        aws.lambda_invoke(
                            function, qualifier, json.loads(raw), self._access_key(), invocation_type=invocation_type
                        )
                        self._reply(202)
                    elif url.path.startswith("/2015-03-31/functions/") and url.path.endswith("/policy"):
                        statement = json.loads(raw)
                        with aws.lock:
                            aws.calls["lambda:AddPermission"] += 1
                            aws.permissions[statement["StatementId"]] = statement
                        self._reply(201, {"Statement": json.dumps(statement)})
                    else:
                        self._reply(404, error=ApiError("UnknownOperationException", self.path, 404))
                except ApiError as exc:
                    self._reply(400, error=exc)

            def _query(self, raw: bytes) -> None:
                params = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
                headers = {"Content-Type": "text/xml", "x-amzn-RequestId": "loopback"}
                try:
                    self.reply(200, aws.cloudformation_call(params, self._access_key()), headers)
                except cfnquery.QueryError as exc:
                    self.reply(exc.status, cfnquery.error_document(exc), headers)

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
