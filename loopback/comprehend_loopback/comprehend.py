"""A faithful-enough model of Comprehend real-time endpoints (docs/design.md §5), on a virtual clock.

What it models, and moto does not: endpoint ARNs of the right type for the model; statuses that
change over time (CREATING -> IN_SERVICE or FAILED with a Message, UPDATING with Desired* values
that differ from the current ones, DELETING -> gone); ClientRequestToken idempotency; name
conflicts (ResourceInUseException); busy endpoints refusing updates and deletes; the quotas (10
units per endpoint, 10 endpoints and 100 units per region); unknown models and flywheels; tag rules;
deletions and other changes made outside the stack (``delete_outside``, ``at``).

Every request is first held to botocore's service model (``comprehend/2017-11-27/service-2.json``):
the members each operation requires, and the type, length bounds and pattern of every member's shape
(``Text`` and ``Integer`` below name the shape each rule comes from). botocore checks the same on the
client side, but a caller with ``parameter_validation=False`` (or another SDK) reaches the service
with whatever it sends, and the service refuses it; so does the loopback, instead of accepting it or
failing with a Python error.

Assumed where the API reference and the developer guide are silent (each is also marked where it is
implemented, and listed in the README's "What was, and was not, verified"):

- a request that breaks the service model (a pattern, a length, a range, a missing member, a
  NextToken the service did not hand out) is refused with InvalidRequestException, which every
  modelled operation declares; the real service may answer such wire-protocol violations with
  ValidationException, which botocore does not list per operation (the loopback uses one code for all);
- the model's patterns are matched against the whole value (the model does not anchor most of them);
- TagKey is 1-128 and TagValue 0-256 characters, as in the model (the developer guide says 127 and
  255); the model gives neither a pattern, so no character set is enforced;
- a ClientRequestToken stands for one endpoint while that endpoint exists: a CreateEndpoint with it
  naming the same endpoint (name and type) gets that endpoint back and creates nothing; one naming
  another endpoint creates nothing and is refused with InvalidRequestException; once the endpoint is
  deleted (gone), the token is forgotten and a new CreateEndpoint with it creates a new endpoint;
- UpdateEndpoint with a FlywheelArn makes that flywheel's active model the desired model, unless the
  request also gives DesiredModelArn (then that model is the desired one);
- endpoint names conflict per endpoint type: the ARN (type and name) is the identity;
- an endpoint keeps its model type for life: UpdateEndpoint with a model of the other type is refused
  (InvalidRequestException);
- UpdateEndpoint is accepted on a FAILED endpoint; UpdateEndpoint and DeleteEndpoint are refused with
  ResourceInUseException while the endpoint is CREATING or UPDATING;
- an accepted UpdateEndpoint may show as UPDATING only after a lag (``Timing.status_lag_s``, 0 unless a
  test sets it);
- keys starting ``aws:`` are refused by TagResource and UntagResource with InvalidRequestException;
- during an update an endpoint counts the larger of its current and desired units against the
  regional quota, and so does an accepted update that does not show yet;
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
INVALID = "InvalidRequestException"
"""The code of every refusal of a request that breaks the service model (see the module doc)."""
_NEXT_TOKEN = re.compile(r"loopback-page-(0|[1-9][0-9]{0,8})")
"""The NextToken ListEndpoints hands out (opaque to callers; anything else is refused)."""


@dataclass(frozen=True)
class Text:
    """A string shape of botocore's ``comprehend/2017-11-27/service-2.json``: its length bounds (in
    characters) and its pattern, matched against the whole value (see the module doc)."""

    shape: str
    min: int = 0
    max: int | None = None
    pattern: str | None = None

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"must be a string ({self.shape})"
        if len(value) < self.min or (self.max is not None and len(value) > self.max):
            bound = f"at most {self.max}" if len(value) >= self.min else f"at least {self.min}"
            return f"must be {bound} characters long ({self.shape}), got {len(value)}"
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            return f"must match {self.pattern} ({self.shape})"
        return None


@dataclass(frozen=True)
class Integer:
    """An integer shape of the service model and its range."""

    shape: str
    min: int | None = None
    max: int | None = None

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be an integer ({self.shape})"
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            return f"must be between {self.min} and {self.max} ({self.shape}), got {value}"
        return None


_ARN_PREFIX = r"arn:aws(-[^:]+)?:comprehend:[a-zA-Z0-9-]*:[0-9]{12}:"
_ID = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
# Each shape below is copied from service-2.json (shape name first); only the anchoring is ours.
ENDPOINT_NAME = Text("ComprehendEndpointName", 0, 40, r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
MODEL_ARN = Text(
    "ComprehendModelArn", 0, 256, _ARN_PREFIX + rf"(document-classifier|entity-recognizer)/{_ID}(/version/{_ID})?"
)
ENDPOINT_ARN = Text(
    "ComprehendEndpointArn", 0, 256, _ARN_PREFIX + rf"(document-classifier-endpoint|entity-recognizer-endpoint)/{_ID}"
)
FLYWHEEL_ARN = Text("ComprehendFlywheelArn", 0, 256, _ARN_PREFIX + rf"flywheel/{_ID}")
RESOURCE_ARN = Text(
    "ComprehendArn", 0, 256, _ARN_PREFIX + rf"[a-zA-Z0-9-]{{1,64}}/{_ID}((/dataset/{_ID})|(/version/{_ID}))?"
)
ROLE_ARN = Text("IamRoleArn", 20, 2048, r"arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+")
CLIENT_REQUEST_TOKEN = Text("ClientRequestTokenString", 1, 64, r"^[a-zA-Z0-9-]+$")
NEXT_TOKEN = Text("String", 1)
TAG_KEY = Text("TagKey", 1, 128)
"""The model's 1-128 characters. The developer guide says 127 for keys (and 255 for values): the loopback
keeps the model's bounds, which botocore also enforces on the client side."""
TAG_VALUE = Text("TagValue", 0, 256)
INFERENCE_UNITS = Integer("InferenceUnitsInteger", 1)
MAX_RESULTS = Integer("MaxResultsInteger", 1, 500)
Shape = Text | Integer

