"""CloudFormation's stack operations on the loopback world: ``CreateStack``, ``UpdateStack``, ``DeleteStack``,
``ContinueUpdateRollback`` and ``DescribeStackEvents``, served through the loopback's query API
(:mod:`comprehend_loopback.cfnquery`) so that the probes of CloudFormation's custom-resource protocol
(``integ/probes/cfn.py``) run offline exactly as on an account.

It adds no CloudFormation of its own: every operation is a :class:`~comprehend_loopback.stack.StackPlayer`
deploy or destroy (dependency order, cancellation, rollback, cleanup, re-sent requests), whose custom
resources run through the request driver (:mod:`comprehend_loopback.cloudformation`) and answer to the
receiver's SigV4 ResponseURLs (:mod:`comprehend_loopback.receiver`). What is added:

- **Stand-ins for inline code.** The loopback runs no ``ZipFile`` code. A Python callable registered for a
  function name (:meth:`StackService.register_stand_in`, shell-style pattern) is invoked for the custom
  resources whose ServiceToken is that function. :class:`Recorder` is the stand-in of the probes' recorder
  function (Stand-in: it records into memory what the real one writes to S3; the rules it follows are the
  inline code's, see ``integ/probes/cfn.py``).
- **A template's failing sibling as the player's timing knobs** (Assumed: CloudFormation creates and updates
  independent resources at once, so a sibling that fails ``Wait`` seconds in fails while a slower
  resource's request is in flight; the template reference documents the parallelism (DependsOn attribute:
  CloudFormation "creates, updates, and deletes resources in parallel to the extent possible")): custom
  resources with
  ``Fail: "true"`` are the deploy's ``fail`` set, and the smallest ``Wait`` among them its
  ``cancel_after_s``, when another custom resource of the template is slower (else a failing resource answers
  FAILED itself). The player then cancels the update's first custom-resource request that is not
  answered by then and rolls back without waiting for it (refuted by the probe
  ``cancelled_requests_rolled_back``).
  A failing sibling itself gets no request in the loopback (the player fails it in place).
- ``DisableRollback=true`` is the player's ``disable_rollback``: the failed request is re-sent with the same
  RequestId by the next ``UpdateStack`` (the User Guide, "Choose how to handle failures when provisioning
  resources": failed resources stay failed "until the next update operation is performed"; aws-cdk issue
  35957 for the same RequestId; probe ``resent_request_same_id``).
- **Acting when asked** (Assumed, the loopback only: real CloudFormation and Lambda run on their own): an
  operation runs to its end within the call, on the virtual clock; between calls, every read of the query
  API first lets what is due by the virtual time happen (:meth:`StackService.catch_up`: queued invocations,
  schedules such as a recorder's late answer).
- Assumed (the API reference gives no message; no probe, the probes never send it): ``UpdateStack`` with the
  template the stack already has, on a stack that did not fail, is refused ``ValidationError`` "No updates
  are to be performed.". Assumed (no probe): ``DeleteStack`` of a stack that does not exist succeeds, doing
  nothing (the API reference only says "Deleted stacks don't show up in the DescribeStacks operation").
  ``DescribeStackEvents`` answers "in reverse chronological order" (API reference), in one page.
  ``ContinueUpdateRollback`` is refused unless the stack is ``UPDATE_ROLLBACK_FAILED`` (API reference: it
  continues "a specified stack that's in the UPDATE_ROLLBACK_FAILED state"); then the failed rollback Update
  is sent again (:meth:`_Player.continue_rollback`; probe ``resent_request_same_id``).
"""

from __future__ import annotations

import copy
import fnmatch
import json
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from comprehend_loopback.cloudformation import CloudFormation, CloudFormationTimeout, Stuck
from comprehend_loopback.stack import Deployed, StackPlayer, is_custom
from comprehend_loopback.stacks import OperationError, stack_name_of
from comprehend_loopback.template import StackTemplate
from comprehend_loopback.world import World

Handler = Callable[[dict[str, Any], Any], Any]
TICK = "rate(1 minute)"
"""How often the recorder stand-in looks for answers that are due (an EventBridge schedule, as crhelper
polls): a ``Wait`` is honoured to the next whole minute after it is due."""


