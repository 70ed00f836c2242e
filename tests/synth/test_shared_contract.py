"""Synth tier: one contract, two sides. The construct's synth-time checks and the handler's property parsing
give the same verdict on every value of one corpus (names, ARNs of every kind, role paths, tokens, tags, units).

Each corpus entry also states the verdict itself, so a change of the contract module (``comprehend_cr.contract``)
fails here as surely as one side that stops using it. The stack is environment-agnostic: only the shapes are
compared, not the environment checks that only the construct can make (a model of another region or account).

An empty string is left out: the handler reads it as an absent property (as CloudFormation writes an unset one),
while the construct refuses it outright.
"""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import ComprehendEndpoint, _contract
from comprehend_cr import contract, ownership
from comprehend_cr.lifecycle import Lifecycle
from comprehend_cr.properties import PropertyError, UnitsRange, parse_properties
from tests.synth.helpers import CLASSIFIER, RESOURCE_TYPE, template

ACCOUNT = "111122223333"
MODEL = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier/news"
FLYWHEEL = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:flywheel/loop"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/comprehend-data"


class _Role:
    """An ``iam.IRole`` as far as the construct reads one: its ``role_arn`` (any string, even a malformed ARN,
    which ``iam.Role.from_role_arn`` itself would refuse before the construct could see it)."""

    def __init__(self, role_arn: str) -> None:
        self.role_arn = role_arn


def _long_model(total: int) -> str:
    prefix = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier/"
    return prefix + "m" * (total - len(prefix))


def _long_flywheel(total: int) -> str:
    prefix = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:flywheel/"
    return prefix + "f" * (total - len(prefix))


def _long_role(total: int) -> str:
    prefix = f"arn:aws:iam::{ACCOUNT}:role/"
    return prefix + "r" * (total - len(prefix))


