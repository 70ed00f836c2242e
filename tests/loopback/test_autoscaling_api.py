"""Loopback tier: the loopback's Application Auto Scaling and Service Quotas, reached with boto3 as the probes
reach the real services: scheduled actions fire on the virtual clock and move an endpoint's units with
UpdateEndpoint, never outside the target's bounds; requests that break botocore's model are refused; the
quotas Service Quotas answers are the ones the loopback's Comprehend enforces."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from comprehend_loopback.comprehend import ACCOUNT, REGION
from comprehend_loopback.world import World

MODEL = f"arn:aws:comprehend:{REGION}:{ACCOUNT}:document-classifier/news"
DIMENSION = "comprehend:document-classifier-endpoint:DesiredInferenceUnits"
RAW = Config(parameter_validation=False, retries={"max_attempts": 1})


@pytest.fixture
def world(tmp_path):
    with World.start(tmp_path) as w:
        w.comprehend.add_model(MODEL)
        yield w


def clients():
    return boto3.client("comprehend"), boto3.client("application-autoscaling")


def serving(world, comprehend, units=1) -> str:
    arn = comprehend.create_endpoint(EndpointName="news", ModelArn=MODEL, DesiredInferenceUnits=units)["EndpointArn"]
    world.settle()
    return str(arn)


def at(seconds_from_now: float, world) -> str:
    when = datetime.datetime.fromtimestamp(world.clock.now() + seconds_from_now, datetime.UTC)
    return f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})"


def code(exc_info) -> str:
    return str(exc_info.value.response["Error"]["Code"])


def test_a_scheduled_action_moves_the_units_at_its_time_within_its_bounds(world):
    # GIVEN a 1-unit endpoint registered as a scalable target of [1, 3]
    comprehend, scaling = clients()
    arn = serving(world, comprehend)
    target = {"ServiceNamespace": "comprehend", "ResourceId": arn, "ScalableDimension": DIMENSION}
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=3)
    # WHEN a scheduled action a minute ahead sets its bounds to [2, 2]
    scaling.put_scheduled_action(
        **target,
        ScheduledActionName="up",
        Schedule=at(60, world),
        ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 2},
    )
    # THEN nothing moves before its time
    world.clock.sleep(59)
    assert comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]["DesiredInferenceUnits"] == 1
    # AND at its time the endpoint is updated to 2 units, the activity in progress, then successful
    world.clock.sleep(2)
    props = comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]
    assert (props["Status"], props["DesiredInferenceUnits"], props["CurrentInferenceUnits"]) == ("UPDATING", 2, 1)
    (activity,) = scaling.describe_scaling_activities(ServiceNamespace="comprehend", ResourceId=arn)[
        "ScalingActivities"
    ]
    assert (activity["StatusCode"], activity["Description"]) == ("InProgress", "Setting desired inference units to 2.")
    world.settle()
    assert comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]["CurrentInferenceUnits"] == 2
    (activity,) = scaling.describe_scaling_activities(ServiceNamespace="comprehend")["ScalingActivities"]
    assert activity["StatusCode"] == "Successful"
    (registered,) = scaling.describe_scalable_targets(ServiceNamespace="comprehend")["ScalableTargets"]
    assert (registered["MinCapacity"], registered["MaxCapacity"]) == (2, 2)


def test_a_deleted_scheduled_action_or_a_deregistered_target_moves_nothing(world):
    # GIVEN a registered endpoint with two scheduled actions
    comprehend, scaling = clients()
    arn = serving(world, comprehend)
    target = {"ServiceNamespace": "comprehend", "ResourceId": arn, "ScalableDimension": DIMENSION}
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=3)
    for name in ("one", "two"):
        scaling.put_scheduled_action(
            **target, ScheduledActionName=name, Schedule=at(60, world), ScalableTargetAction={"MinCapacity": 3}
        )
    # WHEN one is deleted and the target deregistered (which deletes the other, as the API reference says)
    scaling.delete_scheduled_action(**target, ScheduledActionName="one")
    scaling.deregister_scalable_target(**target)
    world.clock.sleep(120)
    world.settle()
    # THEN the endpoint kept its unit, and the target and its actions are gone
    assert comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]["DesiredInferenceUnits"] == 1
    assert scaling.describe_scalable_targets(ServiceNamespace="comprehend")["ScalableTargets"] == []
    with pytest.raises(ClientError) as refused:
        scaling.delete_scheduled_action(**target, ScheduledActionName="two")
    assert code(refused) == "ObjectNotFoundException"
    with pytest.raises(ClientError) as refused:
        scaling.deregister_scalable_target(**target)
    assert code(refused) == "ObjectNotFoundException"


def test_registering_bounds_that_exclude_the_units_moves_them_inside(world):
    # GIVEN a 3-unit endpoint
    comprehend, scaling = clients()
    arn = serving(world, comprehend, units=3)
    # WHEN it is registered with [1, 2]
    scaling.register_scalable_target(
        ServiceNamespace="comprehend", ResourceId=arn, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=2
    )
    # THEN it is updated to 2, the nearest bound
    assert comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]["DesiredInferenceUnits"] == 2


def test_a_target_registered_by_a_stack_is_the_one_the_api_describes(world):
    # GIVEN a target the stack player registered (from a template's ScalableTarget)
    comprehend, scaling = clients()
    arn = serving(world, comprehend)
    world.scaling_targets[arn] = {
        "ServiceNamespace": "comprehend",
        "ResourceId": arn,
        "ScalableDimension": DIMENSION,
        "MinCapacity": 1,
        "MaxCapacity": 4,
    }
    # WHEN the API describes the targets
    (found,) = scaling.describe_scalable_targets(ServiceNamespace="comprehend", ResourceIds=[arn])["ScalableTargets"]
    # THEN it is that target
    assert (found["ResourceId"], found["MaxCapacity"]) == (arn, 4)


NS = {"ServiceNamespace": "comprehend"}
TARGET = {**NS, "ResourceId": "ENDPOINT", "ScalableDimension": DIMENSION}
RECOGNIZER_DIMENSION = "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits"


@pytest.mark.parametrize(
    ("operation", "request_", "expected"),
    [
        ("register_scalable_target", {**NS, "ScalableDimension": DIMENSION}, "ResourceId"),
        ("register_scalable_target", {**TARGET, "ServiceNamespace": "nope"}, "enum"),
        ("register_scalable_target", {**TARGET, "ResourceId": ""}, "at least 1"),
        ("register_scalable_target", {**TARGET, "ScalableDimension": "comprehend:x"}, "enum"),
        ("register_scalable_target", {**TARGET, "MinCapacity": "1", "MaxCapacity": 2}, "integer"),
        ("register_scalable_target", TARGET, "MinCapacity and MaxCapacity"),
        ("register_scalable_target", {**TARGET, "MinCapacity": 3, "MaxCapacity": 2}, "at most MaxCapacity"),
        (
            "register_scalable_target",
            {**TARGET, "ScalableDimension": RECOGNIZER_DIMENSION, "MinCapacity": 1, "MaxCapacity": 2},
            "not the scalable dimension",
        ),
        (
            "put_scheduled_action",
            {**TARGET, "ScheduledActionName": "a/b", "Schedule": "at(2027-01-01T00:00:00)"},
            "ScheduledActionName",
        ),
        ("describe_scaling_activities", {**NS, "ScalableDimension": DIMENSION}, "ResourceId is required"),
        ("describe_scalable_targets", {**NS, "MaxResults": 51}, "between 1 and 50"),
    ],
)
def test_a_request_that_breaks_the_model_is_refused_with_validation_exception(world, operation, request_, expected):
    # GIVEN an endpoint, and a client that sends what it is given (no client-side validation)
    comprehend, _ = clients()
    arn = serving(world, comprehend)
    scaling = boto3.client("application-autoscaling", config=RAW)
    request_ = {k: (arn if v == "ENDPOINT" else v) for k, v in request_.items()}
    # WHEN the malformed request is sent
    with pytest.raises(ClientError) as refused:
        getattr(scaling, operation)(**request_)
    # THEN the service refuses it with ValidationException, saying what is wrong
    assert code(refused) == "ValidationException"
    assert expected in refused.value.response["Error"]["Message"]


def test_a_scheduled_action_needs_a_registered_target(world):
    # GIVEN an endpoint nobody registered
    comprehend, scaling = clients()
    arn = serving(world, comprehend)
    # WHEN a scheduled action is put on it
    with pytest.raises(ClientError) as refused:
        scaling.put_scheduled_action(
            ServiceNamespace="comprehend",
            ResourceId=arn,
            ScalableDimension=DIMENSION,
            ScheduledActionName="up",
            Schedule=at(60, world),
            ScalableTargetAction={"MinCapacity": 2},
        )
    # THEN it is refused as the model declares
    assert code(refused) == "ObjectNotFoundException"


def test_service_quotas_answers_the_quotas_the_loopback_enforces(world):
    # GIVEN a loopback Comprehend whose regional quota is 7 units
    world.comprehend.max_total_units = 7
    quotas = boto3.client("service-quotas")
    # WHEN Service Quotas is asked for the Comprehend quotas
    units = quotas.get_service_quota(ServiceCode="comprehend", QuotaCode="L-2A73DEBC")["Quota"]
    listed = {q["QuotaName"]: q["Value"] for q in quotas.list_service_quotas(ServiceCode="comprehend")["Quotas"]}
    # THEN it answers those values, and refuses a quota it does not know
    assert (units["QuotaName"], units["Value"]) == ("Endpoints max inference units per account", 7.0)
    assert listed == {
        "Endpoints max inference units per account": 7.0,
        "Endpoints max inference units per endpoint": 10.0,
        "Endpoints max active endpoints": 10.0,
    }
    with pytest.raises(ClientError) as refused:
        quotas.get_service_quota(ServiceCode="comprehend", QuotaCode="L-00000000")
    assert code(refused) == "NoSuchResourceException"


def test_an_update_counts_its_larger_units_against_the_quota_even_before_it_shows(world):
    # GIVEN a 4-unit regional quota, an endpoint of 1 unit updated to 2 whose update shows only after a minute
    world.comprehend.max_total_units = 4
    world.comprehend.timing.status_lag_s = 60
    comprehend, _ = clients()
    arn = serving(world, comprehend)
    comprehend.update_endpoint(EndpointArn=arn, DesiredInferenceUnits=2)
    # WHEN, before and while it shows UPDATING, another endpoint of 3 units is asked for
    request = {"ModelArn": MODEL, "DesiredInferenceUnits": 3}
    with pytest.raises(ClientError) as early:
        comprehend.create_endpoint(EndpointName="early", **request)
    world.clock.sleep(61)
    assert comprehend.describe_endpoint(EndpointArn=arn)["EndpointProperties"]["Status"] == "UPDATING"
    with pytest.raises(ClientError) as during:
        comprehend.create_endpoint(EndpointName="during", **request)
    # THEN both are refused: the update holds 2 units, not 1
    assert code(early) == code(during) == "ResourceLimitExceededException"
