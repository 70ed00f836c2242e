"""Reusable scenarios over the harness (shared by tests and ``make bench``)."""

from __future__ import annotations

from typing import Any

from comprehend_loopback.world import World

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"


def create_many(world: World, count: int = 20) -> dict[str, Any]:
    """Submit ``count`` Creates at the same instant and run them concurrently to their answers."""
    world.comprehend.max_endpoints = max(world.comprehend.max_endpoints, count)  # quota raised for the run
    world.comprehend.add_model(MODEL)
    world.aws.faults.throttle_every = 2
    cfn = world.cloudformation(concurrent=True)
    events = [
        cfn.event(
            "Create", f"Endpoint{i:02d}", {"EndpointName": f"ep-{i:02d}", "ModelArn": MODEL, "DesiredInferenceUnits": 1}
        )
        for i in range(count)
    ]
    started = world.clock.now()
    for event in events:
        cfn.submit(event)
    answers = cfn.run([e["RequestId"] for e in events])
    return {
        "answers": answers,
        "statuses": [answers[e["RequestId"]].body["Status"] for e in events],
        "physical_ids": [answers[e["RequestId"]].body["PhysicalResourceId"] for e in events],
        "endpoints": len(world.comprehend.endpoints),
        "creates": list(world.comprehend.creates),
        "throttled": sum(n for k, n in world.aws.calls.items() if k.endswith(":TooManyRequestsException")),
        "calls": sum(n for k, n in world.aws.calls.items() if ":" not in k),
        "virtual_s": max(a.at for a in answers.values()) - started,
        "invocations": len(cfn.invocations),
        "crashed_or_timed_out": len([i for i in cfn.invocations if i.raised or i.timed_out]),
        "cfn": cfn,
        "timeline": [(a.request_id, a.at, a.body["PhysicalResourceId"]) for a in answers.values()],
    }
