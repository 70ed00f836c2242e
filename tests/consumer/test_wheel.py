"""Consumer tier: the built wheel, installed where the repository cannot be seen, used by a new app."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest

from tests.consumer.conftest import make_env
from tools.find_minimum import app_env, pinned_requirement, pyproject_pin

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

QUOTA_WARNING = (
    "desired_inference_units 12 is above the default quota of 10 per endpoint: request an increase before deploying"
)
MAX_CAPACITY_WARNING = (
    "max_capacity 12 is above the default quota of 10 inference units per endpoint: request an increase, "
    "or the scaler stops there"
)

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


def test_wheel_carries_the_handler(dist):
    names = zipfile.ZipFile(dist.wheel).namelist()
    assert "cdk_comprehend_endpoint/_handler/index.py" in names
    assert "cdk_comprehend_endpoint/_handler/comprehend_cr/lifecycle.py" in names
    assert not [n for n in names if n.startswith("constructs/")]


def test_the_construct_wheel_carries_no_test_scaffolding_and_no_command(dist):
    # GIVEN the construct's wheel and its metadata
    names = zipfile.ZipFile(dist.wheel).namelist()
    # THEN its only package is cdk_comprehend_endpoint: nothing of the loopback world, the rehearsal included
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"cdk_comprehend_endpoint"}
    assert not [n for n in names if "comprehend_loopback" in n]
    # AND it installs no console script (comprehend-endpoint-rehearse comes with the rehearsal's wheel)
    assert "console_scripts" not in dist.wheel_entry_points()
    # AND a plain install needs no boto3 or trustme: they come only with the rehearse extra's distribution
    plain = [r for r in dist.wheel_requires() if "extra ==" not in r]
    assert not [r for r in plain if r.startswith(("boto3", "trustme", "cdk-comprehend-endpoint-rehearse"))]
    version = dist.wheel_metadata()["Version"]
    assert f"cdk-comprehend-endpoint-rehearse=={version}; extra == 'rehearse'" in dist.wheel_requires()


def test_the_rehearsal_wheel_owns_the_command_and_needs_only_boto3_and_trustme(rehearse_dist):
    # GIVEN the rehearsal's wheel
    # THEN it installs comprehend-endpoint-rehearse
    assert "comprehend-endpoint-rehearse = comprehend_loopback.rehearse:main" in rehearse_dist.wheel_entry_points()
    # AND depends on what comprehend_loopback imports at run time, not on the construct (the handler it runs is
    # the one staged in the assembly)
    assert sorted(r.split(">=")[0] for r in rehearse_dist.wheel_requires()) == ["boto3", "trustme"]
    archive = zipfile.ZipFile(rehearse_dist.wheel)
    imported = set()
    for name in archive.namelist():
        if name.endswith(".py"):
            for node in ast.walk(ast.parse(archive.read(name))):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    # (botocore comes with boto3)
    assert imported - sys.stdlib_module_names - {"comprehend_loopback"} == {"boto3", "botocore", "trustme"}


def test_installed_wheel_synthesizes_a_new_app_and_its_asset_imports_with_only_boto3(
    pinned_env, dev_constraints, tmp_path
):
    # GIVEN a fresh virtual environment outside the repository with the wheel and the pinned aws-cdk-lib
    assert pinned_env.unpinned() == {}
    python = pinned_env.python
    app_dir = tmp_path / "consumer-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(CONSUMER_APP)
    env = app_env(app_dir / "cdk.out")
    # WHEN the consumer's app is synthesized from its own directory
    run([str(python), "app.py"], cwd=app_dir, env=env)
    # THEN the template has the endpoint, and the handler asset was staged from the installed package
    template = json.loads((app_dir / "cdk.out" / "ConsumerStack.template.json").read_text())
    types = sorted(r["Type"] for r in template["Resources"].values())
    assert types.count("Custom::ComprehendEndpoint") == 1 and types.count("AWS::Lambda::Function") == 1
    (asset,) = [p for p in (app_dir / "cdk.out").glob("asset.*") if p.is_dir()]
    assert (asset / "index.py").is_file() and (asset / "crhelper").is_dir()
    # AND the staged handler imports where only boto3 (the pinned one) is installed, as on the Lambda runtime
    lambda_like = make_env(
        tmp_path / "lambda-like-venv",
        python=sys.executable,
        requirements=[pyproject_pin("boto3", "dev")],
        constraints=dev_constraints,
    )
    assert lambda_like.unpinned() == {}
    result = run([str(lambda_like.python), "-c", IMPORT_HANDLER, str(asset)], cwd=tmp_path, env=env)
    assert "handler imported from" in result.stdout


def test_installed_wheel_synthesizes_every_feature_with_the_pinned_aws_cdk_lib(pinned_env, pinned_full_feature):
    # GIVEN the wheel with requirements.txt's aws-cdk-lib; WHEN the full-feature app is synthesized (fixture)
    assert pinned_env.installed["aws-cdk-lib"] == pinned_requirement("aws-cdk-lib").split("==")[1]
    # THEN it synthesizes without an error, with exactly the construct's two quota warnings
    assert pinned_full_feature.failure() is None, pinned_full_feature.output[-4000:]
    warnings = [(a.path, a.message.split(" [ack:")[0]) for a in pinned_full_feature.annotations if a.level == "warning"]
    assert warnings == [
        ("/FullFeatureStack/People", QUOTA_WARNING),
        ("/FullFeatureStack/Trained", MAX_CAPACITY_WARNING),
    ]
    types = [r["Type"] for r in pinned_full_feature.templates["FullFeatureStack"]["Resources"].values()]
    assert types.count("Custom::ComprehendEndpoint") == 4
    assert types.count("AWS::ApplicationAutoScaling::ScalableTarget") == 3
    assert types.count("AWS::CloudWatch::Alarm") == 2
