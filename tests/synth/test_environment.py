"""Synth tier: a model, flywheel or data-access role outside a concrete stack environment fails at synth
(issue #9), while imports of endpoints elsewhere stay legitimate."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from cdk_comprehend_endpoint import ComprehendEndpoint, ModelType
from tests.synth.helpers import CLASSIFIER, FLYWHEEL, RECOGNIZER, RESOURCE_TYPE, new_stack, template

HOME = cdk.Environment(account="111122223333", region="us-east-1")
OTHER_REGION_MODEL = "arn:aws:comprehend:eu-west-1:111122223333:document-classifier/news"
OTHER_ACCOUNT_MODEL = "arn:aws:comprehend:us-east-1:444455556666:entity-recognizer/people/version/v2"
OTHER_REGION_FLYWHEEL = "arn:aws:comprehend:eu-west-1:111122223333:flywheel/loop"
OTHER_ACCOUNT_FLYWHEEL = "arn:aws:comprehend:us-east-1:444455556666:flywheel/loop"
OTHER_ACCOUNT_ROLE = "arn:aws:iam::444455556666:role/comprehend-kms"
SAME_ACCOUNT_ROLE = "arn:aws:iam::111122223333:role/comprehend-kms"
REASON = r"\(an endpoint serves only a model of its own region and account; ImportModel copies one in\)"


def role(stack: cdk.Stack, arn: str) -> iam.IRole:
    return iam.Role.from_role_arn(stack, "DataAccess", arn, mutable=False)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"model_arn": OTHER_REGION_MODEL},
            rf"model_arn must be in the stack's region us-east-1 {REASON}, got '{OTHER_REGION_MODEL}'",
        ),
        (
            {"model_arn": OTHER_ACCOUNT_MODEL},
            rf"model_arn must be in the stack's account 111122223333 {REASON}, got '{OTHER_ACCOUNT_MODEL}'",
        ),
        (
            {"flywheel_arn": OTHER_REGION_FLYWHEEL},
            rf"flywheel_arn must be in the stack's region us-east-1 {REASON}, got '{OTHER_REGION_FLYWHEEL}'",
        ),
        (
            {"model_arn": CLASSIFIER, "flywheel_arn": OTHER_ACCOUNT_FLYWHEEL},
            rf"flywheel_arn must be in the stack's account 111122223333 {REASON}, got '{OTHER_ACCOUNT_FLYWHEEL}'",
        ),
    ],
)
def test_a_model_or_flywheel_outside_the_stacks_environment_fails_at_synth(props, message):
    # GIVEN a stack with a concrete account and region
    stack = new_stack(env=HOME)
    # WHEN an endpoint names a model or flywheel of another region or account
    # THEN synth fails, naming the construct, the prop, the stack's environment and the ARN
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Endpoint: " + message + "$"):
        ComprehendEndpoint(stack, "Endpoint", **props)


def test_a_data_access_role_of_another_account_fails_at_synth():
    stack = new_stack(env=HOME)
    with pytest.raises(
        ValueError,
        match=r"^ComprehendEndpoint TestStack/Endpoint: data_access_role must be in the stack's account 111122223333 "
        rf"\(iam:PassRole passes only roles of the caller's account\), got '{OTHER_ACCOUNT_ROLE}'$",
    ):
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, data_access_role=role(stack, OTHER_ACCOUNT_ROLE))


def test_a_data_access_role_that_is_not_a_role_fails_at_synth():
    stack = new_stack(env=HOME)
    user = "arn:aws:iam::111122223333:user/bob"
    with pytest.raises(ValueError, match=rf"data_access_role must have a role ARN .*, got '{user}'$"):
        ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, data_access_role=role(stack, user))


def test_model_flywheel_and_role_of_the_stacks_own_environment_are_accepted():
    stack = new_stack(env=HOME)
    ComprehendEndpoint(
        stack, "Endpoint", model_arn=CLASSIFIER, flywheel_arn=FLYWHEEL, data_access_role=role(stack, SAME_ACCOUNT_ROLE)
    )
    ComprehendEndpoint(stack, "Recognizer", model_arn=RECOGNIZER)
    template(stack).resource_count_is(RESOURCE_TYPE, 2)


@pytest.mark.parametrize(
    "env",
    [
        None,
        cdk.Environment(region="us-east-1"),
        cdk.Environment(account="111122223333"),
    ],
    ids=["agnostic", "region only", "account only"],
)
def test_only_the_concrete_half_of_the_environment_is_compared(env):
    # GIVEN a stack whose account, region or both are tokens (known only at deploy time)
    stack = new_stack(env=env) if env else new_stack()
    # WHEN the model is in another account and region than the concrete half
    foreign = "arn:aws:comprehend:eu-west-1:444455556666:document-classifier/news"
    # THEN the agnostic stack accepts it, and a half-concrete one refuses it for that half only
    if env is None:
        ComprehendEndpoint(stack, "Endpoint", model_arn=foreign, data_access_role=role(stack, OTHER_ACCOUNT_ROLE))
        return
    half = "region us-east-1" if env.region else "account 111122223333"
    with pytest.raises(ValueError, match=rf"model_arn must be in the stack's {half} "):
        ComprehendEndpoint(stack, "Endpoint", model_arn=foreign)


def test_token_arns_are_not_compared():
    stack = new_stack(env=HOME)
    models = cdk.CfnParameter(stack, "Model")
    ComprehendEndpoint(
        stack,
        "Endpoint",
        model_arn=models.value_as_string,
        flywheel_arn=cdk.Fn.import_value("Other-FlywheelArn"),
        data_access_role=iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("comprehend.amazonaws.com")),
    )
    # an ARN with a token inside (here its region) is not compared either
    ComprehendEndpoint(
        stack,
        "Spliced",
        model_arn=f"arn:aws:comprehend:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:document-classifier/news",
        flywheel_arn=f"arn:aws:comprehend:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:flywheel/news",
    )
    template(stack).resource_count_is(RESOURCE_TYPE, 2)


def test_imports_of_endpoints_in_other_regions_and_accounts_are_accepted():
    # GIVEN a stack in one environment
    stack = new_stack(env=HOME)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    # WHEN endpoints of another region and of another account are imported (to grant and to watch)
    imports = [
        ComprehendEndpoint.from_endpoint_arn(
            stack, "OtherRegion", "arn:aws:comprehend:eu-west-1:111122223333:document-classifier-endpoint/news"
        ),
        ComprehendEndpoint.from_endpoint_attributes(
            stack,
            "OtherAccount",
            endpoint_arn="arn:aws:comprehend:us-east-1:444455556666:entity-recognizer-endpoint/people",
            model_type=ModelType.ENTITY_RECOGNIZER,
        ),
    ]
    # THEN they are accepted, for grants and metrics (and alarms in the stack's region)
    for imported in imports:
        imported.grant_invoke(reader)
        imported.metric_inference_utilization()
    imports[1].alarm_when_idle()
    template(stack).resource_count_is("AWS::CloudWatch::Alarm", 1)


def test_an_idle_alarm_on_an_endpoint_in_another_region_fails_with_the_constructs_message():
    # GIVEN an import of an endpoint in another region than the stack
    stack = new_stack(env=HOME)
    imported = ComprehendEndpoint.from_endpoint_arn(
        stack, "OtherRegion", "arn:aws:comprehend:eu-west-1:111122223333:document-classifier-endpoint/news"
    )
    # WHEN it gets an idle alarm THEN synth fails naming the regions, not with CloudWatch's generic error
    with pytest.raises(
        ValueError,
        match=r"^ComprehendEndpoint TestStack/OtherRegion: alarm_when_idle needs the endpoint in the stack's region "
        r"us-east-1 \(a CloudWatch alarm watches metrics of its own region; .*\), got 'eu-west-1'$",
    ):
        imported.alarm_when_idle()


def test_the_sample_apps_placeholder_model_follows_the_clis_environment(monkeypatch):
    # GIVEN the CLI's environment of a user with credentials and another region
    import app as sample_app

    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "444455556666")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    # WHEN the sample app is synthesized without -c model_arn
    stack = sample_app.build_app(cdk.App())
    # THEN its placeholder model is in the stack's environment, which the construct accepts
    template(stack).has_resource_properties(
        RESOURCE_TYPE, {"ModelArn": "arn:aws:comprehend:eu-west-1:444455556666:document-classifier/sample-classifier"}
    )