# (construct prop, value, accepted by both sides)
CORPUS: list[tuple[str, Any, bool]] = [
    # endpoint names: botocore ComprehendEndpointName, ^[a-zA-Z0-9](-*[a-zA-Z0-9])*$, at most 40
    ("endpoint_name", "a", True),
    ("endpoint_name", "News-2--x", True),
    ("endpoint_name", "n" * 40, True),
    ("endpoint_name", "n" * 41, False),
    ("endpoint_name", "-news", False),
    ("endpoint_name", "news-", False),
    ("endpoint_name", "news_x", False),
    ("endpoint_name", "news\n", False),
    ("endpoint_name", "nëws", False),
    # model ARNs: botocore ComprehendModelArn, at most 256
    ("model_arn", MODEL, True),
    ("model_arn", f"arn:aws:comprehend:eu-central-2:{ACCOUNT}:entity-recognizer/people/version/v-2", True),
    ("model_arn", f"arn:aws-cn:comprehend:cn-north-1:{ACCOUNT}:document-classifier/news", True),
    ("model_arn", f"arn:aws-us-gov:comprehend:us-gov-west-1:{ACCOUNT}:document-classifier/news", True),
    ("model_arn", f"arn:aws-iso-b:comprehend:us-isob-east-1:{ACCOUNT}:document-classifier/news", True),
    ("model_arn", _long_model(256), True),
    ("model_arn", _long_model(257), False),
    ("model_arn", MODEL + "\n", False),
    ("model_arn", MODEL + "/version/", False),
    ("model_arn", f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier/news_1", False),
    ("model_arn", "arn:aws:comprehend:us-east-1:11112222333:document-classifier/news", False),
    ("model_arn", f"arn:aws-:comprehend:us-east-1:{ACCOUNT}:document-classifier/news", False),
    ("model_arn", f"arn:awsx:comprehend:us-east-1:{ACCOUNT}:document-classifier/news", False),
    ("model_arn", f"arn:aws:comprehend:us-east-1:{ACCOUNT}:Document-Classifier/news", False),
    ("model_arn", f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier-endpoint/news", False),
    ("model_arn", FLYWHEEL, False),
    ("model_arn", "arn:aws:comprehend:us-east-1:١١١١٢٢٢٢٣٣٣٣:document-classifier/news", False),
    # flywheel ARNs: botocore ComprehendFlywheelArn
    ("flywheel_arn", FLYWHEEL, True),
    ("flywheel_arn", f"arn:aws-cn:comprehend:cn-northwest-1:{ACCOUNT}:flywheel/loop-2", True),
    ("flywheel_arn", _long_flywheel(256), True),
    ("flywheel_arn", _long_flywheel(257), False),
    ("flywheel_arn", FLYWHEEL + "/version/v1", False),
    ("flywheel_arn", FLYWHEEL + "\n", False),
    ("flywheel_arn", MODEL, False),
    # data-access roles: botocore IamRoleArn, arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+, 20-2048 characters
    ("data_access_role", ROLE, True),
    ("data_access_role", f"arn:aws:iam::{ACCOUNT}:role/service-role/comprehend/data", True),
    ("data_access_role", f"arn:aws:iam::{ACCOUNT}:role/with space", True),
    ("data_access_role", f"arn:aws-us-gov:iam::{ACCOUNT}:role/r", True),
    ("data_access_role", f"arn:aws:iam::{ACCOUNT}:role/r", True),  # the shortest the pattern allows: 32
    ("data_access_role", _long_role(2048), True),
    ("data_access_role", _long_role(2049), False),
    ("data_access_role", ROLE + "\n", False),
    ("data_access_role", f"arn:aws:iam::{ACCOUNT}:user/comprehend-data", False),
    ("data_access_role", f"arn:aws:iam:us-east-1:{ACCOUNT}:role/r", False),
    ("data_access_role", f"arn:aws:iam::{ACCOUNT}:role/", False),
    ("data_access_role", "arn:aws:iam::١١١١٢٢٢٢٣٣٣٣:role/r", False),
    # idempotency tokens: botocore ClientRequestTokenString, ^[a-zA-Z0-9-]+$, 1-64
    ("client_request_token", "a", True),
    ("client_request_token", "Token-1", True),
    ("client_request_token", "t" * 64, True),
    ("client_request_token", "t" * 65, False),
    ("client_request_token", "token_1", False),
    ("client_request_token", "token\n", False),
    # tag keys and values: botocore TagKey 1-128, TagValue 0-256; reserved prefixes in any case
    ("tags", {"team": "nlp"}, True),
    ("tags", {"k" * 128: "v"}, True),
    ("tags", {"k" * 129: "v"}, False),
    ("tags", {"": "v"}, False),
    ("tags", {"team": ""}, True),
    ("tags", {"team": "v" * 256}, True),
    ("tags", {"team": "v" * 257}, False),
    ("tags", {"aws:owner": "me"}, False),
    ("tags", {"AWS:owner": "me"}, False),
    ("tags", {"cdk-comprehend-endpoint:stack-id": "x"}, False),
    ("tags", {"Cdk-Comprehend-Endpoint:anything": "x"}, False),
    ("tags", {"cdk-comprehend-endpoint": "x"}, True),
    ("tags", {"awsome": "x"}, True),
    # tag count: Comprehend's 50 per resource less the four reserved tags
    ("tags", {f"k{i}": "v" for i in range(46)}, True),
    ("tags", {f"k{i}": "v" for i in range(47)}, False),
    # inference units: botocore InferenceUnitsInteger (min 1); at most six digits (the project's bound)
    ("desired_inference_units", 1, True),
    ("desired_inference_units", 11, True),
    ("desired_inference_units", 999_999, True),
    ("desired_inference_units", 1_000_000, False),
    ("desired_inference_units", 0, False),
    ("desired_inference_units", -1, False),
]

HANDLER_PROPERTY = {
    "endpoint_name": contract.ENDPOINT_NAME_PROPERTY,
    "model_arn": contract.MODEL_ARN_PROPERTY,
    "flywheel_arn": contract.FLYWHEEL_ARN_PROPERTY,
    "data_access_role": contract.ROLE_PROPERTY,
    "client_request_token": contract.TOKEN_PROPERTY,
    "tags": contract.TAGS_PROPERTY,
    "desired_inference_units": contract.UNITS_PROPERTY,
}


def construct_refusal(prop: str, value: Any) -> str | None:
    """Why ``ComprehendEndpoint`` refuses ``value`` for ``prop`` at synth; None when it takes it."""
    kwargs: dict[str, Any] = {"model_arn": MODEL, "endpoint_name": "news"}
    kwargs[prop] = _Role(value) if prop == "data_access_role" else value
    if prop == "flywheel_arn":
        kwargs.pop("model_arn")
    stack = cdk.Stack(cdk.App(), "ContractStack")
    try:
        ComprehendEndpoint(stack, "Endpoint", **kwargs)
    except ValueError as refused:
        return str(refused)
    return None


def handler_refusal(prop: str, value: Any) -> str | None:
    """The property the handler's ``parse_properties`` names when it refuses ``value`` as CloudFormation delivers
    it (strings; tags as a list of ``{Key, Value}``); None when it takes it."""
    raw: dict[str, Any] = {
        contract.ENDPOINT_NAME_PROPERTY: "news",
        contract.MODEL_ARN_PROPERTY: MODEL,
        contract.UNITS_PROPERTY: "1",
    }
    if prop == "flywheel_arn":
        del raw[contract.MODEL_ARN_PROPERTY]
    if prop == "tags":
        value = [{"Key": k, "Value": v} for k, v in value.items()]
    raw[HANDLER_PROPERTY[prop]] = value if isinstance(value, list) else str(value)
    try:
        parse_properties(raw)
    except PropertyError as refused:
        return refused.prop
    return None


@pytest.mark.parametrize(
    ("prop", "value", "accepted"), CORPUS, ids=[f"{i}-{p}-{'ok' if a else 'no'}" for i, (p, _, a) in enumerate(CORPUS)]
)
def test_the_construct_and_the_handler_give_the_same_verdict(prop, value, accepted):
    # GIVEN one value of the corpus, with the verdict the contract gives it
    # WHEN the construct checks it at synth and the handler parses it at deploy time
    construct, handler = construct_refusal(prop, value), handler_refusal(prop, value)
    # THEN both sides give that verdict, and a refusal names the prop (the property) the value was given for
    assert {"construct": construct is None, "handler": handler is None} == {"construct": accepted, "handler": accepted}
    assert construct is None or construct.startswith(f"ComprehendEndpoint ContractStack/Endpoint: {prop} ")
    assert handler is None or handler.startswith(HANDLER_PROPERTY[prop])


def test_the_construct_loads_the_handlers_own_contract_file():
    # GIVEN the contract module the handler imports
    # WHEN the construct loads its contract
    # THEN it is that very file (not a copy), and it has the same patterns
    assert os.path.samefile(_contract.contract_path(), contract.__file__)
    assert _contract.contract.ROLE_ARN.pattern == contract.ROLE_ARN.pattern
    assert _contract.contract.MODEL_ARN.pattern == contract.MODEL_ARN.pattern


def test_every_property_the_construct_writes_is_one_the_handler_takes():
    # GIVEN an endpoint using every prop, with autoscaling and a kept removal policy
    stack = cdk.Stack(cdk.App(), "ContractStack")
    endpoint = ComprehendEndpoint(
        stack,
        "Endpoint",
        model_arn=CLASSIFIER,
        flywheel_arn=FLYWHEEL,
        endpoint_name="news",
        desired_inference_units=2,
        tags={"team": "nlp"},
        data_access_role=iam.Role.from_role_arn(stack, "Role", ROLE),
        client_request_token="token-1",
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    endpoint.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    # WHEN the template is synthesized
    (resource,) = template(stack).find_resources(RESOURCE_TYPE).values()
    properties = resource["Properties"]
    # THEN every property is one the contract names, and the handler parses them into what was given
    assert set(properties) <= contract.PROPERTIES
    spec = parse_properties({k: v for k, v in properties.items() if k != contract.SERVICE_TOKEN})
    assert (spec.name, spec.units, spec.model_arn, spec.flywheel_arn) == ("news", 2, CLASSIFIER, FLYWHEEL)
    assert (spec.data_access_role_arn, spec.client_request_token, spec.retain) == (ROLE, "token-1", True)
    assert spec.tags == {"team": "nlp"}
    assert spec.autoscaling == UnitsRange(1, 4)


def test_every_attribute_the_construct_reads_is_one_the_handler_answers_with():
    # GIVEN an endpoint whose attributes are all read (outputs), with autoscaling (which reads the type)
    stack = cdk.Stack(cdk.App(), "ContractStack")
    endpoint = ComprehendEndpoint(stack, "Endpoint", flywheel_arn=FLYWHEEL)
    endpoint.auto_scale_inference_units(max_capacity=2)
    for name in ("endpoint_arn", "endpoint_name", "model_arn"):
        cdk.CfnOutput(stack, name, value=getattr(endpoint, name))
    # WHEN the template is synthesized, and the handler answers a SUCCESS for an endpoint
    read: set[tuple[str, str]] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if "Fn::GetAtt" in node:
                read.add(tuple(node["Fn::GetAtt"]))
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    tpl = template(stack)
    (custom_id,) = tpl.find_resources(RESOURCE_TYPE)
    collect(tpl.to_json())
    answered = Lifecycle._data(f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier-endpoint/news", {})
    # THEN the custom resource's attributes the template reads are all in the handler's answer, which is the
    # contract's list
    custom = {attribute for logical_id, attribute in read if logical_id == custom_id}
    assert custom == {"EndpointArn", "EndpointName", "ModelArn", "EndpointType"}
    assert custom <= set(contract.ATTRIBUTES)
    assert sorted(answered) == sorted(contract.ATTRIBUTES)
    assert answered["OwnershipTagKeys"] == ownership.OWNERSHIP_TAG_KEYS
