"""A consumer's CDK app that uses every feature of the library's public API.

Not a test module: ``tests/consumer/test_minimum_versions.py`` and ``tools/find_minimum.py`` copy it
into an empty directory and run it with a virtual environment's Python (``CDK_OUTDIR`` names the
output), so it imports nothing from the repository. Whatever aws-cdk-lib that environment has must
synthesize it without an error; its templates are compared across aws-cdk-lib versions.

Every public name is used: ``ComprehendEndpoint`` with each prop (``model_arn`` concrete, versioned and
as a token from ``aws_comprehend.CfnDocumentClassifier``; ``flywheel_arn``; ``data_access_role``;
``tags`` and ``Tags.of``; ``client_request_token``; ``removal_policy``; units above the default quota,
which warns), its attributes, ``grant_invoke``, ``auto_scale_inference_units`` with
``scale_on_utilization`` and ``scale_on_schedule``, the ``metric_*`` methods, ``alarm_when_idle`` with
an SNS action, and ``from_endpoint_arn`` / ``from_endpoint_name`` / ``from_endpoint_attributes`` with
``ModelType`` in a second stack with a concrete environment.
"""

from __future__ import annotations

import datetime

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_comprehend as comprehend
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from cdk_comprehend_endpoint import RESOURCE_TYPE, ComprehendEndpoint, IComprehendEndpoint, ModelType

ACCOUNT = "111122223333"
CLASSIFIER = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier/news"
RECOGNIZER = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:entity-recognizer/people/version/v2"
FLYWHEEL = f"arn:aws:comprehend:us-east-1:{ACCOUNT}:flywheel/loop"
LIBRARY_PATHS = (
    "ComprehendEndpointProvider/",
    "News/",
    "People/",
    "Trained/",
    "Loop/",
    "ByArn/",
    "ByName/",
    "ByAttributes/",
    "ByNameAndType/",
    "Reader/DefaultPolicy/",
)
"""Construct paths under a stack (``aws:cdk:path`` less the stack's name) whose resources the library
creates or writes (``grant_invoke`` writes the reader's default policy): the comparison of templates
across aws-cdk-lib versions holds the library to these; the rest is the app's own."""


