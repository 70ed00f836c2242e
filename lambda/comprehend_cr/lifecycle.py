"""Create, update and delete of one Comprehend endpoint, resumable across Lambda invocations.

:class:`Lifecycle` turns one CloudFormation request into an :class:`~comprehend_cr.outcome.Outcome`.
It polls ``DescribeEndpoint`` at most once per ``POLL_FIRST_S`` seconds (backing off to
``POLL_MAX_S``), never starts an API call or a sleep that could outlast the invocation (see
:mod:`comprehend_cr.budget`), and when the endpoint is still busy it returns ``PENDING`` with a
``progress`` dict from which the next invocation resumes. Every mutating call is made at most once
per phase, and ``progress`` records what was done, so a resumed or repeated invocation never
creates a second endpoint.

Promises (DESIGN §4 and §4b):

- SUCCESS only for an endpoint that is ``IN_SERVICE`` with the desired values;
- a failure after an endpoint exists answers with that endpoint's ARN (or removes it), so nothing
  keeps billing;
- every endpoint created carries the ownership tags of :mod:`comprehend_cr.ownership`, and an
  endpoint is changed or deleted only when those tags name this stack and this logical resource;
  a name held by anything else fails naming the conflict and leaves it untouched;
- an endpoint of the desired name that this resource already owns (the old endpoint met again by a
  rollback, a retried replacement) is taken back instead of created a second time;
- an update that succeeds also deletes what a request CloudFormation cancelled is still creating for
  this resource (CloudFormation never learned of it, so no cleanup would);
- "gone" is told from "not ours" even when IAM answers AccessDenied for both (a read-only
  ``ListEndpoints`` lookup), so a Delete of a vanished endpoint still succeeds at once;
- bad input fails at once naming the property.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from comprehend_cr import arns, budget
from comprehend_cr.clock import Clock
from comprehend_cr.outcome import Outcome
from comprehend_cr.ownership import RESOURCE_TAG, STACK_TAG, Owner, is_reserved
from comprehend_cr.properties import EndpointSpec, PropertyError, parse_properties, service_timeout_or_default

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

BUSY = frozenset({"CREATING", "UPDATING"})
_TRANSIENT_CODES = frozenset(
    {
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
OWNERSHIP_TAG_KEYS = f"{STACK_TAG},{RESOURCE_TAG}"


class Transient(Exception):
    """An API call failed in a way worth trying again later (throttling, 5xx, network)."""


class Rejected(Exception):
    """The service refused a request for a reason no retry will fix; ``str()`` is the reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class OutOfTime(Exception):
    """Not enough of the invocation is left to start another API call and still answer or hand over."""


class Abandoned(Exception):
    """The runtime gave this invocation up (its last-second timer fired): make no further call."""


class NotOurs(Exception):
    """An endpoint exists at ``arn`` but this stack's resource does not own it; ``str()`` is the reason."""

    def __init__(self, arn: str, owner: Owner | None, request_owner: Owner | None = None) -> None:
        """``owner``: what the endpoint's tags say, None when they name no owner or IAM hid them."""
        if owner is None:
            whose = (
                f"it has no {STACK_TAG} tag naming this stack (IAM refused to show it, or it was created outside "
                "cdk-comprehend-endpoint >= 0.2; see the README's 'Ownership tags')"
            )
        elif request_owner is None or owner.stack_id != request_owner.stack_id:
            whose = f"it belongs to {owner.describe()}"
        else:
            whose = f"it belongs to resource {owner.logical_id} of this stack"
        super().__init__(f"EndpointArn: {arn} is not this resource's: {whose}; it was left untouched")


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

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        return cls(
            request_type=event["RequestType"],
            stack_id=event["StackId"],
            request_id=event["RequestId"],
            logical_id=event["LogicalResourceId"],
            physical_id=event.get("PhysicalResourceId", ""),
            properties=event.get("ResourceProperties") or {},
            old_properties=event.get("OldResourceProperties") or {},
        )

    @property
    def owner(self) -> Owner:
        """The owner this request's endpoint is tagged with."""
        return Owner(self.stack_id, self.logical_id)


