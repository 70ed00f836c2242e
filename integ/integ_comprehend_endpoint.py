#!/usr/bin/env python3
"""Integration test on a real account, written for ``@aws-cdk/integ-runner`` (``make integ-deploy`` runs it).

integ-runner discovers Python tests by the file name ``integ_*.py`` and keeps the snapshot next to
this file, in ``integ_comprehend_endpoint.py.snapshot/``. ``make test`` compares that committed snapshot
with a fresh synthesis, offline; ``make integ-snapshot`` rewrites it. Until an integ-runner release reads
the cloud assemblies aws-cdk-lib 2.275.0 writes, ``integ/deploy.py`` runs the test cases below the way
integ-runner does, with the pinned CDK CLI.

Two test cases run in order, in one region, on one CloudFormation stack (``integ-comprehend-endpoint``):

1. ``DefaultTest``: create the stack with an endpoint named ``integ-comprehend-endpoint-1``, then
   assert that DescribeEndpoint reports it ``IN_SERVICE``. Its destroy step is disabled, so the stack
   stays for the next case.
2. ``Renamed``: the same CloudFormation stack (same ``stack_name``, another construct id) with the
   endpoint renamed to ``integ-comprehend-endpoint-2``: a stack update that replaces the endpoint.
   Assert the new endpoint is ``IN_SERVICE`` and that it is the only endpoint of the model left (the
   old one was deleted during the update's cleanup). Then every stack is destroyed.

This is the workaround the CDK project itself points to for testing a custom resource's update
(aws/aws-cdk#30402): two stack objects with one stack name. integ-runner's own "update workflow"
(deploy the committed snapshot, then the new app) is disabled: the committed snapshot carries a
placeholder model, and the rename must be exercised on every run, not only when the snapshot changes.

The model: ``MODEL_ARN`` (environment) or ``-c model_arn=...`` (context), a *trained* document
classifier or entity recognizer in the region you deploy to, with no other endpoint. Without either,
a placeholder ARN is used so that synthesis works offline; that is what the committed snapshot holds.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_NODE22 = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "node"
if "JSII_NODE" not in os.environ and _NODE22.exists():
    os.environ["JSII_NODE"] = str(_NODE22)  # Node 20 is end-of-life for jsii; use the project's Node 22

import aws_cdk as cdk  # noqa: E402
from aws_cdk import integ_tests_alpha as integ  # noqa: E402
from aws_cdk.cloud_assembly_schema import CdkCommands, DestroyCommand  # noqa: E402

from cdk_comprehend_endpoint import ComprehendEndpoint  # noqa: E402

PLACEHOLDER_MODEL_ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/integ-placeholder"
STACK_NAME = "integ-comprehend-endpoint"
FIRST_NAME = "integ-comprehend-endpoint-1"
RENAMED_NAME = "integ-comprehend-endpoint-2"
INFERENCE_UNITS = 1  # the least an endpoint can have: the run's cost is per unit
# The handler answers CloudFormation only once an endpoint is IN_SERVICE (or gone, for a delete), so
# the assertions run on a settled endpoint: the wait covers eventual consistency, not the 10-20 minutes
# of a create. A wait as long as a create would hide a handler that answers too early.
ASSERTION_TIMEOUT = cdk.Duration.minutes(3)
ASSERTION_INTERVAL = cdk.Duration.seconds(15)
_MODEL_KIND = re.compile(r"^arn:aws[a-z-]*:comprehend:[^:]*:[^:]*:(document-classifier|entity-recognizer)/")


def model_arn_from(app: cdk.App) -> str:
    """``-c model_arn=...``, else ``$MODEL_ARN``, else the placeholder (synthesis only)."""
    return str(app.node.try_get_context("model_arn") or os.environ.get("MODEL_ARN") or PLACEHOLDER_MODEL_ARN)


def endpoint_arn(model_arn: str, name: str) -> str:
    """The ARN the endpoint named ``name`` gets, in the account and region of the stack it is used in.

    Built from the name rather than imported from the endpoint's stack: an export in use by the first
    case's assertions could not change when the second case renames the endpoint.
    """
    match = _MODEL_KIND.match(model_arn)
    if match is None:
        raise SystemExit(f"MODEL_ARN must be a document-classifier or entity-recognizer ARN, got {model_arn!r}")
    return cdk.Fn.sub(
        f"arn:${{AWS::Partition}}:comprehend:${{AWS::Region}}:${{AWS::AccountId}}:{match[1]}-endpoint/{name}"
    )


def add_endpoint(stack: cdk.Stack, model_arn: str, name: str) -> None:
    ComprehendEndpoint(
        stack, "Endpoint", model_arn=model_arn, endpoint_name=name, desired_inference_units=INFERENCE_UNITS
    )


def expect_in_service(assertions: integ.IDeployAssert, model_arn: str, name: str) -> integ.IApiCall:
    return (
        assertions.aws_api_call("Comprehend", "describeEndpoint", {"EndpointArn": endpoint_arn(model_arn, name)})
        .expect(
            integ.ExpectedResult.object_like(
                {
                    "EndpointProperties": {
                        "EndpointArn": endpoint_arn(model_arn, name),
                        "Status": "IN_SERVICE",
                        "ModelArn": model_arn,
                        "CurrentInferenceUnits": INFERENCE_UNITS,
                    }
                }
            )
        )
        .wait_for_assertions(total_timeout=ASSERTION_TIMEOUT, interval=ASSERTION_INTERVAL, backoff_rate=1)
    )


def expect_only_endpoint_of_model(assertions: integ.IDeployAssert, model_arn: str, name: str) -> integ.IApiCall:
    """A literal list inside ``object_like`` matches exactly: one element, this endpoint."""
    return (
        assertions.aws_api_call("Comprehend", "listEndpoints", {"Filter": {"ModelArn": model_arn}})
        .expect(
            integ.ExpectedResult.object_like(
                {"EndpointPropertiesList": [{"EndpointArn": endpoint_arn(model_arn, name)}]}
            )
        )
        .wait_for_assertions(total_timeout=ASSERTION_TIMEOUT, interval=ASSERTION_INTERVAL, backoff_rate=1)
    )


def own_test_case(stack: integ.IntegTestCaseStack) -> integ.IntegTestCase:
    """The IntegTestCase an IntegTestCaseStack creates for itself: its assertions are deployed, and read,
    by integ-runner (``IntegTestCaseStack.assertions`` is a stack the runner never deploys)."""
    cases = [c for c in stack.node.children if isinstance(c, integ.IntegTestCase)]
    assert len(cases) == 1, cases
    return cases[0]


def build(app: cdk.App) -> integ.IntegTest:
    model_arn = model_arn_from(app)

    first = cdk.Stack(app, "ComprehendEndpointCreate", stack_name=STACK_NAME)
    add_endpoint(first, model_arn, FIRST_NAME)

    renamed = integ.IntegTestCaseStack(
        app,
        "Renamed",
        stack_name=STACK_NAME,
        stack_update_workflow=False,
        diff_assets=True,
    )
    add_endpoint(renamed, model_arn, RENAMED_NAME)
    # IntegTestCaseStack also creates an assertion stack of its own (``renamed.assertions``) that
    # integ-runner never deploys nor reads; unused, it would only add an empty, invalid template.
    renamed.node.try_remove_child("DeployAssert")

    test = integ.IntegTest(
        app,
        "ComprehendEndpointInteg",
        test_cases=[first, renamed],
        # Keep the stack for the ``Renamed`` case, which updates it; that case destroys everything.
        cdk_command_options=CdkCommands(destroy=DestroyCommand(enabled=False)),
        stack_update_workflow=False,
        diff_assets=True,
    )
    expect_in_service(test.assertions, model_arn, FIRST_NAME)

    rename_assertions = own_test_case(renamed).assertions
    expect_in_service(rename_assertions, model_arn, RENAMED_NAME).next(
        expect_only_endpoint_of_model(rename_assertions, model_arn, RENAMED_NAME)
    )
    return test


if __name__ == "__main__":
    integ_app = cdk.App()
    build(integ_app)
    integ_app.synth()
