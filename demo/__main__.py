"""``make demo``: the sample app's whole life on a loopback AWS, offline, printed like ``cdk deploy``.

A thin use of the rehearsal (``comprehend-endpoint-rehearse``, :mod:`comprehend_loopback.rehearse`):

1. the sample app is synthesized three times with the pinned CDK CLI: as it is (one inference unit)
   into ``cdk.out/``; with ``-c inference_units=2 -c max_inference_units=4`` (autoscaling between 1
   and 4 units); and the same with ``-c tags=team=nlp``;
2. the three versions are rehearsed one after the other (create, update, update), then destroyed,
   with the handler from the staged asset and IAM enforced from each template. After the second
   version, traffic makes Application Auto Scaling move the endpoint to 4 units; the third, tag-only
   deploy leaves the scaler's units alone;
3. one drill (``comprehend-endpoint-rehearse --drill``): the app synthesized once more with a renamed endpoint,
   and that rename played again while a sibling fails a minute into it and the rollback comes 25 minutes
   late, after the new endpoint is in service: the drill reports whether anything is left billing or waiting.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from comprehend_loopback.drill import SCENARIOS
from comprehend_loopback.rehearse import Rehearsal

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = (
    ("the sample app as it is (1 inference unit)", ()),
    (
        "inference_units=2, autoscaling between 1 and 4 units",
        ("inference_units=2", "max_inference_units=4"),
    ),
    (
        "the same, tagged team=nlp",
        ("inference_units=2", "max_inference_units=4", "tags=team=nlp"),
    ),
)
SCALER_UNITS = 4
DRILL_RENAME = ("endpoint_name=sample-endpoint-renamed",)


class DemoError(Exception):
    """Something the user must fix; the message says what."""


def synth(outdir: Path, context: tuple[str, ...]) -> None:
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    args = [str(cdk), "synth", "--quiet", "--output", str(outdir)]
    for item in context:
        args += ["-c", item]
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DemoError(f"cdk synth failed:\n{result.stderr}")


def between_versions(index: int, rehearsal: Rehearsal) -> None:
    """After the autoscaled version, traffic grows and Application Auto Scaling adds units; after the
    tag-only version, show that the deploy left the scaler's units alone."""
    world, console = rehearsal.world, rehearsal.console
    assert world is not None and console is not None
    (player,) = rehearsal.players.values()
    (arn,) = player.endpoints().values()
    name = arn.rsplit("/", 1)[1]
    if index == 1:
        console.say(f"\n{console.stamp()} traffic grows: Application Auto Scaling sets {SCALER_UNITS} inference units")
        world.autoscale(arn, SCALER_UNITS)
        world.settle()
    elif index == 2:
        endpoint = world.comprehend.endpoints[arn]
        tags = ", ".join(f"{k}={v}" for k, v in sorted(endpoint.tags.items()) if not k.startswith("cdk-"))
        console.say(
            f"\n{console.stamp()} endpoint {name}: {endpoint.units} inference units (the scaler's: the tag-only "
            f"deploy left them alone), tags {tags}"
        )


def run(outdirs: list[Path], renamed: Path) -> int:
    started = time.perf_counter()
    for number, ((what, context), outdir) in enumerate(zip(VERSIONS, outdirs, strict=True), start=1):
        shown = outdir.relative_to(ROOT) if outdir.is_relative_to(ROOT) else outdir
        print(f"Synthesizing version {number} of the sample app ({what}) into {shown}/ ...", flush=True)
        synth(outdir, context)
    print("\nRehearsing create, two updates and destroy on a loopback AWS (virtual clock) ...", flush=True)
    labels = [f"version {n}: {what}" for n, (what, _) in enumerate(VERSIONS, start=1)]
    report = Rehearsal(outdirs, between=between_versions, labels=labels).run()
    print(f"\nSynthesizing the sample app with its endpoint renamed, for a drill, into {renamed} ...", flush=True)
    synth(renamed, DRILL_RENAME)
    late = next(s for s in SCENARIOS if s.name == "late-rollback")
    drills = Rehearsal([outdirs[0], renamed], labels=["version 1", "renamed"]).drill([late])
    ok = report.ok and all(d.ok for d in drills)
    print(
        f"\nDemo done: {report.virtual_s / 60:.0f} minutes of deployment (and one drill) on the virtual clock in "
        f"{time.perf_counter() - started:.0f} s of real time, most of it the four syntheses."
    )
    return 0 if ok else 1


def main() -> int:
    try:
        with (
            tempfile.TemporaryDirectory() as second,
            tempfile.TemporaryDirectory() as third,
            tempfile.TemporaryDirectory() as renamed,
        ):
            return run([ROOT / "cdk.out", Path(second), Path(third)], Path(renamed))
    except DemoError as exc:
        print(f"\n ❌  demo failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
