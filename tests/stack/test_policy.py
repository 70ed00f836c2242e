"""Stack tier: the policy a template synthesizes, as CloudFormation would put it in place, evaluated by
the loopback IAM for the calls the handler may and may not make (docs/design.md §3, §4b)."""

from __future__ import annotations

import pytest

from comprehend_loopback import iam
from comprehend_loopback.stack import StackPlayer, access_key_for
from comprehend_loopback.world import World
from tests.stack.conftest import ACCOUNT, CLASSIFIER, Endpoint, Version, endpoint_arn

OTHER_STACK = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/Other/0000"
MANAGE = ["DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint", "ListTagsForResource"]


@pytest.fixture(scope="module")
def deployed(synth, tmp_path_factory):
    """A stack whose template names "alpha" and "theirs" (deployed in a world where nobody else's
    endpoint exists yet), and a function to evaluate a call against its handler's policies."""
    with World.start(tmp_path_factory.mktemp("world")) as world:
        world.comprehend.add_model(CLASSIFIER)
        player = StackPlayer(world, "Shop")
        version = Version((Endpoint("Alpha", "alpha"), Endpoint("Theirs", "theirs")))
        assert player.deploy(synth(version)) == "CREATE_COMPLETE"
        (function,) = player.functions.values()
        policies = list(world.aws.principals[access_key_for(function.role_arn)].policies.values())

    def decide(action, arn, tags=None, request_keys=None):
        resource = iam.Resource(arn, {f"aws:ResourceTag/{k}": v for k, v in (tags or {}).items()})
        return iam.authorize(policies, action, [resource], request_keys)

    return player, decide


def owned(stack_id, logical_id="Alpha"):
    return {"cdk-comprehend-endpoint:stack-id": stack_id, "cdk-comprehend-endpoint:logical-id": logical_id}


@pytest.mark.parametrize("operation", MANAGE)
def test_the_stacks_own_endpoints_may_be_managed(deployed, operation):
    player, decide = deployed
    assert decide(f"comprehend:{operation}", endpoint_arn("alpha"), owned(player.stack_id)) is None


@pytest.mark.parametrize("operation", [*MANAGE, "TagResource", "UntagResource"])
@pytest.mark.parametrize(
    "tags", [owned(OTHER_STACK, "Theirs"), {}, {"team": "nlp"}], ids=["other-stack", "untagged", "foreign-tags"]
)
def test_an_endpoint_the_template_names_but_another_stack_owns_is_out_of_reach(deployed, operation, tags):
    # GIVEN the template names "theirs", WHEN that endpoint carries another stack's tags (or none)
    _, decide = deployed
    denied = decide(f"comprehend:{operation}", endpoint_arn("theirs"), tags, {"aws:TagKeys": ["team"]})
    # THEN no statement lets the handler describe, change, tag or delete it
    assert denied is not None and denied.decision == "ImplicitDeny"


@pytest.mark.parametrize("action", ["comprehend:UntagResource", "comprehend:TagResource"])
@pytest.mark.parametrize("key", ["cdk-comprehend-endpoint:stack-id", "cdk-comprehend-endpoint:logical-id"])
def test_the_ownership_tags_can_be_neither_removed_nor_rewritten(deployed, action, key):
    player, decide = deployed
    tags = owned(player.stack_id)
    assert decide(action, endpoint_arn("alpha"), tags, {"aws:TagKeys": ["team"]}) is None
    assert decide(action, endpoint_arn("alpha"), tags, {"aws:TagKeys": ["team", key]}) is not None


def test_create_is_allowed_only_for_the_templates_names_and_models(deployed):
    _, decide = deployed
    assert decide("comprehend:CreateEndpoint", endpoint_arn("alpha")) is None
    assert decide("comprehend:CreateEndpoint", CLASSIFIER) is None
    assert decide("comprehend:CreateEndpoint", endpoint_arn("beta")) is not None
    assert decide("comprehend:CreateEndpoint", endpoint_arn("alpha", "entity-recognizer")) is not None
    assert decide("comprehend:CreateEndpoint", CLASSIFIER.replace("/news", "/other")) is not None


def test_the_function_may_invoke_itself_unqualified_only(deployed):
    player, decide = deployed
    (function,) = player.functions
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{function}"
    assert decide("lambda:InvokeFunction", arn) is None
    assert decide("lambda:InvokeFunction", f"{arn}:live") is not None
    assert decide("lambda:InvokeFunction", arn.replace(function, "SomeoneElsesFunction")) is not None


def test_listing_endpoints_is_the_only_call_allowed_on_every_resource(deployed):
    _, decide = deployed
    assert decide("comprehend:ListEndpoints", "*") is None
    for action in ("comprehend:DescribeEndpoint", "comprehend:DeleteEndpoint", "comprehend:CreateEndpoint"):
        assert decide(action, "*") is not None
