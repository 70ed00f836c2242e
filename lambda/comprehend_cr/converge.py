"""Bring an existing endpoint to the properties in place: UpdateEndpoint and the tags the template changed."""

from __future__ import annotations

import logging

from comprehend_cr import diffs
from comprehend_cr.calls import (
    Rejected,
)
from comprehend_cr.engine import BUSY, Engine, _retention_diff
from comprehend_cr.outcome import Outcome
from comprehend_cr.progress import Progress
from comprehend_cr.properties import EndpointSpec, PropertyError
from comprehend_cr.request import Request

logger = logging.getLogger(__name__)


class Converging(Engine):
    """Converge an endpoint once, then wait for it to be in service with the desired values."""

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
