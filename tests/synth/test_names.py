"""Synth tier: endpoint names. Two endpoints of one stack may not share a name, explicit or generated; and
the generated names themselves, where they are cut and in a nested stack, as golden values.

A generated name is ``<stack name>-<construct id>-<8 hex of SHA-256 of "<stack name>/<path>">``, cut to
40 characters: the construct id whole when it fits (31 characters), then as much of the stack name as
fits before it, never ending either part on a hyphen. A name that changed between synths would replace
the endpoint on the next deploy, so these values are fixed here, worked out by hand from that rule.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, RECOGNIZER, RESOURCE_TYPE, new_stack, template

PREFIX = r"^ComprehendEndpoint TestStack/Second: endpoint_name "
FIX = r" \(give one of them another endpoint_name\)"


def generated_name(stack_name: str, construct_id: str) -> str:
    """The name the construct generates for ``construct_id`` in a stack named ``stack_name``."""
    stack = new_stack(stack_name)
    ComprehendEndpoint(stack, construct_id, model_arn=CLASSIFIER)
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    return str(resource["Properties"]["EndpointName"])


@pytest.mark.parametrize(("first_model", "second_model"), [(CLASSIFIER, CLASSIFIER), (CLASSIFIER, RECOGNIZER)])
def test_two_endpoints_with_the_same_explicit_name_fail_at_synth_whatever_the_types(first_model, second_model):
    # GIVEN an endpoint named "news"
    stack = new_stack()
    ComprehendEndpoint(stack, "First", model_arn=first_model, endpoint_name="news")
    # WHEN a second endpoint of the same stack takes the name, of the same type or the other one
    # THEN synth fails naming both endpoints and the name
    with pytest.raises(
        ValueError,
        match=PREFIX + r"must be unique in the stack whatever the model type, but TestStack/First has it too"
        rf"{FIX}, got 'news'$",
    ):
        ComprehendEndpoint(stack, "Second", model_arn=second_model, endpoint_name="news")


def test_same_name_with_a_flywheel_or_unknown_model_type_fails_too():
    stack = new_stack()
    ComprehendEndpoint(stack, "First", model_arn=cdk.Fn.import_value("Models-Arn"), endpoint_name="news")
    with pytest.raises(ValueError, match=PREFIX + r"must be unique"):
        ComprehendEndpoint(
            stack,
            "Second",
            flywheel_arn="arn:aws:comprehend:us-east-1:111122223333:flywheel/loop",
            endpoint_name="news",
        )


def test_a_generated_name_equal_to_an_earlier_explicit_name_fails():
    # GIVEN an endpoint whose explicit name is the one the construct generates for TestStack/Second
    taken = generated_name("TestStack", "Second")
    stack = new_stack()
    ComprehendEndpoint(stack, "First", model_arn=CLASSIFIER, endpoint_name=taken)
    # WHEN TestStack/Second is added without a name THEN its generated name is refused
    with pytest.raises(
        ValueError,
        match=PREFIX + r"\(generated\) must be unique in the stack, but TestStack/First has it as its explicit "
        rf"endpoint_name{FIX}, got '{taken}'$",
    ):
        ComprehendEndpoint(stack, "Second", model_arn=CLASSIFIER)


def test_an_explicit_name_equal_to_an_earlier_generated_name_fails():
    taken = generated_name("TestStack", "First")
    stack = new_stack()
    ComprehendEndpoint(stack, "First", model_arn=CLASSIFIER)
    with pytest.raises(
        ValueError,
        match=PREFIX + rf"must be unique in the stack, but it is the name generated for TestStack/First{FIX}, "
        rf"got '{taken}'$",
    ):
        ComprehendEndpoint(stack, "Second", model_arn=CLASSIFIER, endpoint_name=taken)


def test_the_same_name_in_two_stacks_and_token_names_are_accepted():
    # GIVEN two stacks with an endpoint named "news" each, and two endpoints named by the same parameter
    app = cdk.App()
    for name in ("One", "Two"):
        ComprehendEndpoint(cdk.Stack(app, name), "Endpoint", model_arn=CLASSIFIER, endpoint_name="news")
    stack = cdk.Stack(app, "Three")
    name = cdk.CfnParameter(stack, "Name").value_as_string
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, endpoint_name=name)
    ComprehendEndpoint(stack, "B", model_arn=CLASSIFIER, endpoint_name=name)
    # THEN all synthesize: names are checked per stack, and tokens only at deploy time
    template(stack).resource_count_is(RESOURCE_TYPE, 2)


def generated_names(stack: cdk.Stack) -> list[str]:
    resources = Template.from_stack(stack).find_resources(RESOURCE_TYPE).values()
    return sorted(str(r["Properties"]["EndpointName"]) for r in resources)


@pytest.mark.parametrize(
    ("stack_name", "construct_id", "name"),
    [
        # an id starting with no letter or digit: what is cut to 31 characters is the cleaned id
        ("Shop-Orders", "_" + "B" * 31, "B" * 31 + "-fb683d42"),
        # the id cut to 31 characters ends on a hyphen: dropped, and no room is left for the stack name
        ("Shop-Orders", "X" * 30 + "-Beta", "X" * 30 + "-47bb6450"),
        # the stack name cut to 22 characters (31 - "Endpoint" - 1) ends on a hyphen: dropped
        ("Shop-" + "x" * 16 + "-Orders", "Endpoint", "Shop-" + "x" * 16 + "-Endpoint-302ebb4b"),
        # the stack name cut to 22 characters
        ("Shop-" + "x" * 20 + "-Orders", "Endpoint", "Shop-" + "x" * 17 + "-Endpoint-a314211d"),
        # nothing cut: the whole stack name, starting with the letter X
        ("Xshop-Orders", "Endpoint", "Xshop-Orders-Endpoint-ee70fa7a"),
    ],
)
def test_generated_names_where_they_are_cut(stack_name, construct_id, name):
    stack = cdk.Stack(cdk.App(), "S", stack_name=stack_name)
    ComprehendEndpoint(stack, construct_id, model_arn=CLASSIFIER)
    assert generated_names(stack) == [name]


def test_in_a_nested_stack_whose_name_is_a_token_the_name_comes_from_the_id_and_path_alone():
    # GIVEN endpoints in a nested stack: its name is only known at deploy time
    nested = cdk.NestedStack(cdk.Stack(cdk.App(), "Parent"), "Nested")
    ComprehendEndpoint(nested, "Endpoint", model_arn=CLASSIFIER)
    # ... one of them with an id that has no letter or digit in it
    ComprehendEndpoint(nested, "@@", model_arn=CLASSIFIER)
    # THEN the names hash "/<path>" (no stack name), and the second is the hash alone
    assert generated_names(nested) == ["3fb54b3a", "Endpoint-fb7f451d"]
