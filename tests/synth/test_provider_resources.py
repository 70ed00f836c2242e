"""Synth tier: the provider's fixed resources keep their logical ids and settings.

A logical id is a promise to every deployed stack: CloudFormation replaces a resource whose logical id
changes, so a new version of the library that renamed the handler's role or log group would replace
them on upgrade (and, for the log group, lose its logs). The settings are what the README and the
time budget rely on (arm64, 256 MB, 15 minutes, 30 days of logs, a role only Lambda can assume).
"""

from __future__ import annotations

from typing import cast

import aws_cdk as cdk

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, RECOGNIZER, new_stack, template

GOLDEN_LOGICAL_IDS = {
    "ComprehendEndpointProviderLogGroupFD6CF182": "AWS::Logs::LogGroup",
    "ComprehendEndpointProviderRoleD312DC8F": "AWS::IAM::Role",
    "ComprehendEndpointProviderHandler04DBAF8A": "AWS::Lambda::Function",
    "ComprehendEndpointProviderHandlerEventInvokeConfig085D15BE": "AWS::Lambda::EventInvokeConfig",
    "ComprehendEndpointProviderPolicyE0D919D7": "AWS::IAM::Policy",
    "ComprehendEndpointProviderAlias852CCBAA": "AWS::Lambda::Alias",
    "ComprehendEndpointProviderAliasAsyncConfig954E92F1": "AWS::Lambda::EventInvokeConfig",
}


def provider_resources(stack):
    resources = template(stack).to_json()["Resources"]
    return {lid: r for lid, r in resources.items() if lid.startswith("ComprehendEndpointProvider")}


def test_the_providers_resources_keep_their_golden_logical_ids():
    # GIVEN a stack with one endpoint
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    # THEN the provider's seven resources carry the logical ids every deployed stack already has
    assert {lid: r["Type"] for lid, r in provider_resources(stack).items()} == GOLDEN_LOGICAL_IDS


def test_the_handler_runs_on_arm64_with_256_mb_for_15_minutes_under_a_role_only_lambda_assumes():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    resources = provider_resources(stack)
    function = resources["ComprehendEndpointProviderHandler04DBAF8A"]["Properties"]
    assert {
        k: function[k] for k in ("Architectures", "MemorySize", "Timeout", "Runtime", "Handler", "Description")
    } == {
        "Architectures": ["arm64"],
        "MemorySize": 256,
        "Timeout": 900,
        "Runtime": "python3.14",
        "Handler": "index.handler",
        "Description": "Custom::ComprehendEndpoint: creates, updates and deletes Comprehend endpoints",
    }
    assert function["Environment"] == {"Variables": {"LOG_LEVEL": "INFO"}}
    role = resources["ComprehendEndpointProviderRoleD312DC8F"]["Properties"]
    assert role["Description"] == "Custom::ComprehendEndpoint handler"
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    log_group = resources["ComprehendEndpointProviderLogGroupFD6CF182"]["Properties"]
    assert log_group == {"RetentionInDays": 30}


def test_a_stack_handed_back_anew_by_jsii_still_gets_the_provider_it_has():
    # GIVEN a stack whose provider exists, and the same stack as jsii hands it back from the construct tree
    # (the provider is found by its construct id, never by the Python object of the stack)
    app = cdk.App()
    ComprehendEndpoint(cdk.Stack(app, "TestStack"), "Classifier", model_arn=CLASSIFIER)
    stack = cast(cdk.Stack, app.node.find_child("TestStack"))
    # WHEN a second endpoint is added
    ComprehendEndpoint(stack, "Recognizer", model_arn=RECOGNIZER)
    # THEN it uses that provider: still one set of the provider's resources
    assert set(provider_resources(stack)) == set(GOLDEN_LOGICAL_IDS)