# The members each operation takes (``*`` = required), from the operation's input shape in service-2.json.
# Tags (TagList), TagKeys (TagKeyList) and Filter (EndpointFilter) are checked member by member.
_MEMBERS: dict[str, dict[str, Shape]] = {
    "CreateEndpoint": {
        "*EndpointName": ENDPOINT_NAME,
        "ModelArn": MODEL_ARN,
        "*DesiredInferenceUnits": INFERENCE_UNITS,
        "ClientRequestToken": CLIENT_REQUEST_TOKEN,
        "DataAccessRoleArn": ROLE_ARN,
        "FlywheelArn": FLYWHEEL_ARN,
    },
    "DescribeEndpoint": {"*EndpointArn": ENDPOINT_ARN},
    "UpdateEndpoint": {
        "*EndpointArn": ENDPOINT_ARN,
        "DesiredModelArn": MODEL_ARN,
        "DesiredInferenceUnits": INFERENCE_UNITS,
        "DesiredDataAccessRoleArn": ROLE_ARN,
        "FlywheelArn": FLYWHEEL_ARN,
    },
    "DeleteEndpoint": {"*EndpointArn": ENDPOINT_ARN},
    "ListEndpoints": {"NextToken": NEXT_TOKEN, "MaxResults": MAX_RESULTS},
    "ListTagsForResource": {"*ResourceArn": RESOURCE_ARN},
    "TagResource": {"*ResourceArn": RESOURCE_ARN},
    "UntagResource": {"*ResourceArn": RESOURCE_ARN},
    "DescribeFlywheel": {"*FlywheelArn": FLYWHEEL_ARN},
}


def model_problem(operation: str, req: Any) -> str | None:
    """What in ``req`` breaks ``operation``'s input shape in the service model, or None if nothing."""
    if not isinstance(req, dict):
        return "the request must be a JSON object"
    for key, shape in _MEMBERS.get(operation, {}).items():
        member = key.lstrip("*")
        if member not in req or req[member] is None:
            if key.startswith("*"):
                return f"{member} is required"
            continue
        problem = shape.problem(req[member])
        if problem is not None:
            return f"{member}: {problem}"
    if operation in ("CreateEndpoint", "TagResource"):
        return _tag_list_problem(req.get("Tags"), required=operation == "TagResource")
    if operation == "UntagResource":
        return _tag_keys_problem(req.get("TagKeys"))
    if operation == "ListEndpoints" and req.get("Filter") is not None:
        flt = req["Filter"]
        if not isinstance(flt, dict):
            return "Filter: must be an object (EndpointFilter)"
        if flt.get("ModelArn") is not None and (problem := MODEL_ARN.problem(flt["ModelArn"])) is not None:
            return f"Filter.ModelArn: {problem}"
    return None


def _tag_list_problem(tags: Any, *, required: bool) -> str | None:
    """TagList: a list of Tag, each with a Key (TagKey, required) and a Value (TagValue)."""
    if tags is None:
        return "Tags is required" if required else None
    if not isinstance(tags, list):
        return "Tags: must be a list (TagList)"
    for tag in tags:
        if not isinstance(tag, dict) or "Key" not in tag:
            return "Tags: every Tag needs a Key (Tag)"
        problem = TAG_KEY.problem(tag["Key"]) or (TAG_VALUE.problem(tag["Value"]) if "Value" in tag else None)
        if problem is not None:
            return f"Tags: {problem}"
    return None


