"""Consumer tier: ``comprehend-endpoint-rehearse``, from the rehearsal's own wheel installed beside the
construct's as ``pip install "cdk-comprehend-endpoint[rehearse]"`` installs it, outside the repository, on the
sample app and on a two-version app of the user's own."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import pytest

from tests.conftest import ROOT
from tests.consumer.conftest import make_env
from tools.find_minimum import app_env, pinned_requirement, pyproject_pin

pytestmark = pytest.mark.slow

MY_APP = textwrap.dedent("""
    import json, os
    import aws_cdk as cdk
    from cdk_comprehend_endpoint import ComprehendEndpoint

    MODEL = "arn:aws:comprehend:eu-west-1:444455556666:document-classifier/reviews"
    version = int(os.environ["APP_VERSION"])
    app = cdk.App()
    stack = cdk.Stack(app, "Reviews", env=cdk.Environment(account="444455556666", region="eu-west-1"))
    # version 1: two endpoints; version 2: the first renamed, the second removed
    main = ComprehendEndpoint(stack, "Main", model_arn=MODEL, endpoint_name="reviews" if version == 1 else "reviews-2")
    cdk.CfnOutput(stack, "MainArn", value=main.endpoint_arn)
    if version == 1:
        ComprehendEndpoint(stack, "Spare", model_arn=MODEL, endpoint_name="reviews-spare")
    app.synth()
""")


@pytest.fixture(scope="module")
def rehearse_env(dist, rehearse_dist, dev_constraints, tmp_path_factory):
    """The construct's wheel with its ``rehearse`` extra, which the rehearsal's wheel (not on any index yet)
    satisfies, and the pinned CDK; the rehearsal's own dependencies (boto3, trustme) come from its wheel's
    metadata, held to the versions of development."""
    requirements = [
        pinned_requirement("aws-cdk-lib"),
        pinned_requirement("constructs"),
        pyproject_pin("crhelper"),
    ]
    env = make_env(
        tmp_path_factory.mktemp("rehearse") / "venv",
        python=shutil.which("python3") or "python3",
        requirements=requirements,
        constraints=dev_constraints,
        wheel=dist.wheel,
        wheel_extra="rehearse",
        more_wheels=(rehearse_dist.wheel,),
    )
    assert env.unpinned() == {}
    return env


def rehearse(env, *assemblies, cwd):
    tool = env.python.parent / "comprehend-endpoint-rehearse"
    return subprocess.run(
        [str(tool), *map(str, assemblies)], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_installed_tool_rehearses_the_sample_app(rehearse_env, rehearse_dist, tmp_path):
    # GIVEN the rehearsal installed from its own wheel, beside the construct's, with boto3 and trustme
    assert rehearse_env.installed["cdk-comprehend-endpoint-rehearse"] == rehearse_dist.wheel.name.split("-")[1]
    assert {"boto3", "trustme"} <= rehearse_env.installed.keys()
    # AND the sample app (app.py, outside the repository) synthesized with the installed construct
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    subprocess.run([str(rehearse_env.python), "app.py"], cwd=tmp_path, env=app_env(tmp_path / "cdk.out"), check=True)
    # WHEN rehearsed by the installed console script
    result = rehearse(rehearse_env, tmp_path / "cdk.out", cwd=tmp_path)
    # THEN it passes, with the stack's output and nothing left billing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ComprehendEndpointStack.EndpointArn = arn:aws:comprehend:" in result.stdout
    assert "rehearsal passed: every request succeeded, nothing left billing" in result.stdout


def test_the_installed_tool_rehearses_a_rename_and_a_removal_of_my_own_app(rehearse_env, tmp_path):
    # GIVEN two versions of my app: "reviews" renamed to "reviews-2" and "reviews-spare" removed
    (tmp_path / "app.py").write_text(MY_APP)
    for version in ("1", "2"):
        env = {**app_env(tmp_path / f"cdk.out.{version}"), "APP_VERSION": version}
        subprocess.run([str(rehearse_env.python), "app.py"], cwd=tmp_path, env=env, check=True)
    manifest = json.loads((tmp_path / "cdk.out.1" / "manifest.json").read_text())
    assert manifest["artifacts"]["Reviews"]["environment"] == "aws://444455556666/eu-west-1"
    # WHEN the installed tool rehearses the update from version 1 to version 2
    result = rehearse(rehearse_env, tmp_path / "cdk.out.1", tmp_path / "cdk.out.2", cwd=tmp_path)
    # THEN it says the rename replaces the endpoint (and for how long two bill), the removal is deleted in
    # the cleanup, and it passes in the app's own account and region
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "replaced: Reviews/Main" in out and "reviews -> reviews-2; both billed for" in out
    assert "endpoint reviews-spare: GONE" in out.split("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")[1]
    assert "Reviews.MainArn = arn:aws:comprehend:eu-west-1:444455556666:document-classifier-endpoint/reviews-2" in out
    assert "rehearsal passed" in out
