"""Synth tier: what ``cdk destroy`` leaves of the handler's log group, and the choice to remove it (issue #9)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, new_stack, template

LOG_GROUP = "AWS::Logs::LogGroup"


def log_group(stack: cdk.Stack) -> Any:
    (resource,) = template(stack).find_resources(LOG_GROUP).values()
    return resource


def test_by_default_the_log_group_outlives_the_stack_and_keeps_30_days():
    # GIVEN a stack with an endpoint and no provider settings
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    # THEN the handler's log group is retained when the stack is deleted (CDK's default for log groups)
    resource = log_group(stack)
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert resource["Properties"]["RetentionInDays"] == 30


def test_log_group_removed_with_the_stack_when_configured_before_the_first_endpoint():
    # GIVEN the provider configured before any endpoint exists
    stack = new_stack()
    ComprehendEndpoint.configure_provider(stack, log_removal_policy=cdk.RemovalPolicy.DESTROY)
    # WHEN endpoints are added
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER)
    ComprehendEndpoint(stack, "B", model_arn=CLASSIFIER)
    # THEN the one log group is deleted with the stack
    resource = log_group(stack)
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert resource["Properties"]["RetentionInDays"] == 30


def test_settings_given_after_the_endpoints_apply_too_and_the_last_call_wins():
    # GIVEN a stack whose endpoint, in a nested scope, already created the provider
    stack = new_stack()
    group = Construct(stack, "Group")
    ComprehendEndpoint(group, "Endpoint", model_arn=CLASSIFIER)
    # WHEN the provider is configured twice, the second time from a construct inside the stack
    ComprehendEndpoint.configure_provider(stack, log_removal_policy=cdk.RemovalPolicy.DESTROY)
    ComprehendEndpoint.configure_provider(
        group, log_removal_policy=cdk.RemovalPolicy.RETAIN, log_retention=logs.RetentionDays.ONE_WEEK
    )
    # THEN the last settings are in the template
    resource = log_group(stack)
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["Properties"]["RetentionInDays"] == 7


@pytest.mark.parametrize("retention_first", [False, True])
def test_a_setting_left_out_of_a_later_call_keeps_its_earlier_value(retention_first):
    # GIVEN two calls before the first endpoint, each with one setting, in either order
    stack = new_stack()
    calls: list[dict[str, Any]] = [
        {"log_removal_policy": cdk.RemovalPolicy.DESTROY},
        {"log_retention": logs.RetentionDays.ONE_WEEK},
    ]
    for settings in reversed(calls) if retention_first else calls:
        ComprehendEndpoint.configure_provider(stack, **settings)
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    # THEN both apply
    resource = log_group(stack)
    assert (resource["DeletionPolicy"], resource["Properties"]["RetentionInDays"]) == ("Delete", 7)


@pytest.mark.parametrize(
    ("retention", "days"),
    [(logs.RetentionDays.ONE_DAY, 1), (logs.RetentionDays.THREE_YEARS, 1096), (logs.RetentionDays.INFINITE, None)],
)
def test_retention_is_rendered_as_cdks_log_group_renders_it(retention, days):
    stack = new_stack()
    ComprehendEndpoint.configure_provider(stack, log_retention=retention)
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    assert log_group(stack).get("Properties", {}).get("RetentionInDays") == days


def test_settings_of_one_stack_do_not_reach_another():
    app = cdk.App()
    configured, other = cdk.Stack(app, "Configured"), cdk.Stack(app, "Other")
    ComprehendEndpoint.configure_provider(configured, log_removal_policy=cdk.RemovalPolicy.DESTROY)
    for stack in (configured, other):
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    assert [log_group(s)["DeletionPolicy"] for s in (configured, other)] == ["Delete", "Retain"]


def test_configuring_a_stack_without_endpoints_adds_nothing():
    stack = new_stack()
    ComprehendEndpoint.configure_provider(stack, log_removal_policy=cdk.RemovalPolicy.DESTROY)
    cdk.CfnOutput(stack, "Out", value="x")
    assert template(stack).find_resources(LOG_GROUP) == {}


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        (
            {"log_removal_policy": cdk.RemovalPolicy.SNAPSHOT},
            ValueError,
            r"log_removal_policy must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE \(CloudFormation cannot "
            r"snapshot a log group\), got <RemovalPolicy.SNAPSHOT: 'SNAPSHOT'>$",
        ),
        (
            {"log_removal_policy": "destroy"},
            TypeError,
            r"log_removal_policy must be a cdk.RemovalPolicy \(e.g. cdk.RemovalPolicy.DESTROY\), got str 'destroy'$",
        ),
        (
            {"log_retention": 30},
            TypeError,
            r"log_retention must be a logs.RetentionDays \(e.g. RetentionDays.ONE_WEEK\), got int 30$",
        ),
    ],
)
def test_bad_provider_settings_fail_naming_scope_setting_and_value(settings, error, message):
    stack = new_stack()
    with pytest.raises(error, match=r"^ComprehendEndpoint TestStack: " + message):
        ComprehendEndpoint.configure_provider(stack, **settings)