class _Player(StackPlayer):
    """A stack player whose custom resources may run a registered stand-in instead of staged code."""

    def __init__(self, world: World, name: str, service: StackService) -> None:
        super().__init__(world, name)
        self._service = service
        self.body: dict[str, Any] = {}
        """The template body last given to ``CreateStack``/``UpdateStack``."""

    def _driver(self, service_token: str) -> CloudFormation:
        parts = service_token.split(":")
        name = parts[6] if len(parts) > 6 else ""
        stand_in = self._service.stand_in_for(name)
        function = self.functions.get(name)
        if stand_in is None or function is None:
            return super()._driver(service_token)
        key = (function.name, None)
        driver = self._drivers.get(key)
        if driver is None:
            driver = self._new_driver(key, lambda: stand_in, function, service_token)
        return driver

    def continue_rollback(self) -> str:
        """``ContinueUpdateRollback`` of a stack left ``UPDATE_ROLLBACK_FAILED``: the custom resource whose
        rollback Update failed gets that request again, the SAME RequestId with a new ResponseURL (aws-cdk issue
        35957; refuted by the probe ``resent_request_same_id``); answered SUCCESS, the rollback completes
        (``UPDATE_ROLLBACK_COMPLETE``), else the stack stays ``UPDATE_ROLLBACK_FAILED``. Not modelled: the rest
        of the rollback after that resource and its cleanup (the probe stacks roll back one resource), and
        ``ResourcesToSkip``. Returns the final status."""
        failed = [e for e in self.events if e.status == "UPDATE_FAILED" and e.reason.startswith("rollback: ")]
        lid = failed[-1].logical_id if failed else ""
        request = self._failed_requests.get(lid)
        current = self.resources.get(lid)
        if request is None or current is None:
            raise OperationError(f"Stack:{self.stack_id}: no failed custom-resource rollback to continue")
        driver, request_id = request
        self.status = "UPDATE_ROLLBACK_IN_PROGRESS"
        self._stack_event(self.status)
        event = driver.resend(request_id)  # the same RequestId, a new delivery
        self._event(current, "UPDATE_IN_PROGRESS", "rollback")
        try:
            answer = driver.run([request_id])[request_id]
        except (CloudFormationTimeout, Stuck) as exc:
            answer = None
            reason = f"no answer: {exc}"
        if answer is None or answer.body.get("Status") != "SUCCESS":
            reason = str(answer.body.get("Reason", "")) if answer is not None else reason
            self._event(current, "UPDATE_FAILED", f"rollback: {reason}")
            self.status = "UPDATE_ROLLBACK_FAILED"
            self._stack_event(self.status)
            return self.status
        del self._failed_requests[lid]
        props = dict(event["ResourceProperties"])
        data = {k: str(v) for k, v in (answer.body.get("Data") or {}).items()}
        restored = Deployed(lid, current.type, str(answer.body["PhysicalResourceId"]), props, data)
        self.resources[lid] = restored
        self._event(restored, "UPDATE_COMPLETE", "rollback")
        self._stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self.status = "UPDATE_ROLLBACK_COMPLETE"
        self._finish()
        return self.status


def _timing(body: Mapping[str, Any]) -> tuple[set[str], float | None]:
    """The deploy's ``fail`` set and ``cancel_after_s`` read from the template (see the module docstring): only
    when another custom resource is slower than the failing ones (a failing resource alone answers FAILED
    itself, through the stand-in, and is rolled back as any failed request is)."""
    fail: set[str] = set()
    waits: list[float] = []
    others: list[float] = []
    for lid, resource in dict(body.get("Resources", {})).items():
        props = resource.get("Properties", {}) or {}
        if not is_custom(str(resource.get("Type", ""))):
            continue
        wait = float(props.get("Wait", 0) or 0)
        if str(props.get("Fail", "")).lower() == "true":
            fail.add(lid)
            waits.append(wait)
        else:
            others.append(wait)
    if not fail or not any(wait > min(waits) for wait in others):
        return set(), None
    return fail, min(waits)


