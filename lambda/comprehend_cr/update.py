"""An Update: in place when the name and the endpoint type stay, else a replacement (created, then the old one is
left to CloudFormation's cleanup); a failed replacement is discarded; strays are swept before the answer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from comprehend_cr import arns, sweep
from comprehend_cr.create import Creating
from comprehend_cr.engine import BUSY, CLEANUP_RESERVE_S, DEADLINE_MARGIN_S
from comprehend_cr.outcome import Outcome
from comprehend_cr.progress import Phase, Progress
from comprehend_cr.properties import EndpointSpec, PropertyError, parse_properties
from comprehend_cr.request import Request

logger = logging.getLogger(__name__)


class Updating(Creating):
    """An Update: plan, then converge in place or replace; sweep; answer."""

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


def _lenient_spec(raw: Mapping[str, Any]) -> EndpointSpec | None:
    """The previous properties, or None when they are missing or unreadable (treated as 'changed');
    missing ones are unreadable: EndpointName is required."""
    try:
        return parse_properties(raw)
    except PropertyError:
        return None
