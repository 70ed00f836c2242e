"""CloudFormation's query protocol for the loopback server: ``DescribeStacks``, ``DescribeStackResource`` and
``DescribeStackEvents``, and, when a :class:`~comprehend_loopback.stacks.StackOperations` is installed on the
registry (see :mod:`comprehend_loopback.cfnstacks`), ``CreateStack``, ``UpdateStack``, ``DeleteStack`` and
``ContinueUpdateRollback``.

Requests are ``POST /`` with a form-encoded body (``Action``, ``Version=2010-05-15``, ``StackName``,
``LogicalResourceId``); answers are the XML documents botocore parses for those operations
(``<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">`` ...), with
timestamps in ISO 8601 UTC with milliseconds. Errors are ``<ErrorResponse>`` documents: an unknown
stack or logical id is a ``ValidationError`` (HTTP 400) with CloudFormation's messages ("Stack with id
X does not exist", "Resource X does not exist for stack Y"), where X and Y are the ``StackName`` as the
caller gave it. ``DescribeStackEvents`` lists the stack's events newest first ("in reverse chronological
order", API reference), ``EVENTS_PAGE`` per page with a ``NextToken`` (assumed: the page size is not
documented; the handler reads a bounded number of pages either way); a NextToken that is not one this server
gave is a ``ValidationError``.

Authorization (done by the server before anything is looked up): the action is
``cloudformation:<Action>`` and the resource the stack's ARN; for a ``StackName`` that is a name, the
ARN pattern ``arn:aws:cloudformation:<region>:<account>:stack/<name>/*`` (IAM's AccessDenied messages
for these calls name that resource), and ``*`` for ``DescribeStacks`` without a StackName.

Stack operations (API reference): ``CreateStack`` and ``UpdateStack`` answer ``<StackId>``; ``DeleteStack``
and ``ContinueUpdateRollback`` an empty result; ``DescribeStackEvents`` the ``<StackEvents>`` members
newest first, in one page. Every read first lets the operator catch up with the virtual clock (assumed
for the loopback only: it acts when asked, see ``cfnstacks``). Without an operator these actions answer
``InvalidAction``; an operation the operator refuses is a ``ValidationError``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from comprehend_loopback.stacks import (
    STACK_ARN_PREFIX,
    CloudFormationState,
    EventRecord,
    OperationError,
    ResourceNotFound,
    ResourceState,
    StackNotFound,
    StackOperations,
    StackState,
)

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
READS = ("DescribeStacks", "DescribeStackResource", "DescribeStackEvents")
OPERATIONS = ("CreateStack", "UpdateStack", "DeleteStack", "ContinueUpdateRollback")
ACTIONS = READS + OPERATIONS
EVENTS_PAGE = 100


class QueryError(Exception):
    """An error CloudFormation answers with an ``<ErrorResponse>``: code, message, HTTP status, fault type."""

    def __init__(self, code: str, message: str, status: int = 400, fault: str = "Sender") -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.fault = code, message, status, fault


def timestamp(at: float) -> str:
    """``at`` (epoch seconds) as CloudFormation writes it: ``2026-12-03T13:26:23.120Z``."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def resource_arn(stack_name: str, region: str, account: str) -> str:
    """The resource IAM authorizes a call on ``stack_name`` against (see the module docstring)."""
    if not stack_name:
        return "*"
    if stack_name.startswith(STACK_ARN_PREFIX):
        return stack_name
    return f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/*"


def answer(state: CloudFormationState, action: str, params: Mapping[str, str]) -> bytes:
    """The XML answer to one call, or :class:`QueryError`."""
    name = params.get("StackName", "")
    operator = state.operator
    if action in OPERATIONS and operator is None:
        raise QueryError("InvalidAction", f"The action {action} is not served by this loopback (no stack operator).")
    try:
        if operator is not None and action in READS:
            operator.catch_up()
        if operator is not None and action in OPERATIONS:
            return _operate(operator, action, params)
        if action == "DescribeStacks":
            stacks = [state.stack(name)] if name else state.stacks()
            return _document(action, "<Stacks>" + "".join(_stack(s) for s in stacks) + "</Stacks>")
        if action == "DescribeStackResource":
            logical_id = params.get("LogicalResourceId", "")
            if not name or not logical_id:
                raise QueryError("ValidationError", "StackName and LogicalResourceId are required")
            stack, resource = state.resource(name, logical_id)
            return _document(action, _resource(stack, resource))
        if action == "DescribeStackEvents":
            if not name:
                raise QueryError("ValidationError", "StackName is required")
            stack = state.stack(name)
            with state.lock:
                newest_first = list(reversed(stack.events))
            start = _page_start(params.get("NextToken", ""), len(newest_first))
            page = newest_first[start : start + EVENTS_PAGE]
            more = start + EVENTS_PAGE < len(newest_first)
            token = _element("NextToken", f"events-{start + EVENTS_PAGE}") if more else ""
            return _document(
                action, "<StackEvents>" + "".join(_event(stack, e) for e in page) + "</StackEvents>" + token
            )
    except StackNotFound:
        raise QueryError("ValidationError", f"Stack with id {name} does not exist") from None
    except OperationError as exc:
        raise QueryError(exc.code, exc.message) from None
    except ResourceNotFound:
        raise QueryError(
            "ValidationError", f"Resource {params.get('LogicalResourceId', '')} does not exist for stack {name}"
        ) from None
    raise QueryError("InvalidAction", f"The action {action} is not valid for this web service.")


def _page_start(token: str, total: int) -> int:
    if not token:
        return 0
    digits = token.removeprefix("events-")
    if not token.startswith("events-") or not digits.isdigit() or int(digits) > total:
        raise QueryError("ValidationError", "Invalid NextToken")
    return int(digits)


def _operate(operator: StackOperations, action: str, params: Mapping[str, str]) -> bytes:
    """A stack operation's answer document."""
    if action == "CreateStack":
        return _document(action, _element("StackId", operator.create_stack(params)))
    if action == "UpdateStack":
        return _document(action, _element("StackId", operator.update_stack(params)))
    if action == "DeleteStack":
        operator.delete_stack(params)
        return _document(action, "")
    operator.continue_update_rollback(params)  # ContinueUpdateRollback, the last of OPERATIONS
    return _document(action, "")


def error_document(error: QueryError) -> bytes:
    return (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{error.fault}</Type><Code>{escape(error.code)}</Code>'
        f"<Message>{escape(error.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def _document(action: str, result: str) -> bytes:
    return (
        f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
    ).encode()


def _element(tag: str, value: str | None) -> str:
    return "" if value is None or value == "" else f"<{tag}>{escape(value)}</{tag}>"


def _stack(stack: StackState) -> str:
    updated = None if stack.last_updated_at is None else timestamp(stack.last_updated_at)
    return (
        "<member>"
        + _element("StackId", stack.stack_id)
        + _element("StackName", stack.name)
        + _element("CreationTime", timestamp(stack.created_at))
        + _element("LastUpdatedTime", updated)
        + _element("StackStatus", stack.status)
        + _element("StackStatusReason", stack.reason)
        + "<DisableRollback>false</DisableRollback><NotificationARNs/><Tags/>"
        + "<EnableTerminationProtection>false</EnableTerminationProtection>"
        + "<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>"
        + "</member>"
    )


def _event(stack: StackState, event: EventRecord) -> str:
    fields = [("StackId", stack.stack_id), ("EventId", event.event_id), ("StackName", stack.name)]
    return "<member>" + _elements(fields + _status_fields(event, event.at)) + "</member>"


def _resource(stack: StackState, resource: ResourceState) -> str:
    fields = [("StackName", stack.name), ("StackId", stack.stack_id)]
    return (
        "<StackResourceDetail>"
        + _elements(fields + _status_fields(resource, resource.updated_at, "LastUpdatedTimestamp"))
        + "<DriftInformation><StackResourceDriftStatus>NOT_CHECKED</StackResourceDriftStatus></DriftInformation>"
        + "</StackResourceDetail>"
    )


def _status_fields(
    item: EventRecord | ResourceState, at: float, time_tag: str = "Timestamp"
) -> list[tuple[str, str | None]]:
    """The fields a stack event and a resource detail share, in CloudFormation's order."""
    return [
        ("LogicalResourceId", item.logical_id),
        ("PhysicalResourceId", item.physical_id),
        ("ResourceType", item.resource_type),
        (time_tag, timestamp(at)),
        ("ResourceStatus", item.status),
        ("ResourceStatusReason", item.reason),
    ]


def _elements(fields: list[tuple[str, str | None]]) -> str:
    return "".join(_element(tag, value) for tag, value in fields)
