"""What CloudFormation knows of its stacks, as its read API reports it: a registry on the virtual clock.

Per stack (keyed by its StackId, a stack ARN ``arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>``):
the stack's status, when each status was set, ``CreationTime`` and ``LastUpdatedTime``; per logical
resource: ``ResourceStatus``, ``ResourceStatusReason``, ``LastUpdatedTimestamp`` (the virtual time of
its last status change), ``PhysicalResourceId`` (empty until CloudFormation learns one) and
``ResourceType``; and the stack's events, one per status change of the stack or of a resource, newest
first as ``DescribeStackEvents`` lists them. The request driver and the stack player write it; the loopback
server's ``DescribeStacks``, ``DescribeStackResource`` and ``DescribeStackEvents`` read it. A stack that
was never registered does not exist. Every method holds one re-entrant lock, so the driver's thread and the
server's threads may use it at once.

Name lookup follows CloudFormation's documented rule for ``StackName`` ("the name or the unique stack
ID"): a name finds only a stack that is not deleted, the latest registered under that name; a StackId
finds the stack whatever its status, ``DELETE_COMPLETE`` included. ``LastUpdatedTime`` is "only returned
if the stack has been updated at least once" (API reference); assumed: it is the time of the latest
change to an ``UPDATE_*`` status.

The registry only reports; stack operations (``CreateStack``, ``UpdateStack``, ``DeleteStack``,
``ContinueUpdateRollback``, ``DescribeStackEvents``) are served by an :class:`StackOperations` installed as
:attr:`CloudFormationState.operator` (``comprehend_loopback.cfnstacks.StackService``); without one the
query API answers them as not supported.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

STACK_ARN_PREFIX = "arn:aws:cloudformation:"
STACK_TYPE = "AWS::CloudFormation::Stack"


class StackNotFound(LookupError):
    """No stack answers to the name or id (CloudFormation's ``ValidationError``)."""


class ResourceNotFound(LookupError):
    """The stack has no resource with that logical id (CloudFormation's ``ValidationError``)."""


@dataclass
class ResourceState:
    """One logical resource of a stack, as ``DescribeStackResource`` reports it."""

    logical_id: str
    resource_type: str
    status: str
    updated_at: float
    reason: str = ""
    physical_id: str = ""


@dataclass(frozen=True)
class EventRecord:
    """One stack event (``DescribeStackEvents``): a status change of the stack itself (``ResourceType``
    ``AWS::CloudFormation::Stack``, logical id the stack name, physical id the StackId) or of a resource."""

    event_id: str
    at: float
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    reason: str = ""


@dataclass
class StackState:
    """One stack: its status with the time it was set, and the history of its status changes."""

    stack_id: str
    name: str
    created_at: float
    status: str
    status_at: float
    reason: str = ""
    last_updated_at: float | None = None
    history: list[tuple[float, str]] = field(default_factory=list)
    """(virtual time, status) of every status the stack went through, in order."""
    resources: dict[str, ResourceState] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    """Every status change of the stack and its resources, oldest first."""

    def record(
        self, logical_id: str, physical_id: str, resource_type: str, status: str, at: float, reason: str
    ) -> None:
        self.events.append(
            EventRecord(f"{logical_id}-{len(self.events)}", at, logical_id, physical_id, resource_type, status, reason)
        )


class OperationError(Exception):
    """A stack operation CloudFormation refuses (``ValidationError`` by default, HTTP 400)."""

    def __init__(self, message: str, code: str = "ValidationError") -> None:
        super().__init__(message)
        self.code, self.message = code, message


class StackOperations(Protocol):
    """What serves CloudFormation's stack operations over :class:`CloudFormationState` (parameters as the
    query protocol gives them: ``TemplateBody``, ``DisableRollback``, ...)."""

    def create_stack(self, params: Mapping[str, str]) -> str:
        """Create the stack; its StackId."""
        ...

    def update_stack(self, params: Mapping[str, str]) -> str:
        """Update the stack; its StackId."""
        ...

    def delete_stack(self, params: Mapping[str, str]) -> None: ...

    def continue_update_rollback(self, params: Mapping[str, str]) -> None: ...

    def catch_up(self) -> None:
        """Let what is due on the virtual clock happen (queued invocations, schedules) before a read."""
        ...


def stack_name_of(stack_id: str) -> str:
    """The stack name inside a stack ARN (``...:stack/<name>/<uuid>``)."""
    if not stack_id.startswith(STACK_ARN_PREFIX) or ":stack/" not in stack_id:
        raise ValueError(f"not a stack ARN: {stack_id!r}")
    return stack_id.split(":stack/", 1)[1].split("/", 1)[0]


class CloudFormationState:
    """The stacks of the loopback account, by StackId (see the module docstring)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._stacks: dict[str, StackState] = {}
        self.operator: StackOperations | None = None
        """What serves the stack operations (None: only the reads are served)."""

    def register(self, stack_id: str, *, at: float, status: str = "REVIEW_IN_PROGRESS") -> StackState:
        """Make the stack exist (no-op when it already does): ``status`` set at ``at``, its CreationTime.

        ``REVIEW_IN_PROGRESS`` is the status of a stack that exists with no resources yet (a change set's
        stack before it is executed); the request driver and the stack player then set the real ones.
        """
        with self.lock:
            existing = self._stacks.get(stack_id)
            if existing is not None:
                return existing
            stack = StackState(stack_id, stack_name_of(stack_id), at, status, at, history=[(at, status)])
            stack.record(stack.name, stack_id, STACK_TYPE, status, at, "User Initiated")
            self._stacks[stack_id] = stack
            return stack

    def set_stack_status(self, stack_id: str, status: str, *, at: float, reason: str = "") -> None:
        """Set the stack's status at virtual time ``at`` (the stack must be registered)."""
        with self.lock:
            stack = self._require(stack_id)
            if status.startswith("UPDATE_"):
                stack.last_updated_at = at
            stack.status, stack.status_at, stack.reason = status, at, reason
            stack.history.append((at, status))
            stack.record(stack.name, stack_id, STACK_TYPE, status, at, reason)

    def set_resource_status(
        self,
        stack_id: str,
        logical_id: str,
        status: str,
        *,
        at: float,
        reason: str = "",
        physical_id: str | None = None,
        resource_type: str | None = None,
    ) -> None:
        """Set a resource's status (creating the resource entry on first use) at virtual time ``at``;
        ``physical_id`` and ``resource_type`` are kept when not given.

        A ``DELETE_*`` status of another physical id than the resource's current one (the cleanup of a
        replaced id) leaves the resource as it is: assumed, ``DescribeStackResource`` goes on showing the
        current physical id and status while CloudFormation deletes an old one (the User Guide shows only the
        stack events; refuted by the probe ``cleanup_reads_current_resource``)."""
        with self.lock:
            stack = self._require(stack_id)
            resource = stack.resources.get(logical_id)
            if (
                resource is not None
                and status.startswith("DELETE_")
                and physical_id
                and resource.physical_id
                and physical_id != resource.physical_id
            ):
                stack.record(logical_id, physical_id, resource.resource_type, status, at, reason)  # the event shows it
                return
            if resource is None:
                resource = ResourceState(logical_id, resource_type or "AWS::CloudFormation::CustomResource", status, at)
                stack.resources[logical_id] = resource
            resource.status, resource.updated_at, resource.reason = status, at, reason
            if physical_id is not None:
                resource.physical_id = physical_id
            if resource_type is not None:
                resource.resource_type = resource_type
            stack.record(logical_id, resource.physical_id, resource.resource_type, status, at, reason)

    def remove_resource(self, stack_id: str, logical_id: str) -> None:
        """Forget a resource (CloudFormation no longer lists a deleted resource of a live stack)."""
        with self.lock:
            self._require(stack_id).resources.pop(logical_id, None)

    # -- reading ---------------------------------------------------------------------------------
    def stack(self, name_or_id: str) -> StackState:
        """The stack ``name_or_id`` names (see the module docstring); :class:`StackNotFound` if none."""
        with self.lock:
            if name_or_id.startswith(STACK_ARN_PREFIX):
                found = self._stacks.get(name_or_id)
                if found is None:
                    raise StackNotFound(name_or_id)
                return found
            live = [s for s in self._stacks.values() if s.name == name_or_id and s.status != "DELETE_COMPLETE"]
            if not live:
                raise StackNotFound(name_or_id)
            return live[-1]

    def stacks(self) -> list[StackState]:
        """Every stack that is not deleted (``DescribeStacks`` without a StackName)."""
        with self.lock:
            return [s for s in self._stacks.values() if s.status != "DELETE_COMPLETE"]

    def resource(self, name_or_id: str, logical_id: str) -> tuple[StackState, ResourceState]:
        """The stack and its resource ``logical_id``; :class:`StackNotFound` / :class:`ResourceNotFound`."""
        with self.lock:
            stack = self.stack(name_or_id)
            resource = stack.resources.get(logical_id)
            if resource is None:
                raise ResourceNotFound(logical_id)
            return stack, resource

    def status(self, stack_id: str) -> str:
        with self.lock:
            return self._require(stack_id).status

    def resource_status(self, stack_id: str, logical_id: str) -> str | None:
        """The resource's status, or None if the stack has no such resource."""
        with self.lock:
            resource = self._require(stack_id).resources.get(logical_id)
            return None if resource is None else resource.status

    def exists(self, stack_id: str) -> bool:
        with self.lock:
            return stack_id in self._stacks

    def _require(self, stack_id: str) -> StackState:
        stack = self._stacks.get(stack_id)
        if stack is None:
            raise StackNotFound(stack_id)
        return stack