def _tag_keys_problem(keys: Any) -> str | None:
    """TagKeyList: a list of TagKey."""
    if keys is None:
        return "TagKeys is required"
    if not isinstance(keys, list):
        return "TagKeys: must be a list (TagKeyList)"
    for key in keys:
        if (problem := TAG_KEY.problem(key)) is not None:
            return f"TagKeys: {problem}"
    return None


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
                for token in [t for t, a in self.tokens.items() if a == arn]:
                    del self.tokens[token]  # assumed: a deleted endpoint's token is forgotten (see _replay)
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
        self.validate("CreateEndpoint", req)
        name: str = req["EndpointName"]
        units: int = req["DesiredInferenceUnits"]
        token: str = req.get("ClientRequestToken") or ""
        replay = self._replay(token, req)
        if replay is not None:
            return replay
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
        tags = _checked_tags(req.get("Tags") or [])
        if len(tags) > MAX_TAGS:
            raise ApiError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags")
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
        if token:
            self.tokens[token] = arn
        self.creates.append(arn)
        self._notify(arn, "CREATING", now)
        return {"EndpointArn": arn, "ModelArn": model_arn}

    def _replay(self, token: str, req: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to a CreateEndpoint that repeats ``token``, or None when the token is new.

        Assumed (the API reference only calls the token an idempotency token): a token stands for one
        endpoint while that endpoint exists; a request with it that names the same endpoint (name and
        type, i.e. the same ARN) gets that endpoint back and creates nothing; one that names another
        endpoint is refused (InvalidRequestException) and creates nothing. A deleted endpoint's token
        is forgotten (see ``advance``), so a later request with it creates a new endpoint.
        """
        arn = self.tokens.get(token) if token else None
        if arn is None or arn not in self.endpoints:
            return None
        named = self.arn_for_create(req)
        if named is None:  # the type cannot be known (an unknown flywheel): refused as a new request would be
            return None
        if named != arn:
            raise ApiError(INVALID, f"ClientRequestToken {token} was already used to create {arn}, not {named}")
        return {"EndpointArn": arn, "ModelArn": self.endpoints[arn].model_arn}

    def validate(self, operation: str, req: Any) -> None:
        """Refuse (InvalidRequestException, see the module doc) a request that breaks the service model."""
        problem = model_problem(operation, req)
        if problem is not None:
            raise ApiError(INVALID, f"1 validation error detected: {problem}")

    def DescribeEndpoint(self, req: dict[str, Any]) -> dict[str, Any]:
        self.validate("DescribeEndpoint", req)
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
        self.validate("UpdateEndpoint", req)
        ep = self._get(req["EndpointArn"])
        if ep.status in ("CREATING", "UPDATING", "DELETING") or ep.pending_at is not None:
            # assumed: busy endpoints refuse updates; a FAILED one accepts them (see module doc)
            raise ApiError("ResourceInUseException", f"Endpoint is {ep.status}")
        model = req.get("DesiredModelArn")
        flywheel = req.get("FlywheelArn")
        if flywheel is not None:
            if flywheel not in self.flywheels:
                raise ApiError("ResourceNotFoundException", f"Flywheel {flywheel} not found")
            # The flywheel's active model is the one the endpoint serves; DesiredModelArn, when also
            # given, wins (assumed, see the module doc).
            model = model or self.flywheels[flywheel]["ActiveModelArn"]
        model = model or ep.model_arn
        if model not in self.models:
            raise ApiError("ResourceNotFoundException", f"Could not find the specified model: {model}")
        if _kind(model) != _kind(ep.model_arn):
            # Assumed (the API reference does not say): an endpoint serves one model type for life.
            raise ApiError("InvalidRequestException", f"Model {model} is not of the endpoint's type")
        units: int = req.get("DesiredInferenceUnits") or ep.units
        if units > self.max_units:
            raise ApiError("ResourceLimitExceededException", f"Inference units {units} exceed the limit")
        if self.total_units() - max(ep.units, ep.desired_units) + units > self.max_total_units:
            raise ApiError(
                "ResourceLimitExceededException", f"Inference units in all would exceed {self.max_total_units}"
            )
        change = {
            "model": model,
            "units": units,
            "role": req.get("DesiredDataAccessRoleArn") or ep.role,
            "flywheel": flywheel or ep.flywheel,
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
        self.validate("DeleteEndpoint", req)
        ep = self._get(req["EndpointArn"])
        if ep.status in ("CREATING", "UPDATING") or ep.pending_at is not None:
            raise ApiError("ResourceInUseException", f"Endpoint is {ep.status}")
        if ep.status != "DELETING":
            ep.status, ep.until = "DELETING", self._now() + self.timing.delete_s
            self._notify(ep.arn, "DELETING", self._now())
        return {}

    def ListEndpoints(self, req: dict[str, Any]) -> dict[str, Any]:
        """Pages of ``MaxResults`` (1-500, default ``LIST_PAGE``), continued by an opaque ``NextToken``;
        a NextToken this service did not hand out is refused (InvalidRequestException)."""
        self.validate("ListEndpoints", req)
        arns = sorted(self.endpoints)
        start = 0
        if req.get("NextToken") is not None:
            match = _NEXT_TOKEN.fullmatch(req["NextToken"])
            if match is None:
                raise ApiError(INVALID, f"Invalid NextToken: {req['NextToken']!r}")
            start = int(match[1])
        size: int = req.get("MaxResults") or LIST_PAGE
        page = arns[start : start + size]
        response: dict[str, Any] = {
            "EndpointPropertiesList": [self.DescribeEndpoint({"EndpointArn": a})["EndpointProperties"] for a in page]
        }
        if start + size < len(arns):
            response["NextToken"] = f"loopback-page-{start + size}"
        return response

    def ListTagsForResource(self, req: dict[str, Any]) -> dict[str, Any]:
        self.validate("ListTagsForResource", req)
        ep = self._get(req["ResourceArn"])
        return {"ResourceArn": ep.arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(ep.tags.items())]}

    def TagResource(self, req: dict[str, Any]) -> dict[str, Any]:
        self.validate("TagResource", req)
        ep = self._get(req["ResourceArn"])
        new = _checked_tags(req["Tags"])
        if len({**ep.tags, **new}) > MAX_TAGS:
            raise ApiError("TooManyTagsException", f"A resource can have at most {MAX_TAGS} tags")
        ep.tags.update(new)
        return {}

    def UntagResource(self, req: dict[str, Any]) -> dict[str, Any]:
        self.validate("UntagResource", req)
        ep = self._get(req["ResourceArn"])
        for key in req["TagKeys"]:
            if key.lower().startswith("aws:"):
                raise ApiError("InvalidRequestException", f"Tag keys starting with aws: are reserved: {key}")
        for key in req["TagKeys"]:
            ep.tags.pop(key, None)
        return {}

    def DescribeFlywheel(self, req: dict[str, Any]) -> dict[str, Any]:
        self.validate("DescribeFlywheel", req)
        flywheel = self.flywheels.get(req["FlywheelArn"])
        if flywheel is None:
            raise ApiError("ResourceNotFoundException", f"Flywheel {req['FlywheelArn']} not found")
        return {"FlywheelProperties": {"FlywheelArn": req["FlywheelArn"], "Status": "ACTIVE", **flywheel}}

    def total_units(self) -> int:
        """Inference units held by all endpoints against the regional quota. Assumed (probe
        ``quota_counts_larger_units_while_updating``): an updating endpoint counts the larger of its current and
        desired units, and so does one whose accepted update does not show yet (``Timing.status_lag_s``)."""
        return sum(max(ep.units, ep.desired_units, ep.pending.get("units", 0)) for ep in self.endpoints.values())

    # -- for the authorizer ----------------------------------------------------------------------
    def tag_keys(self, arn: str) -> dict[str, str]:
        """``aws:ResourceTag/<key>`` condition keys of an existing endpoint; none for anything else."""
        ep = self.endpoints.get(arn) if isinstance(arn, str) else None
        return {f"aws:ResourceTag/{k}": v for k, v in ep.tags.items()} if ep else {}

    def arn_for_create(self, req: dict[str, Any]) -> str | None:
        """The ARN CreateEndpoint would give the endpoint (None when the model type cannot be known)."""
        model_arn, flywheel, name = req.get("ModelArn"), req.get("FlywheelArn"), req.get("EndpointName")
        if not model_arn and isinstance(flywheel, str) and flywheel in self.flywheels:
            model_arn = self.flywheels[flywheel]["ActiveModelArn"]
        if not isinstance(model_arn, str) or not model_arn or not isinstance(name, str):
            return None
        return self._endpoint_arn(model_arn, name)

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
    """Tags (already held to TagKey and TagValue, see ``model_problem``) as a dict; ``aws:`` keys refused."""
    checked: dict[str, str] = {}
    for tag in tags:
        key, value = tag["Key"], tag.get("Value", "")
        if key.lower().startswith("aws:"):  # assumed error code (see module doc)
            raise ApiError("InvalidRequestException", f"Tag keys starting with aws: are reserved: {key}")
        checked[key] = value
    return checked