class StackService:
    """CloudFormation's stack operations for the loopback world (see the module docstring); install it with
    :meth:`install`, which makes the loopback query API serve them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.players: dict[str, _Player] = {}
        """StackId -> the stack's player."""
        self._stand_ins: list[tuple[str, Handler]] = []
        self._busy = threading.Lock()
        """Held while an operation or a catch-up runs: a catch-up that finds it held does nothing."""

    @classmethod
    def install(cls, world: World) -> StackService:
        """A service for ``world``, installed as the operator of its stack registry."""
        service = cls(world)
        world.aws.stacks.operator = service
        return service

    def register_stand_in(self, pattern: str, handler: Handler) -> None:
        """Run ``handler`` (``handler(event, context)``) for the custom resources whose ServiceToken is a
        function whose name matches ``pattern`` (shell-style), instead of its code."""
        self._stand_ins.append((pattern, handler))

    def stand_in_for(self, function_name: str) -> Handler | None:
        for pattern, handler in self._stand_ins:
            if fnmatch.fnmatchcase(function_name, pattern):
                return handler
        return None

    # -- operations ---------------------------------------------------------------------------------
    def create_stack(self, params: Mapping[str, str]) -> str:
        name = params.get("StackName", "")
        body = _body(params)
        with self._busy:
            self._catch_up()
            if any(p.name == name and p.status != "DELETE_COMPLETE" for p in self.players.values()):
                raise OperationError(f"Stack [{name}] already exists", "AlreadyExistsException")
            player = _Player(self.world, name, self)
            self.players[player.stack_id] = player
            self._deploy(player, body, params)
            return player.stack_id

    def update_stack(self, params: Mapping[str, str]) -> str:
        with self._busy:
            self._catch_up()
            player = self._player(params.get("StackName", ""))
            body = player.body if params.get("UsePreviousTemplate") == "true" else _body(params)
            if body == player.body and not player.status.endswith("_FAILED"):
                raise OperationError("No updates are to be performed.")
            if player.status.endswith("_IN_PROGRESS") or player.status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
                raise OperationError(f"Stack:{player.stack_id} is in {player.status} state and can not be updated.")
            self._deploy(player, body, params)
            return player.stack_id

    def delete_stack(self, params: Mapping[str, str]) -> None:
        with self._busy:
            self._catch_up()
            try:
                player = self._player(params.get("StackName", ""))
            except OperationError:
                return
            player.destroy()
            for driver in player.drivers:
                driver.drain()

    def continue_update_rollback(self, params: Mapping[str, str]) -> None:
        with self._busy:
            player = self._player(params.get("StackName", ""))
            if player.status != "UPDATE_ROLLBACK_FAILED":
                raise OperationError(
                    f"Stack:{player.stack_id} is in {player.status} state and can not continue update rollback."
                )
            self._catch_up()
            player.continue_rollback()
            for driver in player.drivers:
                driver.drain()

    def catch_up(self) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            self._catch_up()
        finally:
            self._busy.release()

    # -- helpers -----------------------------------------------------------------------------------
    def _catch_up(self) -> None:
        now = self.world.clock.now()
        for player in list(self.players.values()):
            for driver in player.drivers:
                driver.run_until(now)

    def _deploy(self, player: _Player, body: dict[str, Any], params: Mapping[str, str]) -> None:
        template = StackTemplate(player.name, body, self.world.receiver.ca_file.parent)
        fail, cancel_after_s = _timing(body)
        player.body = body
        try:
            player.deploy(
                template,
                fail=fail,
                cancel_after_s=cancel_after_s,
                disable_rollback=params.get("DisableRollback") == "true",
            )
        except RuntimeError as exc:
            raise OperationError(str(exc)) from None

    def _player(self, name_or_id: str, *, deleted: bool = False) -> _Player:
        try:
            stack = self.world.aws.stacks.stack(name_or_id)
        except LookupError:
            raise OperationError(f"Stack with id {name_or_id} does not exist") from None
        player = self.players.get(stack.stack_id)
        if player is None or (player.status == "DELETE_COMPLETE" and not deleted):
            raise OperationError(f"Stack with id {name_or_id} does not exist")
        return player


def _body(params: Mapping[str, str]) -> dict[str, Any]:
    try:
        body = json.loads(params.get("TemplateBody", ""))
    except ValueError:
        raise OperationError("Template format error: the loopback reads JSON templates only") from None
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise OperationError("Template format error: At least one Resources member must be defined.")
    return body


@dataclass
class _Later:
    """An answer the recorder gives when it is due."""

    due: float
    rule: str
    url: str
    answer: dict[str, Any]


