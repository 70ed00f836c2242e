"""Synth tier: CloudWatch metrics and the idle-cost alarm (issue #8), on endpoints defined in the app
and on imported ones."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk_comprehend_endpoint import ComprehendEndpoint, ModelType
from tests.synth.helpers import (
    CLASSIFIER,
    FLYWHEEL,
    RECOGNIZER,
    RESOURCE_TYPE,
    native_classifier_arn,
    new_stack,
    template,
)

ALARM = "AWS::CloudWatch::Alarm"
OTHER_REGION_ARN = "arn:aws:comprehend:eu-west-1:111122223333:entity-recognizer-endpoint/people"


def only(tpl, resource_type):
    (item,) = tpl.find_resources(resource_type).items()
    return item


def rendered(stack, metric):
    """What CloudWatch would get for ``metric``: namespace, name, statistic, period and dimensions."""
    return {
        "namespace": metric.namespace,
        "metric_name": metric.metric_name,
        "statistic": metric.statistic,
        "period": metric.period.to_seconds(),
        "dimensions": stack.resolve(metric.dimensions),
    }


@pytest.mark.parametrize(
    ("method", "name", "statistic"),
    [
        ("metric_inference_utilization", "InferenceUtilization", "Sum"),
        ("metric_consumed_inference_units", "ConsumedInferenceUnits", "Sum"),
        ("metric_provisioned_inference_units", "ProvisionedInferenceUnits", "Average"),
    ],
)
def test_named_metrics_use_the_monitoring_guide_statistic_and_a_one_minute_period(method, name, statistic):
    # GIVEN an endpoint
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    endpoint_id, _ = only(template(stack), RESOURCE_TYPE)
    # WHEN one of its named metrics is asked for
    metric = getattr(endpoint, method)()
    # THEN it is in AWS/Comprehend for this endpoint's ARN, with the guide's statistic, per minute
    assert rendered(stack, metric) == {
        "namespace": "AWS/Comprehend",
        "metric_name": name,
        "statistic": statistic,
        "period": 60,
        "dimensions": {"EndpointArn": {"Fn::GetAtt": [endpoint_id, "EndpointArn"]}},
    }


def test_metric_props_replace_the_defaults():
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=RECOGNIZER)
    metric = endpoint.metric_consumed_inference_units(statistic="Maximum", period=cdk.Duration.minutes(5), label="IU")
    assert (metric.statistic, metric.period.to_seconds(), metric.label) == ("Maximum", 300, "IU")


def test_generic_metric_keeps_cloudwatch_defaults():
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=RECOGNIZER)
    metric = endpoint.metric("RequestedInferenceUnits")
    assert (metric.namespace, metric.metric_name, metric.statistic, metric.period.to_seconds()) == (
        "AWS/Comprehend",
        "RequestedInferenceUnits",
        "Average",
        300,
    )
    assert list(stack.resolve(metric.dimensions)) == ["EndpointArn"]


def test_imported_endpoints_have_metrics_on_their_arn():
    # GIVEN endpoints imported by ARN and by name
    stack = new_stack()
    by_arn = ComprehendEndpoint.from_endpoint_arn(stack, "ByArn", OTHER_REGION_ARN.replace("eu-west-1", "us-east-1"))
    by_name = ComprehendEndpoint.from_endpoint_name(stack, "ByName", "news", model_type=ModelType.DOCUMENT_CLASSIFIER)
    # THEN each metric's EndpointArn dimension is that endpoint's ARN
    assert stack.resolve(by_arn.metric_inference_utilization().dimensions) == {
        "EndpointArn": "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer-endpoint/people"
    }
    assert stack.resolve(by_name.metric_provisioned_inference_units().dimensions) == {
        "EndpointArn": stack.resolve(by_name.endpoint_arn)
    }
    assert "document-classifier-endpoint/news" in str(stack.resolve(by_name.endpoint_arn))


def test_metric_of_an_endpoint_in_another_region_names_that_region():
    # GIVEN a stack in us-east-1 importing an endpoint of eu-west-1, and one of its own region
    stack = new_stack(env=cdk.Environment(account="111122223333", region="us-east-1"))
    remote = ComprehendEndpoint.from_endpoint_arn(stack, "Remote", OTHER_REGION_ARN)
    local = ComprehendEndpoint.from_endpoint_arn(stack, "Local", OTHER_REGION_ARN.replace("eu-west-1", "us-east-1"))
    # THEN only the remote endpoint's metric carries a region (for dashboards); the account is the same
    assert (remote.metric_consumed_inference_units().region, remote.metric_consumed_inference_units().account) == (
        "eu-west-1",
        None,
    )
    assert local.metric_consumed_inference_units().region is None


@pytest.mark.parametrize("model_arn", [CLASSIFIER, RECOGNIZER])
def test_idle_alarm_renders_exactly_with_its_hourly_cost(model_arn):
    # GIVEN an endpoint with 2 inference units
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=model_arn, desired_inference_units=2)
    # WHEN an idle alarm is added with the defaults
    alarm = endpoint.alarm_when_idle()
    tpl = template(stack)
    endpoint_id, _ = only(tpl, RESOURCE_TYPE)
    # THEN it fires after 24 hourly periods without consumed inference units, missing data counting as idle
    _, resource = only(tpl, ALARM)
    assert isinstance(alarm, cloudwatch.Alarm)
    assert resource["Properties"] == {
        "Namespace": "AWS/Comprehend",
        "MetricName": "ConsumedInferenceUnits",
        "Dimensions": [{"Name": "EndpointArn", "Value": {"Fn::GetAtt": [endpoint_id, "EndpointArn"]}}],
        "Statistic": "Sum",
        "Period": 3600,
        "EvaluationPeriods": 24,
        "ComparisonOperator": "LessThanOrEqualToThreshold",
        "Threshold": 0,
        "TreatMissingData": "breaching",
        "AlarmDescription": "Comprehend endpoint TestStack/Endpoint served no successful request for 24 hours. "
        "It bills whether used or not: $3.60 per hour (2 inference units) "
        "($0.0005 per inference unit per second, list price). "
        "Delete it, or lower its inference units, if nobody needs it.",
    }


@pytest.mark.parametrize("model", ["token", "flywheel"])
def test_idle_alarm_of_an_endpoint_of_unknown_type_watches_its_arn(model):
    # GIVEN an endpoint whose type is unknown at synth
    stack = new_stack()
    if model == "token":
        endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=native_classifier_arn(stack))
    else:
        endpoint = ComprehendEndpoint(stack, "Endpoint", flywheel_arn=FLYWHEEL)
    # WHEN it gets an idle alarm
    endpoint.alarm_when_idle()
    tpl = template(stack)
    endpoint_id, _ = only(tpl, RESOURCE_TYPE)
    # THEN the alarm's dimension is its ARN attribute and the cost is that of its one unit
    _, alarm = only(tpl, ALARM)
    assert alarm["Properties"]["Dimensions"] == [
        {"Name": "EndpointArn", "Value": {"Fn::GetAtt": [endpoint_id, "EndpointArn"]}}
    ]
    assert "$1.80 per hour (1 inference unit)" in alarm["Properties"]["AlarmDescription"]


def test_idle_alarm_cost_is_per_unit_when_the_units_are_a_token():
    stack = new_stack()
    units = cdk.CfnParameter(stack, "Units", type="Number", default=2)
    endpoint = ComprehendEndpoint(
        stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=units.value_as_number
    )
    endpoint.alarm_when_idle()
    _, alarm = only(template(stack), ALARM)
    assert (
        "It bills whether used or not: $1.80 per inference unit per hour (" in alarm["Properties"]["AlarmDescription"]
    )


def test_idle_alarm_cost_covers_the_autoscaling_range_even_when_set_up_later():
    # GIVEN an idle alarm, then autoscaling between 1 and 4 units
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    endpoint.alarm_when_idle()
    endpoint.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    # THEN the description gives the cost at both ends of the range
    _, alarm = only(template(stack), ALARM)
    assert "$1.80-$7.20 per hour (1-4 inference units)" in alarm["Properties"]["AlarmDescription"]


def test_idle_alarm_on_an_imported_endpoint_costs_per_unit():
    stack = new_stack()
    imported = ComprehendEndpoint.from_endpoint_name(stack, "Shared", "people", model_type="entity-recognizer")
    imported.alarm_when_idle("Idle", window=cdk.Duration.hours(12))
    _, alarm = only(template(stack), ALARM)
    assert alarm["Properties"]["EvaluationPeriods"] == 12
    assert alarm["Properties"]["AlarmDescription"].startswith(
        "Comprehend endpoint TestStack/Shared served no successful request for 12 hours. "
        "It bills whether used or not: $1.80 per inference unit per hour"
    )


@pytest.mark.parametrize(
    ("window", "period", "periods", "text"),
    [
        (cdk.Duration.hours(1), 3600, 1, "1 hour"),
        (cdk.Duration.days(7), 3600, 168, "168 hours"),
        (cdk.Duration.minutes(90), 60, 90, "90 minutes"),
        (cdk.Duration.minutes(1), 60, 1, "1 minute"),
        (cdk.Duration.minutes(1439), 60, 1439, "1439 minutes"),
    ],
)
def test_idle_window_maps_to_periods_within_cloudwatch_limits(window, period, periods, text):
    # GIVEN an endpoint WHEN its idle alarm gets a window
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).alarm_when_idle(window=window)
    # THEN period x evaluation periods equals the window, and the description says it
    _, alarm = only(template(stack), ALARM)
    props = alarm["Properties"]
    assert (props["Period"], props["EvaluationPeriods"]) == (period, periods)
    assert f"for {text}." in props["AlarmDescription"]


@pytest.mark.parametrize(
    ("window", "shown"),
    [
        (cdk.Duration.hours(169), "7 days 1 hour"),
        (cdk.Duration.minutes(1441), "1 day 1 minute"),
        (cdk.Duration.seconds(90), "1 minute 30 seconds"),
        (cdk.Duration.seconds(0), "0 seconds"),
    ],
)
def test_idle_window_beyond_cloudwatch_limits_fails_at_synth(window, shown):
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    with pytest.raises(ValueError, match=rf"^ComprehendEndpoint TestStack/Endpoint: window must .*, got '{shown}'$"):
        endpoint.alarm_when_idle(window=window)


def test_idle_alarm_takes_an_sns_action_and_a_name():
    # GIVEN an idle alarm with a name and an SNS topic as its action
    stack = new_stack()
    topic = sns.Topic(stack, "Topic")
    alarm = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).alarm_when_idle(alarm_name="nlp-idle")
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    tpl = template(stack)
    topic_id, _ = only(tpl, "AWS::SNS::Topic")
    # THEN the alarm notifies the topic
    _, resource = only(tpl, ALARM)
    assert resource["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    assert resource["Properties"]["AlarmName"] == "nlp-idle"


def test_idle_alarm_description_stays_within_cloudwatchs_1024_characters():
    # GIVEN an endpoint deep under a very long construct path
    stack = new_stack()
    scope: Construct = stack
    for index in range(4):
        scope = cdk.Resource(scope, f"Level{index}" + "x" * 250)
    ComprehendEndpoint(scope, "Endpoint", model_arn=CLASSIFIER, endpoint_name="deep").alarm_when_idle()
    # THEN the description is cut to CloudWatch's limit, visibly
    _, alarm = only(template(stack), ALARM)
    description = alarm["Properties"]["AlarmDescription"]
    assert len(description) == 1024 and description.endswith("...")
