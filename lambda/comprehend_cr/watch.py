"""Whether CloudFormation still waits for a request: read from the stack itself.

CloudFormation does not tell a custom resource that it stopped waiting. When a sibling fails it cancels the
requests in progress ("Resource update cancelled") and rolls back without waiting for their answers; it gives a
request up at its ServiceTimeout; and it may send the same request again later as a new delivery (same
RequestId, new ResponseURL). The request's Lambda chain runs on meanwhile, and an answer it writes later lands
on the same S3 object as the newer delivery's (the object key is ``StackId|LogicalResourceId|RequestId``).

So before it creates or changes anything, and before it answers, a Create or Update chain reads its own stack
(``DescribeStacks`` and ``DescribeStackResource``, allowed on this stack only) and :func:`verdict` decides.
A request is over only on evidence that cannot come from the request itself still running, because a wrong
"over" leaves the stack waiting for an answer that never comes, while a wrong "still waited" is caught by the
stray sweep of the next request for the resource (see ``comprehend_cr.sweep``):

- the stack is gone, or its status is not one in which CloudFormation sends this request type;
- the stack's status differs from the one this chain saw at its first check (a stack phase cannot end while
  one of its requests is outstanding: e.g. ``UPDATE_IN_PROGRESS`` -> ``UPDATE_ROLLBACK_IN_PROGRESS``);
- the resource's status is another known status than the request's ``*_IN_PROGRESS`` (cancelled:
  ``*_FAILED``; answered by another delivery: ``*_COMPLETE``);
- the resource went ``*_IN_PROGRESS`` more than ``NEWER_DELIVERY_S`` after this delivery was sent: a newer
  delivery (the rollback's Update, or a re-sent request);
- an Update read while the stack rolls back was sent before the rollback began (``DescribeStackEvents``: the
  stack's latest ``UPDATE_ROLLBACK_IN_PROGRESS`` event): the forward Update the rollback cancelled, which a
  rollback's own Update sent within ``NEWER_DELIVERY_S`` could not otherwise be told from;
- CloudFormation's ServiceTimeout for this delivery has passed.

Deletes are never checked: deleting what CloudFormation asked to delete is never wrong (a newer endpoint that
reuses the name is protected by its creation time instead, see ``comprehend_cr.sweep``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

logger = logging.getLogger(__name__)

NEWER_DELIVERY_S = 60.0
"""How much later than this delivery's X-Amz-Date the resource's latest ``*_IN_PROGRESS`` may be stamped and
still be this delivery's. CloudFormation stamps the resource in progress, then signs the URL (X-Amz-Date is
rounded down to the second), then invokes the function and may stamp "Resource creation Initiated" after
that: assumed to take well under a minute (the probes measure it)."""
SEND_RESOLUTION_S = 1.0
"""X-Amz-Date is rounded down to the second: a delivery was sent within this long after its stated time."""
EVENT_PAGES = 5
"""How many pages of stack events (newest first) are read for the start of a rollback before giving up
("unknown", never "over")."""
RECHECK_S = 30.0
"""A "still waited for" verdict is reused for this long before another mutating call reads the stack again;
the check before an answer always reads it afresh."""

SENDS = {
    "Create": frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"}),
    "Update": frozenset({"UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"}),
}
"""Stack statuses in which CloudFormation sends each request type (a rollback sends Updates and Deletes)."""
FORWARD = frozenset({"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"})
"""Stack statuses of an operation going forward (not rolling back, not cleaning up)."""
STACK_STATUSES = frozenset(
    {
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "CREATE_COMPLETE",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_FAILED",
        "ROLLBACK_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_FAILED",
        "DELETE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    }
)
"""The stack statuses this module knows (from the CloudFormation API reference); an unknown one is never
taken as evidence that a request is over."""
RESOURCE_STATUSES = frozenset(
    {f"{op}_{state}" for op in ("CREATE", "UPDATE", "DELETE") for state in ("IN_PROGRESS", "FAILED", "COMPLETE")}
)


@dataclass(frozen=True)
class StackView:
    """What the stack says of the request's resource. ``stack_status`` None: the stack does not exist (any
    more); ``resource_status`` None: the stack has no such resource (yet)."""

    stack_status: str | None
    resource_status: str | None = None
    resource_at: float | None = None
    physical_id: str = ""


@dataclass(frozen=True)
class Verdict:
    waited: bool
    why: str


def verdict(
    request_type: str,
    view: StackView,
    *,
    first_stack_status: str | None,
    sent_at: float | None,
    rollback_began_at: float | None = None,
) -> Verdict:
    """Whether CloudFormation still waits for this delivery of a Create or Update (see module doc).
    ``rollback_began_at``: when the stack last began an update rollback, if read (see
    :func:`needs_rollback_start`)."""
    if view.stack_status is None:
        return Verdict(False, "the stack no longer exists")
    status = view.stack_status
    if status in STACK_STATUSES and status not in SENDS[request_type]:
        return Verdict(False, f"the stack is {status}, in which CloudFormation waits for no {request_type}")
    if first_stack_status is not None and status != first_stack_status:
        return Verdict(False, f"the stack moved from {first_stack_status} to {status}")
    expected = f"{request_type.upper()}_IN_PROGRESS"
    resource = view.resource_status
    if resource is not None and resource in RESOURCE_STATUSES and resource != expected:
        return Verdict(False, f"the resource is {resource}")
    if (
        resource == expected
        and sent_at is not None
        and view.resource_at is not None
        and view.resource_at > sent_at + NEWER_DELIVERY_S
    ):
        return Verdict(False, "CloudFormation sent this resource a newer request")
    if (
        needs_rollback_start(request_type, view, sent_at)
        and sent_at is not None
        and rollback_began_at is not None
        and rollback_began_at >= sent_at + SEND_RESOLUTION_S
    ):
        return Verdict(False, "this Update was sent before the stack began to roll back, which cancelled it")
    return Verdict(True, f"the stack is {status} and the resource {resource or 'not listed yet'}")


def needs_rollback_start(request_type: str, view: StackView, sent_at: float | None) -> bool:
    """Whether only the start of the stack's rollback can tell this delivery's Update from the rollback's own:
    an Update with a send time, read while the stack rolls back an update."""
    return request_type == "Update" and view.stack_status == "UPDATE_ROLLBACK_IN_PROGRESS" and sent_at is not None


class StackReader:
    """Reads the stack's and the resource's status. Every failure (throttled, refused, an old policy without
    the permission, an answer that cannot be parsed) gives None: "unknown", which is never taken as "over"."""

    def __init__(self, cloudformation: Any, guard: Callable[[], None]) -> None:
        """``guard()`` runs before every call: the lifecycle's time budget and abandonment check."""
        self._cloudformation = cloudformation
        self._guard = guard

    def view(self, stack_id: str, logical_id: str) -> StackView | None:
        try:
            stacks = self._raw(self._cloudformation.describe_stacks, StackName=stack_id).get("Stacks") or []
            if not stacks or stacks[0].get("StackStatus") == "DELETE_COMPLETE":
                return StackView(None)
            status = str(stacks[0].get("StackStatus", ""))
            try:
                detail = self._raw(
                    self._cloudformation.describe_stack_resource, StackName=stack_id, LogicalResourceId=logical_id
                )["StackResourceDetail"]
            except ClientError as exc:
                if _code(exc) == "ValidationError":  # the stack has no such resource
                    return StackView(status)
                raise
        except ClientError as exc:
            if _code(exc) == "ValidationError":  # "Stack with id ... does not exist"
                return StackView(None)
            logger.warning({"message": "stack status unknown", "Error": _code(exc)})
            return None
        except (BotoCoreError, ResponseParserError) as exc:  # a failed read says nothing about the request
            logger.warning({"message": "stack status unknown", "Error": type(exc).__name__})
            return None
        when = detail.get("LastUpdatedTimestamp")
        return StackView(
            status,
            str(detail.get("ResourceStatus", "")),
            when.timestamp() if isinstance(when, datetime) else None,
            str(detail.get("PhysicalResourceId", "")),
        )

    def rollback_began(self, stack_id: str) -> float | None:
        """When the stack last began an update rollback: the time of its newest ``UPDATE_ROLLBACK_IN_PROGRESS``
        stack event (events come newest first). None when not found within ``EVENT_PAGES`` pages or unreadable."""
        token = ""
        try:
            for _ in range(EVENT_PAGES):
                extra = {"NextToken": token} if token else {}
                page = self._raw(self._cloudformation.describe_stack_events, StackName=stack_id, **extra)
                for event in page.get("StackEvents") or []:
                    if (
                        event.get("ResourceType") == "AWS::CloudFormation::Stack"
                        and event.get("PhysicalResourceId") == stack_id
                        and event.get("ResourceStatus") == "UPDATE_ROLLBACK_IN_PROGRESS"
                    ):
                        when = event.get("Timestamp")
                        return when.timestamp() if isinstance(when, datetime) else None
                token = str(page.get("NextToken") or "")
                if not token:
                    return None
        except ClientError as exc:
            logger.warning({"message": "stack events unknown", "Error": _code(exc)})
        except (BotoCoreError, ResponseParserError) as exc:
            logger.warning({"message": "stack events unknown", "Error": type(exc).__name__})
        return None

    def _raw(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        self._guard()
        return operation(**kwargs)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
