"""Create, update and delete of one Comprehend endpoint, resumable across Lambda invocations.

:class:`Lifecycle` turns one delivery of a CloudFormation request into an
:class:`~comprehend_cr.outcome.Outcome`. It polls ``DescribeEndpoint`` at most once per ``POLL_FIRST_S``
seconds (backing off to ``POLL_MAX_S``), never starts an API call or a sleep that could outlast the
invocation (see :mod:`comprehend_cr.budget`), and when the endpoint is still busy it returns ``PENDING``
with a :class:`~comprehend_cr.progress.Progress` from which the next invocation resumes. Every mutating call
is made at most once per phase, so a resumed or repeated invocation never creates a second endpoint.

Promises (docs/design.md §4, §4b and §4c):

- SUCCESS only for an endpoint that is ``IN_SERVICE`` with the desired values;
- a failure after an endpoint exists answers with that endpoint's ARN (or removes it), so nothing keeps
  billing;
- every endpoint created carries the ownership tags of :mod:`comprehend_cr.ownership`, and an endpoint is
  changed or deleted only when those tags name this stack and this logical resource; a name held by anything
  else fails naming the conflict and leaves it untouched; the ARN CreateEndpoint answers with must be the one
  the request names (a ClientRequestToken shared with another resource fails, touching nothing);
- an endpoint of the desired name that this resource already owns (the old endpoint met again by a rollback,
  a retried replacement) is taken back instead of created a second time; a Create never takes back one its
  resource kept on purpose (``RemovalPolicy: Retain``);
- deadlines run on CloudFormation's clock (the ResponseURL's ``X-Amz-Date``); a Create or Update reads its
  stack (:mod:`comprehend_cr.watch`) before it creates or changes anything and before it answers: once
  CloudFormation no longer waits for it, it creates nothing more, deletes what it created, and answers
  nothing (an answer would land on the object a newer delivery of the same request is answered through);
- every Update and Delete deletes the resource's strays (:mod:`comprehend_cr.sweep`);
- "gone" is told from "not ours" even when IAM answers AccessDenied for both, so a Delete of a vanished
  endpoint still succeeds at once;
- bad input fails at once naming the property.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from comprehend_cr import arns, budget, contract, diffs, sweep
from comprehend_cr.calls import (
    ACCESS_DENIED_CODES,
    Abandoned,
    NotOurs,
    OutOfTime,
    Rejected,
    Service,
    Transient,
    creation_time,
)
from comprehend_cr.clock import Clock
from comprehend_cr.delivery import Delivery, InvalidResponseUrl
from comprehend_cr.outcome import Outcome
from comprehend_cr.ownership import OWNERSHIP_TAG_KEYS, RETAINED_TAG, Owner, is_retained
from comprehend_cr.progress import Phase, Progress
from comprehend_cr.properties import EndpointSpec, PropertyError, parse_properties, service_timeout_or_default
from comprehend_cr.watch import FORWARD, RECHECK_S, StackReader, StackView, verdict

logger = logging.getLogger(__name__)

POLL_FIRST_S = 5.0
"""Delay before the first re-check; also the floor between two DescribeEndpoint calls."""
POLL_MAX_S = 10.0
"""Longest delay between two checks: bounds how late CloudFormation hears of a state change."""
INVOCATION_MARGIN_S = budget.INVOCATION_MARGIN_S
"""Time kept free at the end of every invocation to answer or to hand over to the next one."""
DEADLINE_MARGIN_S = max(120.0, budget.INVOCATION_MARGIN_S)
"""The handler answers FAILED itself this long before CloudFormation's ServiceTimeout (long enough
for the last call and the answer to arrive in time)."""
CLEANUP_RESERVE_S = 600.0
"""Of the time before the deadline, what a failed replacement keeps for removing its new endpoint."""
BUSY = sweep.BUSY


class Withdrawn(Exception):
    """CloudFormation no longer waits for this delivery; ``str()`` says how the stack shows it."""


@dataclass(frozen=True)
class Request:
    """The fields of a CloudFormation custom-resource request that the lifecycle reads."""

    request_type: str
    stack_id: str
    request_id: str
    logical_id: str
    physical_id: str
    properties: Mapping[str, Any]
    old_properties: Mapping[str, Any]
    delivery: Delivery | None = None
    """When CloudFormation sent this delivery, and which one it is (None: unknown)."""

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        try:
            delivery: Delivery | None = Delivery.of(event.get("ResponseURL"))
        except InvalidResponseUrl:
            delivery = None
        return cls(
            request_type=event["RequestType"],
            stack_id=event["StackId"],
            request_id=event["RequestId"],
            logical_id=event["LogicalResourceId"],
            physical_id=event.get("PhysicalResourceId", ""),
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties") or {},
            delivery=delivery,
        )

    @property
    def owner(self) -> Owner:
        """The owner this request's endpoint is tagged with."""
        return Owner(self.stack_id, self.logical_id)

    @property
    def sent_at(self) -> float | None:
        return self.delivery.sent_at if self.delivery else None

    def token(self) -> str:
        """The ClientRequestToken of the endpoint this delivery creates (see ``arns.derive_token``)."""
        attempt = self.delivery.id if self.delivery else ""
        return arns.derive_token(self.stack_id, self.logical_id, self.request_id, attempt)


