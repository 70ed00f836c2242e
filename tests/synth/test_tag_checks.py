"""Synth tier: the edges of the tag checks (Comprehend's limits: keys 1-128 characters, values at most 256).

A token in a tag is known only at deploy time: the check skips it and goes on with the rest, and never
measures a token's placeholder text (``${Token[...]}``), which says nothing about the resolved length.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, RESOURCE_TYPE, TAG_KEY_RULE, new_stack, template


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
    assert str(refused.value) == f"ComprehendEndpoint TestStack/Endpoint: tags {TAG_KEY_RULE}, got '{'k' * 129}'"


def test_a_token_tag_key_is_skipped_and_does_not_stop_the_check_of_the_keys_after_it():
    # GIVEN tags whose first key is made of tokens and whose second is reserved
    stack = new_stack()
    # (the token key is joined from eight tokens: longer than 128 characters as placeholder text)
    tags = {"-".join([cdk.Aws.REGION] * 8): "v", "aws:owner": "me"}
    # WHEN the construct is created THEN the token key is not measured, and the reserved key is still refused
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags=tags)
    assert str(refused.value) == f"ComprehendEndpoint TestStack/Endpoint: tags {TAG_KEY_RULE}, got 'aws:owner'"


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


def test_a_tag_value_of_256_characters_and_46_tags_are_accepted():
    # GIVEN 46 tags (Comprehend's 50 less the four reserved tags), one with a value at the 256-character limit
    stack = new_stack()
    tags = {f"k{i}": "v" for i in range(45)} | {"long": "v" * 256}
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


def test_a_number_parameter_converted_with_int_is_still_taken_for_a_token():
    # GIVEN units from a number parameter, passed through int() (jsii still reports the value as a token)
    stack = new_stack()
    units = cdk.CfnParameter(stack, "Units", type="Number", default=2)
    # WHEN the construct is created THEN it is not refused as a negative number: the template takes the parameter
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=int(units.value_as_number))
    template(stack).has_resource_properties(RESOURCE_TYPE, {"DesiredInferenceUnits": {"Ref": "Units"}})


@pytest.mark.parametrize(
    ("model_arn", "flywheel_arn"),
    [
        (
            "arn:aws-cn:comprehend:cn-north-1:111122223333:document-classifier/news",
            "arn:aws-cn:comprehend:cn-north-1:111122223333:flywheel/loop",
        ),
        (
            "arn:aws-us-gov:comprehend:us-gov-west-1:111122223333:entity-recognizer/people/version/v-2",
            "arn:aws-us-gov:comprehend:us-gov-west-1:111122223333:flywheel/loop",
        ),
    ],
    ids=["aws-cn", "aws-us-gov"],
)
def test_models_and_flywheels_of_other_partitions_and_multi_part_regions_are_accepted(model_arn, flywheel_arn):
    # GIVEN a stack in the ARNs' own account and region
    region = model_arn.split(":")[3]
    stack = new_stack(env=cdk.Environment(account="111122223333", region=region))
    # WHEN an endpoint serves that model and flywheel THEN both reach the template
    ComprehendEndpoint(stack, "Endpoint", model_arn=model_arn, flywheel_arn=flywheel_arn)
    template(stack).has_resource_properties(RESOURCE_TYPE, {"ModelArn": model_arn, "FlywheelArn": flywheel_arn})


def test_a_data_access_role_with_a_path_is_accepted():
    # GIVEN a role whose ARN has a path (IAM's service roles do)
    stack = new_stack(env=cdk.Environment(account="111122223333", region="us-east-1"))
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::111122223333:role/service-role/comprehend-data")
    # WHEN an endpoint passes it THEN it reaches the template
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, data_access_role=role)
    template(stack).has_resource_properties(
        RESOURCE_TYPE, {"DataAccessRoleArn": "arn:aws:iam::111122223333:role/service-role/comprehend-data"}
    )


@pytest.mark.parametrize("key", ["AWS:owner", "Aws:owner", "CDK-Comprehend-Endpoint:stack-id", ""])
def test_reserved_prefixes_in_any_case_and_an_empty_key_are_refused(key):
    stack = new_stack()
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags={key: "v"})
    assert str(refused.value) == f"ComprehendEndpoint TestStack/Endpoint: tags {TAG_KEY_RULE}, got {key!r}"


def test_a_client_request_token_of_64_characters_is_accepted_and_65_refused():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, client_request_token="t" * 64)
    template(stack).has_resource_properties(RESOURCE_TYPE, {"ClientRequestToken": "t" * 64})
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Other", model_arn=CLASSIFIER, client_request_token="t" * 65)
    assert str(refused.value) == (
        f"ComprehendEndpoint TestStack/Other: client_request_token must be 1-64 letters, digits or hyphens, "
        f"got '{'t' * 65}'"
    )


def test_an_endpoint_name_with_consecutive_inner_hyphens_is_accepted():
    # GIVEN a name the service's pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9])*$ allows
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, endpoint_name="news--v2")
    template(stack).has_resource_properties(RESOURCE_TYPE, {"EndpointName": "news--v2"})


@pytest.mark.parametrize(
    "props",
    [{"desired_inference_units": 0}, {"tags": {"aws:x": "1"}}, {"endpoint_name": "-bad"}],
    ids=["units", "tag-key", "name"],
)
def test_props_refused_at_synth_leave_nothing_in_the_app(props):
    # GIVEN a stack
    stack = new_stack()
    # WHEN an endpoint with a value the service would refuse is added
    with pytest.raises(ValueError, match="ComprehendEndpoint TestStack/Bad: "):
        ComprehendEndpoint(stack, "Bad", model_arn=CLASSIFIER, **props)
    # THEN the app holds nothing of it: the id is free for a corrected endpoint
    assert stack.node.try_find_child("Bad") is None
    ComprehendEndpoint(stack, "Bad", model_arn=CLASSIFIER)


def test_units_of_seven_digits_are_refused_naming_the_value():
    # GIVEN a stack WHEN an endpoint asks for 1,000,000 inference units (seven digits)
    stack = new_stack()
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Huge", model_arn=CLASSIFIER, desired_inference_units=1_000_000)
    # THEN the message names the prop, the limit and the value given
    assert str(refused.value) == (
        "ComprehendEndpoint TestStack/Huge: desired_inference_units must have at most 6 digits "
        "(the handler reads no longer numbers), got 1000000"
    )