def failed_create_marker(logical_id: str) -> str:
    """The physical id answered for a Create that left no endpoint behind.

    It is not an endpoint ARN, so the Delete that CloudFormation sends on rollback succeeds at
    once and touches nothing (in particular not an endpoint that holds the requested name).
    """
    return f"ComprehendEndpoint-CREATE_FAILED-{logical_id}"


def _never() -> bool:
    return False


class Lifecycle:
    """Drives one request for as long as the current invocation allows.

    ``invocation_end`` is the wall-clock second (on ``clock``) at which this Lambda invocation is
    killed; no API call starts later than ``budget.CALL_RESERVE_S`` before it. ``abandoned`` says
    whether the runtime has given the invocation up; once it does, no further call is made.
    """

    def __init__(
        self, comprehend: Any, clock: Clock, invocation_end: float, abandoned: Callable[[], bool] = _never
    ) -> None:
        self._comprehend = comprehend
        self._clock = clock
        self._invocation_end = invocation_end
        self._abandoned = abandoned
        self._last_status: dict[str, str] = {}
        self.current_state: dict[str, Any] = {}
        """The progress of the request being run (read by the runtime if it must answer early)."""

    # ----------------------------------------------------------------------------- dispatch

    def run(self, request: Request, progress: Mapping[str, Any] | None = None) -> Outcome:
        """Advance ``request`` from ``progress`` (empty for the first invocation)."""
        state: dict[str, Any] = dict(progress or {})
        state.setdefault("started", self._clock.now())
        self.current_state = state
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

    # ------------------------------------------------------------------------------- create

    def _create(self, request: Request, state: dict[str, Any]) -> Outcome:
        marker = failed_create_marker(request.logical_id)
        try:
            spec = parse_properties(request.properties)
        except PropertyError as exc:
            return Outcome.failed(marker, str(exc))
        deadline = state["started"] + spec.service_timeout_s - DEADLINE_MARGIN_S
        token = spec.client_request_token or arns.derive_token(request.stack_id, request.logical_id, request.request_id)

        def step() -> Outcome | None:
            if "arn" not in state:
                if self._clock.now() >= deadline:
                    expected = state.get("expected_arn", spec.name)
                    return Outcome.failed(marker, self._timeout_reason(expected, spec.service_timeout_s))
                return self._ensure(request, spec, token, state, failed_id=marker)
            arn = state["arn"]
            outcome = self._reach(request, spec, state, arn, old_spec=None)
            if outcome is None and self._clock.now() >= deadline:
                return Outcome.failed(arn, self._timeout_reason(arn, spec.service_timeout_s))
            return outcome

        return self._drive(step, state, lambda: state.get("arn", marker))

    # ------------------------------------------------------------------------------- update

    def _update(self, request: Request, state: dict[str, Any]) -> Outcome:
        old_arn = request.physical_id
        current = arns.parse_endpoint_arn(old_arn)
        if current is None:
            return Outcome.failed(old_arn, f"PhysicalResourceId: {old_arn!r} is not an endpoint ARN")
        try:
            spec = parse_properties(request.properties)
        except PropertyError as exc:
            return Outcome.failed(old_arn, str(exc))
        old_spec = _lenient_spec(request.old_properties)
        deadline = state["started"] + spec.service_timeout_s - DEADLINE_MARGIN_S

        def step() -> Outcome | None:
            if state.get("phase") == "sweep":
                return self._sweep_step(state, deadline)
            outcome = decide()
            if outcome is None or outcome.status != "SUCCESS":
                return outcome
            strays = self._strays(request, keep={old_arn, outcome.physical_id})
            if not strays:
                return outcome
            state.update(phase="sweep", strays=strays, answer=[outcome.physical_id, outcome.data])
            return self._sweep_step(state, deadline)

        def decide() -> Outcome | None:
            phase = state.get("phase")
            if phase is None:
                try:
                    new_type = self._endpoint_type(spec)
                except PropertyError as exc:
                    return Outcome.failed(old_arn, str(exc))
                replace = spec.name != current.name or new_type != current.kind
                state["phase"] = "replace" if replace else "converge"
                logger.info({"message": "update planned", "EndpointArn": old_arn, "Plan": state["phase"]})
                phase = state["phase"]
            if phase == "replace":
                return self._replace_step(request, spec, state, old_arn, deadline)
            if phase == "discard":
                return self._discard_step(state, old_arn, deadline)
            outcome = self._reach(request, spec, state, old_arn, old_spec=old_spec)
            if outcome is None and self._clock.now() >= deadline:
                return Outcome.failed(old_arn, self._timeout_reason(old_arn, spec.service_timeout_s))
            return outcome

        return self._drive(step, state, lambda: old_arn)

    def _replace_step(
        self, request: Request, spec: EndpointSpec, state: dict[str, Any], old_arn: str, deadline: float
    ) -> Outcome | None:
        if "arn" not in state:
            if self._clock.now() >= deadline:
                expected = state.get("expected_arn", spec.name)
                return Outcome.failed(old_arn, self._timeout_reason(expected, spec.service_timeout_s))
            token = arns.derive_token(request.stack_id, request.logical_id, request.request_id)
            outcome = self._ensure(request, spec, token, state, failed_id=old_arn)
            if "arn" in state:
                logger.info(
                    {
                        "message": "replacement requested" if state["created"] else "owned endpoint taken back",
                        "EndpointArn": state["arn"],
                        "ReplacedEndpointArn": old_arn,
                    }
                )
            return outcome
        new_arn = state["arn"]
        if not state["created"]:
            # An endpoint this resource already owned (e.g. the old one, met again by a rollback):
            # converge it; on failure it stays as it is, and so does the current one.
            outcome = self._reach(request, spec, state, new_arn, old_spec=None)
            if outcome is not None and outcome.status == "FAILED":
                return Outcome.failed(old_arn, outcome.reason)
            if outcome is None and self._clock.now() >= deadline:
                return Outcome.failed(old_arn, self._timeout_reason(new_arn, spec.service_timeout_s))
            return outcome
        live = self._describe(new_arn)
        outcome = self._settled(new_arn, live, spec, int(state["units"]))
        if outcome is not None and outcome.status == "SUCCESS":
            return outcome
        if outcome is None and self._clock.now() < deadline - CLEANUP_RESERVE_S:
            return None
        state["phase"] = "discard"
        state["reason"] = (
            outcome.reason if outcome is not None else self._timeout_reason(new_arn, spec.service_timeout_s)
        )
        return self._discard_step(state, old_arn, deadline, live)

    def _discard_step(
        self, state: dict[str, Any], old_arn: str, deadline: float, live: Mapping[str, Any] | None = None
    ) -> Outcome | None:
        """Remove the replacement endpoint of a failed update, then answer FAILED with the old ARN."""
        new_arn = state["arn"]
        reason = f"{state['reason']}; the replacement endpoint was deleted, {old_arn} is unchanged"
        if live is None:
            live = self._describe(new_arn)
        if live is None or live["Status"] == "DELETING":
            return Outcome.failed(old_arn, reason)
        if live["Status"] in BUSY and self._clock.now() < deadline:
            return None
        if self._delete_endpoint(new_arn):
            return Outcome.failed(old_arn, reason)
        if self._clock.now() >= deadline:
            logger.error({"message": "replacement endpoint could not be deleted in time", "EndpointArn": new_arn})
            return Outcome.failed(old_arn, f"{state['reason']}; delete the replacement endpoint {new_arn} by hand")
        return None

    def _strays(self, request: Request, keep: set[str]) -> list[str]:
        """Endpoints still CREATING that this resource owns, besides ``keep`` (the one the update
        answers with and the one CloudFormation knows).

        They come from a request CloudFormation cancelled: a sibling failed while this resource was
        being replaced, CloudFormation rolled back without waiting for the answer, and the cancelled
        request goes on creating an endpoint CloudFormation never learns of and so never deletes.
        Only CREATING ones count: an endpoint in service that this resource owns may have been kept on
        purpose (an UpdateReplacePolicy of Retain), and is left alone.
        """
        strays = []
        for item in self._endpoints():
            arn = item.get("EndpointArn")
            if not arn or arn in keep or item.get("Status") != "CREATING":
                continue
            try:
                owner = Owner.from_tags(self._tags(arn))
            except Rejected:
                continue  # not provably this resource's (IAM shows only this stack's endpoints' tags)
            if owner == request.owner:
                logger.warning({"message": "endpoint of a cancelled request found", "EndpointArn": arn})
                strays.append(arn)
        return strays

    def _sweep_step(self, state: dict[str, Any], deadline: float) -> Outcome | None:
        """Delete the strays (waiting while they are still being created), then give the update's
        answer; at the deadline the answer is given anyway and what is left is logged as an error."""
        physical_id, data = state["answer"]
        remaining = []
        for arn in state["strays"]:
            live = self._describe(arn)
            if live is None or live["Status"] == "DELETING":
                continue
            if live["Status"] in BUSY or not self._delete_endpoint(arn):
                remaining.append(arn)
                continue
            logger.info({"message": "DeleteEndpoint", "EndpointArn": arn, "Why": "created by a cancelled request"})
        state["strays"] = remaining
        if remaining and self._clock.now() < deadline:
            return None
        if remaining:
            logger.error(
                {"message": "endpoints of a cancelled request left to delete by hand", "EndpointArns": remaining}
            )
        return Outcome.success(physical_id, data)

    # ---------------------------------------------------------------------- create or adopt

    def _ensure(
        self, request: Request, spec: EndpointSpec, token: str, state: dict[str, Any], *, failed_id: str
    ) -> Outcome | None:
        """Create the endpoint ``spec`` names, or take back the one this resource already owns.

        Sets ``state["arn"]`` and ``state["created"]`` once there is an endpoint to wait for; returns
        FAILED (with ``failed_id``) when the name is held by an endpoint this resource does not own or
        the service refuses the request; None to carry on (also when the name is still being freed).
        """
        try:
            kind = self._endpoint_type(spec)
        except PropertyError as exc:
            return Outcome.failed(failed_id, str(exc))
        expected = arns.endpoint_arn_in_stack(request.stack_id, kind, spec.name)
        state["expected_arn"] = expected
        try:
            arn = self._create_endpoint(spec, token, request.owner)
        except Rejected as exc:
            refused = exc
            if exc.code not in ("ResourceInUseException", *ACCESS_DENIED_CODES):
                return Outcome.failed(failed_id, create_error_reason(spec, exc))
        else:
            state.update(arn=arn, created=True, awaiting=True, units=created_units(spec))
            return None
        # The name is taken, or the current policy may not create it (a rollback runs under the policy
        # of either template): an endpoint this resource owns is taken back, one on its way out is
        # waited for, and anything else is left alone.
        try:
            live = self._describe(expected)
            if live is None:
                if refused.code in ACCESS_DENIED_CODES:
                    return Outcome.failed(failed_id, create_error_reason(spec, refused))
                return None
            owner = Owner.from_tags(self._tags(expected))
        except NotOurs as exc:
            return Outcome.failed(failed_id, _conflict_reason(spec, str(exc)))
        if owner != request.owner:
            return Outcome.failed(failed_id, _conflict_reason(spec, str(NotOurs(expected, owner, request.owner))))
        if live["Status"] == "DELETING":
            return None
        logger.info({"message": "endpoint already owned by this resource, taken back", "EndpointArn": expected})
        state.update(arn=expected, created=False)
        return None

    # ------------------------------------------------------------------------------- converge

    def _reach(
        self,
        request: Request,
        spec: EndpointSpec,
        state: dict[str, Any],
        arn: str,
        *,
        old_spec: EndpointSpec | None,
    ) -> Outcome | None:
        """Bring ``arn`` to ``spec``: converge it once, then wait for it to be in service with the values."""
        if state.get("awaiting"):
            units = int(state.get("units", spec.units))
            return self._settled(arn, self._describe(arn), spec, units)
        return self._converge_step(request, spec, state, arn, old_spec)

    def _converge_step(
        self,
        request: Request,
        spec: EndpointSpec,
        state: dict[str, Any],
        arn: str,
        old_spec: EndpointSpec | None,
    ) -> Outcome | None:
        live = self._describe(arn)
        if live is None:
            return Outcome.failed(arn, f"EndpointArn: {arn} no longer exists; it was deleted outside the stack")
        status = live["Status"]
        if status in BUSY:
            return None  # e.g. a rollback Update arriving while the failed update is still UPDATING
        if status == "DELETING":
            return Outcome.failed(arn, f"EndpointArn: {arn} is being deleted")
        live_tags = self._tags(arn)
        self._check_owner(arn, live_tags, request.owner)
        units = target_units(spec, old_spec, live)
        state["units"] = units
        try:
            changes = endpoint_changes(spec, live, units)
        except PropertyError as exc:
            return Outcome.failed(arn, str(exc))
        if status == "FAILED" and not changes:
            # e.g. the rollback after a failed update: apply the desired values again to recover.
            changes = {"DesiredInferenceUnits": units}
            if spec.model_arn is not None:
                changes["DesiredModelArn"] = spec.model_arn
        if changes:
            try:
                self._call(self._comprehend.update_endpoint, EndpointArn=arn, **changes)
            except Rejected as exc:
                if exc.code == "ResourceInUseException":
                    return None
                return Outcome.failed(arn, str(exc))
            logger.info({"message": "UpdateEndpoint", "EndpointArn": arn, "Changes": sorted(changes)})
        self._converge_tags(arn, spec.tags, live_tags)
        if not changes:  # neither busy, deleting nor FAILED (see above), and nothing differs: in service as desired
            return Outcome.success(arn, self._data(arn, live))
        state["awaiting"] = True
        return None

    def _check_owner(self, arn: str, tags: Mapping[str, str], expected: Owner) -> None:
        """Raise :class:`NotOurs` unless the tags name ``expected`` (defense in depth: IAM should
        already have refused any other stack's endpoint)."""
        owner = Owner.from_tags(tags)
        if owner != expected:
            raise NotOurs(arn, owner, expected)

    def _converge_tags(self, arn: str, desired: Mapping[str, str], live: Mapping[str, str]) -> None:
        """Tag and untag so the endpoint carries exactly ``desired`` besides the reserved tags
        (ownership and ``aws:``), which are never removed or changed."""
        to_set = {k: v for k, v in desired.items() if live.get(k) != v}
        to_remove = sorted(k for k in live if k not in desired and not is_reserved(k))
        if to_remove:
            self._call(self._comprehend.untag_resource, ResourceArn=arn, TagKeys=to_remove)
        if to_set:
            self._call(
                self._comprehend.tag_resource,
                ResourceArn=arn,
                Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())],
            )
        if to_set or to_remove:
            logger.info(
                {
                    "message": "tags converged",
                    "EndpointArn": arn,
                    "TagKeysSet": sorted(to_set),
                    "TagKeysRemoved": to_remove,
                }
            )

    # ------------------------------------------------------------------------------- delete

    def _delete(self, request: Request, state: dict[str, Any]) -> Outcome:
        physical_id = request.physical_id
        timeout = service_timeout_or_default(request.properties)
        deadline = state["started"] + timeout - DEADLINE_MARGIN_S
        if arns.parse_endpoint_arn(physical_id) is not None:
            state.setdefault("target", physical_id)

        def step() -> Outcome | None:
            if "target" not in state:
                # Not an endpoint ARN: a failed Create's marker, or an id CloudFormation made up for a
                # Create it stopped waiting for. An endpoint that Create made may still exist under the
                # template's name: it is removed too, but only when its tags say it is this resource's.
                state["target"] = self._unanswered_create(request)
                state["owner_checked"] = bool(state["target"])
                if not state["target"]:
                    logger.info(
                        {"message": "nothing to delete: not an endpoint ARN", "PhysicalResourceId": physical_id}
                    )
                    return Outcome.success(physical_id, {})
            target = state["target"]
            live = self._describe(target)
            if live is None:
                return Outcome.success(physical_id, {})
            if not state.get("owner_checked"):
                owner = Owner.from_tags(self._tags(target))
                if owner is not None and owner.stack_id == request.stack_id and owner != request.owner:
                    # A sibling resource of this stack took the name over: it is that resource's to delete.
                    logger.warning({"message": "left to its owner", "EndpointArn": target, "Owner": owner.logical_id})
                    return Outcome.success(physical_id, {})
                if owner != request.owner:
                    raise NotOurs(target, owner, request.owner)
                state["owner_checked"] = True
            if self._clock.now() >= deadline:
                return Outcome.failed(physical_id, self._timeout_reason(target, timeout))
            if live["Status"] in BUSY or live["Status"] == "DELETING":
                return None
            if self._delete_endpoint(target):
                logger.info({"message": "DeleteEndpoint", "EndpointArn": target})
            return None

        return self._drive(step, state, lambda: physical_id)

    def _unanswered_create(self, request: Request) -> str:
        """The ARN of an endpoint this resource owns under the name its properties give, or ""."""
        try:
            spec = parse_properties(request.properties)
        except PropertyError:
            return ""
        kinds: list[arns.EndpointType] = (
            [arns.endpoint_type_for_model(spec.model_arn)]
            if spec.model_arn is not None
            else ["document-classifier-endpoint", "entity-recognizer-endpoint"]
        )
        for kind in kinds:
            arn = arns.endpoint_arn_in_stack(request.stack_id, kind, spec.name)
            try:
                if self._describe(arn) is not None and Owner.from_tags(self._tags(arn)) == request.owner:
                    logger.warning({"message": "endpoint of an unanswered Create found", "EndpointArn": arn})
                    return arn
            except NotOurs:
                continue
        return ""

    # ------------------------------------------------------------------------------ helpers

    def _drive(
        self, step: Callable[[], Outcome | None], state: dict[str, Any], physical_id: Callable[[], str]
    ) -> Outcome:
        """Run ``step`` until it decides, sleeping between attempts within the invocation's budget."""
        interval = POLL_FIRST_S
        # A resumed request keeps the pace of the invocation before it (DescribeEndpoint <= 1 per 5 s).
        if "polled_at" in state:
            self._clock.sleep(max(0.0, state["polled_at"] + POLL_FIRST_S - self._clock.now()))
        while True:
            try:
                outcome = step()
            except Transient as exc:
                logger.warning({"message": "transient error, will retry", "Error": str(exc)})
                outcome = None
            except OutOfTime:
                logger.info({"message": "no time left for another call in this invocation"})
                return Outcome.pending(physical_id(), state)
            except Abandoned:
                return Outcome.failed(physical_id(), "the invocation was abandoned before it could finish")
            except (NotOurs, Rejected) as exc:
                return Outcome.failed(physical_id(), str(exc))
            state["polled_at"] = self._clock.now()
            if outcome is not None:
                return outcome
            if self._clock.now() + interval + INVOCATION_MARGIN_S > self._invocation_end:
                return Outcome.pending(physical_id(), state)
            self._clock.sleep(interval)
            interval = min(interval * 1.5, POLL_MAX_S)

    def _settled(self, arn: str, live: Mapping[str, Any] | None, spec: EndpointSpec, units: int) -> Outcome | None:
        """SUCCESS when ``live`` is in service with the desired values, FAILED when it failed or
        vanished, None while it is still on its way."""
        if live is None:
            return Outcome.failed(arn, f"Endpoint {arn} disappeared while waiting for it")
        if live["Status"] == "FAILED":
            message = live.get("Message") or "no message from the service"
            return Outcome.failed(arn, f"Endpoint {arn} FAILED: {message}")
        if live["Status"] == "IN_SERVICE" and self._matches(live, spec, units):
            return Outcome.success(arn, self._data(arn, live))
        return None

    @staticmethod
    def _matches(live: Mapping[str, Any], spec: EndpointSpec, units: int) -> bool:
        return (
            served_units(live) == units
            and (spec.model_arn is None or live.get("ModelArn") == spec.model_arn)
            and (spec.data_access_role_arn is None or live.get("DataAccessRoleArn") == spec.data_access_role_arn)
            and (spec.flywheel_arn is None or live.get("FlywheelArn") == spec.flywheel_arn)
        )

    @staticmethod
    def _data(arn: str, live: Mapping[str, Any]) -> dict[str, str]:
        """The attributes of a SUCCESS for ``arn``, an endpoint ARN (the request's physical id, checked
        on the way in, or the one of an endpoint this request created or took back); ModelArn is empty
        when the service does not report one."""
        parsed = arns.parse_endpoint_arn(arn)
        assert parsed is not None, arn
        return {
            "EndpointArn": arn,
            "ModelArn": str(live.get("ModelArn", "")),
            "EndpointName": parsed.name,
            "EndpointType": parsed.kind,
            "OwnershipTagKeys": OWNERSHIP_TAG_KEYS,
        }

    def _timeout_reason(self, arn: str, timeout_s: int) -> str:
        status = self._last_status.get(arn, "unknown").replace("GONE", "gone")
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
            response = self._call(self._comprehend.describe_flywheel, FlywheelArn=spec.flywheel_arn)
        except Rejected as exc:
            raise PropertyError("FlywheelArn", str(exc)) from None
        return arns.endpoint_type_for_model_type(response["FlywheelProperties"]["ModelType"])

    def _create_endpoint(self, spec: EndpointSpec, token: str, owner: Owner) -> str:
        """CreateEndpoint, tagged with ``owner``; a refusal is raised as :class:`Rejected`."""
        tags = {**spec.tags, **owner.tags()}
        request: dict[str, Any] = {
            "EndpointName": spec.name,
            "DesiredInferenceUnits": created_units(spec),
            "ClientRequestToken": token,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if spec.model_arn is not None:
            request["ModelArn"] = spec.model_arn
        if spec.flywheel_arn is not None:
            request["FlywheelArn"] = spec.flywheel_arn
        if spec.data_access_role_arn is not None:
            request["DataAccessRoleArn"] = spec.data_access_role_arn
        response = self._call(self._comprehend.create_endpoint, **request)
        arn = str(response["EndpointArn"])
        logger.info({"message": "CreateEndpoint", "EndpointArn": arn, "EndpointName": spec.name})
        return arn

    def _delete_endpoint(self, arn: str) -> bool:
        """Ask for deletion; False when the endpoint is busy and the call must wait for a later round."""
        try:
            self._call(self._comprehend.delete_endpoint, EndpointArn=arn)
        except Rejected as exc:
            if exc.code == "ResourceNotFoundException":
                return True
            if exc.code == "ResourceInUseException":
                return False
            if exc.code in ACCESS_DENIED_CODES and not self._listed(arn):
                return True
            raise
        return True

    def _describe(self, arn: str) -> dict[str, Any] | None:
        """The endpoint's live properties; None once it no longer exists; :class:`NotOurs` when it
        exists but IAM refuses to show it (a tag-conditioned policy answers AccessDenied, not
        ResourceNotFound, for a missing endpoint too: ``ListEndpoints`` tells the two apart)."""
        try:
            response = self._call(self._comprehend.describe_endpoint, EndpointArn=arn)
        except Rejected as exc:
            if exc.code == "ResourceNotFoundException" or (exc.code in ACCESS_DENIED_CODES and not self._listed(arn)):
                self._note_status(arn, "GONE")
                return None
            if exc.code in ACCESS_DENIED_CODES:
                raise NotOurs(arn, None) from None
            raise
        props: dict[str, Any] = response["EndpointProperties"]
        self._note_status(arn, str(props.get("Status")))
        return props

    def _listed(self, arn: str) -> bool:
        """Whether ``ListEndpoints`` (read-only, allowed on ``*``) shows an endpoint with this ARN."""
        return any(item.get("EndpointArn") == arn for item in self._endpoints())

    def _endpoints(self) -> Iterator[Mapping[str, Any]]:
        """Every endpoint of the account and region, page by page, as ``ListEndpoints`` shows them."""
        kwargs: dict[str, Any] = {}
        while True:
            page = self._call(self._comprehend.list_endpoints, **kwargs)
            yield from page.get("EndpointPropertiesList", [])
            if not page.get("NextToken"):
                return
            kwargs["NextToken"] = page["NextToken"]

    def _tags(self, arn: str) -> dict[str, str]:
        response = self._call(self._comprehend.list_tags_for_resource, ResourceArn=arn)
        return {tag["Key"]: tag.get("Value", "") for tag in response.get("Tags", [])}

    def _note_status(self, arn: str, status: str) -> None:
        previous = self._last_status.get(arn)
        if previous != status:
            self._last_status[arn] = status
            logger.info(
                {"message": "endpoint status", "EndpointArn": arn, "Status": status, "PreviousStatus": previous}
            )

    def _call(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        """Call a boto3 operation (already retried by botocore) and classify what is left of errors.

        Refuses to start when the runtime abandoned the invocation, or when what is left of it could
        not cover this call at its slowest plus the answer or hand-over after it.
        """
        if self._abandoned():
            raise Abandoned
        if self._clock.now() + budget.CALL_RESERVE_S > self._invocation_end:
            raise OutOfTime
        try:
            return operation(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in _TRANSIENT_CODES or status >= 500:
                raise Transient(f"{code}: {error.get('Message', '')}") from exc
            raise Rejected(code, str(error.get("Message", ""))) from exc
        except BotoCoreError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc


def _lenient_spec(raw: Mapping[str, Any]) -> EndpointSpec | None:
    """The previous properties, or None when they are missing or unreadable (treated as 'changed');
    missing ones are unreadable: EndpointName is required."""
    try:
        return parse_properties(raw)
    except PropertyError:
        return None


def created_units(spec: EndpointSpec) -> int:
    """The units a new endpoint starts with: the template's, clamped into the autoscaling range."""
    return spec.autoscaling.clamp(spec.units) if spec.autoscaling else spec.units


def served_units(live: Mapping[str, Any]) -> Any:
    """The units the endpoint serves: ``CurrentInferenceUnits``, or the desired ones when the service
    leaves it out (the API model marks it optional; the docs do not say when it is missing)."""
    return live.get("CurrentInferenceUnits", live.get("DesiredInferenceUnits"))


def target_units(spec: EndpointSpec, old_spec: EndpointSpec | None, live: Mapping[str, Any]) -> int:
    """The inference units the endpoint should have after this request.

    Without autoscaling, the template's. With autoscaling the scaler owns the live units within
    [min, max]: they stay as they are (clamped into the range) unless this request changes
    ``DesiredInferenceUnits`` (or there is no readable previous value), which is then applied,
    clamped into the range.
    """
    if spec.autoscaling is None:
        return spec.units
    units_changed = old_spec is None or old_spec.units != spec.units
    live_units = live.get("DesiredInferenceUnits", live.get("CurrentInferenceUnits"))
    if units_changed or not isinstance(live_units, int):
        return spec.autoscaling.clamp(spec.units)
    return spec.autoscaling.clamp(live_units)


def endpoint_changes(spec: EndpointSpec, live: Mapping[str, Any], units: int | None = None) -> dict[str, Any]:
    """The ``UpdateEndpoint`` arguments that bring ``live`` to ``spec`` (with ``units``, default the
    template's); empty when nothing differs.

    Raises :class:`PropertyError` for what UpdateEndpoint cannot do in place: removing a
    data-access role or a flywheel (give the endpoint a new ``EndpointName`` to replace it).
    """
    units = spec.units if units is None else units
    changes: dict[str, Any] = {}
    if live.get("DesiredInferenceUnits") != units or served_units(live) != units:
        changes["DesiredInferenceUnits"] = units
    if spec.model_arn is not None and (
        live.get("ModelArn") != spec.model_arn or live.get("DesiredModelArn") not in (None, spec.model_arn)
    ):
        changes["DesiredModelArn"] = spec.model_arn
    for prop, desired, change in (
        ("DataAccessRoleArn", spec.data_access_role_arn, "DesiredDataAccessRoleArn"),
        ("FlywheelArn", spec.flywheel_arn, "FlywheelArn"),
    ):
        current = live.get(prop)
        if desired is not None and desired != current:
            changes[change] = desired
        elif desired is None and current:
            raise PropertyError(
                prop,
                "cannot be removed from an existing endpoint in place; change EndpointName as well to replace it",
            )
    return changes


def _conflict_reason(spec: EndpointSpec, why: str) -> str:
    return (
        f"EndpointName: {spec.name!r} is already used by an endpoint this resource does not own ({why}). "
        "Choose another endpoint_name"
    )


def create_error_reason(spec: EndpointSpec, error: Rejected) -> str:
    """A reason for a refused CreateEndpoint that names the property to fix (DESIGN §4)."""
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
