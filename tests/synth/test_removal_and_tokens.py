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
    with pytest.raises(ValueError, match=r"ComprehendEndpoint TestStack/Endpoint: removal_policy must be DESTROY"):
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, removal_policy=cdk.RemovalPolicy.SNAPSHOT)


def test_a_client_request_token_used_twice_in_the_app_is_refused_even_across_stacks():
    # GIVEN two stacks of one app, the first with an endpoint whose token is "news-token"
    app = cdk.App()
    first = cdk.Stack(app, "First")
    ComprehendEndpoint(first, "A", model_arn=CLASSIFIER, client_request_token="news-token")
    second = cdk.Stack(app, "Second")
    # WHEN an endpoint of the second stack gives the same token THEN synth refuses it, naming the first one
    with pytest.raises(ValueError, match=r"Second/B: client_request_token must be unique in the app .*First/A"):
        ComprehendEndpoint(second, "B", model_arn=CLASSIFIER, client_request_token="news-token")
    # AND another token, or none, is accepted
    ComprehendEndpoint(second, "C", model_arn=CLASSIFIER, client_request_token="other-token")
    ComprehendEndpoint(second, "D", model_arn=CLASSIFIER)


def test_the_same_token_in_two_apps_is_not_a_conflict():
    # GIVEN two apps (two test runs, two CDK apps in one process) THEN each may use the token once
    for _ in range(2):
        stack = cdk.Stack(cdk.App(), "Solo")
        ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, client_request_token="news-token")
