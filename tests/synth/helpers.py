"""Small builders for template tests."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_comprehend as comprehend
from aws_cdk.assertions import Template

CLASSIFIER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
RECOGNIZER = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer/people/version/v2"
FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop"
RESOURCE_TYPE = "Custom::ComprehendEndpoint"
TAG_KEY_RULE = (
    "key must be 1-128 characters, starting with neither 'aws:' (reserved by AWS) "
    "nor 'cdk-comprehend-endpoint:' (reserved for the ownership tags)"
)
"""The rule a refused tag key's message states (written out here, not imported from the construct)."""


def new_stack(name: str = "TestStack", **kwargs: Any) -> cdk.Stack:
    return cdk.Stack(cdk.App(), name, **kwargs)


def native_classifier_arn(stack: cdk.Stack) -> str:
    """The ARN (a token: unknown at synth) of a document classifier "Classifier" trained in ``stack``."""
    classifier = comprehend.CfnDocumentClassifier(
        stack,
        "Classifier",
        data_access_role_arn="arn:aws:iam::111122223333:role/train",
        document_classifier_name="news",
        language_code="en",
        input_data_config=comprehend.CfnDocumentClassifier.DocumentClassifierInputDataConfigProperty(
            s3_uri="s3://bucket/train.csv"
        ),
    )
    return classifier.attr_arn


def template(stack: cdk.Stack) -> Template:
    return Template.from_stack(stack)


def policy_statements(tpl: Template) -> list[dict[str, Any]]:
    policies = tpl.find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