def failed_create_marker(logical_id: str) -> str:
    """The physical id answered for a Create that left no endpoint behind.

    It is not an endpoint ARN, so the Delete that CloudFormation sends on rollback deletes no endpoint by
    that id (only the resource's strays, never one held by anyone else or kept on purpose).
    """
    return f"ComprehendEndpoint-CREATE_FAILED-{logical_id}"


def _never() -> bool:
    return False


class Lifecycle:
    """Drives one request for as long as the current invocation allows.

    ``invocation_end`` is the wall-clock second (on ``clock``) at which this Lambda invocation is killed; no
    API call starts later than ``budget.CALL_RESERVE_S`` before it. ``abandoned`` says whether the runtime has
    given the invocation up; once it does, no further call is made. ``cloudformation`` reads the stack (None:
    the stack is never read, every request is taken as still waited for).
    """

    def __init__(
        self,
        comprehend: Any,
        clock: Clock,
        invocation_end: float,
        abandoned: Callable[[], bool] = _never,
        *,
        cloudformation: Any = None,
    ) -> None:
        self._service = Service(comprehend, clock, invocation_end, abandoned)
        self._clock = clock
        self._invocation_end = invocation_end
        self._stacks = StackReader(cloudformation, self._service.guard) if cloudformation is not None else None
        self._view: StackView | None = None
        self._owner_checked: set[str] = set()
        """Endpoints whose ownership tags this invocation has read (never carried to the next one)."""
        self.current: Progress | None = None
        """The progress of the request being run (read by the runtime if it must answer early)."""

    # ----------------------------------------------------------------------------- dispatch

    def run(self, request: Request, progress: Progress | None = None) -> Outcome:
        """Advance ``request`` from ``progress`` (None for the first invocation)."""
        state = progress or Progress(started=self._clock.now())
        self.current = state
        if request.request_type == "Create":
            return self._create(request, state)
        if request.request_type == "Update":
            return self._update(request, state)
        if request.request_type == "Delete":
            return self._delete(request, state)
        return Outcome.failed(
            request.physical_id or failed_create_marker(request.logical_id),
            f"RequestType: unsupported value {request.request_type!r}",
        )

    def _origin(self, request: Request, state: Progress) -> float:
        """When the request's clock started: CloudFormation's send time, but never later than this handler's
        first run (a URL dated in the future, skewed or hand-made, cannot push the deadline past
        CloudFormation's)."""
        return min(request.sent_at, state.started) if request.sent_at is not None else state.started

    # ------------------------------------------------------------------------------- create

    def _create(self, request: Request, state: Progress) -> Outcome:
        marker = failed_create_marker(request.logical_id)
        try:
            spec = parse_properties(request.properties)
        except PropertyError as exc:
            bad = Outcome.failed(marker, str(exc))
            return self._drive(request, state, lambda: bad, lambda: marker)
        deadline = self._origin(request, state) + spec.service_timeout_s - DEADLINE_MARGIN_S
        token = spec.client_request_token or request.token()

        def step() -> Outcome | None:
            if not state.arn:
                if self._clock.now() >= deadline:
                    expected = state.expected_arn or spec.name
                    return Outcome.failed(marker, self._timeout_reason(expected, spec.service_timeout_s))
                return self._ensure(request, spec, token, state, failed_id=marker)
            outcome = self._reach(request, spec, state, state.arn, old_spec=None)
            if outcome is None and self._clock.now() >= deadline:
                return Outcome.failed(state.arn, self._timeout_reason(state.arn, spec.service_timeout_s))
            return outcome

        return self._drive(request, state, step, lambda: state.arn or marker, spec)

    # ------------------------------------------------------------------------------- update

    def _update(self, request: Request, state: Progress) -> Outcome:
        old_arn = request.physical_id
        current = arns.parse_endpoint_arn(old_arn)
        if current is None:
            reason = f"PhysicalResourceId: {old_arn!r} is not an endpoint ARN"
            return self._drive(request, state, lambda: Outcome.failed(old_arn, reason), lambda: old_arn)
        try:
            spec = parse_properties(request.properties)
        except PropertyError as exc:
            bad = Outcome.failed(old_arn, str(exc))
            return self._drive(request, state, lambda: bad, lambda: old_arn)
        old_spec = _lenient_spec(request.old_properties)
        deadline = self._origin(request, state) + spec.service_timeout_s - DEADLINE_MARGIN_S

        def step() -> Outcome | None:
            if state.phase == Phase.SWEEP:
                return self._sweep_then_answer(request, state, deadline)
            outcome = decide()
            if outcome is None or outcome.status != "SUCCESS":
                return outcome
            self._still_waited(request, state, fresh=True)  # a withdrawn request sweeps nothing
            keep = {old_arn, outcome.physical_id, self._held_physical_id()}
            strays = sweep.find_strays(
                self._service, request.owner, keep=keep, created_before=self._created_before(request, state)
            )
            state.phase, state.strays = Phase.SWEEP, strays
            state.answer_id, state.answer_data = outcome.physical_id, dict(outcome.data)
            return self._sweep_then_answer(request, state, deadline)

        def decide() -> Outcome | None:
            if state.phase == Phase.PLAN:
                try:
                    new_type = self._endpoint_type(spec)
                except PropertyError as exc:
                    return Outcome.failed(old_arn, str(exc))
                replace = spec.name != current.name or new_type != current.kind
                state.phase = Phase.REPLACE if replace else Phase.CONVERGE
                logger.info({"message": "update planned", "EndpointArn": old_arn, "Plan": state.phase.value})
            if state.phase == Phase.REPLACE:
                return self._replace_step(request, spec, state, old_arn, deadline)
            if state.phase == Phase.DISCARD:
                return self._discard_step(request, state, old_arn, deadline)
            outcome = self._reach(request, spec, state, old_arn, old_spec=old_spec)
            if outcome is None and self._clock.now() >= deadline:
                return Outcome.failed(old_arn, self._timeout_reason(old_arn, spec.service_timeout_s))
            return outcome

        return self._drive(request, state, step, lambda: old_arn, spec)

    def _replace_step(
        self, request: Request, spec: EndpointSpec, state: Progress, old_arn: str, deadline: float
    ) -> Outcome | None:
        if not state.arn:
            if self._clock.now() >= deadline:
                expected = state.expected_arn or spec.name
                return Outcome.failed(old_arn, self._timeout_reason(expected, spec.service_timeout_s))
            outcome = self._ensure(request, spec, request.token(), state, failed_id=old_arn)
            if state.arn:
                logger.info(
                    {
                        "message": "replacement requested" if state.created else "owned endpoint taken back",
                        "EndpointArn": state.arn,
                        "ReplacedEndpointArn": old_arn,
                    }
                )
            return outcome
        new_arn = state.arn
        if not state.created:
            # An endpoint this resource already owned (e.g. the old one, met again by a rollback):
            # converge it; on failure it stays as it is, and so does the current one.
            outcome = self._reach(request, spec, state, new_arn, old_spec=None)
            if outcome is not None and outcome.status == "FAILED":
                return Outcome.failed(old_arn, outcome.reason)
            if outcome is None and self._clock.now() >= deadline:
                return Outcome.failed(old_arn, self._timeout_reason(new_arn, spec.service_timeout_s))
            return outcome
        live = self._service.describe(new_arn)
        outcome = self._settled(new_arn, live, spec, state.units)
        if outcome is not None and outcome.status == "SUCCESS":
            return outcome
        if outcome is None and self._clock.now() < deadline - CLEANUP_RESERVE_S:
            return None
        state.phase = Phase.DISCARD
        state.reason = outcome.reason if outcome is not None else self._timeout_reason(new_arn, spec.service_timeout_s)
        return self._discard_step(request, state, old_arn, deadline, live)

    def _discard_step(
        self,
        request: Request,
        state: Progress,
        old_arn: str,
        deadline: float,
        live: Mapping[str, Any] | None = None,
    ) -> Outcome | None:
        """Remove the replacement endpoint of a failed update, then answer FAILED with the old ARN."""
        new_arn = state.arn
        reason = f"{state.reason}; the replacement endpoint was deleted, {old_arn} is unchanged"
        if live is None:
            live = self._service.describe(new_arn)
        if live is None or live["Status"] == "DELETING":
            return Outcome.failed(old_arn, reason)
        if live["Status"] in BUSY and self._clock.now() < deadline:
            return None
        self._check_owner(new_arn, self._service.tags(new_arn), request.owner)
        if self._service.delete(new_arn):
            return Outcome.failed(old_arn, reason)
        if self._clock.now() >= deadline:
            logger.error({"message": "replacement endpoint could not be deleted in time", "EndpointArn": new_arn})
            return Outcome.failed(old_arn, f"{state.reason}; delete the replacement endpoint {new_arn} by hand")
        return None

    def _sweep_then_answer(self, request: Request, state: Progress, deadline: float) -> Outcome | None:
        """Delete the strays (waiting while they are still being created), then give the answer; at the
        deadline the answer is given anyway and what is left is logged as an error."""
        until_gone = request.request_type == "Delete"
        # Never what CloudFormation knows, whatever the carried list says.
        keep = {request.physical_id, state.answer_id, self._held_physical_id()} - {""}
        strays = [arn for arn in state.strays if arn not in keep]
        state.strays = sweep.sweep_round(
            self._service,
            request.owner,
            strays,
            until_gone=until_gone,
            created_before=self._created_before(request, state),
        )
        if state.strays and self._clock.now() < deadline:
            return None
        if state.strays:
            logger.error({"message": "stray endpoints left to delete by hand", "EndpointArns": state.strays})
        return Outcome.success(state.answer_id, dict(state.answer_data))

    # ---------------------------------------------------------------------- create or adopt

    def _ensure(
        self, request: Request, spec: EndpointSpec, token: str, state: Progress, *, failed_id: str
    ) -> Outcome | None:
        """Create the endpoint ``spec`` names, or take back the one this resource already owns.

        Sets ``state.arn`` and ``state.created`` once there is an endpoint to wait for; returns FAILED (with
        ``failed_id``) when the name is held by an endpoint this resource does not own (or keeps on purpose,
        for a Create), when CreateEndpoint answers with another endpoint than the one named, or when the
        service refuses the request; None to carry on (also when the name is still being freed).
        """
        try:
            kind = self._endpoint_type(spec)
        except PropertyError as exc:
            return Outcome.failed(failed_id, str(exc))
        expected = arns.endpoint_arn_in_stack(request.stack_id, kind, spec.name)
        state.expected_arn = expected
        self._still_waited(request, state)
        try:
            arn = self._create_endpoint(spec, token, request)
        except Rejected as exc:
            refused = exc
            if exc.code not in ("ResourceInUseException", *ACCESS_DENIED_CODES):
                return Outcome.failed(failed_id, create_error_reason(spec, exc))
        else:
            if arn != expected:
                logger.error({"message": "CreateEndpoint answered with another endpoint", "EndpointArn": arn})
                return Outcome.failed(
                    failed_id,
                    f"ClientRequestToken: CreateEndpoint answered with {arn}, not {expected}: the token belongs to "
                    "another endpoint's request (give each endpoint its own client_request_token); nothing was "
                    "changed",
                )
            state.arn, state.created, state.awaiting, state.units = arn, True, True, diffs.created_units(spec)
            return None
        # The name is taken, or the current policy may not create it (a rollback runs under the policy
        # of either template): an endpoint this resource owns is taken back, one on its way out is
        # waited for, and anything else is left alone.
        try:
            live = self._service.describe(expected)
            if live is None:
                if refused.code in ACCESS_DENIED_CODES:
                    return Outcome.failed(failed_id, create_error_reason(spec, refused))
                return None
            tags = self._service.tags(expected)
        except NotOurs as exc:
            return Outcome.failed(failed_id, _conflict_reason(spec, str(exc)))
        owner = Owner.from_tags(tags)
        if owner != request.owner:
            return Outcome.failed(failed_id, _conflict_reason(spec, str(NotOurs(expected, owner, request.owner))))
        if live["Status"] == "DELETING":
            return None
        if request.request_type == "Create" and is_retained(tags):
            return Outcome.failed(
                failed_id,
                f"EndpointName: {spec.name!r} is held by {expected}, which this resource kept on purpose "
                f"(removal_policy=RETAIN, tag {RETAINED_TAG}); it was left untouched. Delete it, choose another "
                f"endpoint_name, or remove its {RETAINED_TAG} tag to have this resource take it back",
            )
        logger.info({"message": "endpoint already owned by this resource, taken back", "EndpointArn": expected})
        state.arn, state.created, state.retained = expected, False, is_retained(tags)
        return None

    # ------------------------------------------------------------------------------- converge

    def _reach(
        self, request: Request, spec: EndpointSpec, state: Progress, arn: str, *, old_spec: EndpointSpec | None
    ) -> Outcome | None:
        """Bring ``arn`` to ``spec``: converge it once, then wait for it to be in service with the values."""
        if state.awaiting:
            return self._settled(arn, self._service.describe(arn), spec, state.units or spec.units)
        return self._converge_step(request, spec, state, arn, old_spec)

    def _converge_step(
        self, request: Request, spec: EndpointSpec, state: Progress, arn: str, old_spec: EndpointSpec | None
    ) -> Outcome | None:
        live = self._service.describe(arn)
        if live is None:
            return Outcome.failed(arn, f"EndpointArn: {arn} no longer exists; it was deleted outside the stack")
        status = live["Status"]
        if status in BUSY:
            return None  # e.g. a rollback Update arriving while the failed update is still UPDATING
        if status == "DELETING":
            return Outcome.failed(arn, f"EndpointArn: {arn} is being deleted")
        live_tags = self._service.tags(arn)
        self._check_owner(arn, live_tags, request.owner)
        units = diffs.target_units(spec, old_spec, live)
        state.units = units
        try:
            changes = diffs.endpoint_changes(spec, live, units)
        except PropertyError as exc:
            return Outcome.failed(arn, str(exc))
        if status == "FAILED" and not changes:
            # e.g. the rollback after a failed update: apply the desired values again to recover.
            changes = {"DesiredInferenceUnits": units}
            if spec.model_arn is not None:
                changes["DesiredModelArn"] = spec.model_arn
        previous_tags = old_spec.tags if old_spec is not None else None
        tag_diff = diffs.tag_changes(spec.tags, previous_tags, live_tags)
        retain_diff = _retention_diff(spec.retain, live_tags)
        if changes or tag_diff.to_set or tag_diff.to_remove or retain_diff:
            self._still_waited(request, state)
        if changes:
            try:
                self._service.call(self._service.client.update_endpoint, EndpointArn=arn, **changes)
            except Rejected as exc:
                if exc.code == "ResourceInUseException":
                    return None
                return Outcome.failed(arn, str(exc))
            logger.info({"message": "UpdateEndpoint", "EndpointArn": arn, "Changes": sorted(changes)})
        self._apply_tags(arn, tag_diff, retain_diff)
        if not changes:  # neither busy, deleting nor FAILED (see above), and nothing differs: in service as desired
            return Outcome.success(arn, self._data(arn, live))
        state.awaiting = True
        return None

    def _apply_tags(self, arn: str, tag_diff: diffs.TagChanges, retain_diff: dict[str, bool]) -> None:
        """Tag and untag what the template changed, and set or clear the retained mark."""
        to_set = dict(tag_diff.to_set)
        to_remove = list(tag_diff.to_remove)
        if retain_diff.get(RETAINED_TAG) is True:
            to_set[RETAINED_TAG] = "true"
        elif retain_diff.get(RETAINED_TAG) is False:
            to_remove.append(RETAINED_TAG)
        if to_remove:
            self._service.untag(arn, to_remove)
        if to_set:
            self._service.tag(arn, to_set)
        if to_set or to_remove:
            logger.info(
                {
                    "message": "tags changed",
                    "EndpointArn": arn,
                    "TagKeysSet": sorted(to_set),
                    "TagKeysRemoved": sorted(to_remove),
                }
            )

    def _check_owner(self, arn: str, tags: Mapping[str, str], expected: Owner) -> None:
        """Raise :class:`NotOurs` unless the tags name ``expected`` (defense in depth: IAM should
        already have refused any other stack's endpoint)."""
        owner = Owner.from_tags(tags)
        if owner != expected:
            raise NotOurs(arn, owner, expected)

    # ------------------------------------------------------------------------------- delete

    def _delete(self, request: Request, state: Progress) -> Outcome:
        physical_id = request.physical_id
        timeout = service_timeout_or_default(request.properties)
        origin = self._origin(request, state)
        deadline = origin + timeout - DEADLINE_MARGIN_S
        is_arn = arns.parse_endpoint_arn(physical_id) is not None
        if is_arn and state.phase == Phase.PLAN and not state.target:
            state.target = physical_id

        def step() -> Outcome | None:
            if request.sent_at is not None and self._clock.now() >= request.sent_at + timeout:
                logger.error({"message": "CloudFormation stopped waiting for this Delete: not answered"})
                return Outcome.silent(physical_id)
            if state.phase == Phase.SWEEP:
                return self._sweep_then_answer(request, state, deadline)
            if state.target:
                outcome = self._delete_target(request, state, deadline, timeout)
                if outcome is not None:
                    return outcome
                if state.target:
                    return None
            # The target is gone (or there was none: a failed Create's marker, or an id CloudFormation made
            # up for a Create it stopped waiting for): remove the resource's strays, then answer.
            keep = self._delete_keeps(request, is_arn)
            if keep is None:
                return Outcome.success(physical_id, {})
            state.phase, state.answer_id, state.answer_data = Phase.SWEEP, physical_id, {}
            state.strays = sweep.find_strays(
                self._service, request.owner, keep=keep, created_before=self._created_before(request, state)
            )
            return self._sweep_then_answer(request, state, deadline)

        return self._drive(request, state, step, lambda: physical_id)

    def _delete_target(self, request: Request, state: Progress, deadline: float, timeout: int) -> Outcome | None:
        """One round of deleting the endpoint CloudFormation named; clears ``state.target`` once it is gone
        or is not this Delete's to remove."""
        target = state.target
        live = self._service.describe(target)
        if live is None:
            state.target = ""
            return None
        if target not in self._owner_checked:
            owner = Owner.from_tags(self._service.tags(target))
            if owner is not None and owner.stack_id == request.stack_id and owner != request.owner:
                # A sibling resource of this stack took the name over: it is that resource's to delete.
                logger.warning({"message": "left to its owner", "EndpointArn": target, "Owner": owner.logical_id})
                return Outcome.success(request.physical_id, {})
            if owner != request.owner:
                raise NotOurs(target, owner, request.owner)
            self._owner_checked.add(target)
        born = creation_time(live)
        created_before = self._created_before(request, state)
        if born is not None and created_before is not None and born > created_before:
            # The name was used again after CloudFormation sent this Delete: a newer endpoint, not this one.
            logger.warning({"message": "a newer endpoint holds the name, left alone", "EndpointArn": target})
            state.target = ""
            return None
        if self._clock.now() >= deadline:
            return Outcome.failed(request.physical_id, self._timeout_reason(target, timeout))
        if live["Status"] in BUSY or live["Status"] == "DELETING":
            return None
        if self._service.delete(target):
            logger.info({"message": "DeleteEndpoint", "EndpointArn": target})
        return None

    def _delete_keeps(self, request: Request, is_arn: bool) -> set[str] | None:
        """What a Delete's sweep must keep; None: no sweep.

        A failed or abandoned Create's Delete (no endpoint ARN) sweeps: the resource has no endpoint
        CloudFormation knows. An endpoint ARN's Delete sweeps only when the stack proves the resource has no
        other endpoint CloudFormation knows: the stack itself is being deleted, or the stack holds another
        physical id for the resource (the cleanup of a replaced endpoint: that id is kept). When the stack shows
        this very physical id in the cleanup of an update, the Delete may be the resource's removal or the
        cleanup of its replacement (what DescribeStackResource shows while CloudFormation deletes an old physical
        id is not documented): nothing is swept, so that the replacement can never be taken for a stray; the
        resource's next request sweeps instead. A stack that cannot be read sweeps nothing either.
        """
        if not is_arn:
            # The endpoint the stack holds for the resource now (if it holds one) is never a stray.
            view = self._read_stack(request)
            held = view.physical_id if view is not None else ""
            return {held} if arns.parse_endpoint_arn(held) is not None else set()
        view = self._read_stack(request)
        if view is None or view.stack_status is None:
            return None
        if view.stack_status == "DELETE_IN_PROGRESS":
            return set()
        if arns.parse_endpoint_arn(view.physical_id) is not None and view.physical_id != request.physical_id:
            return {view.physical_id}
        return None

    # ------------------------------------------------------------------------------ CloudFormation

    def _read_stack(self, request: Request) -> StackView | None:
        if self._stacks is None:
            return None
        self._view = self._stacks.view(request.stack_id, request.logical_id)
        return self._view

    def _held_physical_id(self) -> str:
        """The physical id the stack held for the resource at the last read ("" when unknown)."""
        return self._view.physical_id if self._view is not None else ""

    def _still_waited(self, request: Request, state: Progress, *, fresh: bool = False) -> None:
        """Raise :class:`Withdrawn` when CloudFormation no longer waits for this delivery (Create and Update
        only; a "still waited" verdict is reused for ``RECHECK_S`` unless ``fresh``)."""
        if request.request_type not in ("Create", "Update"):
            return
        now = self._clock.now()
        timeout = service_timeout_or_default(request.properties)
        if request.sent_at is not None and now >= request.sent_at + timeout:
            raise Withdrawn(f"CloudFormation stopped waiting at the resource's ServiceTimeout ({timeout} s)")
        if state.checked_at and now - state.checked_at < (0.001 if fresh else RECHECK_S):
            return  # read a moment ago (fresh: in this same instant)
        view = self._read_stack(request)
        if view is None:
            return
        found = verdict(
            request.request_type, view, first_stack_status=state.stack_status or None, sent_at=request.sent_at
        )
        if not found.waited:
            raise Withdrawn(found.why)
        state.stack_status = state.stack_status or str(view.stack_status)
        state.checked_at = now

    def _created_before(self, request: Request, state: Progress) -> float | None:
        """Endpoints created after this instant are newer than this request (see ``sweep``): the second after
        the URL's X-Amz-Date (rounded down), else this request's first invocation."""
        return request.sent_at + 1.0 if request.sent_at is not None else state.started

    # ------------------------------------------------------------------------------ driver

    def _drive(
        self,
        request: Request,
        state: Progress,
        step: Callable[[], Outcome | None],
        physical_id: Callable[[], str],
        spec: EndpointSpec | None = None,
    ) -> Outcome:
        """Run ``step`` until it decides, sleeping between attempts within the invocation's budget; check
        the stack before an answer, and withdraw once CloudFormation no longer waits."""
        interval = POLL_FIRST_S
        # A resumed request keeps the pace of the invocation before it (DescribeEndpoint <= 1 per 5 s).
        if state.polled_at:
            self._clock.sleep(max(0.0, state.polled_at + POLL_FIRST_S - self._clock.now()))
        while True:
            try:
                if state.phase == Phase.WITHDRAW:
                    outcome = self._withdraw_step(request, state)
                else:
                    outcome = step()
                    if outcome is not None and outcome.status != "SILENT":
                        outcome = self._finish(request, state, outcome, spec)
            except Withdrawn as exc:
                logger.warning({"message": "CloudFormation no longer waits for this request", "Why": str(exc)})
                state.phase, state.reason = Phase.WITHDRAW, str(exc)
                if not (state.created and state.arn):
                    return Outcome.silent(physical_id())
                outcome = None  # the next round (paced like any other) removes what this request created
            except Transient as exc:
                logger.warning({"message": "transient error, will retry", "Error": str(exc)})
                outcome = None
            except OutOfTime:
                logger.info({"message": "no time left for another call in this invocation"})
                return Outcome.pending(physical_id(), state.to_json())
            except Abandoned:
                return Outcome.failed(physical_id(), "the invocation was abandoned before it could finish")
            except (NotOurs, Rejected) as exc:
                try:
                    outcome = self._finish(request, state, Outcome.failed(physical_id(), str(exc)), spec)
                except Withdrawn as withdrawn:
                    state.phase, state.reason = Phase.WITHDRAW, str(withdrawn)
                    if not (state.created and state.arn):
                        return Outcome.silent(physical_id())
                    outcome = None
                except (Transient, OutOfTime, Abandoned, Rejected):
                    outcome = Outcome.failed(physical_id(), str(exc))
            state.polled_at = self._clock.now()
            if outcome is not None:
                return outcome
            if self._clock.now() + interval + INVOCATION_MARGIN_S > self._invocation_end:
                return Outcome.pending(physical_id(), state.to_json())
            self._clock.sleep(interval)
            interval = min(interval * 1.5, POLL_MAX_S)

    def _finish(self, request: Request, state: Progress, outcome: Outcome, spec: EndpointSpec | None) -> Outcome:
        """The last checks before an answer: CloudFormation still waits (Create, Update), and a created or
        taken-back endpoint of a retained resource carries the retained mark."""
        self._still_waited(request, state, fresh=True)
        if (
            outcome.status == "SUCCESS"
            and spec is not None
            and state.arn == outcome.physical_id
            and spec.retain != state.retained
        ):
            tags = self._service.tags(state.arn)
            self._check_owner(state.arn, tags, request.owner)
            self._apply_tags(state.arn, diffs.TagChanges({}, []), _retention_diff(spec.retain, tags))
            state.retained = spec.retain
        return outcome

    def _withdraw_step(self, request: Request, state: Progress) -> Outcome | None:
        """CloudFormation no longer waits: delete the endpoint this delivery created, waiting while it is still
        being created; then end without an answer. Left alone: an endpoint the stack knows, and one a newer
        forward delivery may take back (the same request sent again by a retried deployment takes the first
        attempt's endpoint back by its name)."""
        arn = state.arn
        silent = Outcome.silent(request.physical_id or failed_create_marker(request.logical_id))
        if not (state.created and arn) or arn == request.physical_id:
            return silent
        live = self._service.describe(arn)
        if live is None or live["Status"] == "DELETING":
            return silent
        if live["Status"] in BUSY:
            return None  # paced like any round; the stack is read once the endpoint can be deleted
        # Read the stack right before the deletion (a continued invocation has no read of its own, and a newer
        # delivery may have answered with this very endpoint meanwhile); unknown: leave it to the next sweep.
        view = self._read_stack(request)
        if view is None or (view.stack_status is not None and arn == view.physical_id):
            return silent
        if view.stack_status in FORWARD and view.resource_status == f"{request.request_type.upper()}_IN_PROGRESS":
            # A newer delivery of a forward request is under way: the same request sent again (a retried
            # deployment) takes this endpoint back; anything else leaves it a stray for the next sweep.
            logger.warning({"message": "endpoint left to the newer request of this resource", "EndpointArn": arn})
            return silent
        self._check_owner(arn, self._service.tags(arn), request.owner)
        if not self._service.delete(arn):
            return None
        logger.info({"message": "DeleteEndpoint", "EndpointArn": arn, "Why": "created by a withdrawn request"})
        return silent

    # ------------------------------------------------------------------------------ helpers

    def _settled(self, arn: str, live: Mapping[str, Any] | None, spec: EndpointSpec, units: int) -> Outcome | None:
        """SUCCESS when ``live`` is in service with the desired values, FAILED when it failed or
        vanished, None while it is still on its way."""
        if live is None:
            return Outcome.failed(arn, f"Endpoint {arn} disappeared while waiting for it")
        if live["Status"] == "FAILED":
            message = live.get("Message") or "no message from the service"
            return Outcome.failed(arn, f"Endpoint {arn} FAILED: {message}")
        if live["Status"] == "IN_SERVICE" and diffs.matches(live, spec, units):
            return Outcome.success(arn, self._data(arn, live))
        return None

    @staticmethod
    def _data(arn: str, live: Mapping[str, Any]) -> dict[str, str]:
        """The attributes of a SUCCESS for ``arn``, an endpoint ARN; ModelArn is empty when the service does
        not report one."""
        parsed = arns.parse_endpoint_arn(arn)
        assert parsed is not None, arn
        return {
            contract.ENDPOINT_ARN_ATTRIBUTE: arn,
            contract.MODEL_ARN_ATTRIBUTE: str(live.get("ModelArn", "")),
            contract.ENDPOINT_NAME_ATTRIBUTE: parsed.name,
            contract.ENDPOINT_TYPE_ATTRIBUTE: parsed.kind,
            contract.OWNERSHIP_TAG_KEYS_ATTRIBUTE: OWNERSHIP_TAG_KEYS,
        }

    def _timeout_reason(self, arn: str, timeout_s: int) -> str:
        status = self._service.last_status.get(arn, "unknown").replace("GONE", "gone")
        elapsed_limit = int(timeout_s - DEADLINE_MARGIN_S)
        return (
            f"Endpoint {arn} still {status} after {elapsed_limit} s, the handler's deadline "
            f"({int(DEADLINE_MARGIN_S)} s before the resource's ServiceTimeout of {timeout_s} s)"
        )

    def _endpoint_type(self, spec: EndpointSpec) -> arns.EndpointType:
        if spec.model_arn is not None:
            return arns.endpoint_type_for_model(spec.model_arn)
        assert spec.flywheel_arn is not None
        try:
            response = self._service.call(self._service.client.describe_flywheel, FlywheelArn=spec.flywheel_arn)
        except Rejected as exc:
            raise PropertyError("FlywheelArn", str(exc)) from None
        return arns.endpoint_type_for_model_type(response["FlywheelProperties"]["ModelType"])

    def _create_endpoint(self, spec: EndpointSpec, token: str, request: Request) -> str:
        """CreateEndpoint, tagged with the creation tags; a refusal is raised as :class:`Rejected`."""
        tags = {**spec.tags, **request.owner.creation_tags(request.request_id)}
        params: dict[str, Any] = {
            "EndpointName": spec.name,
            "DesiredInferenceUnits": diffs.created_units(spec),
            "ClientRequestToken": token,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if spec.model_arn is not None:
            params["ModelArn"] = spec.model_arn
        if spec.flywheel_arn is not None:
            params["FlywheelArn"] = spec.flywheel_arn
        if spec.data_access_role_arn is not None:
            params["DataAccessRoleArn"] = spec.data_access_role_arn
        response = self._service.call(self._service.client.create_endpoint, **params)
        arn = str(response["EndpointArn"])
        logger.info({"message": "CreateEndpoint", "EndpointArn": arn, "EndpointName": spec.name})
        return arn


def _retention_diff(retain: bool, tags: Mapping[str, str]) -> dict[str, bool]:
    """``{RETAINED_TAG: True}`` to set the mark, ``False`` to clear it, empty when it is as it should be."""
    if retain and not is_retained(tags):
        return {RETAINED_TAG: True}
    if not retain and is_retained(tags):
        return {RETAINED_TAG: False}
    return {}


def _lenient_spec(raw: Mapping[str, Any]) -> EndpointSpec | None:
    """The previous properties, or None when they are missing or unreadable (treated as 'changed');
    missing ones are unreadable: EndpointName is required."""
    try:
        return parse_properties(raw)
    except PropertyError:
        return None


def _conflict_reason(spec: EndpointSpec, why: str) -> str:
    return (
        f"EndpointName: {spec.name!r} is already used by an endpoint this resource does not own ({why}). "
        "Choose another endpoint_name"
    )


def create_error_reason(spec: EndpointSpec, error: Rejected) -> str:
    """A reason for a refused CreateEndpoint that names the property to fix (docs/design.md §4)."""
    flywheel_named = spec.flywheel_arn is not None and (spec.model_arn is None or "flywheel" in error.message.lower())
    prop, value = ("FlywheelArn", spec.flywheel_arn) if flywheel_named else ("ModelArn", spec.model_arn)
    reasons = {
        "ResourceNotFoundException": f"{prop}: not found ({prop} {value})",
        "ResourceUnavailableException": f"{prop}: the model is not available yet ({prop} {value})",
        "ResourceLimitExceededException": (
            f"DesiredInferenceUnits: {spec.units} exceeds an account quota of Comprehend endpoints "
            "or inference units (request an increase in Service Quotas)"
        ),
        "TooManyTagsException": f"Tags: {len(spec.tags)} tags are more than the service allows",
        "InvalidRequestException": "CreateEndpoint rejected the request",
        "AccessDeniedException": (
            "EndpointName/ModelArn: the handler may not create this endpoint (its policy names the exact "
            "endpoint names, models and flywheels of the current template)"
        ),
    }
    return f"{reasons.get(error.code, 'CreateEndpoint failed')} [{error}]"


# The pure functions a reader looks for here (they live in ``diffs``).
endpoint_changes = diffs.endpoint_changes
target_units = diffs.target_units
created_units = diffs.created_units
served_units = diffs.served_units
