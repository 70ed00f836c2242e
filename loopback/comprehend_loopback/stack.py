"""A loopback CloudFormation that plays whole stacks: create, update with its cleanup, rollback with
its cleanup, and delete, on the loopback world and its virtual clock.

What it models, from the CloudFormation User Guide ("Update behaviors of stack resources", "Stack
status codes", "DependsOn attribute", custom resource request types) and aws-cdk's
``docs/CLOUDFORMATION.md``:

- resources are created and updated in dependency order (``DependsOn`` and every reference) and
  deleted in the reverse order;
- update: a new resource is created, a changed one updated; a custom resource that answers with a
  new physical id has been replaced, and its old id is deleted in the cleanup
  (``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``), together with the resources the template no longer
  has. A failed cleanup Delete is recorded as an event; the stack still ends ``UPDATE_COMPLETE``;
- rollback after a failed update (``UPDATE_ROLLBACK_IN_PROGRESS``): every resource the attempt
  updated, the failed one included, gets its old properties back. A custom resource gets an Update
  with ``ResourceProperties`` = old, ``OldResourceProperties`` = new and its *current* physical id.
  Then (``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS``) the resources the attempt created and
  the physical ids that are no longer current are deleted. A failed rollback Update ends in
  ``UPDATE_ROLLBACK_FAILED``;
- a failed create of a new stack rolls back by deleting what was created (``ROLLBACK_COMPLETE``);
- ``DeletionPolicy``/``UpdateReplacePolicy: Retain`` keep the resource (recorded in ``retained``).

Assumed where the documentation is silent (see the README's list): the order of a rollback, which
is played in dependency order of the old template (``rollback_order="reverse"`` plays the other
order, so a test can show a handler works either way); and that every custom-resource rollback is
an Update with the current physical id. CloudFormation works in parallel where dependencies allow;
the player runs one valid serial order.

Real timing, on request (``deploy(..., cancel_after_s=..., rollback_delay_s=..., disable_rollback=...)``;
the defaults keep the serial play above, where CloudFormation waits for every custom-resource answer):

- ``cancel_after_s``: during an update, a resource named in ``fail`` fails ``cancel_after_s`` virtual
  seconds after the update's FIRST custom-resource request was sent, while that request is still in
  flight (a slow custom resource beside a failing sibling). CloudFormation then stops waiting: the
  request is cancelled (``UPDATE_FAILED``/``CREATE_FAILED`` "Resource update cancelled"/"Resource
  creation cancelled"), its Lambda chain runs on, and the rollback starts. If the request is answered
  before that moment, the sibling fails when the serial order reaches it, as without the option;
  A cancelled Create is deleted in the rollback under a physical id CloudFormation made up (aws-cdk PR 36951);
- ``rollback_delay_s``: the rollback Update of the cancelled resource is sent that long after the
  rollback started (a slow sibling rolled back first), with ``OldResourceProperties`` = the properties
  of the cancelled update. Requests after a cancellation do not wait for the cancelled chain: it
  interleaves with them on the virtual clock and is run to its end before ``deploy`` returns;
- ``disable_rollback``: a failure leaves ``UPDATE_FAILED``/``CREATE_FAILED`` and no rollback; deploying
  the same template again re-sends the failed custom resource's request with the SAME RequestId (a new
  delivery, as a retried deployment does; aws-cdk issue 35957).

The registry ``world.aws.stacks`` follows the stack's and its resources' statuses as the events
record them, with their virtual times (the stack is ``REVIEW_IN_PROGRESS`` from its first deploy, as
a change set's stack is, until it is created).

Native resources are applied at once, with the effects the loopback world needs: a role becomes a
principal, a policy is attached to its roles (so every request is authorized against the policy
CloudFormation would have in place at that moment), a function is registered with its staged code
and role, an alias and asynchronous-invoke limits are recorded.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comprehend_loopback.cloudformation import (
    CANCELLED,
    LAMBDA_RETRY_DELAYS,
    CloudFormation,
    CloudFormationTimeout,
    Stuck,
    cfn_strings,
)
from comprehend_loopback.receiver import Answer
from comprehend_loopback.template import Conditions, Resolver, StackTemplate, TemplateError
from comprehend_loopback.world import World

ENDPOINT_TYPE = "Custom::ComprehendEndpoint"
DEFAULT_TIMEOUT_S = 3.0
DEFAULT_MEMORY_MB = 128
_COMPREHEND_MODELS = {
    "AWS::Comprehend::DocumentClassifier": ("document-classifier", "DocumentClassifierName"),
    "AWS::Comprehend::EntityRecognizer": ("entity-recognizer", "RecognizerName"),
    "AWS::Comprehend::Flywheel": ("flywheel", "FlywheelName"),
}
_CREATE_ONLY = {
    "AWS::ApplicationAutoScaling::ScalableTarget": ("ResourceId", "ScalableDimension", "ServiceNamespace"),
}
"""Native properties whose change replaces the resource (the ``createOnlyProperties`` of the type's CloudFormation
resource schema): CloudFormation creates the new resource in the update and deletes the old one in the cleanup.
Only the native types the loopback plays and whose replacement a test can observe are listed."""
_NAME_PROPERTY = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
}


def access_key_for(role_arn: str) -> str:
    """The access key the loopback world gives a function running as ``role_arn``."""
    return "AKIALOOP" + hashlib.sha256(role_arn.encode()).hexdigest()[:12].upper()


def is_custom(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


@dataclass
class Deployed:
    """A resource as the stack holds it: its physical id, resolved properties and attributes."""

    logical_id: str
    type: str
    physical_id: str
    properties: dict[str, Any]
    attributes: Mapping[str, str]
    deletion_policy: str | None = None
    replace_policy: str | None = None


@dataclass
class StackEvent:
    at: float
    stack: str
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""


@dataclass
class FunctionState:
    """What the player knows of a Lambda function: its code, role and limits."""

    name: str
    code_dir: Path | None
    role_arn: str
    timeout_s: float
    memory_mb: int
    retries: dict[str, int] = field(default_factory=dict)
    """Qualifier -> MaximumRetryAttempts of its asynchronous-invoke configuration."""
    log_group_name: str = ""


class _Failed(Exception):
    def __init__(self, reason: str, physical_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.physical_id = physical_id


class _Cancelled(_Failed):
    """CloudFormation stopped waiting for a custom resource's request (a sibling failed meanwhile)."""


