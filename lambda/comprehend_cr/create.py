"""Create the endpoint the properties name, or take back one this resource already owns."""

from __future__ import annotations

import logging
from typing import Any

from comprehend_cr import arns, diffs
from comprehend_cr.calls import (
    ACCESS_DENIED_CODES,
    NotOurs,
    Rejected,
)
from comprehend_cr.converge import Converging
from comprehend_cr.engine import DEADLINE_MARGIN_S
from comprehend_cr.outcome import Outcome
from comprehend_cr.ownership import RETAINED_TAG, Owner, is_retained
from comprehend_cr.progress import Progress
from comprehend_cr.properties import EndpointSpec, PropertyError, parse_properties
from comprehend_cr.request import Request, failed_create_marker

logger = logging.getLogger(__name__)


class Creating(Converging):
    """A Create; and the creation (or taking back) of an endpoint that an Update's replacement needs."""

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
