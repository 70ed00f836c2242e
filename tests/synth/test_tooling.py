"""Synth tier: cdk-nag, cfn-lint, the real CDK CLI and the asset's determinism."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from cdk_comprehend_endpoint import ComprehendEndpoint, ModelType, _bundling
from tests.conftest import ROOT
from tests.synth.helpers import CLASSIFIER, FLYWHEEL, RECOGNIZER


def full_stack(app: cdk.App) -> cdk.Stack:
    """Every feature at once: three endpoints, a data-access role, a flywheel, a grant, autoscaling
    (target tracking and a schedule, on a known and on an unknown endpoint type), idle alarms with an
    SNS action, and imports."""
    stack = cdk.Stack(app, "NagStack")
    role = iam.Role(stack, "DataAccess", assumed_by=iam.ServicePrincipal("comprehend.amazonaws.com"))
    first = ComprehendEndpoint(stack, "Classifier", model_arn=CLASSIFIER, data_access_role=role)
    recognizer = ComprehendEndpoint(stack, "Recognizer", model_arn=RECOGNIZER, desired_inference_units=2)
    flywheel = ComprehendEndpoint(stack, "Flywheel", flywheel_arn=FLYWHEEL)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    first.grant_invoke(reader)
    scaling = recognizer.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    scaling.scale_on_utilization(target_utilization_percent=70)
    scaling.scale_on_schedule("Nights", schedule=appscaling.Schedule.cron(hour="20", minute="0"), max_capacity=1)
    flywheel.auto_scale_inference_units(max_capacity=2).scale_on_utilization(target_utilization_percent=50)
    topic = sns.Topic(
        stack, "Alerts", enforce_ssl=True, master_key=kms.Alias.from_alias_name(stack, "Sns", "alias/aws/sns")
    )
    first.alarm_when_idle().add_alarm_action(cw_actions.SnsAction(topic))
    imported = ComprehendEndpoint.from_endpoint_name(stack, "Shared", "shared", model_type=ModelType.ENTITY_RECOGNIZER)
    imported.alarm_when_idle(window=cdk.Duration.hours(6))
    imported.grant_invoke(reader)
    cdk.CfnOutput(stack, "Arn", value=first.endpoint_arn, export_name="NagStack-Arn")
    return stack


def test_cdk_nag_aws_solutions_reports_no_violation():
    # GIVEN the construct with every feature
    app = cdk.App()
    stack = full_stack(app)
    # WHEN cdk-nag's AwsSolutions pack validates it (no rule is acknowledged by the library)
    report = AwsSolutionsChecks(app, verbose=True).validate_scope(stack)
    # THEN there is no violation of any severity
    violations = [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]
    assert report.success and violations == [], violations


def test_cfn_lint_reports_no_error_on_the_synthesized_template(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    full_stack(app)
    app.synth()
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--format",
            "parseable",
            str(tmp_path / "NagStack.template.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ":E" in line or line.split(":")[-2:-1] == ["error"]]
    assert result.returncode in (0, 4, 8, 12) and not errors, result.stdout + result.stderr
    assert result.returncode & 2 == 0, result.stdout  # 2 = an error-level finding


def asset_hashes(outdir: Path) -> set[str]:
    manifest = json.loads((outdir / "NagStack.assets.json").read_text())
    return {h for h, f in manifest["files"].items() if f["source"]["path"].startswith("asset.")}


def test_two_synths_give_the_same_asset_hash(tmp_path):
    hashes = []
    for run in ("one", "two"):
        app = cdk.App(outdir=str(tmp_path / run))
        full_stack(app)
        app.synth()
        hashes.append(asset_hashes(tmp_path / run))
    assert hashes[0] == hashes[1] and len(hashes[0]) == 1


def test_asset_holds_the_handler_and_crhelper(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    full_stack(app)
    app.synth()
    (asset,) = asset_hashes(tmp_path)
    staged = tmp_path / f"asset.{asset}"
    assert (staged / "index.py").is_file()
    assert (staged / "comprehend_cr" / "lifecycle.py").is_file()
    assert (staged / "crhelper" / "resource_helper.py").is_file()
    assert not list(staged.rglob("__pycache__"))


def test_a_new_crhelper_gives_a_new_asset_hash_so_an_upgrade_redeploys_the_handler(tmp_path, monkeypatch):
    # GIVEN the asset hash of an app as installed
    app = cdk.App(outdir=str(tmp_path / "installed"))
    full_stack(app)
    app.synth()
    (installed,) = asset_hashes(tmp_path / "installed")
    # AND a crhelper next to the library that differs by one comment (the handler's own files unchanged)
    upgraded = tmp_path / "crhelper"
    shutil.copytree(_bundling._crhelper_dir(), upgraded, ignore=shutil.ignore_patterns("__pycache__"))
    (upgraded / "utils.py").write_text((upgraded / "utils.py").read_text() + "# a newer release\n")
    monkeypatch.setattr(_bundling, "_crhelper_dir", lambda: upgraded)
    _bundling.asset_hash.cache_clear()
    try:
        # WHEN the same app is synthesized again
        app = cdk.App(outdir=str(tmp_path / "upgraded"))
        full_stack(app)
        app.synth()
        (after,) = asset_hashes(tmp_path / "upgraded")
    finally:
        _bundling.asset_hash.cache_clear()
    # THEN the asset, and so the function's code, is new (a hash of the handler's directory alone, CDK's
    # default, would keep the old crhelper deployed), and it holds the new crhelper
    assert after != installed
    assert (
        (tmp_path / "upgraded" / f"asset.{after}" / "crhelper" / "utils.py").read_text().endswith("# a newer release\n")
    )


@pytest.mark.slow
def test_real_cli_synth_of_the_sample_app_needs_no_docker_or_credentials(tmp_path):
    # GIVEN the pinned CLI on Node 22, no AWS credentials, and first on PATH a `docker` that fails
    # loudly and leaves a mark if anything runs it (this machine has a real docker client in /usr/bin)
    cdk_cli = ROOT / "node_modules" / ".bin" / "cdk"
    if not cdk_cli.exists():
        pytest.skip("node_modules not installed (run make setup)")
    trap = tmp_path / "bin"
    trap.mkdir()
    called = tmp_path / "docker-was-called"
    (trap / "docker").write_text(f'#!/bin/sh\necho "$@" >> {called}\necho "docker must not be used" >&2\nexit 97\n')
    (trap / "docker").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PATH=f"{trap}:{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:/usr/bin:/bin",
        CDK_DISABLE_CLI_TELEMETRY="true",
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DOCKER=str(trap / "docker"),
    )
    assert shutil.which("docker", path=env["PATH"]) == str(trap / "docker")
    out = tmp_path / "cdk.out"
    # WHEN synthesizing with context, exactly as the README says
    result = subprocess.run(
        [
            str(cdk_cli),
            "synth",
            "--quiet",
            "--output",
            str(out),
            "-c",
            f"model_arn={RECOGNIZER}",
            "-c",
            "endpoint_name=people",
            "-c",
            "inference_units=2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN it succeeds without docker and without jsii's Node end-of-life warning, and uses the context
    assert result.returncode == 0, result.stderr
    assert not called.exists(), called.read_text()
    assert "end-of-life" not in result.stderr + result.stdout
    template = json.loads((out / "ComprehendEndpointStack.template.json").read_text())
    (resource,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::ComprehendEndpoint"]
    assert resource["Properties"]["EndpointName"] == "people"
    assert resource["Properties"]["DesiredInferenceUnits"] == "2"
    assert template["Outputs"]["EndpointArn"]["Export"]["Name"] == "ComprehendEndpointStack-EndpointArn"


def test_sample_app_context_rejects_bad_inference_units():
    import app as sample_app

    with pytest.raises(SystemExit, match="inference_units must be a whole number >= 1, got 'two'"):
        sample_app.build_app(cdk.App(context={"inference_units": "two"}))


def test_sample_app_exports_the_endpoint_arn():
    import app as sample_app

    stack = sample_app.build_app(cdk.App())
    outputs = Template.from_stack(stack).find_outputs("EndpointArn")
    assert outputs["EndpointArn"]["Export"] == {"Name": "ComprehendEndpointStack-EndpointArn"}
    assert outputs["EndpointArn"]["Value"]["Fn::GetAtt"][1] == "EndpointArn"


def test_the_library_acknowledges_exactly_its_three_wildcards_with_the_reason():
    # GIVEN the construct in a stack
    app = cdk.App()
    stack = full_stack(app)
    policy = stack.node.find_child("ComprehendEndpointProvider").node.find_child("Policy").node.default_child
    assert policy is not None
    # THEN cdk-nag acknowledgements exist only on the handler's policy, only for the two tag-conditioned
    # endpoint wildcards and ListEndpoints' "*", each with the written reason (a new wildcard stays flagged)
    acknowledged = {
        key: reason
        for entry in policy.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for key, reason in entry.data.items()
    }
    prefix = "Annotation::AwsSolutions-IAM5[Resource::"
    assert sorted(acknowledged) == [
        f"{prefix}*]",
        f"{prefix}arn:<AWS::Partition>:comprehend:<AWS::Region>:<AWS::AccountId>:document-classifier-endpoint/*]",
        f"{prefix}arn:<AWS::Partition>:comprehend:<AWS::Region>:<AWS::AccountId>:entity-recognizer-endpoint/*]",
    ]
    assert all("ownership tag" in reason and "ListEndpoints" in reason for reason in acknowledged.values())
    others = [
        node.node.path
        for node in stack.node.find_all()
        if node.node.path != policy.node.path
        and any(e.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY for e in node.node.metadata)
    ]
    assert others == []


def test_an_aws_cdk_lib_without_validations_still_synthesizes_with_cdk_nag_2s_suppressions(monkeypatch):
    # GIVEN an aws-cdk-lib of the supported range that predates `Validations` (2.222.0 to 2.251.0 lack it;
    # docs/minimum-versions.md), simulated by removing it from the module
    monkeypatch.delattr(cdk, "Validations")
    # WHEN the construct is synthesized
    stack = full_stack(cdk.App())
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    # THEN it synthesizes, and the handler's policy still carries cdk-nag 2's suppression of AwsSolutions-IAM5
    (nag,) = [p["Metadata"]["cdk_nag"] for p in policies.values() if "cdk_nag" in p.get("Metadata", {})]
    assert [rule["id"] for rule in nag["rules_to_suppress"]] == ["AwsSolutions-IAM5"]
