"""The demo's deploy/update/destroy over a template synthesized in-process (the CLI path is `make demo`)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

import app as sample_app
from demo.__main__ import Console, deploy, destroy, update
from demo.template import DemoError, Stack


def synthesized(outdir, **context):
    app = cdk.App(outdir=str(outdir), context=context)
    sample_app.build_app(app)
    app.synth()
    return Stack.load(outdir, "ComprehendEndpointStack")


def test_demo_deploys_updates_and_destroys_the_sample_app_with_the_staged_handler(world, tmp_path, capsys):
    # GIVEN the sample app synthesized twice: as is, and with 2 inference units
    first = synthesized(tmp_path / "one")
    second = synthesized(tmp_path / "two", inference_units="2")
    console = Console(world)
    # WHEN deployed, updated and destroyed through the staged asset's handler
    attributes = deploy(world, first, console)
    outputs = first.outputs(attributes)
    update(world, first, second, attributes, console)
    units = [e.units for e in world.comprehend.endpoints.values()]
    destroy(world, second, attributes, console)
    # THEN the output is the endpoint's ARN, the update applied, and nothing is left
    assert outputs["EndpointArn"].startswith("arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/")
    assert units == [2]
    assert world.comprehend.endpoints == {}
    printed = capsys.readouterr().out
    assert "CREATE_COMPLETE" in printed and "UPDATE_COMPLETE" in printed and "DELETE_COMPLETE" in printed


def test_demo_refuses_a_template_without_endpoints(tmp_path):
    (tmp_path / "ComprehendEndpointStack.template.json").write_text(json.dumps({"Resources": {}}))
    with pytest.raises(DemoError, match="has no Custom::ComprehendEndpoint resource"):
        Stack.load(tmp_path, "ComprehendEndpointStack").endpoints()


def test_demo_reports_a_missing_synthesis(tmp_path):
    with pytest.raises(DemoError, match="synthesize the app first"):
        Stack.load(tmp_path, "ComprehendEndpointStack")
