"""A trivial fake custom-resource function for the loopback tier's timing tests: it works a planned
number of virtual seconds (as a chain of invocations continuing itself) and PUTs a chosen answer to the
ResponseURL with the handler's own sender."""

from __future__ import annotations

import json
import ssl
from dataclasses import asdict, dataclass
from typing import Any

from comprehend_cr.response import send_response
from comprehend_loopback.cloudformation import FUNCTION_NAME
from comprehend_loopback.world import World


@dataclass
class Plan:
    """What the fake function does for one delivery: ``steps`` invocations of ``step_s`` virtual seconds
    each (the function continuing itself), the last one PUTting the answer."""

    steps: int = 1
    step_s: float = 10.0
    status: str = "SUCCESS"
    physical_id: str = "physical-1"


class FakeFunction:
    """A Lambda function that follows, for each first invocation of a request, the next :class:`Plan`
    queued for its RequestId or for its request type and logical id (default: one 10-second step
    answering SUCCESS)."""

    def __init__(self, world: World, function_name: str = FUNCTION_NAME) -> None:
        self.world = world
        self.function_name = function_name
        self.plans: dict[str, list[Plan]] = {}
        """RequestId, or "<RequestType> <LogicalResourceId>" -> the plans of its next deliveries."""
        self.trust = ssl.create_default_context(cafile=str(world.receiver.ca_file))
        self.delivered: list[tuple[str, bool]] = []
        """(answer Status, whether the PUT was accepted) of every answer sent."""

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        step = int(event.get("Step", 0))
        if step == 0:
            queued = self.plans.get(event["RequestId"]) or self.plans.get(
                f"{event['RequestType']} {event['LogicalResourceId']}", []
            )
            event = {**event, "Plan": asdict(queued.pop(0) if queued else Plan())}
        plan = Plan(**event["Plan"])
        self.world.clock.sleep(plan.step_s)
        if step + 1 < plan.steps:
            self.world.aws.lambda_invoke(self.function_name, None, {**event, "Step": step + 1})
            return
        body = {
            "Status": plan.status,
            "Reason": "" if plan.status == "SUCCESS" else "it failed",
            "PhysicalResourceId": plan.physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
        accepted = send_response(event["ResponseURL"], json.dumps(body).encode(), self.world.clock, self.trust)
        self.delivered.append((plan.status, accepted))
