"""Synth tier: the edges of the tag checks (Comprehend's limits: keys 1-128 characters, values at most 256).

A token in a tag is known only at deploy time: the check skips it and goes on with the rest, and never
measures a token's placeholder text (``${Token[...]}``), which says nothing about the resolved length.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, RESOURCE_TYPE, new_stack, template

KEY_RULE = (
    "keys must be 1-128 characters and not start with 'aws:' or 'cdk-comprehend-endpoint:' "
    "(reserved for the ownership tags)"
)


def test_a_tag_key_of_128_characters_is_accepted():
    # GIVEN a tag key at the service's limit
    stack = new_stack()
    # WHEN the construct is created THEN the key reaches the template
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags={"k" * 128: "v"})
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    assert {"Key": "k" * 128, "Value": "v"} in resource["Properties"]["Tags"]


def test_a_tag_key_of_129_characters_is_refused_naming_the_key():
    stack = new_stack()
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags={"k" * 129: "v"})
    assert str(refused.value) == f"ComprehendEndpoint TestStack/Endpoint: tags {KEY_RULE}, got '{'k' * 129}'"


def test_a_token_tag_key_is_skipped_and_does_not_stop_the_check_of_the_keys_after_it():
    # GIVEN tags whose first key is made of tokens and whose second is reserved
    stack = new_stack()
    # (the token key is joined from eight tokens: longer than 128 characters as placeholder text)
    tags = {"-".join([cdk.Aws.REGION] * 8): "v", "aws:owner": "me"}
    # WHEN the construct is created THEN the token key is not measured, and the reserved key is still refused
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags=tags)
    assert str(refused.value) == f"ComprehendEndpoint TestStack/Endpoint: tags {KEY_RULE}, got 'aws:owner'"


def test_a_tag_value_built_from_tokens_is_not_measured_by_its_placeholder_text():
    # GIVEN a tag value joined from 15 region tokens: over 256 characters of placeholder text, about 150 once
    # CloudFormation resolves it
    stack = new_stack()
    value = "-".join([cdk.Aws.REGION] * 15)
    assert len(value) > 256
    # WHEN the construct is created THEN it is accepted and the value reaches the template as a join
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags={"regions": value})
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    (tag,) = [t for t in resource["Properties"]["Tags"] if t["Key"] == "regions"]
    assert "Fn::Join" in tag["Value"]


def test_a_tag_value_of_256_characters_and_48_tags_are_accepted():
    # GIVEN 48 tags (Comprehend's 50 less the two ownership tags), one with a value at the 256-character limit
    stack = new_stack()
    tags = {f"k{i}": "v" for i in range(47)} | {"long": "v" * 256}
    # WHEN the construct is created THEN all of them reach the template
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags=tags)
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    given = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"] if t["Key"] in tags}
    assert given == tags


def test_an_endpoint_name_of_40_characters_is_accepted():
    # GIVEN an explicit name at CreateEndpoint's 40-character limit
    stack = new_stack()
    name = "n" * 40
    # WHEN the construct is created THEN the template creates the endpoint under that name
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, endpoint_name=name)
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    assert resource["Properties"]["EndpointName"] == name