class Recorder:
    """Stand-in for the probes' recorder function (``integ/probes/cfn.py``): it records every event it
    receives, with what ``DescribeStackResource`` says of its resource at that moment, and answers as the
    event's ``ResourceProperties`` tell it, following the inline code's rules:

    - a Delete is answered SUCCESS at once with the event's physical id;
    - a Create or Update is answered ``Wait`` seconds after it was received (Stand-in: through an
      EventBridge schedule every minute, as the driver runs crhelper's, instead of a sleep); FAILED when
      ``Fail`` is ``"true"``, or when ``FailFirst`` is ``"true"`` and its RequestId was never received
      before; else SUCCESS with ``PhysicalId`` (default: the event's physical id, else ``<logical id>-recorded``);
    - each answer is a PUT to the event's ResponseURL, recorded with the HTTP status it met and what
      ``DescribeStackResource`` said just before.

    Records are dicts: ``kind`` (``received``/``answered``), ``at`` (virtual epoch seconds), ``stack`` (the
    stack name), ``event`` or ``answer`` and ``http``, ``resource`` (``PhysicalResourceId``,
    ``ResourceStatus``, ``LastUpdatedTimestamp`` as epoch seconds, or ``error``)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.records: list[dict[str, Any]] = []
        self._later: list[_Later] = []
        self._serial = 0
        self.lock = threading.RLock()

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        if "RecorderTick" in event:
            self._tick()
            return
        now = self.world.clock.now()
        props = event.get("ResourceProperties") or {}
        request_id, request_type = event["RequestId"], event["RequestType"]
        with self.lock:
            seen = any(r["kind"] == "received" and r["event"]["RequestId"] == request_id for r in self.records)
            self.records.append(
                {
                    "kind": "received",
                    "at": now,
                    "stack": stack_name_of(event["StackId"]),
                    "event": copy.deepcopy(event),
                    "resource": self._describe(event),
                }
            )
        status, reason = "SUCCESS", ""
        physical = str(event.get("PhysicalResourceId") or "")
        wait = 0.0
        if request_type != "Delete":
            physical = str(props.get("PhysicalId") or physical or f"{event['LogicalResourceId']}-recorded")
            wait = float(props.get("Wait", 0) or 0)
            if str(props.get("Fail", "")).lower() == "true":
                status, reason = "FAILED", "told to fail (Fail: true)"
            elif str(props.get("FailFirst", "")).lower() == "true" and not seen:
                status, reason = "FAILED", "told to fail its first delivery (FailFirst: true)"
        answer = {
            "Status": status,
            "Reason": reason or "recorded",
            "PhysicalResourceId": physical,
            "StackId": event["StackId"],
            "RequestId": request_id,
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": {},
        }
        if wait <= 0:
            self._answer(str(event["ResponseURL"]), answer)
            return
        with self.lock:
            self._serial += 1
            rule = f"recorder-{self._serial:06d}"
            self._later.append(_Later(now + wait, rule, str(event["ResponseURL"]), answer))
        aws = self.world.aws
        aws.events_call("PutRule", {"Name": rule, "ScheduleExpression": TICK})
        target = {"Id": "tick", "Input": json.dumps({"RecorderTick": rule, "RequestId": request_id})}
        aws.events_call("PutTargets", {"Rule": rule, "Targets": [target]})

    def of(self, stack_name: str) -> list[dict[str, Any]]:
        """The records of one stack, in the order they were made."""
        with self.lock:
            return [copy.deepcopy(r) for r in self.records if r["stack"] == stack_name]

    def _tick(self) -> None:
        now = self.world.clock.now()
        with self.lock:
            due = [later for later in self._later if later.due <= now]
            self._later = [later for later in self._later if later.due > now]
        for later in due:
            self.world.aws.events_call("RemoveTargets", {"Rule": later.rule, "Ids": ["tick"]})
            self.world.aws.events_call("DeleteRule", {"Name": later.rule})
            self._answer(later.url, later.answer)

    def _answer(self, url: str, answer: dict[str, Any]) -> None:
        event = {"StackId": answer["StackId"], "LogicalResourceId": answer["LogicalResourceId"]}
        before = self._describe(event)
        body = json.dumps(answer).encode()
        request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})  # noqa: S310
        context = ssl.create_default_context(cafile=str(self.world.receiver.ca_file))
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as response:  # noqa: S310
                http = int(response.status)
        except urllib.error.HTTPError as exc:
            http = exc.code
        with self.lock:
            self.records.append(
                {
                    "kind": "answered",
                    "at": self.world.clock.now(),
                    "stack": stack_name_of(answer["StackId"]),
                    "answer": answer,
                    "http": http,
                    "resource": before,
                }
            )

    def _describe(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """What DescribeStackResource answers for the event's resource now (Stand-in: read from the registry
        the query API reads)."""
        try:
            _, resource = self.world.aws.stacks.resource(str(event["StackId"]), str(event["LogicalResourceId"]))
        except LookupError:
            return {"error": "ValidationError: Resource does not exist"}
        return {
            "PhysicalResourceId": resource.physical_id,
            "ResourceStatus": resource.status,
            "LastUpdatedTimestamp": resource.updated_at,
        }
