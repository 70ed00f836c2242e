"""Create (17 min), update (6 min) and delete (2 min) on the virtual clock: how late CloudFormation
hears, how many DescribeEndpoint calls, Lambda invocations and GB-seconds, for this handler and for
crhelper as its defaults ship, measured in the same run.

crhelper polls on a fixed 2-minute schedule, so its lateness depends on where the state change
falls in that period: each scenario runs 8 times with the transition lengthened by 0, 15, ... 105 s,
and the table gives the mean and the worst case. Every API call costs 50 ms of virtual time.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import crhelper_defaults
from comprehend_loopback.comprehend import Timing
from comprehend_loopback.world import World

MODEL = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
BASE = Timing(create_s=17 * 60, update_s=6 * 60, delete_s=2 * 60)
OFFSETS_S = [15.0 * k for k in range(8)]
GOALS = {"create": 75.0, "update": 15.0, "delete": 15.0}
HANDLERS = ("this handler", "crhelper defaults")
SCENARIOS = ("create", "update", "delete")


@dataclass
class Sample:
    handler: str
    scenario: str
    latency_s: float
    describes: int
    stack_reads: int
    """CloudFormation reads (DescribeStacks, DescribeStackResource, DescribeStackEvents during a rollback): whether
    CloudFormation still waits (this handler only)."""
    other_calls: int
    """Every other Comprehend call but the one that does the work (ListEndpoints, ListTagsForResource, ...)."""
    invocations: int
    gb_seconds: float
    url_logged: bool


class _UrlWatch(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        if "SECRET-SIGNATURE" in record.getMessage():
            self.seen = True


def _one_run(handler_name: str, offset: float) -> list[Sample]:
    timing = Timing(BASE.create_s + offset, BASE.update_s + offset, BASE.delete_s + offset)
    samples: list[Sample] = []
    watch = _UrlWatch()
    logging.getLogger().addHandler(watch)
    try:
        with tempfile.TemporaryDirectory() as tmp, World.start(Path(tmp), timing) as world:
            world.aws.call_latency_s = 0.05
            world.comprehend.add_model(MODEL)
            handler: Any = (
                world.handler if handler_name == "this handler" else lambda: crhelper_defaults.build(world.clock)
            )
            cfn = world.cloudformation(handler)
            props = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": 1}
            arn = ""
            for scenario in SCENARIOS:
                before = (world.aws.calls["DescribeEndpoint"], len(cfn.invocations), cfn.gb_seconds())
                calls_before = dict(world.aws.calls)
                watch.seen = False
                if scenario == "create":
                    answer = cfn.create("Endpoint", props)
                    arn = answer.body["PhysicalResourceId"]
                elif scenario == "update":
                    answer = cfn.update("Endpoint", arn, {**props, "DesiredInferenceUnits": 2}, props)
                else:
                    answer = cfn.delete("Endpoint", arn, {**props, "DesiredInferenceUnits": 2})
                assert answer.body["Status"] == "SUCCESS", answer.body
                reached = (
                    world.comprehend.gone[arn]["GONE"]
                    if scenario == "delete"
                    else world.comprehend.endpoints[arn].reached_at["IN_SERVICE"]
                )
                made = {k: v - calls_before.get(k, 0) for k, v in world.aws.calls.items()}
                stack_reads = sum(v for k, v in made.items() if k.startswith("cloudformation:"))
                work = {"CreateEndpoint", "UpdateEndpoint", "DeleteEndpoint", "DescribeEndpoint"}
                others = sum(v for k, v in made.items() if ":" not in k and k not in work)
                samples.append(
                    Sample(
                        handler_name,
                        scenario,
                        answer.at - reached,
                        world.aws.calls["DescribeEndpoint"] - before[0],
                        stack_reads,
                        others,
                        len(cfn.invocations) - before[1],
                        cfn.gb_seconds() - before[2],
                        watch.seen,
                    )
                )
    finally:
        logging.getLogger().removeHandler(watch)
    return samples


def run() -> list[Sample]:
    return [s for handler in HANDLERS for offset in OFFSETS_S for s in _one_run(handler, offset)]


def summary(samples: list[Sample], handler: str, scenario: str) -> dict[str, float]:
    chosen = [s for s in samples if s.handler == handler and s.scenario == scenario]
    return {
        "mean": statistics.mean(s.latency_s for s in chosen),
        "worst": max(s.latency_s for s in chosen),
        "describes": statistics.mean(s.describes for s in chosen),
        "stack_reads": statistics.mean(s.stack_reads for s in chosen),
        "other_calls": statistics.mean(s.other_calls for s in chosen),
        "invocations": statistics.mean(s.invocations for s in chosen),
        "gb_seconds": statistics.mean(s.gb_seconds for s in chosen),
        "url_logged": float(any(s.url_logged for s in chosen)),
    }


def report(samples: list[Sample]) -> list[str]:
    lines = [
        "| scenario | handler | answer after the state is reached: mean / worst (s) | DescribeEndpoint "
        "| stack reads | other lookups | invocations | GB-s (256 MB) | ResponseURL in logs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scenario in SCENARIOS:
        for handler in HANDLERS:
            s = summary(samples, handler, scenario)
            lines.append(
                f"| {scenario} ({_label(scenario)}) | {handler} | {s['mean']:.1f} / {s['worst']:.1f} | "
                f"{s['describes']:.0f} | {s['stack_reads']:.0f} | {s['other_calls']:.0f} | "
                f"{s['invocations']:.1f} | {s['gb_seconds']:.1f} | "
                f"{'yes' if s['url_logged'] else 'no'} |"
            )
    verdicts = []
    for scenario, goal in GOALS.items():
        worst = summary(samples, "this handler", scenario)["worst"]
        verdicts.append(f"{scenario} worst {worst:.1f} s <= {goal:.0f} s: {'met' if worst <= goal else 'MISSED'}")
    return [*lines, "", "Goals (this handler): " + "; ".join(verdicts)]


def _label(scenario: str) -> str:
    return {"create": "17 min", "update": "6 min", "delete": "2 min"}[scenario]
