"""Synth tier: autoscaling of inference units (issue #8) — scalable target, policies, schedules,
the handler's ``InferenceUnitsAutoScaling`` property and the checks at synth."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk.assertions import Annotations, Match

from cdk_comprehend_endpoint import ComprehendEndpoint, ScalableInferenceUnits
from tests.synth.helpers import (
    CLASSIFIER,
    FLYWHEEL,
    RECOGNIZER,
    RESOURCE_TYPE,
    native_classifier_arn,
    new_stack,
    template,
)

SERVICE_LINKED_ROLE = {
    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/"
    "comprehend.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ComprehendEndpoint"
}
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"


def only(tpl, resource_type):
    (item,) = tpl.find_resources(resource_type).items()
    return item


@pytest.mark.parametrize(
    ("model_arn", "dimension"),
    [
        (CLASSIFIER, "comprehend:document-classifier-endpoint:DesiredInferenceUnits"),
        (RECOGNIZER, "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits"),
    ],
)
def test_scalable_target_is_the_endpoint_arn_in_the_comprehend_namespace(model_arn, dimension):
    # GIVEN an endpoint whose model type is known at synth
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=model_arn, desired_inference_units=2)
    # WHEN its inference units autoscale between 1 and 4
    endpoint.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    tpl = template(stack)
    endpoint_id, _ = only(tpl, RESOURCE_TYPE)
    # THEN one scalable target names the endpoint's ARN, the type's dimension and the service-linked role
    _, target = only(tpl, SCALABLE_TARGET)
    assert target["Properties"] == {
        "ServiceNamespace": "comprehend",
        "ResourceId": {"Fn::GetAtt": [endpoint_id, "EndpointArn"]},
        "ScalableDimension": dimension,
        "MinCapacity": 1,
        "MaxCapacity": 4,
        "RoleARN": SERVICE_LINKED_ROLE,
    }


@pytest.mark.parametrize("model", ["token", "flywheel"])
def test_dimension_comes_from_the_endpoint_type_attribute_when_the_type_is_unknown_at_synth(model):
    # GIVEN an endpoint whose model is a token, or a flywheel without model_arn
    stack = new_stack()
    if model == "token":
        endpoint = ComprehendEndpoint(stack, "Endpoint", endpoint_name="news", model_arn=native_classifier_arn(stack))
    else:
        endpoint = ComprehendEndpoint(stack, "Endpoint", endpoint_name="news", flywheel_arn=FLYWHEEL)
    # WHEN it autoscales
    endpoint.auto_scale_inference_units(max_capacity=2)
    tpl = template(stack)
    endpoint_id, _ = only(tpl, RESOURCE_TYPE)
    # THEN the dimension joins the custom resource's EndpointType attribute, known only at deploy time
    _, target = only(tpl, SCALABLE_TARGET)
    assert target["Properties"]["ScalableDimension"] == {
        "Fn::Join": ["", ["comprehend:", {"Fn::GetAtt": [endpoint_id, "EndpointType"]}, ":DesiredInferenceUnits"]]
    }
    assert target["Properties"]["MinCapacity"] == 1


def test_utilization_policy_tracks_comprehend_inference_utilization():
    # GIVEN an autoscaled endpoint
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=RECOGNIZER)
    scaling = endpoint.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    # WHEN it tracks 70 % utilization with explicit cooldowns
    scaling.scale_on_utilization(
        target_utilization_percent=70,
        scale_in_cooldown=cdk.Duration.minutes(10),
        scale_out_cooldown=cdk.Duration.minutes(2),
    )
    tpl = template(stack)
    target_id, _ = only(tpl, SCALABLE_TARGET)
    # THEN one target-tracking policy on that target keeps ComprehendInferenceUtilization at 70
    _, policy = only(tpl, SCALING_POLICY)
    assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"
    assert policy["Properties"]["ScalingTargetId"] == {"Ref": target_id}
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"] == {
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ComprehendInferenceUtilization"},
        "TargetValue": 70,
        "ScaleInCooldown": 600,
        "ScaleOutCooldown": 120,
    }


def test_scheduled_action_renders_on_the_scalable_target():
    # GIVEN an autoscaled endpoint
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    scaling = endpoint.auto_scale_inference_units(min_capacity=1, max_capacity=4)
    # WHEN the nights pin it to one unit and mornings reopen the range
    scaling.scale_on_schedule(
        "Nights", schedule=appscaling.Schedule.cron(hour="20", minute="0"), min_capacity=1, max_capacity=1
    )
    scaling.scale_on_schedule(
        "Mornings",
        schedule=appscaling.Schedule.cron(hour="7", minute="30"),
        max_capacity=4,
        time_zone=cdk.TimeZone.EUROPE_BERLIN,
    )
    # THEN the target carries both scheduled actions
    _, target = only(template(stack), SCALABLE_TARGET)
    assert target["Properties"]["ScheduledActions"] == [
        {
            "ScheduledActionName": "Nights",
            "Schedule": "cron(0 20 * * ? *)",
            "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 1},
        },
        {
            "ScheduledActionName": "Mornings",
            "Schedule": "cron(30 7 * * ? *)",
            "ScalableTargetAction": {"MaxCapacity": 4},
            "Timezone": "Europe/Berlin",
        },
    ]
    template(stack).resource_count_is(SCALING_POLICY, 0)


def test_handler_gets_the_range_as_strings_only_when_autoscaled():
    # GIVEN one endpoint with autoscaling and one without
    stack = new_stack()
    ComprehendEndpoint(stack, "Scaled", model_arn=CLASSIFIER, desired_inference_units=2).auto_scale_inference_units(
        min_capacity=2, max_capacity=5
    )
    ComprehendEndpoint(stack, "Fixed", model_arn=CLASSIFIER)
    tpl = template(stack)
    # THEN only the autoscaled one carries InferenceUnitsAutoScaling, with string numbers
    tpl.has_resource_properties(
        RESOURCE_TYPE,
        {
            "EndpointName": Match.string_like_regexp("Scaled"),
            "InferenceUnitsAutoScaling": {"MinCapacity": "2", "MaxCapacity": "5"},
        },
    )
    tpl.has_resource_properties(
        RESOURCE_TYPE, {"EndpointName": Match.string_like_regexp("Fixed"), "InferenceUnitsAutoScaling": Match.absent()}
    )


def test_token_range_is_passed_through_and_not_validated():
    # GIVEN min and max from parameters
    stack = new_stack()
    low = cdk.CfnParameter(stack, "Low", type="Number", default=1)
    high = cdk.CfnParameter(stack, "High", type="Number", default=40)
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=3)
    # WHEN autoscaling uses them
    endpoint.auto_scale_inference_units(min_capacity=low.value_as_number, max_capacity=high.value_as_number)
    tpl = template(stack)
    # THEN both the target and the handler property reference them
    _, target = only(tpl, SCALABLE_TARGET)
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (
        {"Ref": "Low"},
        {"Ref": "High"},
    )
    tpl.has_resource_properties(
        RESOURCE_TYPE, {"InferenceUnitsAutoScaling": {"MinCapacity": {"Ref": "Low"}, "MaxCapacity": {"Ref": "High"}}}
    )


def test_no_role_or_policy_is_added_for_the_scaler():
    # GIVEN an endpoint, then the same endpoint autoscaled
    counts = []
    for scaled in (False, True):
        stack = new_stack()
        endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
        if scaled:
            endpoint.auto_scale_inference_units(max_capacity=3).scale_on_utilization(target_utilization_percent=60)
        resources = template(stack).to_json()["Resources"].values()
        counts.append(sum(r["Type"].startswith("AWS::IAM::") for r in resources))
    # THEN the scaler uses the service-linked role: no IAM resource is added
    assert counts[0] == counts[1]


def test_returns_a_scalable_attribute_with_its_range():
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=2)
    scaling = endpoint.auto_scale_inference_units(min_capacity=2.0, max_capacity=6)
    assert isinstance(scaling, appscaling.BaseScalableAttribute) and isinstance(scaling, ScalableInferenceUnits)
    assert (scaling.min_capacity, scaling.max_capacity) == (2.0, 6)
    _, target = only(template(stack), SCALABLE_TARGET)
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (2, 6)


def test_a_second_autoscaling_setup_fails_naming_the_construct():
    # GIVEN an autoscaled endpoint
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER)
    endpoint.auto_scale_inference_units(max_capacity=3)
    # WHEN autoscaling is set up again THEN it fails, naming the endpoint and the first setup
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Endpoint: auto_scale_inference_units .*once"):
        endpoint.auto_scale_inference_units(max_capacity=5)
    template(stack).resource_count_is(SCALABLE_TARGET, 1)


def test_a_second_utilization_policy_fails_naming_the_construct():
    stack = new_stack()
    scaling = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).auto_scale_inference_units(max_capacity=3)
    scaling.scale_on_utilization(target_utilization_percent=70)
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Endpoint: scale_on_utilization .*once"):
        scaling.scale_on_utilization(target_utilization_percent=50)


@pytest.mark.parametrize(("max_capacity", "warned"), [(12, True), (10, False)])
def test_max_capacity_above_the_default_quota_warns(max_capacity, warned):
    # GIVEN an endpoint autoscaled up to max_capacity
    stack = new_stack()
    ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).auto_scale_inference_units(max_capacity=max_capacity)
    # THEN a warning names the quota only above 10
    warnings = Annotations.from_stack(stack).find_warning(
        "/TestStack/Endpoint", Match.string_like_regexp("max_capacity .* above the default quota of 10")
    )
    assert bool(warnings) is warned


@pytest.mark.parametrize(
    ("units", "scaling", "message"),
    [
        (1, {"min_capacity": 0, "max_capacity": 2}, r"min_capacity must be a whole number >= 1, got 0"),
        (1, {"min_capacity": 1, "max_capacity": 2.5}, r"max_capacity must be a whole number >= 1, got 2.5"),
        (3, {"min_capacity": 4, "max_capacity": 3}, r"max_capacity must be >= min_capacity \(4\), got 3"),
        (1, {"min_capacity": 2, "max_capacity": 4}, r"desired_inference_units must be within .*\(2-4\).*, got 1"),
        (5, {"min_capacity": 2, "max_capacity": 4}, r"desired_inference_units must be within .*\(2-4\).*, got 5"),
    ],
)
def test_bad_ranges_fail_at_synth_naming_prop_and_value(units, scaling, message):
    # GIVEN an endpoint
    stack = new_stack()
    endpoint = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER, desired_inference_units=units)
    # WHEN autoscaling gets a bad range THEN it fails, naming the construct, the prop and the value
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Endpoint: " + message):
        endpoint.auto_scale_inference_units(**scaling)


@pytest.mark.parametrize("target", [0, 101, -5])
def test_utilization_target_outside_0_to_100_fails(target):
    stack = new_stack()
    scaling = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).auto_scale_inference_units(max_capacity=3)
    with pytest.raises(
        ValueError, match=rf"^ComprehendEndpoint TestStack/Endpoint: target_utilization_percent .*got {target!r}$"
    ):
        scaling.scale_on_utilization(target_utilization_percent=target)


@pytest.mark.parametrize("target", [100, 0.5])
def test_utilization_target_bounds_are_accepted(target):
    stack = new_stack()
    scaling = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).auto_scale_inference_units(max_capacity=3)
    scaling.scale_on_utilization(target_utilization_percent=target)
    _, policy = only(template(stack), SCALING_POLICY)
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == target


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({}, r"scale_on_schedule\('Peak'\) min_capacity or max_capacity is required"),
        ({"min_capacity": 5}, r"scale_on_schedule\('Peak'\) min_capacity must be within .*range 1-4, got 5"),
        ({"max_capacity": 0}, r"scale_on_schedule\('Peak'\) max_capacity must be a whole number >= 1, got 0"),
        ({"min_capacity": 3, "max_capacity": 2}, r"scale_on_schedule\('Peak'\) max_capacity must be >= min_capacity"),
    ],
)
def test_bad_scheduled_capacities_fail_naming_the_schedule_and_value(action, message):
    stack = new_stack()
    scaling = ComprehendEndpoint(stack, "Endpoint", model_arn=CLASSIFIER).auto_scale_inference_units(max_capacity=4)
    with pytest.raises(ValueError, match=r"^ComprehendEndpoint TestStack/Endpoint: " + message):
        scaling.scale_on_schedule("Peak", schedule=appscaling.Schedule.rate(cdk.Duration.hours(1)), **action)
