"""Consumer tier: the built wheel, installed where the repository cannot be seen, used by a new app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

CONSUMER_APP = textwrap.dedent("""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from cdk_comprehend_endpoint import ComprehendEndpoint

    app = cdk.App()
    stack = cdk.Stack(app, "ConsumerStack")
    endpoint = ComprehendEndpoint(
        stack, "People",
        model_arn="arn:aws:comprehend:eu-west-1:111122223333:entity-recognizer/people",
        desired_inference_units=2,
    )
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoint.grant_invoke(reader)
    cdk.CfnOutput(stack, "PeopleEndpointArn", value=endpoint.endpoint_arn)
    app.synth()
""")

IMPORT_HANDLER = textwrap.dedent("""
    import importlib, pkgutil, sys
    sys.path.insert(0, sys.argv[1])
    import index, crhelper, comprehend_cr
    for module in pkgutil.iter_modules(comprehend_cr.__path__):
        importlib.import_module("comprehend_cr." + module.name)
    assert callable(index.handler)
    print("handler imported from", index.__file__)
""")


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)])
    (built,) = dist.glob("cdk_comprehend_endpoint-*.whl")
    return Path(built)


def test_wheel_carries_the_handler(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "cdk_comprehend_endpoint/_handler/index.py" in names
    assert "cdk_comprehend_endpoint/_handler/comprehend_cr/lifecycle.py" in names
    assert not [n for n in names if n.startswith("constructs/")]


def test_installed_wheel_synthesizes_a_new_app_and_its_asset_imports_with_only_boto3(wheel, tmp_path):
    # GIVEN a fresh virtual environment outside the repository with only the wheel installed
    venv = tmp_path / "consumer-venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)])
    app_dir = tmp_path / "consumer-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(CONSUMER_APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
    env["CDK_OUTDIR"] = str(app_dir / "cdk.out")
    # WHEN the consumer's app is synthesized from its own directory
    run([str(python), "app.py"], cwd=app_dir, env=env)
    # THEN the template has the endpoint, and the handler asset was staged from the installed package
    template = json.loads((app_dir / "cdk.out" / "ConsumerStack.template.json").read_text())
    types = sorted(r["Type"] for r in template["Resources"].values())
    assert types.count("Custom::ComprehendEndpoint") == 1 and types.count("AWS::Lambda::Function") == 1
    (asset,) = [p for p in (app_dir / "cdk.out").glob("asset.*") if p.is_dir()]
    assert (asset / "index.py").is_file() and (asset / "crhelper").is_dir()
    # AND the staged handler imports where only boto3 is installed, as on the Lambda runtime
    lambda_like = tmp_path / "lambda-like-venv"
    run([sys.executable, "-m", "venv", str(lambda_like)])
    run(
        [str(lambda_like / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "boto3"]
    )
    result = run([str(lambda_like / "bin" / "python"), "-c", IMPORT_HANDLER, str(asset)], cwd=tmp_path, env=env)
    assert "handler imported from" in result.stdout