@dataclass
class _Timing:
    """How one ``deploy`` plays CloudFormation's timing (see the module docstring)."""

    cancel_after_s: float | None = None
    rollback_delay_s: float = 0.0
    disable_rollback: bool = False
    fail: set[str] = field(default_factory=set)
    watching: bool = False
    """Whether the next custom-resource request is the update's first (the one a failure may cancel)."""
    cancelled: tuple[str, dict[str, Any]] | None = None
    """(logical id, properties of the cancelled request) once a request was cancelled."""
    visited: set[str] = field(default_factory=set)
    rollback_started: float | None = None
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Logical id -> the properties of the custom-resource Update this deploy sent it (answered or not): a
    rollback Update carries them as ``OldResourceProperties``, also when that Update failed."""


class _Generated(Mapping[str, str]):
    """Attributes of a resource type the player does not model: any attribute, a stable made-up value."""

    def __init__(self, arn: str) -> None:
        self._arn = arn

    def __getitem__(self, key: str) -> str:
        return self._arn if key == "Arn" else f"{self._arn}/{key}"

    def __iter__(self) -> Iterator[str]:
        return iter(["Arn"])

    def __len__(self) -> int:
        return 1

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)


class StackPlayer:
    """One stack in the loopback account, played version after version.

    ``deploy(template)`` creates the stack or updates it to ``template``; ``fail`` names resources
    that fail when CloudFormation creates or updates them (another resource's failure, to provoke a
    rollback). ``destroy()`` deletes the stack. Each returns the final stack status.
    """

    def __init__(
        self,
        world: World,
        name: str,
        *,
        rollback_order: str = "dependency",
        on_event: Callable[[StackEvent], None] | None = None,
    ) -> None:
        if rollback_order not in ("dependency", "reverse"):
            raise ValueError(f"rollback_order must be 'dependency' or 'reverse', got {rollback_order!r}")
        self.world = world
        self.name = name
        self.account, self.region = world.comprehend.account, world.comprehend.region
        self.stack_id = f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{name}/{uuid.uuid4()}"
        self.rollback_order = rollback_order
        self.on_event = on_event
        self.status = "NOT_CREATED"
        self.template: StackTemplate | None = None
        self.resources: dict[str, Deployed] = {}
        self.events: list[StackEvent] = []
        self.outputs: dict[str, str] = {}
        self.retained: list[Deployed] = []
        self.functions: dict[str, FunctionState] = {}
        self.answers: list[tuple[str, str, dict[str, Any]]] = []
        """(request type, logical id, response body) of every custom-resource request, in order."""
        self._drivers: dict[tuple[str, Path | None], CloudFormation] = {}
        self._serial = 0
        self._timing = _Timing()
        self._failed_requests: dict[str, tuple[CloudFormation, str]] = {}
        """Logical id -> (driver, RequestId) of a custom-resource request that failed in this deploy."""
        self._retry: dict[str, tuple[CloudFormation, str]] = {}
        """Requests a deploy with rollback disabled left failed: the next deploy re-sends them."""

    # ------------------------------------------------------------------------------ public

    def deploy(
        self,
        template: StackTemplate,
        *,
        fail: Collection[str] = (),
        cancel_after_s: float | None = None,
        rollback_delay_s: float = 0.0,
        disable_rollback: bool = False,
    ) -> str:
        """Create the stack or update it to ``template``; returns the final stack status. ``fail``,
        ``cancel_after_s``, ``rollback_delay_s`` and ``disable_rollback``: see the module docstring."""
        if self.template is not None and self.status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
            raise RuntimeError(f"stack {self.name} is {self.status}: it can only be deleted")
        self._timing = _Timing(cancel_after_s, rollback_delay_s, disable_rollback, set(fail))
        self._failed_requests = {}
        try:
            if self.template is None:
                self.world.aws.stacks.register(self.stack_id, at=self.world.clock.now())
                return self._create_stack(template, set(fail))
            return self._update_stack(template, set(fail))
        finally:
            self._retry = dict(self._failed_requests) if self.status.endswith("_FAILED") and disable_rollback else {}
            for driver in self._drivers.values():  # cancelled chains run to their end
                driver.drain()

    def destroy(self) -> str:
        if self.template is None:
            return self.status
        self.status = "DELETE_IN_PROGRESS"
        self._stack_event(self.status)
        failed = False
        for lid in reversed(self.template.creation_order(self._parameters(self.template))):
            resource = self.resources.get(lid)
            if resource is None:
                continue
            if resource.deletion_policy == "Retain":
                self.retained.append(resource)
                self._event(resource, "DELETE_SKIPPED")
                del self.resources[lid]
                continue
            if self._delete(resource):
                del self.resources[lid]
            else:
                failed = True
        self.status = "DELETE_FAILED" if failed else "DELETE_COMPLETE"
        self._stack_event(self.status)
        return self.status

    @property
    def drivers(self) -> list[CloudFormation]:
        """The request-level drivers that played this stack's custom-resource requests, one per function."""
        return list(self._drivers.values())

    def endpoints(self) -> dict[str, str]:
        """Logical id -> physical id of the stack's ``Custom::ComprehendEndpoint`` resources."""
        return {lid: r.physical_id for lid, r in self.resources.items() if r.type == ENDPOINT_TYPE}

    def kept_endpoints(self) -> set[str]:
        """Physical ids of the endpoints CloudFormation kept by a Retain policy (replaced or removed): they bill by
        the user's choice, not by mistake."""
        return {r.physical_id for r in self.retained if r.type == ENDPOINT_TYPE}

    # ---------------------------------------------------------------------- stack operations

    def _create_stack(self, template: StackTemplate, fail: set[str]) -> str:
        self.template = template
        self.status = "CREATE_IN_PROGRESS"
        self._stack_event(self.status)
        created: list[str] = []
        for lid in template.creation_order(self._parameters(template)):
            if self._create(template, lid, fail):
                created.append(lid)
                continue
            if lid in self.resources:
                created.append(lid)  # failed, but holds a physical id the rollback must delete
            if self._timing.disable_rollback:
                self.status = "CREATE_FAILED"
                self._stack_event(self.status)
                return self.status
            self.status = "ROLLBACK_IN_PROGRESS"
            self._stack_event(self.status)
            ok = all([self._delete_if_owned(self.resources[c]) for c in reversed(created) if c in self.resources])
            self.status = "ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED"
            self._stack_event(self.status)
            return self.status
        self.status = "CREATE_COMPLETE"
        self._finish()
        return self.status

    def _update_stack(self, new: StackTemplate, fail: set[str]) -> str:
        old = self.template
        assert old is not None
        before = dict(self.resources)
        self.template = new
        self.status = "UPDATE_IN_PROGRESS"
        self._stack_event(self.status)
        created: list[str] = []
        touched: list[str] = []
        seen_ids: dict[str, list[Deployed]] = {}
        failed = False
        self._timing.watching = self._timing.cancel_after_s is not None
        for lid in new.creation_order(self._parameters(new)):
            self._timing.visited.add(lid)
            resource_type = new.resources[lid]["Type"]
            current = self.resources.get(lid)
            retry = self._retry.get(lid)
            # A Create that failed with rollback disabled is sent again (same RequestId) by the retried deployment.
            recreate = retry is not None and retry[0].events[retry[1]]["RequestType"] == "Create"
            if current is None or current.type != resource_type or recreate:
                if current is not None and not recreate:  # a type change replaces the resource
                    seen_ids.setdefault(lid, []).append(current)
                ok = self._create(new, lid, fail)
                if ok or lid in self.resources:
                    created.append(lid)
                if not ok:
                    failed = True
                    break
                continue
            try:
                props = self._resolve(new, lid)
            except TemplateError as exc:
                self._event(current, "UPDATE_FAILED", str(exc))
                failed = True
                break
            if props == current.properties and lid not in fail:
                continue
            touched.append(lid)
            updated = self._update(new, lid, current, props, fail)
            if updated is None:
                failed = True
                break
            if updated.physical_id != current.physical_id:
                seen_ids.setdefault(lid, []).append(current)
        if not failed:
            self.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            self._stack_event(self.status)
            present = set(new.present(self._parameters(new)))
            for lid in reversed(old.creation_order(self._parameters(old))):
                if lid not in present and lid in before:
                    resource = self.resources.pop(lid, before[lid])
                    if resource.deletion_policy == "Retain":
                        self.retained.append(resource)
                        self._event(resource, "DELETE_SKIPPED")
                    else:
                        self._delete(resource)
                for replaced in seen_ids.get(lid, []):
                    if replaced.replace_policy == "Retain":
                        self.retained.append(replaced)
                        self._event(replaced, "DELETE_SKIPPED")
                    else:
                        self._delete(replaced)
            self.status = "UPDATE_COMPLETE"
            self._finish()
            return self.status

        if self._timing.cancelled is not None:  # the siblings that failed meanwhile are rolled back too
            touched += [lid for lid in sorted(self._timing.fail) if lid in before and lid not in touched]
        if self._timing.disable_rollback:
            self.template = old  # what the stack was last deployed with: a later deploy starts from it
            self.status = "UPDATE_FAILED"
            self._stack_event(self.status)
            return self.status
        self.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        self._stack_event(self.status)
        self._timing.rollback_started = self.world.clock.now()
        self.template = old
        order = old.creation_order(self._parameters(old))
        if self.rollback_order == "reverse":
            order = list(reversed(order))
        for lid in order:
            if lid not in touched:
                continue
            current = self.resources[lid]
            if not self._roll_back(old, lid, current, before[lid]):
                self.status = "UPDATE_ROLLBACK_FAILED"
                self._stack_event(self.status)
                return self.status
            if self.resources[lid].physical_id != current.physical_id:
                seen_ids.setdefault(lid, []).append(current)
        self.status = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
        self._stack_event(self.status)
        for lid in reversed(created):
            created_resource = self.resources.pop(lid, None)
            if created_resource is not None:
                self._delete(created_resource)
            if lid in before:  # a type change: the old resource is the stack's again
                self.resources[lid] = before[lid]
        for lid in sorted(seen_ids, key=_reverse_index(old.creation_order(self._parameters(old)))):
            current_id = self.resources[lid].physical_id if lid in self.resources else None
            for stale in seen_ids[lid]:
                if stale.physical_id != current_id:
                    self._delete(stale)
        self.status = "UPDATE_ROLLBACK_COMPLETE"
        self._finish()
        return self.status

    def _finish(self) -> None:
        self._stack_event(self.status)
        assert self.template is not None
        resolver = self._resolver(self.template)
        self.outputs = {}
        for name, output in self.template.body.get("Outputs", {}).items():
            if "Condition" in output and not resolver.conditions.holds(output["Condition"]):
                continue
            value = str(resolver.resolve(output["Value"]))
            self.outputs[name] = value
            export = output.get("Export", {}).get("Name")
            if export is not None:
                self.world.exports[str(resolver.resolve(export))] = value

    # --------------------------------------------------------------------- resource actions

    def _create(self, template: StackTemplate, lid: str, fail: set[str]) -> bool:
        definition = template.resources[lid]
        resource_type = definition["Type"]
        placeholder = Deployed(lid, resource_type, "", {}, {})
        self._event(placeholder, "CREATE_IN_PROGRESS")
        props: dict[str, Any] = {}
        try:
            props = self._resolve(template, lid)
            if lid in fail:
                raise _Failed("injected failure (the test asked this resource to fail)")
            if is_custom(resource_type):
                physical_id, attributes = self._custom("Create", lid, resource_type, props)
            else:
                physical_id = self._physical_name(lid, resource_type, props)
                attributes = self._apply_native(template, lid, resource_type, props, physical_id, None)
        except (_Failed, TemplateError) as exc:
            physical_id = exc.physical_id if isinstance(exc, _Failed) else ""
            if physical_id:
                self.resources[lid] = Deployed(lid, resource_type, physical_id, props, {}, *_policies(definition))
            self._event(Deployed(lid, resource_type, physical_id, {}, {}), "CREATE_FAILED", str(exc))
            return False
        deployed = Deployed(lid, resource_type, physical_id, props, attributes, *_policies(definition))
        self.resources[lid] = deployed
        self._event(deployed, "CREATE_COMPLETE")
        return True

    def _update(
        self, template: StackTemplate, lid: str, current: Deployed, props: dict[str, Any], fail: set[str]
    ) -> Deployed | None:
        self._event(current, "UPDATE_IN_PROGRESS")
        try:
            if lid in fail:
                raise _Failed("injected failure (the test asked this resource to fail)")
            if is_custom(current.type):
                self._timing.sent[lid] = props
                physical_id, attributes = self._custom(
                    "Update", lid, current.type, props, physical_id=current.physical_id, old=current.properties
                )
            elif any(props.get(key) != current.properties.get(key) for key in _CREATE_ONLY.get(current.type, ())):
                physical_id = self._physical_name(lid, current.type, props)  # the old one stays until the cleanup
                attributes = self._apply_native(template, lid, current.type, props, physical_id, None)
            else:
                physical_id = current.physical_id
                attributes = self._apply_native(template, lid, current.type, props, physical_id, current)
        except _Failed as exc:
            self._event(current, "UPDATE_FAILED", exc.reason)
            return None
        definition = template.resources[lid]
        updated = Deployed(lid, current.type, physical_id, props, attributes, *_policies(definition))
        self.resources[lid] = updated
        self._event(updated, "UPDATE_COMPLETE")
        return updated

    def _roll_back(self, old: StackTemplate, lid: str, current: Deployed, before: Deployed) -> bool:
        cancelled = self._timing.cancelled
        # CloudFormation rolls back from the properties it tried to apply, whether that Update succeeded,
        # failed or was cancelled.
        previous = self._timing.sent.get(lid, current.properties)
        if cancelled is not None and cancelled[0] == lid and self._timing.rollback_started is not None:
            send_at = self._timing.rollback_started + self._timing.rollback_delay_s
            for driver in list(self._drivers.values()):  # the cancelled chain runs on meanwhile
                driver.run_until(send_at)
        self._event(current, "UPDATE_IN_PROGRESS", "rollback")
        try:
            props = self._resolve(old, lid)
            if is_custom(current.type):
                physical_id, attributes = self._custom(
                    "Update", lid, current.type, props, physical_id=current.physical_id, old=previous
                )
            else:
                physical_id = before.physical_id
                attributes = self._apply_native(old, lid, current.type, props, physical_id, current)
        except (_Failed, TemplateError) as exc:
            self._event(current, "UPDATE_FAILED", f"rollback: {exc}")
            return False
        restored = Deployed(lid, current.type, physical_id, props, attributes, *_policies(old.resources[lid]))
        self.resources[lid] = restored
        self._event(restored, "UPDATE_COMPLETE", "rollback")
        return True

    def _delete(self, resource: Deployed) -> bool:
        self._event(resource, "DELETE_IN_PROGRESS")
        try:
            if is_custom(resource.type):
                if resource.physical_id:
                    self._custom(
                        "Delete", resource.logical_id, resource.type, resource.properties, resource.physical_id
                    )
            else:
                self._remove_native(resource)
        except _Failed as exc:
            self._event(resource, "DELETE_FAILED", exc.reason)
            return False
        self._event(resource, "DELETE_COMPLETE")
        return True

    def _delete_if_owned(self, resource: Deployed) -> bool:
        if resource.deletion_policy == "Retain":
            self.retained.append(resource)
            return True
        return self._delete(resource)

    # ------------------------------------------------------------------- custom resources

    def _custom(
        self,
        request_type: str,
        lid: str,
        resource_type: str,
        props: dict[str, Any],
        physical_id: str | None = None,
        old: dict[str, Any] | None = None,
    ) -> tuple[str, Mapping[str, str]]:
        retry = self._retry.pop(lid, None)
        if retry is not None and retry[0].events[retry[1]]["RequestType"] == request_type:
            driver, event = retry[0], retry[0].resend(retry[1])  # the same RequestId, a new delivery
        else:
            driver = self._driver(str(props.get("ServiceToken", "")))
            event = driver.event(request_type, lid, props, physical_id=physical_id, old_properties=old, defaults=False)
            event["ResourceType"] = resource_type
            driver.submit(event)
        try:
            answer = self._wait(driver, event, lid, props)
        except _Cancelled:
            self._failed_requests[lid] = (driver, event["RequestId"])
            raise
        except (CloudFormationTimeout, Stuck) as exc:
            self._failed_requests[lid] = (driver, event["RequestId"])
            invented = physical_id or f"{self.name}-{lid}-{self._next_serial():012X}"
            raise _Failed(f"no answer: {exc}", invented if request_type == "Create" else "") from None
        body = answer.body
        self.answers.append((request_type, lid, body))
        if body.get("Status") != "SUCCESS":
            self._failed_requests[lid] = (driver, event["RequestId"])
            answered = str(body.get("PhysicalResourceId") or "")
            raise _Failed(str(body.get("Reason", "")), answered if request_type == "Create" else "")
        data = {k: str(v) for k, v in (body.get("Data") or {}).items()}
        return str(body["PhysicalResourceId"]), data

    def _wait(self, driver: CloudFormation, event: dict[str, Any], lid: str, props: dict[str, Any]) -> Answer:
        """CloudFormation's wait for the answer to ``event`` (already submitted). The update's first
        custom-resource request, with ``cancel_after_s``, is cancelled if it is not answered by then (the
        siblings named in ``fail`` fail at that moment). After a cancellation, the wait does not run the
        cancelled chain to its end."""
        rid = event["RequestId"]
        timing = self._timing
        if timing.watching and timing.cancel_after_s is not None:
            timing.watching = False
            deadline = driver.sent[rid] + timing.cancel_after_s
            driver.run_until(deadline)
            answer = driver.read.get(rid)
            if answer is None or answer.at > deadline:
                self._fail_siblings(lid)
                reason = CANCELLED.get(event["RequestType"], CANCELLED["Update"])
                driver.cancel(rid, reason)
                timing.cancelled = (lid, props)
                # A cancelled Create: the rollback deletes the resource under a physical id CloudFormation makes
                # up (aws-cdk PR 36951 documents it for custom resources), "<stack>-<logical id>-<suffix>".
                invented = f"{self.name}-{lid}-{self._next_serial():012X}" if event["RequestType"] == "Create" else ""
                raise _Cancelled(reason, invented)
        return driver.run([rid], drain=timing.cancelled is None)[rid]

    def _fail_siblings(self, lid: str) -> None:
        """The resources named in ``fail`` that the serial order has not reached fail now."""
        assert self.template is not None
        for sibling in sorted(self._timing.fail - self._timing.visited - {lid}):
            if sibling not in self.template.resources:
                continue
            self._timing.visited.add(sibling)
            reason = "injected failure (the test asked this resource to fail)"
            existing = self.resources.get(sibling)
            if existing is not None:
                self._event(existing, "UPDATE_FAILED", reason)
            else:
                placeholder = Deployed(sibling, self.template.resources[sibling]["Type"], "", {}, {})
                self._event(placeholder, "CREATE_FAILED", reason)

    def _new_driver(
        self,
        key: tuple[str, Any],
        handler: Callable[[], Callable[[dict[str, Any], Any], Any]],
        function: FunctionState,
        service_token: str,
    ) -> CloudFormation:
        """A request driver for ``function`` of this stack running ``handler``, kept under ``key``."""
        driver = self.world.cloudformation(
            handler,
            function_name=function.name,
            service_token=service_token,
            stack_id=self.stack_id,
            timeout_s=function.timeout_s,
            memory_mb=function.memory_mb,
            log_group_name=function.log_group_name,
        )
        driver.manage_stack_status = False  # the player moves the stack's status itself
        self._drivers[key] = driver
        return driver

    def _driver(self, service_token: str) -> CloudFormation:
        parts = service_token.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            raise _Failed(f"ServiceToken {service_token!r} is not a Lambda function the loopback world runs")
        function = self.functions.get(parts[6])
        if function is None:
            raise _Failed(f"ServiceToken {service_token!r}: no such function in stack {self.name}")
        key = (function.name, function.code_dir)
        driver = self._drivers.get(key)
        qualifier = parts[7] if len(parts) > 7 else "$LATEST"
        if driver is None:
            code_dir = function.code_dir
            if code_dir is None:
                raise _Failed(f"function {function.name} has no staged code (aws:asset:path) to run")
            access_key = access_key_for(function.role_arn)

            def handler() -> Callable[[dict[str, Any], Any], Any]:
                return self.world.handler(code_dir, access_key=access_key)

            driver = self._new_driver(key, handler, function, service_token)
        # The alias's asynchronous-invoke limits may have been applied after the driver was made.
        driver.retry_delays = LAMBDA_RETRY_DELAYS[: function.retries.get(qualifier, len(LAMBDA_RETRY_DELAYS))]
        return driver

    # -------------------------------------------------------------------- native resources

    def _apply_native(
        self,
        template: StackTemplate,
        lid: str,
        resource_type: str,
        props: dict[str, Any],
        physical_id: str,
        previous: Deployed | None,
    ) -> Mapping[str, str]:
        """Apply a native resource's effects on the loopback world; returns its attributes."""
        aws = self.world.aws
        if resource_type == "AWS::IAM::Role":
            arn = f"arn:aws:iam::{self.account}:role/{physical_id}"
            principal = aws.register_principal(access_key_for(arn), arn)
            for name in [k for k in principal.policies if k.startswith("inline:")]:
                del principal.policies[name]
            for policy in props.get("Policies", []):
                principal.policies[f"inline:{policy['PolicyName']}"] = policy["PolicyDocument"]
            return {"Arn": arn, "RoleId": f"AROA{physical_id[-12:].upper()}"}
        if resource_type == "AWS::IAM::Policy":
            if previous is not None:
                self._detach(previous)
            for role_name in props.get("Roles", []):
                arn = f"arn:aws:iam::{self.account}:role/{role_name}"
                principal = aws.register_principal(access_key_for(arn), arn)
                principal.policies[physical_id] = props["PolicyDocument"]
            return {}
        if resource_type == "AWS::Lambda::Function":
            function = self.functions.get(physical_id) or FunctionState(physical_id, None, "", 3.0, 128)
            function.code_dir = template.asset_dir(lid)
            function.role_arn = str(props.get("Role", ""))
            function.timeout_s = float(props.get("Timeout", DEFAULT_TIMEOUT_S))
            function.memory_mb = int(props.get("MemorySize", DEFAULT_MEMORY_MB))
            log_group = props.get("LoggingConfig", {}).get("LogGroup")
            function.log_group_name = str(log_group) if log_group else f"/aws/lambda/{physical_id}"
            self.functions[physical_id] = function
            aws.register_function(physical_id)
            return {"Arn": f"arn:aws:lambda:{self.region}:{self.account}:function:{physical_id}"}
        if resource_type == "AWS::Lambda::Alias":
            function_name = str(props["FunctionName"]).rsplit(":", 1)[-1]
            aws.register_function(function_name).aliases.add(str(props["Name"]))
            return {"AliasArn": physical_id}
        if resource_type == "AWS::Lambda::EventInvokeConfig":
            function_name = str(props["FunctionName"]).rsplit(":", 1)[-1]
            if function_name in self.functions:
                retries = int(props.get("MaximumRetryAttempts", 2))
                self.functions[function_name].retries[str(props["Qualifier"])] = retries
            return {}
        if resource_type in ("AWS::Comprehend::DocumentClassifier", "AWS::Comprehend::EntityRecognizer"):
            # Assumed trained at once (the loopback world does not model training).
            self.world.comprehend.add_model(physical_id)
            return {"Arn": physical_id}
        if resource_type == "AWS::Comprehend::Flywheel":
            model_type = str(props.get("ModelType", "DOCUMENT_CLASSIFIER"))
            kind = "entity-recognizer" if model_type == "ENTITY_RECOGNIZER" else "document-classifier"
            active = str(
                props.get("ActiveModelArn") or f"arn:aws:comprehend:{self.region}:{self.account}:{kind}/{lid}-active"
            )
            self.world.comprehend.add_flywheel(physical_id, model_type, active)
            return {"Arn": physical_id}
        if resource_type == "AWS::Logs::LogGroup":
            return {"Arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:{physical_id}:*"}
        if resource_type == "AWS::ApplicationAutoScaling::ScalableTarget":
            self.world.scaling_targets[str(props["ResourceId"])] = dict(props)
            if previous is not None and previous.properties.get("ResourceId") != props["ResourceId"]:
                self.world.scaling_targets.pop(str(previous.properties.get("ResourceId")), None)
            return {}
        service = resource_type.split("::")[1].lower() if "::" in resource_type else "custom"
        return _Generated(f"arn:aws:{service}:{self.region}:{self.account}:{physical_id}")

    def _remove_native(self, resource: Deployed) -> None:
        if resource.type == "AWS::IAM::Policy":
            self._detach(resource)
        elif resource.type == "AWS::IAM::Role":
            arn = f"arn:aws:iam::{self.account}:role/{resource.physical_id}"
            principal = self.world.aws.principals.get(access_key_for(arn))
            if principal is not None:
                principal.policies.clear()
        elif resource.type == "AWS::ApplicationAutoScaling::ScalableTarget":
            self.world.scaling_targets.pop(str(resource.properties.get("ResourceId")), None)

    def _detach(self, policy: Deployed) -> None:
        for role_name in policy.properties.get("Roles", []):
            arn = f"arn:aws:iam::{self.account}:role/{role_name}"
            principal = self.world.aws.principals.get(access_key_for(arn))
            if principal is not None:
                principal.policies.pop(policy.physical_id, None)

    def _physical_name(self, lid: str, resource_type: str, props: Mapping[str, Any]) -> str:
        """The name the template gives, else CloudFormation's kind of ``stack-logicalid-SUFFIX``."""
        explicit = _NAME_PROPERTY.get(resource_type)
        if explicit is not None and isinstance(props.get(explicit), str):
            return str(props[explicit])
        if resource_type == "AWS::Lambda::Alias":
            function = str(props["FunctionName"]).rsplit(":", 1)[-1]
            return f"arn:aws:lambda:{self.region}:{self.account}:function:{function}:{props['Name']}"
        model = _COMPREHEND_MODELS.get(resource_type)
        if model is not None:  # Ref and GetAtt Arn of a Comprehend model are its ARN
            kind, name_prop = model
            version = f"/version/{props['VersionName']}" if props.get("VersionName") else ""
            return f"arn:aws:comprehend:{self.region}:{self.account}:{kind}/{props.get(name_prop, lid)}{version}"
        return f"{self.name[:20]}-{lid[:30]}-{self._next_serial():012X}"

    # ------------------------------------------------------------------------------ helpers

    def _next_serial(self) -> int:
        self._serial += 1
        return int(hashlib.sha256(f"{self.stack_id}/{self._serial}".encode()).hexdigest()[:12], 16)

    def _parameters(self, template: StackTemplate) -> dict[str, Any]:
        return {name: p.get("Default", "") for name, p in template.body.get("Parameters", {}).items()}

    def _pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": self.stack_id,
            "AWS::StackName": self.name,
        }

    def _resolver(self, template: StackTemplate) -> Resolver:
        parameters = self._parameters(template)
        pseudo = self._pseudo()
        return Resolver(
            pseudo=pseudo,
            parameters=parameters,
            physical_ids={lid: r.physical_id for lid, r in self.resources.items() if r.physical_id},
            attributes={lid: r.attributes for lid, r in self.resources.items()},
            conditions=Conditions(template.body.get("Conditions", {}), parameters, pseudo),
            exports=self.world.exports,
        )

    def _resolve(self, template: StackTemplate, lid: str) -> dict[str, Any]:
        """The resource's properties as CloudFormation sends them (custom resources: as strings)."""
        definition = template.resources[lid]
        props = self._resolver(template).resolve(definition.get("Properties", {}))
        return dict(cfn_strings(props)) if is_custom(definition["Type"]) else dict(props)

    def _event(self, resource: Deployed, status: str, reason: str = "") -> None:
        event = StackEvent(
            self.world.clock.now(), self.name, resource.logical_id, resource.type, status, reason, resource.physical_id
        )
        self.events.append(event)
        stacks = self.world.aws.stacks
        if resource.type == "AWS::CloudFormation::Stack":
            stacks.set_stack_status(self.stack_id, status, at=event.at, reason=reason)
        else:
            stacks.set_resource_status(
                self.stack_id,
                resource.logical_id,
                status,
                at=event.at,
                reason=reason,
                physical_id=resource.physical_id or None,
                resource_type=resource.type,
            )
        if self.on_event is not None:
            self.on_event(event)

    def _stack_event(self, status: str) -> None:
        self._event(Deployed(self.name, "AWS::CloudFormation::Stack", self.stack_id, {}, {}), status)


def _reverse_index(order: list[str]) -> Callable[[str], int]:
    """Sort key: dependents before what they depend on; resources not in ``order`` first."""
    positions = {lid: i for i, lid in enumerate(order)}
    return lambda lid: -positions.get(lid, len(positions))


def _policies(definition: Mapping[str, Any]) -> tuple[str | None, str | None]:
    return definition.get("DeletionPolicy"), definition.get("UpdateReplacePolicy")
