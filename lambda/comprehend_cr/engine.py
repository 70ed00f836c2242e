"""What every request type shares: the polling driver, the checks before an answer, the stack reads.

:class:`Engine` runs one request's steps (``_drive``) at the pace of ``POLL_FIRST_S`` .. ``POLL_MAX_S``, within
the invocation's budget (:mod:`comprehend_cr.budget`), and turns what a step raises into the next round, a
``PENDING`` hand-over, a FAILED answer or a withdrawal. Before an answer it checks that CloudFormation still
waits (:mod:`comprehend_cr.watch`) and, once it no longer does, deletes what the request created
(``_withdraw_step``) and answers nothing. The request types build on it: :mod:`.converge` (in place),
:mod:`.create`, :mod:`.update`, :mod:`.delete`; :mod:`.lifecycle` dispatches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from comprehend_cr import arns, budget, contract, diffs, sweep
from comprehend_cr.calls import (
    Abandoned,
    NotOurs,
    OutOfTime,
    Rejected,
    Service,
    Transient,
)
from comprehend_cr.clock import Clock
from comprehend_cr.outcome import Outcome
from comprehend_cr.ownership import OWNERSHIP_TAG_KEYS, RETAINED_TAG, Owner, is_retained
from comprehend_cr.progress import Phase, Progress
from comprehend_cr.properties import EndpointSpec, PropertyError, service_timeout_or_default
from comprehend_cr.request import Request, failed_create_marker
from comprehend_cr.watch import FORWARD, RECHECK_S, StackReader, StackView, needs_rollback_start, verdict

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


def _never() -> bool:
    return False


class Engine:
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

    def _origin(self, request: Request, state: Progress) -> float:
        """When the request's clock started: CloudFormation's send time, but never later than this handler's
        first run (a URL dated in the future, skewed or hand-made, cannot push the deadline past
        CloudFormation's)."""
        return min(request.sent_at, state.started) if request.sent_at is not None else state.started

    def _sweep_then_answer(self, request: Request, state: Progress, deadline: float) -> Outcome | None:
        """Delete the strays (waiting while they are still being created), then give the answer; at the
        deadline the answer is given anyway and what is left is logged as an error."""
        refused = _refused_answer(request, state)
        if refused:
            return Outcome.failed(request.physical_id, f"{refused}; the carried progress was refused, nothing deleted")
        until_gone = request.request_type == "Delete"
        # Never what CloudFormation sent or is answered, whatever the carried list says. (The physical id the stack
        # holds was kept out of the list when it was made: ``find_strays``' ``keep``.)
        keep = {request.physical_id, state.answer_id}
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
        first = state.stack_status or None
        found = verdict(request.request_type, view, first_stack_status=first, sent_at=request.sent_at)
        if (
            found.waited
            and self._stacks is not None
            and needs_rollback_start(request.request_type, view, request.sent_at)
        ):
            began = self._stacks.rollback_began(request.stack_id)
            found = verdict(
                request.request_type, view, first_stack_status=first, sent_at=request.sent_at, rollback_began_at=began
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


def _refused_answer(request: Request, state: Progress) -> str:
    """Why the carried answer cannot be this request's ("" when it can): a Delete answers with the physical id it
    was given; an Update with it, or with the endpoint its properties name in this stack (a replacement). The
    answer's ``EndpointArn`` attribute, when given, is the answer itself."""
    answer = state.answer_id
    data_arn = state.answer_data.get(contract.ENDPOINT_ARN_ATTRIBUTE, answer)
    if data_arn != answer:
        return f"progress.answer_data.EndpointArn: {data_arn!r} is not the answer {answer!r}"
    if answer == request.physical_id:
        return ""
    named = arns.parse_endpoint_arn(answer)
    if (
        request.request_type == "Update"
        and named is not None
        and named.name == request.properties.get(contract.ENDPOINT_NAME_PROPERTY)
        and answer == arns.endpoint_arn_in_stack(request.stack_id, named.kind, named.name)
    ):
        return ""
    return f"progress.answer_id: {answer!r} is neither {request.physical_id!r} nor the endpoint the properties name"


def _retention_diff(retain: bool, tags: Mapping[str, str]) -> dict[str, bool]:
    """``{RETAINED_TAG: True}`` to set the mark, ``False`` to clear it, empty when it is as it should be."""
    if retain and not is_retained(tags):
        return {RETAINED_TAG: True}
    if not retain and is_retained(tags):
        return {RETAINED_TAG: False}
    return {}
