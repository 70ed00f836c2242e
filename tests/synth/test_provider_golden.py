"""Synth tier: the handler's policy, alias and invoke limits, compared whole against golden documents.

Each statement of the policy is a promise of docs/design.md §4b (create by exact name, every later call by
ownership tag, never the ownership keys, PassRole only to Comprehend); a statement that gained an
action, lost a condition or moved to another sid would still pass the property tests that look for one
fact each. So the whole document of a stack with a model endpoint (passing a data-access role) and a
flywheel endpoint is written out here, as CloudFormation receives it. A deliberate change of the policy
changes this file, in the same commit, for a reviewer to read.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import ComprehendEndpoint
from tests.synth.helpers import CLASSIFIER, FLYWHEEL, new_stack, template

PROVIDER = "ComprehendEndpointProvider"
HANDLER = {"Ref": "ComprehendEndpointProviderHandler04DBAF8A"}
OWNED = [
    {"Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:document-classifier-endpoint/*"},
    {"Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:entity-recognizer-endpoint/*"},
]
OWNED_BY_THE_STACK = {"StringEquals": {"aws:ResourceTag/cdk-comprehend-endpoint:stack-id": {"Ref": "AWS::StackId"}}}
GOLDEN_STATEMENTS = [
    {
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": ["ComprehendEndpointProviderLogGroupFD6CF182", "Arn"]},
    },
    {
        "Action": "lambda:InvokeFunction",
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": ["ComprehendEndpointProviderHandler04DBAF8A", "Arn"]},
    },
    {
        "Action": "comprehend:CreateEndpoint",
        "Effect": "Allow",
        "Resource": [
            {
                "Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:"
                "document-classifier-endpoint/news"
            },
            CLASSIFIER,
            {
                "Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:"
                "document-classifier-endpoint/loop"
            },
            {
                "Fn::Sub": "arn:${AWS::Partition}:comprehend:${AWS::Region}:${AWS::AccountId}:"
                "entity-recognizer-endpoint/loop"
            },
            FLYWHEEL,
        ],
        "Sid": "CreateEndpointsOfTheTemplate",
    },
    {
        "Action": [
            "comprehend:DeleteEndpoint",
            "comprehend:DescribeEndpoint",
            "comprehend:ListTagsForResource",
            "comprehend:UpdateEndpoint",
        ],
        "Condition": OWNED_BY_THE_STACK,
        "Effect": "Allow",
        "Resource": OWNED,
        "Sid": "ManageEndpointsThisStackOwns",
    },
    {
        "Action": ["comprehend:TagResource", "comprehend:UntagResource"],
        "Condition": {
            **OWNED_BY_THE_STACK,
            "ForAllValues:StringNotEquals": {
                "aws:TagKeys": [
                    "cdk-comprehend-endpoint:stack-id",
                    "cdk-comprehend-endpoint:logical-id",
                    "cdk-comprehend-endpoint:request-id",
                ]
            },
        },
        "Effect": "Allow",
        "Resource": OWNED,
        "Sid": "TagEndpointsThisStackOwnsButNotTheirOwnership",
    },
    {"Action": "comprehend:ListEndpoints", "Effect": "Allow", "Resource": "*", "Sid": "TellGoneFromNotOurs"},
    {
        "Action": [
            "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeStackResource",
            "cloudformation:DescribeStacks",
        ],
        "Effect": "Allow",
        "Resource": {"Ref": "AWS::StackId"},
        "Sid": "ReadWhetherThisStackStillWaits",
    },
    {
        "Action": "iam:PassRole",
        "Condition": {"StringEquals": {"iam:PassedToService": "comprehend.amazonaws.com"}},
        "Effect": "Allow",
        "Resource": "arn:aws:iam::111122223333:role/data",
        "Sid": "PassTheDataAccessRolesToComprehend",
    },
    {
        "Action": ["comprehend:UpdateEndpoint", "comprehend:DescribeFlywheel"],
        "Effect": "Allow",
        "Resource": FLYWHEEL,
        "Sid": "UseTheTemplatesFlywheels",
    },
]
GOLDEN_NAG_REASON = (
    "Endpoints are reached by ownership tag, not by name: CloudFormation deletes removed and replaced endpoints "
    "after the policy has moved to the new template (and rolls back under the old one), so a name-scoped policy "
    "cannot reach them. The statement is limited to this account and region's endpoints whose "
    "cdk-comprehend-endpoint:stack-id tag is this stack's id, and may not untag or retag the reserved keys "
    "CreateEndpoint writes. ListEndpoints has no resource-level permission; it is read-only and tells a deleted "
    "endpoint from one the handler may not see."
)


def provider_resources() -> dict[str, Any]:
    """The provider's resources of a stack with a model endpoint (with a data-access role) and a flywheel one."""
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "DataAccess", "arn:aws:iam::111122223333:role/data")
    ComprehendEndpoint(stack, "News", model_arn=CLASSIFIER, endpoint_name="news", data_access_role=role)
    ComprehendEndpoint(stack, "Loop", flywheel_arn=FLYWHEEL, endpoint_name="loop")
    resources = template(stack).to_json()["Resources"]
    return {lid: r for lid, r in resources.items() if lid.startswith(PROVIDER)}


