"""What must change: the template's properties against the endpoint's live state (pure functions).

Values are compared with what the endpoint really has (``DescribeEndpoint``), so a change made outside the
stack, or half of an interrupted update, converges too. Tags are the exception: like CloudFormation's own
resource handlers, only the tags the template changed (previous properties -> new ones) are added, changed
or removed, and tags other tools added (cost allocation, backup, compliance) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comprehend_cr.contract import is_reserved_tag_key
from comprehend_cr.properties import EndpointSpec, PropertyError


def created_units(spec: EndpointSpec) -> int:
    """The units a new endpoint starts with: the template's, clamped into the autoscaling range."""
    return spec.autoscaling.clamp(spec.units) if spec.autoscaling else spec.units


def served_units(live: Mapping[str, Any]) -> Any:
    """The units the endpoint serves: ``CurrentInferenceUnits``, or the desired ones when the service
    leaves it out (the API model marks it optional; the docs do not say when it is missing)."""
    return live.get("CurrentInferenceUnits", live.get("DesiredInferenceUnits"))


def matches(live: Mapping[str, Any], spec: EndpointSpec, units: int) -> bool:
    """Whether ``live`` serves ``units`` and the model, role and flywheel ``spec`` names."""
    return (
        served_units(live) == units
        and (spec.model_arn is None or live.get("ModelArn") == spec.model_arn)
        and (spec.data_access_role_arn is None or live.get("DataAccessRoleArn") == spec.data_access_role_arn)
        and (spec.flywheel_arn is None or live.get("FlywheelArn") == spec.flywheel_arn)
    )


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


@dataclass(frozen=True)
class TagChanges:
    to_set: dict[str, str]
    to_remove: list[str]


def tag_changes(desired: Mapping[str, str], previous: Mapping[str, str] | None, live: Mapping[str, str]) -> TagChanges:
    """The tags to set and remove so that the endpoint carries ``desired``.

    Set: every desired tag whose live value differs (drift of a tag the template manages is repaired).
    Remove: the tags the previous properties had and the new ones do not (and the endpoint still has); never
    a tag the template never managed (``previous`` None, unreadable properties: nothing is removed), never a
    reserved one (ownership, ``aws:``).
    """
    to_set = {k: v for k, v in desired.items() if live.get(k) != v}
    to_remove = sorted(k for k in (previous or {}) if k not in desired and k in live and not is_reserved_tag_key(k))
    return TagChanges(to_set, to_remove)
