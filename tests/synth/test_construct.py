"""Synth tier: what ComprehendEndpoint puts in the template (docs/design.md §3)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import (
    CLASSIFIER,
    FLYWHEEL,
    RECOGNIZER,
    RESOURCE_TYPE,
    TAG_KEY_RULE,
    as_list,
    native_classifier_arn,
    new_stack,
    policy_statements,
    template,
)

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def comprehend_statements(tpl):
    return [s for s in policy_statements(tpl) if any(a.startswith("comprehend:") for a in as_list(s["Action"]))]


def test_custom_resource_carries_api_property_names_as_strings():
    # GIVEN a stack with one endpoint and every optional prop
    stack = new_stack()
    role = iam.Role(stack, "DataAccess", assumed_by=iam.ServicePrincipal("comprehend.amazonaws.com"))
    ComprehendEndpoint(
        stack,
        "Endpoint",
        model_arn=CLASSIFIER,
        desired_inference_units=3,
        endpoint_name="news-endpoint",
        tags={"team": "nlp"},
        data_access_role=role,
        client_request_token="my-token-1",
    )
    # WHEN synthesized
    tpl = template(stack)
    # THEN the custom resource uses CreateEndpoint's names, with the number as a string
    tpl.has_resource_properties(
        RESOURCE_TYPE,
        {
            "ServiceToken": Match.any_value(),
            "EndpointName": "news-endpoint",
            "ModelArn": CLASSIFIER,
            "DesiredInferenceUnits": "3",
            "ClientRequestToken": "my-token-1",
            "Tags": [{"Key": "team", "Value": "nlp"}],
            "DataAccessRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("DataAccess"), "Arn"]},
            "ServiceTimeout": Match.string_like_regexp(r"^\d+$"),
        },
    )


def test_service_timeout_bounds_a_broken_deploy_below_one_hour():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    props = next(iter(template(stack).find_resources(RESOURCE_TYPE).values()))["Properties"]
    assert 600 <= int(props["ServiceTimeout"]) < 3600


def test_optional_properties_are_omitted_when_not_given():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    props = next(iter(template(stack).find_resources(RESOURCE_TYPE).values()))["Properties"]
    assert set(props) == {"ServiceToken", "ServiceTimeout", "EndpointName", "ModelArn", "DesiredInferenceUnits"}
    assert props["DesiredInferenceUnits"] == "1"


def test_generated_names_are_valid_unique_and_at_most_40_chars():
    # GIVEN endpoints with long and odd construct ids in a long-named stack
    stack = new_stack("A-very-long-stack-name-that-goes-on-and-on-Production")
    ids = ["Endpoint", "Endpoint_2", "x" * 80, "--weird..id--", "Nested/Child"]
    for construct_id in ids:
        ComprehendEndpoint(cdk.Stack.of(stack), construct_id.replace("/", "-"), model_arn=CLASSIFIER)
    names = [r["Properties"]["EndpointName"] for r in template(stack).find_resources(RESOURCE_TYPE).values()]
    # THEN each is valid for the service and they are all different
    assert len(set(names)) == len(ids)
    for name in names:
        assert NAME_PATTERN.match(name) and len(name) <= 40, name


def test_generated_names_are_fixed_functions_of_stack_name_and_path():
    # GIVEN endpoints without endpoint_name in stack "Stable"
    stack = new_stack("Stable")
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    ComprehendEndpoint(stack, "A-very-long-construct-id-that-goes-past-forty", model_arn=CLASSIFIER)
    names = [r["Properties"]["EndpointName"] for r in template(stack).find_resources(RESOURCE_TYPE).values()]
    # THEN their names are these golden values: a generated name that changed between synths (or
    # releases) would replace every endpoint on the next deploy
    assert names == ["Stable-Endpoint-8913d88b", "A-very-long-construct-id-that-g-633d6540"]


STABILITY_PROBE = """
import json, aws_cdk as cdk
from cdk_comprehend_endpoint import ComprehendEndpoint
app = cdk.App(outdir=__import__("sys").argv[1])
stack = cdk.Stack(app, "Stable")
ComprehendEndpoint(stack, "Endpoint", model_arn="arn:aws:comprehend:us-east-1:111122223333:document-classifier/news")
template = app.synth().get_stack_by_name("Stable").template
resources = template["Resources"].values()
print(json.dumps({
    "names": [r["Properties"]["EndpointName"] for r in resources if r["Type"] == "Custom::ComprehendEndpoint"],
    "code": [r["Properties"]["Code"]["S3Key"] for r in resources if r["Type"] == "AWS::Lambda::Function"],
}))
"""


@pytest.mark.slow
def test_names_and_asset_hash_are_the_same_in_processes_with_different_hash_seeds(tmp_path):
    # GIVEN two synths in separate processes whose str hashes differ (PYTHONHASHSEED)
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", STABILITY_PROBE, str(tmp_path / seed)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    # THEN the endpoint's name and the handler asset's hash are the same
    assert runs[0] == runs[1]
    assert runs[0]["names"] == ["Stable-Endpoint-8913d88b"] and runs[0]["code"][0].endswith(".zip")


def test_three_endpoints_share_one_handler_function():
    stack = new_stack()
    for index in range(3):
        ComprehendEndpoint(stack, f"Endpoint{index}", model_arn=CLASSIFIER)
    tpl = template(stack)
    tpl.resource_count_is("AWS::Lambda::Function", 1)
    tpl.resource_count_is(RESOURCE_TYPE, 3)
    tokens = {json.dumps(r["Properties"]["ServiceToken"]) for r in tpl.find_resources(RESOURCE_TYPE).values()}
    assert len(tokens) == 1


def test_handler_is_python_with_log_group_retention_and_15_minute_timeout():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    tpl = template(stack)
    tpl.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": Match.string_like_regexp(r"^python3\.1[3-9]$"),
            "Handler": "index.handler",
            "Timeout": 900,
            "LoggingConfig": {"LogGroup": Match.any_value()},
        },
    )
    tpl.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": Match.any_value()})


def statement(tpl, sid):
    return next(s for s in policy_statements(tpl) if s.get("Sid") == sid)


OWNED_ENDPOINTS = [
    {"Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:document-classifier-endpoint/*"},
    {"Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:entity-recognizer-endpoint/*"},
]
OWNED_BY_THIS_STACK = {"aws:ResourceTag/cdk-comprehend-endpoint:stack-id": {"Ref": "AWS::StackId"}}


def test_create_names_exactly_the_templates_endpoint_arns_and_models():
    # GIVEN a classifier and a recognizer endpoint with known names
    stack = new_stack()
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, endpoint_name="alpha")
    ComprehendEndpoint(stack, "B", model_arn=RECOGNIZER, endpoint_name="people")
    # THEN CreateEndpoint is allowed on those two endpoint ARNs and the two models, nothing else
    create = statement(template(stack), "CreateEndpointsOfTheTemplate")
    assert create["Action"] == "comprehend:CreateEndpoint" and "Condition" not in create
    prefix = "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}"
    assert create["Resource"] == [
        {"Fn::Sub": f"{prefix}:document-classifier-endpoint/alpha"},
        CLASSIFIER,
        {"Fn::Sub": f"{prefix}:entity-recognizer-endpoint/people"},
        RECOGNIZER,
    ]


def test_later_calls_reach_only_endpoints_whose_ownership_tag_is_this_stack():
    stack = new_stack()
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, endpoint_name="alpha")
    manage = statement(template(stack), "ManageEndpointsThisStackOwns")
    assert manage["Action"] == [
        "comprehend:DeleteEndpoint",
        "comprehend:DescribeEndpoint",
        "comprehend:ListTagsForResource",
        "comprehend:UpdateEndpoint",
    ]
    assert manage["Resource"] == OWNED_ENDPOINTS
    assert manage["Condition"] == {"StringEquals": OWNED_BY_THIS_STACK}


def test_tag_and_untag_may_not_touch_the_keys_createendpoint_writes():
    stack = new_stack()
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER)
    tags = statement(template(stack), "TagEndpointsThisStackOwnsButNotTheirOwnership")
    assert tags["Action"] == ["comprehend:TagResource", "comprehend:UntagResource"]
    assert tags["Resource"] == OWNED_ENDPOINTS
    assert tags["Condition"] == {
        "StringEquals": OWNED_BY_THIS_STACK,
        "ForAllValues:StringNotEquals": {
            "aws:TagKeys": [
                "cdk-comprehend-endpoint:stack-id",
                "cdk-comprehend-endpoint:logical-id",
                "cdk-comprehend-endpoint:request-id",
            ]
        },
    }


def test_the_only_wildcards_are_tag_conditioned_or_list_endpoints():
    stack = new_stack()
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER, endpoint_name="alpha")
    for s in comprehend_statements(template(stack)):
        wildcards = [r for r in as_list(s["Resource"]) if "*" in json.dumps(r)]
        if s.get("Sid") == "TellGoneFromNotOurs":
            assert s["Action"] == "comprehend:ListEndpoints" and s["Resource"] == "*"
        elif wildcards:
            assert s["Condition"]["StringEquals"] == OWNED_BY_THIS_STACK, s


def test_ownership_tag_keys_in_the_policy_are_the_ones_the_handler_writes():
    # GIVEN the tags the handler writes on an endpoint it creates
    from comprehend_cr import ownership

    written = ownership.Owner("stack-id", "Endpoint").creation_tags("request-id")
    # WHEN a stack with an endpoint is synthesized
    stack = new_stack()
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER)
    statements = {s.get("Sid"): s for s in policy_statements(template(stack))}
    # THEN the policy's ownership condition names the handler's stack tag, and it protects exactly those tags
    manage = statements["ManageEndpointsThisStackOwns"]["Condition"]["StringEquals"]
    assert list(manage) == [f"aws:ResourceTag/{ownership.STACK_TAG}"]
    tagging = statements["TagEndpointsThisStackOwnsButNotTheirOwnership"]["Condition"]
    assert sorted(tagging["ForAllValues:StringNotEquals"]["aws:TagKeys"]) == sorted(written)


def test_async_invocations_of_function_and_alias_expire_within_the_service_timeout():
    stack = new_stack()
    ComprehendEndpoint(stack, "A", model_arn=CLASSIFIER)
    tpl = template(stack)
    timeout = int(next(iter(tpl.find_resources(RESOURCE_TYPE).values()))["Properties"]["ServiceTimeout"])
    configs = [r["Properties"] for r in tpl.find_resources("AWS::Lambda::EventInvokeConfig").values()]
    assert sorted(c["Qualifier"] for c in configs) == ["$LATEST", "live"]
    for config in configs:
        assert 60 <= config["MaximumEventAgeInSeconds"] <= timeout
        assert config["MaximumRetryAttempts"] == 2


def test_pass_role_only_for_the_given_role_and_only_to_comprehend():
    stack = new_stack()
    role = iam.Role(stack, "DataAccess", assumed_by=iam.ServicePrincipal("comprehend.amazonaws.com"))
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, data_access_role=role)
    pass_role = [s for s in policy_statements(template(stack)) if "iam:PassRole" in as_list(s["Action"])]
    assert len(pass_role) == 1
    resource = pass_role[0]["Resource"]
    assert resource["Fn::GetAtt"][0].startswith("DataAccess") and resource["Fn::GetAtt"][1] == "Arn"
    assert pass_role[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "comprehend.amazonaws.com"}}


def test_no_pass_role_without_a_data_access_role():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    assert not [s for s in policy_statements(template(stack)) if "iam:PassRole" in as_list(s["Action"])]


def test_handler_may_invoke_only_itself():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    tpl = template(stack)
    function_id = next(iter(tpl.find_resources("AWS::Lambda::Function")))
    invoke = [s for s in policy_statements(tpl) if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert invoke == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [function_id, "Arn"]}}
    ]


def test_custom_resources_reach_the_function_only_after_its_policy_exists():
    # GIVEN an endpoint
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    tpl = template(stack)
    policy_id = next(iter(tpl.find_resources("AWS::IAM::Policy")))
    (alias_id,) = tpl.find_resources("AWS::Lambda::Alias", {"DependsOn": Match.array_with([policy_id])})
    # THEN its ServiceToken is the alias, which CloudFormation creates only after the policy
    tpl.has_resource_properties(RESOURCE_TYPE, {"ServiceToken": {"Ref": alias_id}})
    tpl.has_resource_properties("AWS::Lambda::Alias", {"FunctionVersion": "$LATEST"})


def test_fixed_resources_are_at_most_seven_and_each_endpoint_adds_one():
    sizes = []
    for count in (1, 2, 10):
        stack = new_stack()
        for index in range(count):
            ComprehendEndpoint(stack, f"E{index}", model_arn=CLASSIFIER)
        sizes.append(len(template(stack).to_json()["Resources"]))
    assert sizes == [8, 9, 17]


def test_grant_invoke_targets_the_exact_endpoint_arn():
    # GIVEN a function granted inference on a classifier endpoint
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    fn = lambda_.Function(
        stack,
        "Client",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="i.h",
        code=lambda_.Code.from_inline("def h(e, c): pass"),
    )
    endpoint.grant_invoke(fn)
    tpl = template(stack)
    endpoint_id = next(iter(tpl.find_resources(RESOURCE_TYPE)))
    # THEN its policy allows ClassifyDocument on the endpoint's ARN attribute only
    tpl.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "comprehend:ClassifyDocument",
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [endpoint_id, "EndpointArn"]},
                    }
                ]
            },
        },
    )


def test_imported_endpoint_grants_on_its_arn():
    stack = new_stack()
    arn = "arn:aws:comprehend:eu-west-1:111122223333:entity-recognizer-endpoint/people"
    imported = ComprehendEndpoint.from_endpoint_arn(stack, "Imported", arn)
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported.grant_invoke(role)
    assert imported.endpoint_arn == arn
    assert imported.endpoint_name == "people"
    template(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [{"Action": "comprehend:DetectEntities", "Effect": "Allow", "Resource": arn}]
            },
        },
    )
    template(stack).resource_count_is("AWS::Lambda::Function", 0)


def test_import_rejects_an_arn_that_is_not_an_endpoint():
    stack = new_stack()
    with pytest.raises(ValueError, match=r"endpoint_arn .*got 'arn:aws:comprehend:us-east-1:111122223333:"):
        ComprehendEndpoint.from_endpoint_arn(stack, "Imported", CLASSIFIER)


def test_import_accepts_a_token_arn():
    stack = new_stack()
    imported = ComprehendEndpoint.from_endpoint_arn(stack, "Imported", cdk.Fn.import_value("Other-EndpointArn"))
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    imported.grant_invoke(role)
    statement = policy_statements(template(stack))[0]
    assert sorted(statement["Action"]) == ["comprehend:ClassifyDocument", "comprehend:DetectEntities"]
    assert statement["Resource"] == {"Fn::ImportValue": "Other-EndpointArn"}


def test_retain_removal_policy_keeps_the_endpoint():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, removal_policy=cdk.RemovalPolicy.RETAIN)
    template(stack).has_resource(RESOURCE_TYPE, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_default_removal_policy_deletes_the_endpoint():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    # (no DeletionPolicy is CloudFormation's Delete; leaving it out keeps each endpoint's entry small)
    template(stack).has_resource(
        RESOURCE_TYPE, {"DeletionPolicy": Match.absent(), "UpdateReplacePolicy": Match.absent()}
    )


def test_tags_of_scope_merge_with_construct_tags():
    # GIVEN tags on the stack and on the construct
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, tags={"team": "nlp"})
    cdk.Tags.of(stack).add("cost-center", "42")
    # THEN the endpoint carries both
    props = next(iter(template(stack).find_resources(RESOURCE_TYPE).values()))["Properties"]
    assert sorted(props["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "cost-center", "Value": "42"},
        {"Key": "team", "Value": "nlp"},
    ]


def test_model_token_from_a_native_classifier_is_accepted():
    # GIVEN a classifier trained in the same stack
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=native_classifier_arn(stack), endpoint_name="news")
    tpl = template(stack)
    # THEN the endpoint references it (so CloudFormation deletes the endpoint first) ...
    tpl.has_resource_properties(RESOURCE_TYPE, {"ModelArn": {"Fn::GetAtt": ["Classifier", "Arn"]}})
    # ... and CreateEndpoint covers both endpoint types for that exact name, as the type is unknown at synth
    text = json.dumps(statement(tpl, "CreateEndpointsOfTheTemplate")["Resource"])
    assert "document-classifier-endpoint/news" in text and "entity-recognizer-endpoint/news" in text


def test_flywheel_only_endpoint_may_describe_its_flywheel():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", flywheel_arn=FLYWHEEL, endpoint_name="loop")
    tpl = template(stack)
    tpl.has_resource_properties(RESOURCE_TYPE, {"FlywheelArn": FLYWHEEL, "ModelArn": Match.absent()})
    # THEN one statement lets the handler read that flywheel and move an endpoint onto it, and only that
    flywheel = [s for s in policy_statements(tpl) if "comprehend:DescribeFlywheel" in as_list(s["Action"])]
    assert flywheel == [
        {
            "Sid": "UseTheTemplatesFlywheels",
            "Effect": "Allow",
            "Action": ["comprehend:UpdateEndpoint", "comprehend:DescribeFlywheel"],
            "Resource": FLYWHEEL,
        }
    ]


def test_units_token_is_passed_as_a_string():
    stack = new_stack()
    units = cdk.CfnParameter(stack, "Units", type="Number", default=2)
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=units.value_as_number)
    template(stack).has_resource_properties(RESOURCE_TYPE, {"DesiredInferenceUnits": {"Ref": "Units"}})


def test_attributes_are_get_att_tokens():
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    resolved = [stack.resolve(v) for v in (endpoint.endpoint_arn, endpoint.endpoint_name, endpoint.model_arn)]
    assert [r["Fn::GetAtt"][1] for r in resolved] == ["EndpointArn", "EndpointName", "ModelArn"]


def test_units_above_the_default_quota_warn():
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=12)
    from aws_cdk.assertions import Annotations

    Annotations.from_stack(stack).has_warning("/TestStack/Endpoint", Match.string_like_regexp("default quota"))


_NAME_RULE = "must be 1-40 letters, digits and inner hyphens (^[a-zA-Z0-9](-*[a-zA-Z0-9])*$)"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({}, "model_arn or flywheel_arn is required, got None"),
        (
            {"model_arn": "arn:aws:s3:::bucket"},
            "model_arn must be a document-classifier or entity-recognizer ARN, got 'arn:aws:s3:::bucket'",
        ),
        ({"model_arn": CLASSIFIER, "flywheel_arn": "flywheel"}, "flywheel_arn must be a flywheel ARN, got 'flywheel'"),
        (
            {"model_arn": CLASSIFIER, "desired_inference_units": 0},
            "desired_inference_units must be a whole number >= 1, got 0",
        ),
        (
            {"model_arn": CLASSIFIER, "desired_inference_units": 1.5},
            "desired_inference_units must be a whole number >= 1, got 1.5",
        ),
        ({"model_arn": CLASSIFIER, "endpoint_name": "bad_name"}, f"endpoint_name {_NAME_RULE}, got 'bad_name'"),
        ({"model_arn": CLASSIFIER, "endpoint_name": "x" * 41}, f"endpoint_name {_NAME_RULE}, got '{'x' * 41}'"),
        ({"model_arn": CLASSIFIER, "endpoint_name": "-lead"}, f"endpoint_name {_NAME_RULE}, got '-lead'"),
        (
            {"model_arn": CLASSIFIER, "client_request_token": "no spaces"},
            "client_request_token must be 1-64 letters, digits or hyphens, got 'no spaces'",
        ),
        ({"model_arn": CLASSIFIER, "tags": {"aws:x": "1"}}, f"tags {TAG_KEY_RULE}, got 'aws:x'"),
        (
            {"model_arn": CLASSIFIER, "tags": {"k": "v" * 257}},
            f"tags value of 'k' must be a string of at most 256 characters, got '{'v' * 257}'",
        ),
        (
            {"model_arn": CLASSIFIER, "tags": {f"k{i}": "v" for i in range(49)}},
            "tags must hold at most 46 tags, got 49",
        ),
        (
            {"model_arn": CLASSIFIER, "tags": {"cdk-comprehend-endpoint:stack-id": "x"}},
            f"tags {TAG_KEY_RULE}, got 'cdk-comprehend-endpoint:stack-id'",
        ),
        (
            {"model_arn": CLASSIFIER + "\n"},
            f"model_arn must be a document-classifier or entity-recognizer ARN, got {CLASSIFIER + chr(10)!r}",
        ),
        ({"model_arn": CLASSIFIER, "endpoint_name": "news\n"}, f"endpoint_name {_NAME_RULE}, got 'news\\n'"),
        (
            {"model_arn": CLASSIFIER, "client_request_token": "tok\n"},
            "client_request_token must be 1-64 letters, digits or hyphens, got 'tok\\n'",
        ),
    ],
)
def test_invalid_props_fail_at_synth_naming_field_limit_and_value(props, message):
    # GIVEN props the service would refuse
    stack = new_stack()
    # WHEN the construct is created THEN it refuses them with exactly this message: construct path, prop,
    # rule and the value given
    with pytest.raises(ValueError) as refused:
        ComprehendEndpoint(stack, "Endpoint", **props)
    assert str(refused.value) == f"ComprehendEndpoint TestStack/Endpoint: {message}"
