"""Application Auto Scaling for Comprehend endpoints, as the loopback world models it: scalable targets,
one-time scheduled actions and the scaling activities they leave, on the world's virtual clock.

The API is botocore's ``application-autoscaling/2016-02-06/service-2.json`` (JSON 1.1, ``X-Amz-Target``
prefix ``AnyScaleFrontendService.``). Only the Comprehend namespace is modelled: the registry of scalable
targets is ``World.scaling_targets`` (by ResourceId, an endpoint ARN), which the stack player also fills from
``AWS::ApplicationAutoScaling::ScalableTarget`` resources, so a target registered either way is the same one.

From the API reference (the operations' and members' documentation in the model):

- a new scalable target needs MinCapacity and MaxCapacity; re-registering changes only what the request gives,
  and a target whose resource's capacity is outside its [MinCapacity, MaxCapacity] is moved inside it;
- PutScheduledAction needs a registered target (ObjectNotFoundException); ``at(yyyy-mm-ddThh:mm:ss)`` is a
  one-time schedule, in UTC unless a Timezone is given; at the scheduled time the target's capacity bounds
  become the action's, and a capacity below the new minimum is raised to it, one above the maximum lowered;
- DeregisterScalableTarget deletes the target's scheduled actions; missing targets and actions answer
  ObjectNotFoundException;
- DescribeScalingActivities filters by ResourceId and ScalableDimension (a dimension needs a resource id).

Every request is first held to the model (required members, enums, lengths, patterns, and integer types):
what breaks it answers ValidationException, the error every operation declares.

Assumed where the documentation is silent (docs/verification.md; probe
``autoscaling_moves_units_within_range``):

- Application Auto Scaling moves an endpoint's units with UpdateEndpoint's DesiredInferenceUnits (as its
  service-linked role ``AWSServiceRoleForApplicationAutoScaling_ComprehendEndpoint`` does), never outside the
  target's [MinCapacity, MaxCapacity], and an endpoint's capacity is its DesiredInferenceUnits;
- a scaling activity is ``InProgress`` while the endpoint is UPDATING to the units it set, then
  ``Successful``; an UpdateEndpoint the service refuses (a busy endpoint, say) leaves a ``Failed`` activity
  with the service's message, and is not retried;
- the minimum capacity of a Comprehend endpoint is 1 (the model's InferenceUnitsInteger); a dimension of the
  other endpoint type, a missing endpoint, or a minimum above the maximum is refused with ValidationException.

Not modelled (refused with ``NotModelled``, so a test cannot rely on them by accident): other namespaces,
``rate(...)`` and ``cron(...)`` schedules, time zones other than UTC, scaling policies.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from comprehend_loopback.comprehend import ApiError, FakeComprehend, Integer, Text

VALIDATION = "ValidationException"
NAMESPACE = "comprehend"
DIMENSIONS = {
    "document-classifier-endpoint": "comprehend:document-classifier-endpoint:DesiredInferenceUnits",
    "entity-recognizer-endpoint": "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits",
}
"""The scalable dimension of each Comprehend endpoint type (the model's ScalableDimension enum)."""
PAGE = 50
"""MaxResults' range and default (the model's documentation: "between 1 and 50. The default value is 50")."""
_AT = re.compile(r"at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)")
_XML = r"[\u0020-\ud7ff\ue000-\ufffd\r\n\t]*"
"""The model's XmlString/ResourceIdMaxLen1600 pattern (its surrogate-pair range aside: Python strings hold
code points)."""


@dataclass(frozen=True)
class Enum:
    """A string shape of the model with an enum."""

    shape: str
    values: tuple[str, ...]

    def problem(self, value: Any) -> str | None:
        if value not in self.values:
            return f"must be one of the {self.shape} enum, got {value!r}"
        return None


def _enum(model_values: str) -> tuple[str, ...]:
    return tuple(model_values.split())


# Shapes copied from service-2.json (shape name first).
SERVICE_NAMESPACE = Enum(
    "ServiceNamespace",
    _enum(
        "ecs elasticmapreduce ec2 appstream dynamodb rds sagemaker custom-resource comprehend lambda cassandra "
        "kafka elasticache neptune workspaces"
    ),
)
SCALABLE_DIMENSION = Enum(
    "ScalableDimension",
    _enum(
        "ecs:service:DesiredCount ec2:spot-fleet-request:TargetCapacity elasticmapreduce:instancegroup:InstanceCount "
        "appstream:fleet:DesiredCapacity dynamodb:table:ReadCapacityUnits dynamodb:table:WriteCapacityUnits "
        "dynamodb:index:ReadCapacityUnits dynamodb:index:WriteCapacityUnits rds:cluster:ReadReplicaCount "
        "sagemaker:variant:DesiredInstanceCount custom-resource:ResourceType:Property "
        "comprehend:document-classifier-endpoint:DesiredInferenceUnits "
        "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits lambda:function:ProvisionedConcurrency "
        "cassandra:table:ReadCapacityUnits cassandra:table:WriteCapacityUnits kafka:broker-storage:VolumeSize "
        "elasticache:cache-cluster:Nodes elasticache:replication-group:NodeGroups "
        "elasticache:replication-group:Replicas neptune:cluster:ReadReplicaCount "
        "sagemaker:variant:DesiredProvisionedConcurrency sagemaker:inference-component:DesiredCopyCount "
        "workspaces:workspacespool:DesiredUserSessions"
    ),
)
RESOURCE_ID = Text("ResourceIdMaxLen1600", 1, 1600, _XML)
SCHEDULED_ACTION_NAME = Text(
    "ScheduledActionName", 1, 256, r"(?!((^[ ]+.*)|(.*([\u0000-\u001f]|[\u007f-\u009f]|[:/|])+.*)|(.*[ ]+$))).+"
)
XML_STRING = Text("XmlString", 0, None, _XML)
CAPACITY = Integer("ResourceCapacity")
MAX_RESULTS = Integer("MaxResults", 1, PAGE)
Shape = Enum | Text | Integer

_TARGET: dict[str, Shape] = {
    "*ServiceNamespace": SERVICE_NAMESPACE,
    "*ResourceId": RESOURCE_ID,
    "*ScalableDimension": SCALABLE_DIMENSION,
}
_LIST: dict[str, Shape] = {"*ServiceNamespace": SERVICE_NAMESPACE, "MaxResults": MAX_RESULTS, "NextToken": XML_STRING}
_MEMBERS: dict[str, dict[str, Shape]] = {
    "RegisterScalableTarget": {**_TARGET, "MinCapacity": CAPACITY, "MaxCapacity": CAPACITY, "RoleARN": RESOURCE_ID},
    "DeregisterScalableTarget": _TARGET,
    "DescribeScalableTargets": {**_LIST, "ScalableDimension": SCALABLE_DIMENSION},
    "PutScheduledAction": {
        **_TARGET,
        "*ScheduledActionName": SCHEDULED_ACTION_NAME,
        "Schedule": RESOURCE_ID,
        "Timezone": RESOURCE_ID,
    },
    "DeleteScheduledAction": {**_TARGET, "*ScheduledActionName": RESOURCE_ID},
    "DescribeScalingActivities": {**_LIST, "ResourceId": RESOURCE_ID, "ScalableDimension": SCALABLE_DIMENSION},
}
"""The members each modelled operation takes (``*`` = required), from its input shape."""


def model_problem(operation: str, req: Any) -> str | None:
    """What in ``req`` breaks ``operation``'s input shape, or None."""
    if not isinstance(req, dict):
        return "the request must be a JSON object"
    for key, shape in _MEMBERS[operation].items():
        member = key.lstrip("*")
        if req.get(member) is None:
            if key.startswith("*"):
                return f"{member} is required"
            continue
        if (problem := shape.problem(req[member])) is not None:
            return f"{member}: {problem}"
    ids = req.get("ResourceIds")
    if ids is not None:
        if not isinstance(ids, list) or len(ids) > PAGE:
            return f"ResourceIds: must be a list of at most {PAGE} (ResourceIdsMaxLen1600)"
        for value in ids:
            if (problem := RESOURCE_ID.problem(value)) is not None:
                return f"ResourceIds: {problem}"
    action = req.get("ScalableTargetAction")
    if action is not None:
        if not isinstance(action, dict):
            return "ScalableTargetAction: must be an object (ScalableTargetAction)"
        for member in ("MinCapacity", "MaxCapacity"):
            if action.get(member) is not None and (problem := CAPACITY.problem(action[member])) is not None:
                return f"ScalableTargetAction.{member}: {problem}"
    return None


@dataclass
class ScheduledAction:
    name: str
    resource_id: str
    dimension: str
    schedule: str
    when: float
    min_capacity: int | None
    max_capacity: int | None
    created: float


@dataclass
class Activity:
    activity_id: str
    resource_id: str
    dimension: str
    description: str
    cause: str
    start: float
    units: int
    failure: str = ""


@dataclass
class FakeApplicationAutoScaling:
    """The service's state. Every public method named like an operation is one (request -> response)."""

    comprehend: FakeComprehend
    targets: dict[str, dict[str, Any]]
    """``World.scaling_targets``: the scalable targets by ResourceId, their members as CloudFormation names them."""
    now: Callable[[], float]
    actions: dict[tuple[str, str], ScheduledAction] = field(default_factory=dict)
    """Scheduled actions by (ResourceId, ScheduledActionName)."""
    activities: list[Activity] = field(default_factory=list)

    # -- operations ------------------------------------------------------------------------------
    def RegisterScalableTarget(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("RegisterScalableTarget", req)
        resource_id, dimension = self._comprehend_target(req)
        existing = self.targets.get(resource_id)
        if existing is None and (req.get("MinCapacity") is None or req.get("MaxCapacity") is None):
            raise ApiError(VALIDATION, "MinCapacity and MaxCapacity are required to register a new scalable target")
        record = dict(existing or {"CreationTime": self.now()})
        record |= {"ServiceNamespace": NAMESPACE, "ResourceId": resource_id, "ScalableDimension": dimension}
        for member in ("MinCapacity", "MaxCapacity", "RoleARN"):
            if req.get(member) is not None:
                record[member] = req[member]
        low, high = int(record["MinCapacity"]), int(record["MaxCapacity"])
        if low < 1 or low > high:  # assumed (see the module doc)
            raise ApiError(VALIDATION, f"MinCapacity {low} must be at least 1 and at most MaxCapacity {high}")
        self.targets[resource_id] = record
        endpoint = self.comprehend.endpoints[resource_id]
        if endpoint.status == "IN_SERVICE" and not low <= endpoint.desired_units <= high:
            self._scale(resource_id, dimension, max(low, min(high, endpoint.desired_units)), "registration")
        return {"ScalableTargetARN": self._target_arn(resource_id)}

    def DeregisterScalableTarget(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("DeregisterScalableTarget", req)
        resource_id, _ = self._registered(req)
        del self.targets[resource_id]
        for key in [k for k in self.actions if k[0] == resource_id]:
            del self.actions[key]
        return {}

    def DescribeScalableTargets(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("DescribeScalableTargets", req)
        self._no_paging(req)
        ids = req.get("ResourceIds")
        found = [
            {**t, "ScalableTargetARN": self._target_arn(rid)}
            for rid, t in sorted(self.targets.items())
            if t.get("ServiceNamespace", NAMESPACE) == req["ServiceNamespace"]
            and (ids is None or rid in ids)
            and req.get("ScalableDimension") in (None, t.get("ScalableDimension"))
        ]
        return {"ScalableTargets": found[: req.get("MaxResults") or PAGE]}

    def PutScheduledAction(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("PutScheduledAction", req)
        resource_id, dimension = self._registered(req)
        timezone = req.get("Timezone")
        if timezone not in (None, "UTC", "Etc/UTC"):
            raise ApiError("NotModelled", f"Timezone {timezone} is not modelled by the loopback (only UTC)")
        key = (resource_id, str(req["ScheduledActionName"]))
        previous = self.actions.get(key)
        schedule = req.get("Schedule") or (previous.schedule if previous else None)
        if schedule is None:
            raise ApiError(VALIDATION, "Schedule is required to create a scheduled action")
        match = _AT.fullmatch(schedule)
        if match is None:
            raise ApiError("NotModelled", f"only at(yyyy-mm-ddThh:mm:ss) schedules are modelled, not {schedule!r}")
        try:
            when = datetime.datetime.fromisoformat(match[1]).replace(tzinfo=datetime.UTC).timestamp()
        except ValueError:
            raise ApiError(VALIDATION, f"Schedule {schedule!r} is not a valid date and time") from None
        bounds = req.get("ScalableTargetAction") or {}
        action = ScheduledAction(
            key[1],
            resource_id,
            dimension,
            schedule,
            when,
            bounds.get("MinCapacity"),
            bounds.get("MaxCapacity"),
            self.now(),
        )
        self.actions[key] = action
        self.comprehend.at(when, lambda: self._fire(action))
        return {}

    def DeleteScheduledAction(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("DeleteScheduledAction", req)
        key = (str(req["ResourceId"]), str(req["ScheduledActionName"]))
        action = self.actions.get(key)
        if action is None or action.dimension != req["ScalableDimension"]:
            raise ApiError("ObjectNotFoundException", f"No scheduled action found: {key[1]}")
        del self.actions[key]
        return {}

    def DescribeScalingActivities(self, req: dict[str, Any]) -> dict[str, Any]:
        self._validate("DescribeScalingActivities", req)
        self._no_paging(req)
        if req.get("ScalableDimension") is not None and req.get("ResourceId") is None:
            raise ApiError(VALIDATION, "ResourceId is required when ScalableDimension is given")
        found = [
            self._activity(a)
            for a in reversed(self.activities)
            if req["ServiceNamespace"] == NAMESPACE
            and req.get("ResourceId") in (None, a.resource_id)
            and req.get("ScalableDimension") in (None, a.dimension)
        ]
        return {"ScalingActivities": found[: req.get("MaxResults") or PAGE]}

    # -- scaling ---------------------------------------------------------------------------------
    def scale(self, resource_id: str, units: int, cause: str) -> None:
        """Move a registered endpoint to ``units`` as the service-linked role does: only within the target's
        bounds (an AssertionError otherwise: a test asked for what the service never does)."""
        target = self.targets.get(resource_id)
        if target is None:
            raise AssertionError(f"no scalable target is registered for {resource_id}")
        low, high = int(target["MinCapacity"]), int(target["MaxCapacity"])
        if not low <= units <= high:
            raise AssertionError(f"{units} units is outside the scalable target's [{low}, {high}]")
        self._scale(resource_id, str(target.get("ScalableDimension", "")), units, cause)

    def _fire(self, action: ScheduledAction) -> None:
        """A scheduled action at its time: the target takes its bounds, and the capacity moves inside them."""
        if self.actions.get((action.resource_id, action.name)) is not action:
            return  # deleted or replaced since
        target = self.targets[action.resource_id]
        if action.min_capacity is not None:
            target["MinCapacity"] = action.min_capacity
        if action.max_capacity is not None:
            target["MaxCapacity"] = action.max_capacity
        endpoint = self.comprehend.endpoints.get(action.resource_id)
        if endpoint is None:
            return
        low, high = int(target["MinCapacity"]), int(target["MaxCapacity"])
        units = max(low, min(high, endpoint.desired_units))
        if units != endpoint.desired_units:
            self._scale(action.resource_id, action.dimension, units, f"scheduled action name {action.name}")

    def _scale(self, resource_id: str, dimension: str, units: int, cause: str) -> None:
        activity = Activity(
            f"loopback-{len(self.activities) + 1:08d}",
            resource_id,
            dimension,
            f"Setting desired inference units to {units}.",
            f"{cause} was triggered",
            self.now(),
            units,
        )
        try:
            self.comprehend.UpdateEndpoint({"EndpointArn": resource_id, "DesiredInferenceUnits": units})
        except ApiError as exc:  # assumed: recorded as Failed, not retried (see the module doc)
            activity.failure = f"{exc.code}: {exc.message}"
        self.activities.append(activity)

    def _activity(self, activity: Activity) -> dict[str, Any]:
        endpoint = self.comprehend.endpoints.get(activity.resource_id)
        busy = endpoint is not None and endpoint.status == "UPDATING" and endpoint.desired_units == activity.units
        status = "Failed" if activity.failure else "InProgress" if busy else "Successful"
        answer: dict[str, Any] = {
            "ActivityId": activity.activity_id,
            "ServiceNamespace": NAMESPACE,
            "ResourceId": activity.resource_id,
            "ScalableDimension": activity.dimension,
            "Description": activity.description,
            "Cause": activity.cause,
            "StartTime": activity.start,
            "StatusCode": status,
        }
        if activity.failure:
            answer["StatusMessage"] = activity.failure
        return answer

    # -- helpers ---------------------------------------------------------------------------------
    def _validate(self, operation: str, req: Any) -> None:
        problem = model_problem(operation, req)
        if problem is not None:
            raise ApiError(VALIDATION, f"1 validation error detected: {problem}")
        if req["ServiceNamespace"] != NAMESPACE:
            raise ApiError("NotModelled", f"the loopback models only the {NAMESPACE} namespace")

    def _comprehend_target(self, req: dict[str, Any]) -> tuple[str, str]:
        """The endpoint ARN and dimension a request names, refused unless the endpoint exists and the
        dimension is its type's (assumed: ValidationException)."""
        resource_id, dimension = str(req["ResourceId"]), str(req["ScalableDimension"])
        endpoint = self.comprehend.endpoints.get(resource_id)
        if endpoint is None:
            raise ApiError(VALIDATION, f"Comprehend endpoint {resource_id} does not exist")
        expected = DIMENSIONS.get(resource_id.split(":")[5].split("/")[0])
        if dimension != expected:
            raise ApiError(VALIDATION, f"{dimension} is not the scalable dimension of {resource_id}")
        return resource_id, dimension

    def _registered(self, req: dict[str, Any]) -> tuple[str, str]:
        resource_id, dimension = str(req["ResourceId"]), str(req["ScalableDimension"])
        target = self.targets.get(resource_id)
        if target is None or target.get("ScalableDimension") != dimension:
            raise ApiError("ObjectNotFoundException", f"No scalable target registered for {resource_id} {dimension}")
        return resource_id, dimension

    @staticmethod
    def _no_paging(req: dict[str, Any]) -> None:
        if req.get("NextToken") is not None:  # every answer fits one page here: no token was ever handed out
            raise ApiError("InvalidNextTokenException", "Invalid NextToken")

    def _target_arn(self, resource_id: str) -> str:
        region, account = self.comprehend.region, self.comprehend.account
        digest = hashlib.sha256(resource_id.encode()).hexdigest()[:28]
        return f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/{digest}"
