"""Unit tier (Stubber contract): with ``InferenceUnitsAutoScaling`` the scaler owns the live units within the range.

An update leaves the units the scaler set (clamped into the range), unless it changes
``DesiredInferenceUnits`` itself, which is then applied, clamped. Driven from the outside: an Update
request with its old properties in, the live endpoint stubbed, the UpdateEndpoint call (or none) out.
"""

from __future__ import annotations

from comprehend_cr.lifecycle import Request
from tests.unit.stubs import ARN, MODEL, OWNED, STACK, create_params, described, no_strays, run

RANGE = {"MinCapacity": "1", "MaxCapacity": "4"}


def properties(units, **extra):
    return {
        "EndpointName": "news",
        "ModelArn": MODEL,
        "DesiredInferenceUnits": str(units),
        "InferenceUnitsAutoScaling": RANGE,
        **extra,
    }


def update(client, new, old):
    return run(client, Request("Update", STACK, "req-1", "Endpoint", ARN, new, old))


def live(stub, **units):
    """DescribeEndpoint (and the ownership tags) of the endpoint in service with these unit fields."""
    stub.add_response(
        "describe_endpoint",
        {"EndpointProperties": {"EndpointArn": ARN, "Status": "IN_SERVICE", "ModelArn": MODEL, **units}},
        {"EndpointArn": ARN},
    )
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})


def settles(stub, units):
    """UpdateEndpoint to ``units``, then the endpoint in service with them."""
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, "DesiredInferenceUnits": units})
    stub.add_response("describe_endpoint", described(units=units), {"EndpointArn": ARN})


def test_an_unrelated_update_leaves_the_units_the_scaler_set(comprehend):
    # GIVEN the scaler moved the endpoint from the template's 2 units to 3
    client, stub = comprehend
    live(stub, DesiredInferenceUnits=3, CurrentInferenceUnits=3)
    stub.add_response("tag_resource", {}, {"ResourceArn": ARN, "Tags": [{"Key": "team", "Value": "nlp"}]})
    no_strays(stub)
    # WHEN an update changes only a tag
    outcome = update(client, properties(2, Tags=[{"Key": "team", "Value": "nlp"}]), properties(2))
    # THEN the units stay where the scaler put them: no UpdateEndpoint at all
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_a_change_of_the_templates_units_is_applied_within_the_range(comprehend):
    # GIVEN the scaler's 3 units
    client, stub = comprehend
    live(stub, DesiredInferenceUnits=3, CurrentInferenceUnits=3)
    # WHEN the template changes DesiredInferenceUnits from 2 to 9 (above the range's 4)
    settles(stub, 4)
    no_strays(stub)
    # THEN the new value is applied, clamped into the range
    assert update(client, properties(9), properties(2)).status == "SUCCESS"


def test_units_the_scaler_left_outside_a_narrowed_range_are_clamped_into_it(comprehend):
    # GIVEN the scaler's 6 units, and an update that narrows the range to 1-4 (units unchanged)
    client, stub = comprehend
    live(stub, DesiredInferenceUnits=6, CurrentInferenceUnits=6)
    settles(stub, 4)
    old = properties(2, InferenceUnitsAutoScaling={**RANGE, "MaxCapacity": "8"})
    no_strays(stub)
    assert update(client, properties(2), old).status == "SUCCESS"


def test_the_scalers_desired_units_win_over_the_current_ones(comprehend):
    # GIVEN the scaler has asked for 4 units while 3 are still current
    client, stub = comprehend
    live(stub, DesiredInferenceUnits=4, CurrentInferenceUnits=3)
    # THEN an unrelated update aims at the scaler's 4, not at the current 3
    settles(stub, 4)
    no_strays(stub)
    assert update(client, properties(2, Tags=[]), properties(2)).status == "SUCCESS"


def test_without_desired_units_the_current_ones_are_the_scalers(comprehend):
    # GIVEN the service reports only the current units (3)
    client, stub = comprehend
    live(stub, CurrentInferenceUnits=3)
    # THEN an unrelated update keeps 3 (asking for them as the desired units), not the template's 2
    settles(stub, 3)
    no_strays(stub)
    assert update(client, properties(2, Tags=[]), properties(2)).status == "SUCCESS"


def test_a_new_endpoint_starts_with_the_templates_units_clamped_into_the_range(comprehend):
    # GIVEN a template asking for 9 units with an autoscaling range of 1 to 4
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, create_params(units=4))
    stub.add_response("describe_endpoint", described(units=4), {"EndpointArn": ARN})
    # WHEN the Create runs
    outcome = run(client, Request("Create", STACK, "req-1", "Endpoint", "", properties(9), {}))
    # THEN CreateEndpoint asks for 4 units, and the endpoint is done once it serves them
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)
