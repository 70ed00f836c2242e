"""``make demo``: the sample app's full life on a loopback AWS, offline, printed like ``cdk deploy``.

1. synthesize the sample app with the pinned CDK CLI into ``cdk.out/``;
2. deploy: every ``Custom::ComprehendEndpoint`` in the template goes through Create exactly as
   CloudFormation sends it (properties resolved from the template, as strings, an HTTPS
   ResponseURL), answered by the real handler loaded from the staged asset; the endpoint's status
   transitions are printed as they happen on the virtual clock, then the stack outputs;
3. update: synthesize again with ``-c inference_units=2`` and send the Update;
4. destroy: send Delete and check that no endpoint is left.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from comprehend_loopback.cloudformation import CloudFormation
from comprehend_loopback.comprehend import FakeComprehend
from comprehend_loopback.world import World
from demo.template import DemoError, Stack

ROOT = Path(__file__).resolve().parent.parent
STACK = "ComprehendEndpointStack"


class Console:
    def __init__(self, world: World) -> None:
        self.world = world
        self.t0 = world.clock.now()

    def stamp(self, when: float | None = None) -> str:
        seconds = int((self.world.clock.now() if when is None else when) - self.t0)
        return f"[{seconds // 60:02d}:{seconds % 60:02d}]"

    def event(self, status: str, logical_id: str, extra: str = "") -> None:
        print(f"{self.stamp()} {STACK} | {status:<19} | Custom::ComprehendEndpoint | {logical_id}{extra}", flush=True)

    def endpoint_status(self, arn: str, status: str, when: float) -> None:
        print(f"{self.stamp(when)}     endpoint {arn.rsplit('/', 1)[1]}: {status}", flush=True)


def synth(outdir: Path, *context: str) -> Stack:
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    args = [str(cdk), "synth", "--quiet", "--output", str(outdir)]
    for item in context:
        args += ["-c", item]
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DemoError(f"cdk synth failed:\n{result.stderr}")
    return Stack.load(outdir, STACK)


def deploy(world: World, stack: Stack, console: Console) -> dict[str, dict[str, str]]:
    """Create every endpoint of ``stack``; returns each resource's Data (its attributes)."""
    cfn = _cloudformation(world, stack)
    attributes: dict[str, dict[str, str]] = {}
    for logical_id in stack.endpoints():
        props = stack.properties(logical_id)
        _register_model(world.comprehend, props)
        console.event("CREATE_IN_PROGRESS", logical_id)
        answer = cfn.send(cfn.event("Create", logical_id, props))
        if answer.body["Status"] != "SUCCESS":
            console.event("CREATE_FAILED", logical_id, f" {answer.body['Reason']}")
            raise DemoError(f"the handler answered FAILED for {logical_id}: {answer.body['Reason']}")
        console.event("CREATE_COMPLETE", logical_id)
        attributes[logical_id] = {**answer.body["Data"], "Ref": answer.body["PhysicalResourceId"]}
    return attributes


def update(world: World, old: Stack, new: Stack, attributes: dict[str, dict[str, str]], console: Console) -> None:
    cfn = _cloudformation(world, new)
    for logical_id in new.endpoints():
        before, after = old.properties(logical_id), new.properties(logical_id)
        if before == after:
            continue
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        console.event("UPDATE_IN_PROGRESS", logical_id, f" ({', '.join(changed)})")
        answer = cfn.send(
            cfn.event("Update", logical_id, after, physical_id=attributes[logical_id]["Ref"], old_properties=before)
        )
        if answer.body["Status"] != "SUCCESS":
            raise DemoError(f"the handler answered FAILED for the update of {logical_id}: {answer.body['Reason']}")
        console.event("UPDATE_COMPLETE", logical_id)
        attributes[logical_id] = {**answer.body["Data"], "Ref": answer.body["PhysicalResourceId"]}


def destroy(world: World, stack: Stack, attributes: dict[str, dict[str, str]], console: Console) -> None:
    cfn = _cloudformation(world, stack)
    for logical_id in reversed(stack.endpoints()):
        console.event("DELETE_IN_PROGRESS", logical_id)
        answer = cfn.send(
            cfn.event("Delete", logical_id, stack.properties(logical_id), physical_id=attributes[logical_id]["Ref"])
        )
        if answer.body["Status"] != "SUCCESS":
            raise DemoError(f"the handler answered FAILED for the delete of {logical_id}: {answer.body['Reason']}")
        console.event("DELETE_COMPLETE", logical_id)


def _cloudformation(world: World, stack: Stack) -> CloudFormation:
    """A CloudFormation driver whose function runs the handler staged in ``stack``'s asset."""
    asset = stack.handler_asset(stack.endpoints()[0])
    return world.cloudformation(lambda: world.handler(asset))


def _register_model(comprehend: FakeComprehend, props: dict[str, Any]) -> None:
    """The model the template names exists and is trained (as it would be in a real account)."""
    if props.get("ModelArn"):
        comprehend.add_model(props["ModelArn"])


def run(outdir: Path, updated_outdir: Path) -> int:
    started = time.perf_counter()
    print(f"Synthesizing the sample app with the pinned CDK CLI into {outdir.relative_to(ROOT)}/ ...", flush=True)
    stack = synth(outdir)
    log_file = outdir / "demo-handler.log"
    logging.getLogger().addHandler(logging.FileHandler(log_file, mode="w"))
    with tempfile.TemporaryDirectory() as tmp, World.start(Path(tmp)) as world:
        console = Console(world)
        world.comprehend.on_status = console.endpoint_status
        print(f"\n{STACK}: deploying on the loopback AWS (virtual clock; the endpoint takes 17 minutes) ...")
        attributes = deploy(world, stack, console)
        print(f"\n ✅  {STACK}\n\nOutputs:")
        for name, value in stack.outputs(attributes).items():
            print(f"{STACK}.{name} = {value}")

        print(f"\n{STACK}: updating (-c inference_units=2) ...", flush=True)
        new_stack = synth(updated_outdir, "inference_units=2")
        update(world, stack, new_stack, attributes, console)
        units = {e.name: e.units for e in world.comprehend.endpoints.values()}
        print(f"\n ✅  {STACK} (updated: inference units now {units})")

        print(f"\n{STACK}: destroying ...", flush=True)
        destroy(world, new_stack, attributes, console)
        left = len(world.comprehend.endpoints)
        if left:
            raise DemoError(f"{left} endpoint(s) left after destroy")
        virtual = world.clock.now() - console.t0
    print(f"\n ✅  {STACK}: destroyed (0 endpoints left)")
    print(
        f"\nDemo done: {virtual / 60:.0f} minutes of deployment on the virtual clock in "
        f"{time.perf_counter() - started:.0f} s of real time. The handler's JSON logs: {log_file.relative_to(ROOT)}"
    )
    return 0


def main() -> int:
    try:
        with tempfile.TemporaryDirectory() as updated:
            return run(ROOT / "cdk.out", Path(updated))
    except DemoError as exc:
        print(f"\n ❌  demo failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
