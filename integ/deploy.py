"""``make integ-deploy``: the integ test on a real account, run as integ-runner runs it, with the pinned CLI.

    MODEL_ARN=arn:aws:comprehend:REGION:ACCOUNT:document-classifier/NAME python -m integ.deploy

Why not ``integ-runner`` itself: the newest release on npm (2.197.10, pinned in package.json) reads cloud
assemblies up to schema 53, and aws-cdk-lib 2.275.0 writes schema 55 ("You need at least CLI version
2.1148.0"); it stops before synthesis, deploy or snapshot check. ``tests/integ`` notices the day a pinned
integ-runner reads this assembly; then ``integ-runner --directory integ --language python --force
--parallel-regions REGION --no-update-workflow`` can replace this module. Until then this module follows
the integ manifest (``integ.json``) the way integ-runner does:

1. Refuse without ``MODEL_ARN`` (a trained model's ARN), or when the committed snapshot is stale (the same
   comparison as ``make test``): what is deployed is what CI checked, apart from the model ARN.
2. Synthesize the integ app with ``MODEL_ARN`` into ``integ/cdk-integ.out/``; deploy from that assembly.
3. For each test case, in order: deploy its stacks; deploy its assertion stack without rollback, its
   outputs to a file; read the ``AssertionResults*`` outputs (``{"status": "success" | "fail", ...}``);
   destroy every stack unless the case disables it. The cases here are phases of one scenario (create,
   then rename), so a failed case ends the run instead of going on to the next.
4. Whatever happened, destroy every stack of the app at the end (endpoints bill until deleted).

Region: the model's, since an endpoint must be in its model's region. Needs credentials for an account
bootstrapped in that region (``cdk bootstrap``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integ import snapshot

ASSEMBLY_DIR = snapshot.ROOT / "integ" / "cdk-integ.out"
PLACEHOLDER_MODEL_ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/integ-placeholder"
MODEL_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:comprehend:(?P<region>[a-z0-9-]+):\d{12}:"
    r"(document-classifier|entity-recognizer)/[a-zA-Z0-9](-*[a-zA-Z0-9])*(/version/[a-zA-Z0-9](-*[a-zA-Z0-9])*)?$"
)
USAGE = (
    "make integ-deploy needs MODEL_ARN, the ARN of a trained Comprehend document classifier or entity "
    "recognizer (with no other endpoint) in the account and region to test in, e.g.\n"
    "  make integ-deploy MODEL_ARN=arn:aws:comprehend:us-east-1:123456789012:document-classifier/my-model"
)

Cdk = Callable[[list[str]], None]


class CommandFailed(Exception):
    pass


@dataclass
class CaseResult:
    name: str
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def model_arn_or_exit(env: Mapping[str, str]) -> str:
    arn = env.get("MODEL_ARN", "").strip()
    if not arn:
        raise SystemExit(f"MODEL_ARN is not set.\n{USAGE}")
    if arn == PLACEHOLDER_MODEL_ARN or MODEL_ARN.match(arn) is None:
        raise SystemExit(f"MODEL_ARN {arn!r} is not a model this test can deploy an endpoint for.\n{USAGE}")
    return arn


def region_of(model_arn: str) -> str:
    match = MODEL_ARN.match(model_arn)
    assert match is not None
    return match["region"]


def assertion_failures(outputs_file: Path, assertion_stack_name: str) -> list[str]:
    """What integ-runner reads: outputs named ``AssertionResults*`` of the assertion stack, each a JSON
    ``{"status", "message"}``. No result at all counts as a failure: every case here asserts something."""
    if not outputs_file.exists():
        return [f"no outputs file {outputs_file.name}: the assertion stack did not deploy"]
    outputs: dict[str, Any] = json.loads(outputs_file.read_text()).get(assertion_stack_name, {})
    results = {k: json.loads(v.replace("\n", "\\n")) for k, v in outputs.items() if k.startswith("AssertionResults")}
    if not results:
        return [f"{assertion_stack_name} reported no assertion results"]
    return [f"{k}: {r.get('message', r)}" for k, r in sorted(results.items()) if r.get("status") != "success"]


def run_test_cases(assembly: Path, cdk: Cdk) -> list[CaseResult]:
    """Every test case of ``assembly/integ.json``, in order, then a final destroy of every stack."""
    cases: dict[str, Any] = json.loads((assembly / "integ.json").read_text())["testCases"]
    results: list[CaseResult] = []
    everything_destroyed = False
    destroy_all = ["destroy", "--all", "--force"]
    try:
        for name, case in cases.items():
            print(f"=== test case {name}: deploy {', '.join(case['stacks'])}", flush=True)
            result = CaseResult(name, [])
            results.append(result)
            everything_destroyed = False
            outputs_file = assembly.parent / f"{case['assertionStackName']}.outputs.json"
            outputs_file.unlink(missing_ok=True)
            try:
                cdk(["deploy", *case["stacks"], "--require-approval", "never"])
                cdk(
                    [
                        "deploy",
                        case["assertionStack"],
                        "--require-approval",
                        "never",
                        "--no-rollback",
                        "--outputs-file",
                        str(outputs_file),
                    ]
                )
                result.failures += assertion_failures(outputs_file, case["assertionStackName"])
            except CommandFailed as error:
                result.failures.append(str(error))
            finally:
                if case.get("cdkCommandOptions", {}).get("destroy", {}).get("enabled", True):
                    cdk(destroy_all)
                    everything_destroyed = True
            print(f"=== test case {name}: {'passed' if result.passed else 'FAILED'}", flush=True)
            for failure in result.failures:
                print(f"    {failure}", flush=True)
            if not result.passed:
                break
    finally:
        if not everything_destroyed:
            print("=== destroying every stack of the integ app", flush=True)
            cdk(destroy_all)
    return results


def cli(assembly: Path, env: Mapping[str, str]) -> Cdk:
    """The pinned CLI, deploying from the synthesized ``assembly``; its output goes to the console."""

    def run(args: list[str]) -> None:
        command = [str(snapshot.CDK), *args, "--app", str(assembly)]
        print("$ cdk " + " ".join(args), flush=True)
        returncode = subprocess.run(
            command, cwd=snapshot.ROOT, env=snapshot.cli_environment(env), check=False
        ).returncode
        if returncode != 0:
            raise CommandFailed(f"cdk {' '.join(args)} exited with {returncode}")

    return run


def main(env: Mapping[str, str]) -> int:
    model_arn = model_arn_or_exit(env)
    region = region_of(model_arn)
    stale = snapshot.differences(snapshot.snapshot_of(snapshot.SNAPSHOT_DIR), snapshot.fresh_snapshot(env))
    if stale:
        print("\n".join(stale), file=sys.stderr)
        raise SystemExit("the committed integ snapshot is stale: run `make integ-snapshot`, review and commit it first")
    run_env = {**env, "MODEL_ARN": model_arn, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    print(
        f"model {model_arn}, region {region}; synthesizing into {ASSEMBLY_DIR.relative_to(snapshot.ROOT)}/", flush=True
    )
    snapshot.synthesize(ASSEMBLY_DIR, run_env)
    try:
        results = run_test_cases(ASSEMBLY_DIR, cli(ASSEMBLY_DIR, run_env))
    except CommandFailed as error:
        print(f"{error}: check the account for stacks named integ-comprehend-endpoint*", file=sys.stderr)
        return 1
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(os.environ))