def endpoint_stack(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, "FullFeatureStack")
    cdk.Tags.of(stack).add("cost-center", "42")
    topic = sns.Topic(stack, "CostAlerts", enforce_ssl=True)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    data_access = iam.Role(stack, "DataAccess", assumed_by=iam.ServicePrincipal("comprehend.amazonaws.com"))

    # A classifier with every prop set.
    news = ComprehendEndpoint(
        stack,
        "News",
        model_arn=CLASSIFIER,
        desired_inference_units=2,
        endpoint_name="news",
        tags={"team": "nlp"},
        data_access_role=data_access,
        client_request_token="full-feature-news-1",
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    news.grant_invoke(reader)
    scaling = news.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    scaling.scale_on_utilization(
        target_utilization_percent=70,
        scale_in_cooldown=cdk.Duration.minutes(10),
        scale_out_cooldown=cdk.Duration.minutes(2),
    )
    scaling.scale_on_schedule(
        "Nights", schedule=appscaling.Schedule.cron(hour="20", minute="0"), min_capacity=1, max_capacity=1
    )
    scaling.scale_on_schedule(
        "Mornings",
        schedule=appscaling.Schedule.cron(hour="7", minute="0", week_day="MON-FRI"),
        min_capacity=1,
        max_capacity=4,
        start_time=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc),  # noqa: UP017 (Python 3.10)
        time_zone=cdk.TimeZone.EUROPE_BERLIN,
    )
    news.alarm_when_idle().add_alarm_action(cw_actions.SnsAction(topic))

    # A versioned recognizer above the default quota of 10 units (a synth warning), default name.
    people = ComprehendEndpoint(stack, "People", model_arn=RECOGNIZER, desired_inference_units=12)
    people.grant_invoke(reader)
    people.alarm_when_idle("ShortIdle", window=cdk.Duration.minutes(90), alarm_name="people-idle")

    # A model trained in the same stack: the model ARN is a token.
    classifier = comprehend.CfnDocumentClassifier(
        stack,
        "Classifier",
        data_access_role_arn=data_access.role_arn,
        document_classifier_name="trained",
        language_code="en",
        input_data_config=comprehend.CfnDocumentClassifier.DocumentClassifierInputDataConfigProperty(
            s3_uri="s3://training-bucket/train.csv"
        ),
    )
    trained = ComprehendEndpoint(stack, "Trained", model_arn=classifier.attr_arn, endpoint_name="trained")
    trained.grant_invoke(reader)
    trained_scaling = trained.auto_scale_inference_units(max_capacity=12)  # above the quota: a synth warning
    trained_scaling.scale_on_utilization(target_utilization_percent=50, disable_scale_in=True)

    # A flywheel's active model.
    loop = ComprehendEndpoint(stack, "Loop", flywheel_arn=FLYWHEEL)
    loop.auto_scale_inference_units(max_capacity=2)

    dashboard = cloudwatch.Dashboard(stack, "Dashboard")
    dashboard.add_widgets(
        cloudwatch.GraphWidget(
            title="Inference units",
            left=[news.metric_provisioned_inference_units(), news.metric_consumed_inference_units()],
            right=[news.metric_inference_utilization(period=cdk.Duration.minutes(5))],
        ),
        cloudwatch.GraphWidget(
            title="Requested units",
            left=[news.metric("RequestedInferenceUnits", statistic="Sum", period=cdk.Duration.minutes(1))],
        ),
    )
    assert RESOURCE_TYPE == "Custom::ComprehendEndpoint"
    cdk.CfnOutput(stack, "NewsArn", value=news.endpoint_arn, export_name="FullFeatureStack-NewsArn")
    cdk.CfnOutput(stack, "NewsName", value=news.endpoint_name)
    cdk.CfnOutput(stack, "NewsModel", value=news.model_arn)
    cdk.CfnOutput(stack, "TrainedArn", value=trained.endpoint_arn)
    return stack


def importing_stack(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, "ImportingStack", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
    topic = sns.Topic(stack, "Alerts", enforce_ssl=True)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoints: list[IComprehendEndpoint] = [
        ComprehendEndpoint.from_endpoint_arn(
            stack, "ByArn", f"arn:aws:comprehend:us-east-1:{ACCOUNT}:document-classifier-endpoint/news"
        ),
        ComprehendEndpoint.from_endpoint_name(stack, "ByName", "people", model_type=ModelType.ENTITY_RECOGNIZER),
        ComprehendEndpoint.from_endpoint_attributes(
            stack,
            "ByAttributes",
            endpoint_arn=cdk.Fn.import_value("FullFeatureStack-NewsArn"),
            model_type="document-classifier",
        ),
        ComprehendEndpoint.from_endpoint_attributes(
            stack, "ByNameAndType", endpoint_name="trained", model_type=ModelType.DOCUMENT_CLASSIFIER
        ),
    ]
    for endpoint in endpoints:
        endpoint.grant_invoke(reader)
        alarm = endpoint.alarm_when_idle(window=cdk.Duration.hours(12), actions_enabled=True)
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
    # An endpoint in another region: its metrics carry that region (an alarm there would be refused).
    elsewhere = ComprehendEndpoint.from_endpoint_arn(
        stack, "Elsewhere", f"arn:aws:comprehend:eu-west-1:{ACCOUNT}:entity-recognizer-endpoint/far"
    )
    elsewhere.grant_invoke(reader)
    cloudwatch.Dashboard(stack, "Dashboard").add_widgets(
        cloudwatch.GraphWidget(title="Far", left=[elsewhere.metric_consumed_inference_units()])
    )
    cdk.CfnOutput(stack, "ByNameArn", value=endpoints[1].endpoint_arn)
    cdk.CfnOutput(stack, "ByArnName", value=endpoints[0].endpoint_name)
    return stack


def main() -> None:
    app = cdk.App()
    endpoint_stack(app)
    importing_stack(app)
    app.synth()


if __name__ == "__main__":
    main()
