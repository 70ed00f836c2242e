"""A Delete: the endpoint CloudFormation names (when it is this resource's), then the resource's strays."""

from __future__ import annotations

import logging

from comprehend_cr import arns, sweep
from comprehend_cr.calls import (
    NotOurs,
    creation_time,
)
from comprehend_cr.engine import BUSY, DEADLINE_MARGIN_S, Engine
from comprehend_cr.outcome import Outcome
from comprehend_cr.ownership import Owner
from comprehend_cr.progress import Phase, Progress
from comprehend_cr.properties import service_timeout_or_default
from comprehend_cr.request import Request

logger = logging.getLogger(__name__)


class Deleting(Engine):
    """A Delete: never checked against the stack (deleting what CloudFormation asks to delete is never wrong)."""

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
                raise NotOurs(target, owner)  # a sibling of this stack was answered above
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
            return {view.physical_id} if view is not None else set()
        view = self._read_stack(request)
        if view is None or view.stack_status is None:
            return None
        if view.stack_status == "DELETE_IN_PROGRESS":
            return set()
        if arns.parse_endpoint_arn(view.physical_id) is not None and view.physical_id != request.physical_id:
            return {view.physical_id}
        return None