def test_the_handlers_policy_is_the_golden_document_statement_by_statement():
    # GIVEN a stack with a model endpoint passing a data-access role, and a flywheel endpoint
    # WHEN it is synthesized
    policy = provider_resources()["ComprehendEndpointProviderPolicyE0D919D7"]
    # THEN the handler's one policy, attached to its role, is exactly the golden document
    assert policy["Properties"]["Roles"] == [{"Ref": "ComprehendEndpointProviderRoleD312DC8F"}]
    assert policy["Properties"]["PolicyDocument"] == {"Statement": GOLDEN_STATEMENTS, "Version": "2012-10-17"}


def test_the_policy_carries_cdk_nags_acknowledgement_of_exactly_its_three_wildcards():
    # GIVEN the same stack WHEN it is synthesized
    policy = provider_resources()["ComprehendEndpointProviderPolicyE0D919D7"]
    # THEN cdk-nag 2's metadata suppresses AwsSolutions-IAM5 for the two tag-conditioned endpoint wildcards and
    # ListEndpoints' "*", with the reason written out
    assert policy["Metadata"] == {
        "cdk_nag": {
            "rules_to_suppress": [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": GOLDEN_NAG_REASON,
                    "applies_to": [
                        "Resource::arn:<AWS::Partition>:comprehend:<AWS::Region>:<AWS::AccountId>:"
                        "document-classifier-endpoint/*",
                        "Resource::arn:<AWS::Partition>:comprehend:<AWS::Region>:<AWS::AccountId>:"
                        "entity-recognizer-endpoint/*",
                        "Resource::*",
                    ],
                }
            ]
        }
    }


def test_cloudformation_invokes_the_live_alias_only_after_the_policy_exists_with_the_same_invoke_limits():
    # GIVEN the same stack WHEN it is synthesized
    resources = provider_resources()
    # THEN the alias "live" points at $LATEST and waits for the policy (custom resources use it as their
    # ServiceToken, so no request reaches the handler before its permissions)
    assert resources["ComprehendEndpointProviderAlias852CCBAA"] == {
        "Type": "AWS::Lambda::Alias",
        "Properties": {"FunctionName": HANDLER, "FunctionVersion": "$LATEST", "Name": "live"},
        "DependsOn": ["ComprehendEndpointProviderPolicyE0D919D7"],
    }
    # AND asynchronous invocations of the function and of the alias expire within the 45-minute service
    # timeout after two retries
    assert resources["ComprehendEndpointProviderHandlerEventInvokeConfig085D15BE"] == {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {
            "FunctionName": HANDLER,
            "MaximumEventAgeInSeconds": 2700,
            "MaximumRetryAttempts": 2,
            "Qualifier": "$LATEST",
        },
    }
    assert resources["ComprehendEndpointProviderAliasAsyncConfig954E92F1"] == {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {
            "FunctionName": HANDLER,
            "MaximumEventAgeInSeconds": 2700,
            "MaximumRetryAttempts": 2,
            "Qualifier": "live",
        },
        "DependsOn": ["ComprehendEndpointProviderAlias852CCBAA"],
    }


def test_the_handler_logs_to_the_providers_log_group_under_the_providers_role():
    # GIVEN the same stack WHEN it is synthesized
    handler = provider_resources()["ComprehendEndpointProviderHandler04DBAF8A"]
    # THEN the function writes to the provider's log group (the policy's logs statement names it) and runs
    # under the provider's role
    assert handler["Properties"]["LoggingConfig"] == {"LogGroup": {"Ref": "ComprehendEndpointProviderLogGroupFD6CF182"}}
    assert handler["Properties"]["Role"] == {"Fn::GetAtt": ["ComprehendEndpointProviderRoleD312DC8F", "Arn"]}
