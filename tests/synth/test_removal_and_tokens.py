"""Synth tier: what the construct tells the handler about kept endpoints, and a token two endpoints would share.

CloudFormation keeps an endpoint whose resource has ``RemovalPolicy: Retain`` when it is replaced or removed; the
handler marks such an endpoint so that no stray sweep of a later request deletes it, so the construct passes the
policy as a property. CreateEndpoint answers a token it has already seen with that token's endpoint, so a
``client_request_token`` may appear once in an app.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from cdk_comprehend_endpoint import RESOURCE_TYPE, ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, new_stack, template


def removal_property(policy: cdk.RemovalPolicy) -> object:
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, removal_policy=policy)
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    return resource["Properties"].get("RemovalPolicy", "<absent>")


@pytest.mark.parametrize(
    ("policy", "passed"),
    [
        (cdk.RemovalPolicy.RETAIN, "Retain"),
        (cdk.RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, "Retain"),
        (cdk.RemovalPolicy.DESTROY, "<absent>"),
    ],
)
def test_a_kept_endpoints_policy_reaches_the_handler_and_destroy_adds_nothing(policy, passed):
    # GIVEN an endpoint with each removal policy WHEN synthesized
    # THEN the handler is told "Retain" when CloudFormation keeps the endpoint, and nothing by default
    assert removal_property(policy) == passed


def test_snapshot_is_refused_naming_the_prop():
    # GIVEN removal_policy=SNAPSHOT (CloudFormation cannot snapshot a custom resource)
    stack = new_stack()
    # THEN synth refuses it, naming the construct, the prop and the value
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    assert str(refused.value) == (
        "ComprehendEndpoint TestStack/Endpoint: removal_policy must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE "
        f"(CloudFormation cannot snapshot a custom resource), got {cdk.RemovalPolicy.SNAPSHOT!r}"
    )


def test_a_client_request_token_used_twice_in_the_app_is_refused_even_across_stacks():
    # GIVEN two stacks of one app, the first with an endpoint whose token is "news-token"
    app = cdk.App()
    first = cdk.Stack(app, "First")
    ComprehendEndpoint(first, "A", model_arn=CLASSIFIER, client_request_token="news-token")
    second = cdk.Stack(app, "Second")
    # WHEN an endpoint of the second stack gives the same token THEN synth refuses it, naming the first one
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(second, "B", model_arn=CLASSIFIER, client_request_token="news-token")
    assert str(refused.value) == (
        "ComprehendEndpoint Second/B: client_request_token must be unique in the app (CreateEndpoint would answer "
        "with the endpoint of First/A), got 'news-token'"
    )
    # AND another token, or none, is accepted
    ComprehendEndpoint(second, "C", model_arn=CLASSIFIER, client_request_token="other-token")
    ComprehendEndpoint(second, "D", model_arn=CLASSIFIER)


def test_the_same_token_in_two_apps_is_not_a_conflict():
    # GIVEN two apps (two test runs, two CDK apps in one process) THEN each may use the token once
    for _ in range(2):
        stack = cdk.Stack(cdk.App(), "Solo")
        ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, client_request_token="news-token")


def test_a_token_known_only_at_deploy_time_is_not_compared():
    # GIVEN one CfnParameter's value as the client_request_token of two endpoints (unknown at synth)
    stack = new_stack()
    token = cdk.CfnParameter(stack, "Token").value_as_string
    # WHEN both are added THEN synth accepts them: the deployed values may differ, so nothing is claimed
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, client_request_token=token)
    ComprehendEndpoint(stack, "B", model_arn=CLASSIFIER, client_request_token=token)
