"""Synth tier: generated endpoint names where they are cut, and in a nested stack, as golden values.

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
from tests.synth.helpers import CLASSIFIER, RESOURCE_TYPE


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
