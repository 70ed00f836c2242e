"""A faithful-enough model of Comprehend real-time endpoints (DESIGN §5), on a virtual clock.

What it models, and moto does not: endpoint ARNs of the right type for the model; statuses that
change over time (CREATING -> IN_SERVICE or FAILED with a Message, UPDATING with Desired* values
that differ from the current ones, DELETING -> gone); ClientRequestToken idempotency; name
conflicts (ResourceInUseException); busy endpoints refusing updates and deletes; the quotas (10
units per endpoint, 10 endpoints and 100 units per region); unknown models and flywheels; tag rules;
deletions and other changes made outside the stack (``delete_outside``, ``at``).

Assumed where the API reference and the developer guide are silent (each is also marked where it is
implemented, and listed in the README's "What was, and was not, verified"):

- endpoint names conflict per endpoint type: the ARN (type and name) is the identity;
- an endpoint keeps its model type for life: UpdateEndpoint with a model of the other type is refused
  (InvalidRequestException);
- UpdateEndpoint is accepted on a FAILED endpoint; UpdateEndpoint and DeleteEndpoint are refused with
  ResourceInUseException while the endpoint is CREATING or UPDATING;
- an accepted UpdateEndpoint may show as UPDATING only after a lag (``Timing.status_lag_s``, 0 unless a
  test sets it);
- keys starting ``aws:`` are refused by TagResource and UntagResource with InvalidRequestException;
- during an update an endpoint counts the larger of its current and desired units against the
  regional quota;
- ListEndpoints pages hold ``LIST_PAGE`` endpoints when MaxResults is not given.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
MAX_TAGS = 50
LIST_PAGE = 100
"""ListEndpoints page size when MaxResults is not given (assumed; the API reference gives no default)."""
MODEL_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:comprehend:[a-z0-9-]+:\d{12}:(document-classifier|entity-recognizer)/"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9])*(/version/[a-zA-Z0-9](-*[a-zA-Z0-9])*)?$"
)
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass
class Timing:
    """How long each transition takes, in (virtual) seconds."""

    create_s: float = 17 * 60
    update_s: float = 6 * 60
    delete_s: float = 2 * 60
    status_lag_s: float = 0.0
    """How long after UpdateEndpoint returns the endpoint still shows its old status and values
    before it turns UPDATING. Assumed: the API reference does not say that the change is visible at
    once, so a test can make it visible late (a handler must compare values, not only statuses)."""


@dataclass
class Endpoint:
    arn: str
    name: str
    model_arn: str
    units: int
    role: str | None
    flywheel: str | None
    token: str
    status: str
    until: float
    created: float
    desired_model_arn: str
    desired_units: int
    desired_role: str | None
    message: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    reached_at: dict[str, float] = field(default_factory=dict)
    """When the endpoint last reached each status (for latency measurements)."""
    pending_at: float | None = None
    """When an accepted UpdateEndpoint becomes visible (see ``Timing.status_lag_s``)."""
    pending: dict[str, Any] = field(default_factory=dict)


class FakeComprehend:
    """The service's state. Every public method is one API operation (request dict -> response dict)."""

    def __init__(
        self, now: Callable[[], float], timing: Timing | None = None, *, account: str = ACCOUNT, region: str = REGION
    ) -> None:
        self._now = now
        self.account = account
        self.region = region
        self.timing = timing or Timing()
        self.lock = threading.RLock()
        self.endpoints: dict[str, Endpoint] = {}
        self.tokens: dict[str, str] = {}
        self.models: set[str] = set()
        self.failing_models: dict[str, str] = {}
        self.flywheels: dict[str, dict[str, str]] = {}
        self.max_units = 10
        """Inference units per endpoint (the default service quota)."""
        self.max_endpoints = 10
        """Endpoints per account and region (the default service quota)."""
        self.max_total_units = 100
        """Inference units of all endpoints of the account and region together (the default quota)."""
        self.creates: list[str] = []
        self.deleted: list[str] = []
        self.gone: dict[str, dict[str, float]] = {}
        self.scheduled: list[tuple[float, Callable[[], None]]] = []
        self.on_status: Callable[[str, str, float], None] | None = None
        """Called with (EndpointArn, new status, when) at every status change (the demo prints them)."""
        """``reached_at`` of each deleted endpoint, by ARN."""

    # -- set-up --------------------------------------------------------------------------------
    def add_model(self, arn: str, *, fails_with: str | None = None) -> str:
        self.models.add(arn)
        if fails_with:
            self.failing_models[arn] = fails_with
        return arn

    def add_flywheel(self, arn: str, model_type: str, active_model: str) -> str:
        self.flywheels[arn] = {"ModelType": model_type, "ActiveModelArn": active_model}
        self.add_model(active_model)
        return arn

    def put_foreign_endpoint(self, name: str, model_arn: str) -> str:
        """An endpoint created outside the stack (by someone else), already IN_SERVICE."""
        arn = self._endpoint_arn(model_arn, name)
        now = self._now()
        self.endpoints[arn] = Endpoint(
            arn,
            name,
            model_arn,
            1,
            None,
            None,
            "someone-else",
            "IN_SERVICE",
            now,
            now,
            model_arn,
            1,
            None,
            reached_at={"IN_SERVICE": now},
        )
        return arn

    # -- time ----------------------------------------------------------------------------------
    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action`` (something done outside the stack) once virtual time reaches ``when``."""
        self.scheduled.append((when, action))
        self.scheduled.sort(key=lambda item: item[0])

    def advance(self) -> None:
        now = self._now()
        while self.scheduled and self.scheduled[0][0] <= now:
            _, action = self.scheduled.pop(0)
            action()
        for arn, ep in list(self.endpoints.items()):
            if ep.pending_at is not None and now >= ep.pending_at:
                self._begin_update(ep, ep.pending_at, ep.pending)
                ep.pending_at, ep.pending = None, {}
            if ep.status == "CREATING" and now >= ep.until:
                failure = self.failing_models.get(ep.model_arn)
                ep.status, ep.message = ("FAILED", failure) if failure else ("IN_SERVICE", "")
                ep.reached_at[ep.status] = ep.until
                self._notify(arn, ep.status, ep.until)
            elif ep.status == "UPDATING" and now >= ep.until:
                failure = self.failing_models.get(ep.desired_model_arn)
                if failure:
                    ep.status, ep.message = "FAILED", failure
                    ep.desired_model_arn, ep.desired_units, ep.desired_role = ep.model_arn, ep.units, ep.role
                else:
                    ep.model_arn, ep.units, ep.role = ep.desired_model_arn, ep.desired_units, ep.desired_role
                    ep.status, ep.message = "IN_SERVICE", ""
                ep.reached_at[ep.status] = ep.until
                self._notify(arn, ep.status, ep.until)
            elif ep.status == "DELETING" and now >= ep.until:
                del self.endpoints[arn]
                self.deleted.append(arn)
                ep.reached_at["GONE"] = ep.until
                self.gone[arn] = ep.reached_at
                self._notify(arn, "GONE", ep.until)

    def next_change(self) -> float | None:
        """When the next status change happens, if any is scheduled."""
        times = [ep.until for ep in self.endpoints.values() if ep.status in ("CREATING", "UPDATING", "DELETING")]
        times += [ep.pending_at for ep in self.endpoints.values() if ep.pending_at is not None]
        times += [when for when, _ in self.scheduled]
        return min(times) if times else None

    def delete_outside(self, arn: str) -> None:
        """Someone deletes the endpoint outside the stack (whatever its status): it is gone after
        ``Timing.delete_s``."""
        ep = self._get(arn)
        ep.status, ep.until, ep.pending_at = "DELETING", self._now() + self.timing.delete_s, None
        self._notify(arn, "DELETING", self._now())

    # -- operations ----------------------------------------------------------------------------
    def CreateEndpoint(self, req: dict[str, Any]) -> dict[str, Any]:
        name = req.get("EndpointName", "")
        if not NAME.match(name) or len(name) > 40:
            raise ApiError("ValidationException", f"1 validation error detected: Value '{name}' at 'endpointName'")
        units = int(req["DesiredInferenceUnits"])
        token = req.get("ClientRequestToken") or f"auto-{len(self.creates)}"
        if token in self.tokens:
            return {"EndpointArn": self.tokens[token], "ModelArn": req.get("ModelArn", "")}
        model_arn = req.get("ModelArn")
        flywheel = req.get("FlywheelArn")
        if flywheel:
            if flywheel not in self.flywheels:
                raise ApiError("ResourceNotFoundException", f"Flywheel {flywheel} not found")
            model_arn = model_arn or self.flywheels[flywheel]["ActiveModelArn"]
        if not model_arn:
            raise ApiError("InvalidRequestException", "ModelArn or FlywheelArn is required")
        if model_arn not in self.models:
            raise ApiError("ResourceNotFoundException", f"Could not find the specified model: {model_arn}")
        tags = _checked_tags(req.get("Tags", []))
        if len(tags) > MAX_TAGS:
            raise ApiError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags")
        if units < 1:
            raise ApiError("InvalidRequestException", "DesiredInferenceUnits must be >= 1")
        if units > self.max_units:
            raise ApiError(
                "ResourceLimitExceededException", f"Inference units {units} exceed the limit {self.max_units}"
            )
        if len(self.endpoints) >= self.max_endpoints:
            raise ApiError("ResourceLimitExceededException", f"Limit of {self.max_endpoints} endpoints reached")
        if self.total_units() + units > self.max_total_units:
            raise ApiError(
                "ResourceLimitExceededException",
                f"{self.total_units() + units} inference units in all would exceed the limit {self.max_total_units}",
            )
        arn = self._endpoint_arn(model_arn, name)
        if arn in self.endpoints:  # assumed: names conflict per endpoint type (see module doc)
            raise ApiError("ResourceInUseException", f"Endpoint {name} already exists")
        now = self._now()
        self.endpoints[arn] = Endpoint(
            arn=arn,
            name=name,
            model_arn=model_arn,
            units=units,
            role=req.get("DataAccessRoleArn"),
            flywheel=flywheel,
            token=token,
            status="CREATING",
            until=now + self.timing.create_s,
            created=now,
            desired_model_arn=model_arn,
            desired_units=units,
            desired_role=req.get("DataAccessRoleArn"),
            tags=tags,
        )
        self.tokens[token] = arn
        self.creates.append(arn)
        self._notify(arn, "CREATING", now)
        return {"EndpointArn": arn, "ModelArn": model_arn}

    def DescribeEndpoint(self, req: dict[str, Any]) -> dict[str, Any]:
        ep = self._get(req["EndpointArn"])
        props: dict[str, Any] = {
            "EndpointArn": ep.arn,
            "Status": ep.status,
            "ModelArn": ep.model_arn,
            "DesiredModelArn": ep.desired_model_arn,
            "DesiredInferenceUnits": ep.desired_units,
            "CurrentInferenceUnits": ep.units,
            "CreationTime": ep.created,
            "LastModifiedTime": ep.created,
        }
        if ep.message:
            props["Message"] = ep.message
        if ep.role:
            props["DataAccessRoleArn"] = ep.role
        if ep.desired_role:
            props["DesiredDataAccessRoleArn"] = ep.desired_role
        if ep.flywheel:
            props["FlywheelArn"] = ep.flywheel
        return {"EndpointProperties": props}

    def UpdateEndpoint(self, req: dict[str, Any]) -> dict[str, Any]:
        ep = self._get(req["EndpointArn"])
        if ep.status in ("CREATING", "UPDATING", "DELETING") or ep.pending_at is not None:
            # assumed: busy endpoints refuse updates; a FAILED one accepts them (see module doc)
            raise ApiError("ResourceInUseException", f"Endpoint is {ep.status}")
        model = req.get("DesiredModelArn", ep.model_arn)
        if model not in self.models:
            raise ApiError("ResourceNotFoundException", f"Could not find the specified model: {model}")
        if _kind(model) != _kind(ep.model_arn):
            # Assumed (the API reference does not say): an endpoint serves one model type for life.
            raise ApiError("InvalidRequestException", f"Model {model} is not of the endpoint's type")
        units = int(req.get("DesiredInferenceUnits", ep.units))
        if units > self.max_units:
            raise ApiError("ResourceLimitExceededException", f"Inference units {units} exceed the limit")
        if self.total_units() - max(ep.units, ep.desired_units) + units > self.max_total_units:
            raise ApiError(
                "ResourceLimitExceededException", f"Inference units in all would exceed {self.max_total_units}"
            )
        change = {
            "model": model,
            "units": units,
            "role": req.get("DesiredDataAccessRoleArn", ep.role),
            "flywheel": req.get("FlywheelArn", ep.flywheel),
        }
        if self.timing.status_lag_s > 0:
            ep.pending_at, ep.pending = self._now() + self.timing.status_lag_s, change
        else:
            self._begin_update(ep, self._now(), change)
        return {"DesiredModelArn": model}

    def _begin_update(self, ep: Endpoint, when: float, change: dict[str, Any]) -> None:
        ep.flywheel = change["flywheel"]
        ep.desired_model_arn, ep.desired_units, ep.desired_role = change["model"], change["units"], change["role"]
        ep.status, ep.until, ep.message = "UPDATING", when + self.timing.update_s, ""
        self._notify(ep.arn, "UPDATING", when)

    def DeleteEndpoint(self, req: dict[str, Any]) -> dict[str, Any]:
        ep = self._get(req["EndpointArn"])
        if ep.status in ("CREATING", "UPDATING") or ep.pending_at is not None:
            raise ApiError("ResourceInUseException", f"Endpoint is {ep.status}")
        if ep.status != "DELETING":
            ep.status, ep.until = "DELETING", self._now() + self.timing.delete_s
            self._notify(ep.arn, "DELETING", self._now())
        return {}

    def ListEndpoints(self, req: dict[str, Any]) -> dict[str, Any]:
        """Pages of ``MaxResults`` (default ``LIST_PAGE``), continued by an opaque ``NextToken``."""
        arns = sorted(self.endpoints)
        start = int(req.get("NextToken") or 0)
        size = int(req.get("MaxResults") or LIST_PAGE)
        page = arns[start : start + size]
        response: dict[str, Any] = {
            "EndpointPropertiesList": [self.DescribeEndpoint({"EndpointArn": a})["EndpointProperties"] for a in page]
        }
        if start + size < len(arns):
            response["NextToken"] = str(start + size)
        return response

    def ListTagsForResource(self, req: dict[str, Any]) -> dict[str, Any]:
        ep = self._get(req["ResourceArn"])
        return {"ResourceArn": ep.arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(ep.tags.items())]}

    def TagResource(self, req: dict[str, Any]) -> dict[str, Any]:
        ep = self._get(req["ResourceArn"])
        new = _checked_tags(req["Tags"])
        if len({**ep.tags, **new}) > MAX_TAGS:
            raise ApiError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags")
        ep.tags.update(new)
        return {}

    def UntagResource(self, req: dict[str, Any]) -> dict[str, Any]:
        ep = self._get(req["ResourceArn"])
        for key in req["TagKeys"]:
            if key.lower().startswith("aws:"):
                raise ApiError("InvalidRequestException", f"Tag keys starting with aws: are reserved: {key}")
        for key in req["TagKeys"]:
            ep.tags.pop(key, None)
        return {}

    def DescribeFlywheel(self, req: dict[str, Any]) -> dict[str, Any]:
        flywheel = self.flywheels.get(req["FlywheelArn"])
        if flywheel is None:
            raise ApiError("ResourceNotFoundException", f"Flywheel {req['FlywheelArn']} not found")
        return {"FlywheelProperties": {"FlywheelArn": req["FlywheelArn"], "Status": "ACTIVE", **flywheel}}

    def total_units(self) -> int:
        """Inference units held by all endpoints (an updating endpoint counts the larger of its two)."""
        return sum(max(ep.units, ep.desired_units) for ep in self.endpoints.values())

    # -- for the authorizer ----------------------------------------------------------------------
    def tag_keys(self, arn: str) -> dict[str, str]:
        """``aws:ResourceTag/<key>`` condition keys of an existing endpoint; none for anything else."""
        ep = self.endpoints.get(arn)
        return {f"aws:ResourceTag/{k}": v for k, v in ep.tags.items()} if ep else {}

    def arn_for_create(self, req: dict[str, Any]) -> str | None:
        """The ARN CreateEndpoint would give the endpoint (None when the model type cannot be known)."""
        model_arn = req.get("ModelArn")
        if not model_arn and req.get("FlywheelArn") in self.flywheels:
            model_arn = self.flywheels[req["FlywheelArn"]]["ActiveModelArn"]
        return self._endpoint_arn(model_arn, req.get("EndpointName", "")) if model_arn else None

    # -- helpers -------------------------------------------------------------------------------
    def _notify(self, arn: str, status: str, when: float) -> None:
        if self.on_status is not None:
            self.on_status(arn, status, when)

    def _get(self, arn: str) -> Endpoint:
        ep = self.endpoints.get(arn)
        if ep is None:
            raise ApiError("ResourceNotFoundException", f"Could not find the specified endpoint: {arn}")
        return ep

    def _endpoint_arn(self, model_arn: str, name: str) -> str:
        return f"arn:aws:comprehend:{self.region}:{self.account}:{_kind(model_arn)}-endpoint/{name}"


def _kind(model_arn: str) -> str:
    return "entity-recognizer" if ":entity-recognizer/" in model_arn else "document-classifier"


def _checked_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    """Tags as the service validates them: keys 1-128 characters, not ``aws:``; values up to 256."""
    checked: dict[str, str] = {}
    for tag in tags:
        key, value = tag["Key"], tag.get("Value", "")
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise ApiError("InvalidRequestException", f"Invalid tag {key!r}")
        if key.lower().startswith("aws:"):  # assumed error code (see module doc)
            raise ApiError("InvalidRequestException", f"Tag keys starting with aws: are reserved: {key}")
        checked[key] = value
    return checked
