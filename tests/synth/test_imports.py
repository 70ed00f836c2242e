"""Synth tier: importing endpoints by name and by attributes (issue #8), beside ``from_endpoint_arn``."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import ComprehendEndpoint, IComprehendEndpoint, ModelType
from tests.synth.helpers import new_stack, policy_statements, template

CLASSIFIER_ENDPOINT = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"


def in_partition(rest):
    """An ARN in the stack's partition (a pseudo parameter even when account and region are concrete)."""
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, rest]]}


def granted(stack, endpoint):
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoint.grant_invoke(role)
    (statement,) = policy_statements(template(stack))
    return statement["Action"], statement["Resource"]


def test_import_by_name_builds_the_arn_in_the_stacks_account_and_region():
    # GIVEN a stack with a concrete account and region
    stack = new_stack(env=cdk.Environment(account="444455556666", region="eu-central-1"))
    # WHEN an entity recognizer endpoint is imported by name
    imported = ComprehendEndpoint.from_endpoint_name(stack, "People", "people", model_type=ModelType.ENTITY_RECOGNIZER)
    # THEN its ARN is that endpoint type's in the stack's account and region, and grants are exact
    arn = in_partition(":comprehend:eu-central-1:444455556666:entity-recognizer-endpoint/people")
    assert (stack.resolve(imported.endpoint_arn), imported.endpoint_name) == (arn, "people")
    assert granted(stack, imported) == ("comprehend:DetectEntities", arn)


def test_import_by_name_in_an_environment_agnostic_stack_uses_pseudo_parameters():
    stack = new_stack()
    imported = ComprehendEndpoint.from_endpoint_name(stack, "News", "news", model_type="document-classifier")
    assert stack.resolve(imported.endpoint_arn) == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":comprehend:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":document-classifier-endpoint/news",
            ],
        ]
    }
    assert granted(stack, imported)[0] == "comprehend:ClassifyDocument"


@pytest.mark.parametrize(
    ("name", "model_type", "message"),
    [
        ("bad_name", ModelType.DOCUMENT_CLASSIFIER, r"endpoint_name must be 1-40 .*got 'bad_name'"),
        ("x" * 41, ModelType.DOCUMENT_CLASSIFIER, r"endpoint_name must be 1-40 "),
        ("news", "document-classifier-endpoint", r"model_type must be ModelType\..*got 'document-classifier-endpoint'"),
        ("news", None, r"model_type is required to import an endpoint by name"),
    ],
)
def test_import_by_name_rejects_bad_values_naming_prop_and_value(name, model_type, message):
    stack = new_stack()
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Imported: " + message):
        ComprehendEndpoint.from_endpoint_name(stack, "Imported", name, model_type=model_type)


def test_import_by_attributes_from_a_concrete_arn_takes_name_and_type_from_it():
    stack = new_stack()
    imported = ComprehendEndpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_arn=CLASSIFIER_ENDPOINT, endpoint_name="news", model_type="document-classifier"
    )
    assert (imported.endpoint_arn, imported.endpoint_name) == (CLASSIFIER_ENDPOINT, "news")
    assert granted(stack, imported) == ("comprehend:ClassifyDocument", CLASSIFIER_ENDPOINT)


def test_import_by_attributes_with_a_token_arn_uses_the_given_type_and_name():
    # GIVEN an ARN from another stack's export, with its type and name
    stack = new_stack()
    arn = cdk.Fn.import_value("Nlp-EndpointArn")
    imported = ComprehendEndpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_arn=arn, endpoint_name="people", model_type=ModelType.ENTITY_RECOGNIZER
    )
    # THEN grants name only the recognizer's action, on that ARN
    assert imported.endpoint_name == "people"
    assert granted(stack, imported) == ("comprehend:DetectEntities", {"Fn::ImportValue": "Nlp-EndpointArn"})


def test_import_by_attributes_with_a_token_arn_alone_reads_the_name_from_it():
    stack = new_stack()
    imported = ComprehendEndpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_arn=cdk.Fn.import_value("Nlp-EndpointArn")
    )
    assert stack.resolve(imported.endpoint_name) == {
        "Fn::Select": [1, {"Fn::Split": ["/", {"Fn::ImportValue": "Nlp-EndpointArn"}]}]
    }
    assert sorted(granted(stack, imported)[0]) == ["comprehend:ClassifyDocument", "comprehend:DetectEntities"]


def test_import_by_attributes_from_a_name_builds_the_arn():
    stack = new_stack(env=cdk.Environment(account="111122223333", region="us-east-1"))
    imported = ComprehendEndpoint.from_endpoint_attributes(
        stack, "Imported", endpoint_name="news", model_type=ModelType.DOCUMENT_CLASSIFIER
    )
    assert stack.resolve(imported.endpoint_arn) == in_partition(CLASSIFIER_ENDPOINT.removeprefix("arn:aws"))


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({}, r"endpoint_arn or endpoint_name is required"),
        ({"endpoint_name": "news"}, r"model_type is required"),
        ({"endpoint_arn": "arn:aws:s3:::bucket"}, r"endpoint_arn must be .*got 'arn:aws:s3:::bucket'"),
        (
            {"endpoint_arn": CLASSIFIER_ENDPOINT, "model_type": ModelType.ENTITY_RECOGNIZER},
            r"model_type must match endpoint_arn \(document-classifier\), got 'entity-recognizer'",
        ),
        (
            {"endpoint_arn": CLASSIFIER_ENDPOINT, "endpoint_name": "other"},
            r"endpoint_name must match endpoint_arn \(news\), got 'other'",
        ),
        ({"endpoint_arn": CLASSIFIER_ENDPOINT, "model_type": "classifier"}, r"model_type must be .*got 'classifier'"),
    ],
)
def test_import_by_attributes_rejects_inconsistent_values(attributes, message):
    stack = new_stack()
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Imported: " + message):
        ComprehendEndpoint.from_endpoint_attributes(stack, "Imported", **attributes)


def test_every_import_is_an_icomprehendendpoint_with_metrics_and_grants():
    stack = new_stack()
    imports = [
        ComprehendEndpoint.from_endpoint_arn(stack, "A", CLASSIFIER_ENDPOINT),
        ComprehendEndpoint.from_endpoint_name(stack, "B", "news", model_type=ModelType.DOCUMENT_CLASSIFIER),
        ComprehendEndpoint.from_endpoint_attributes(stack, "C", endpoint_arn=CLASSIFIER_ENDPOINT),
    ]
    for imported in imports:
        assert isinstance(imported, IComprehendEndpoint)
        assert imported.metric_inference_utilization().namespace == "AWS/Comprehend"
    template(stack).resource_count_is("AWS::Lambda::Function", 0)


def test_an_imported_arn_may_have_botocores_256_characters_and_no_more():
    # GIVEN endpoint ARNs of 256 and 257 characters (botocore ComprehendEndpointArn: max 256), the pattern
    # matching both (a long region part)
    def of_length(total: int) -> str:
        arn = "arn:aws:comprehend:{}:111122223333:document-classifier-endpoint/news"
        return arn.format("r" * (total - len(arn.format(""))))

    stack = new_stack()
    # WHEN each is imported THEN the 256-character one is taken whole
    accepted = ComprehendEndpoint.from_endpoint_arn(stack, "Longest", of_length(256))
    assert accepted.endpoint_name == "news"
    # AND the 257-character one is refused, naming the prop
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/TooLong: endpoint_arn must be "):
        ComprehendEndpoint.from_endpoint_arn(stack, "TooLong", of_length(257))
