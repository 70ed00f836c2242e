"""Synth tier: what ``make integ-deploy`` runs, in which order, and when it refuses (no AWS, no CLI).

The run follows the committed snapshot's ``integ.json``; a stand-in for the CDK CLI records each command
and writes the assertion stacks' outputs the way ``cdk deploy --outputs-file`` does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from integ import deploy, snapshot

MODEL = "arn:aws:comprehend:eu-west-1:123456789012:document-classifier/news/version/v2"
CREATE, CREATE_ASSERT = "ComprehendEndpointCreate", "ComprehendEndpointInteg/DefaultTest/DeployAssert"
RENAME, RENAME_ASSERT = "Renamed", "Renamed/RenamedTestCase/DeployAssert"
DESTROY_ALL = ["destroy", "--all", "--force"]


class FakeCdk:
    """Records commands; answers assertion-stack deploys with the given statuses, fails where told."""

    def __init__(self, assembly, statuses=None, fail=None):
        cases = json.loads((assembly / "integ.json").read_text())["testCases"].values()
        self.stack_names = {c["assertionStack"]: c["assertionStackName"] for c in cases}
        self.statuses = statuses or {}
        self.fail = fail
        self.calls: list[list[str]] = []

    def __call__(self, args):
        self.calls.append(args)
        if args[:2] == ["deploy", self.fail]:
            raise deploy.CommandFailed(f"cdk deploy {self.fail} exited with 1")
        if "--outputs-file" in args:
            outputs = {
                f"AssertionResultsAwsApiCall{i}": json.dumps({"status": status, "message": f"{status} {i}"})
                for i, status in enumerate(self.statuses.get(args[1], ["success"]))
            }
            path = args[args.index("--outputs-file") + 1]
            with open(path, "w") as f:
                json.dump({self.stack_names[args[1]]: {"ExportsOutputX": "v", **outputs}}, f)

    @property
    def deployed(self):
        return [c[1] if c[0] == "deploy" else "destroy-all" for c in self.calls]


@pytest.fixture
def assembly(tmp_path):
    """The committed snapshot stands in for the synthesized assembly: same integ.json."""
    shutil.copytree(snapshot.SNAPSHOT_DIR, tmp_path / "cdk-integ.out")
    return tmp_path / "cdk-integ.out"


def test_a_passing_run_creates_asserts_renames_asserts_and_destroys_once(assembly):
    # GIVEN a CLI under which every deploy succeeds and every assertion passes
    cdk = FakeCdk(assembly)
    # WHEN the integ test cases run
    results = deploy.run_test_cases(assembly, cdk)
    # THEN the stack is created and asserted, kept, renamed (same stack name) and asserted, then destroyed
    assert cdk.deployed == [CREATE, CREATE_ASSERT, RENAME, RENAME_ASSERT, "destroy-all"]
    assert cdk.calls[-1] == DESTROY_ALL
    assert [(r.name, r.passed) for r in results] == [
        ("ComprehendEndpointInteg/DefaultTest", True),
        ("Renamed/RenamedTestCase", True),
    ]
    # ... with the assertion stacks deployed without rollback, their outputs to a file
    assertion_deploy = cdk.calls[1]
    assert "--no-rollback" in assertion_deploy and "--outputs-file" in assertion_deploy
    assert cdk.calls[0][2:4] == ["--require-approval", "never"]


def test_a_failed_assertion_fails_the_run_skips_the_rename_and_destroys_everything(assembly):
    # GIVEN the first case's assertion reporting a failure
    cdk = FakeCdk(assembly, statuses={CREATE_ASSERT: ["fail"]})
    # WHEN the test cases run
    results = deploy.run_test_cases(assembly, cdk)
    # THEN the run stops after that case, every stack is destroyed, and the failure is reported
    assert cdk.deployed == [CREATE, CREATE_ASSERT, "destroy-all"]
    assert len(results) == 1 and not results[0].passed
    assert results[0].failures == ["AssertionResultsAwsApiCall0: fail 0"]


@pytest.mark.parametrize(
    ("fail", "expected"),
    [
        (CREATE, [CREATE, "destroy-all"]),
        (RENAME, [CREATE, CREATE_ASSERT, RENAME, "destroy-all"]),
        (RENAME_ASSERT, [CREATE, CREATE_ASSERT, RENAME, RENAME_ASSERT, "destroy-all"]),
    ],
)
def test_a_failed_deploy_fails_its_case_and_still_destroys_everything_once(assembly, fail, expected):
    # GIVEN a CLI whose deploy of one stack fails
    cdk = FakeCdk(assembly, fail=fail)
    # WHEN the test cases run
    results = deploy.run_test_cases(assembly, cdk)
    # THEN that case fails naming the command, and every stack is destroyed exactly once
    assert cdk.deployed == expected
    assert not results[-1].passed and f"cdk deploy {fail}" in results[-1].failures[0]
    assert cdk.calls.count(DESTROY_ALL) == 1


def test_an_assertion_stack_without_results_fails_its_case(assembly):
    # GIVEN an assertion stack whose outputs hold no AssertionResults
    cdk = FakeCdk(assembly, statuses={CREATE_ASSERT: []})
    # WHEN the test cases run
    results = deploy.run_test_cases(assembly, cdk)
    # THEN "nothing asserted" is a failure, not a pass
    assert not results[0].passed and "reported no assertion results" in results[0].failures[0]


@pytest.mark.parametrize(
    "model_arn",
    [
        None,
        "  ",
        deploy.PLACEHOLDER_MODEL_ARN,
        "arn:aws:comprehend:us-east-1:123456789012:flywheel/loop",
        "my-model",
    ],
    ids=["unset", "blank", "placeholder", "flywheel", "not-an-arn"],
)
def test_integ_deploy_refuses_without_a_trained_model_arn_before_doing_anything(monkeypatch, model_arn):
    # GIVEN no usable MODEL_ARN, and a synthesis that must not happen
    monkeypatch.setattr(snapshot, "synthesize", lambda *_a, **_k: pytest.fail("synthesized"))
    env = {} if model_arn is None else {"MODEL_ARN": model_arn}
    # WHEN make integ-deploy's driver starts
    with pytest.raises(SystemExit) as refused:
        deploy.main(env)
    # THEN it refuses, saying what it needs
    assert "MODEL_ARN" in str(refused.value) and "make integ-deploy MODEL_ARN=arn:aws:comprehend:" in str(refused.value)


def test_integ_deploy_runs_in_the_models_region():
    # GIVEN a model ARN (an endpoint must be in its model's region)
    # THEN the run's region is the model's
    assert deploy.region_of(MODEL) == "eu-west-1"


def test_make_integ_deploy_refuses_without_model_arn():
    # GIVEN no MODEL_ARN in the environment or on the command line
    env = {k: v for k, v in os.environ.items() if k not in ("MODEL_ARN", "MAKEFLAGS", "MAKELEVEL")}
    # WHEN the Makefile target runs
    result = subprocess.run(
        ["make", "--no-print-directory", "integ-deploy"],
        cwd=snapshot.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # THEN it stops at once with a usage message, before any set-up or synthesis
    assert result.returncode == 2
    assert "MODEL_ARN" in result.stderr
    assert "pip" not in result.stdout and "cdk" not in result.stdout
