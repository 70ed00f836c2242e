"""Unit tier (Stubber contract): the exact API calls of a request, from what the service reports.

Each test queues the service's answers on a strict Stubber: a call the test does not expect, or one
with other parameters, fails it. So these pin which calls a request makes, with which arguments, and
which it does not make.
"""

from __future__ import annotations

from tests.unit.stubs import ARN, MODEL, OWNED, no_strays, request, run
from tests.unit.stubs import described as response

MODEL_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/news/version/v2"
FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop"


def described(stub, status="IN_SERVICE", **fields):
    stub.add_response("describe_endpoint", response(status, **fields), {"EndpointArn": ARN})


def owned(stub):
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})


def updated(stub, **changes):
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, **changes})


def test_a_delete_reads_the_ownership_tags_once_then_only_watches_the_endpoint_go(comprehend):
    client, stub = comprehend
    described(stub)
    owned(stub)
    stub.add_response("delete_endpoint", {}, {"EndpointArn": ARN})
    described(stub, "DELETING")
    described(stub, "DELETING")
    stub.add_client_error("describe_endpoint", service_error_code="ResourceNotFoundException", http_status_code=400)
    assert run(client, request("Delete", ARN)).status == "SUCCESS"


def test_a_delete_waits_for_a_busy_endpoint_before_asking_for_its_deletion(comprehend):
    client, stub = comprehend
    described(stub, "UPDATING")
    owned(stub)
    described(stub, "IN_SERVICE")
    stub.add_response("delete_endpoint", {}, {"EndpointArn": ARN})
    stub.add_client_error("describe_endpoint", service_error_code="ResourceNotFoundException", http_status_code=400)
    assert run(client, request("Delete", ARN)).status == "SUCCESS"


def test_after_a_failed_scaling_only_the_units_are_asked_for_again(comprehend):
    # GIVEN an endpoint whose last update FAILED: 2 units desired, 1 still current, the model unchanged
    client, stub = comprehend
    described(stub, "FAILED", DesiredInferenceUnits=2)
    owned(stub)
    # THEN the update to 2 units asks for the units again, and for nothing else
    updated(stub, DesiredInferenceUnits=2)
    described(stub, DesiredInferenceUnits=2, CurrentInferenceUnits=2)
    no_strays(stub)
    assert run(client, request("Update", ARN, DesiredInferenceUnits="2")).status == "SUCCESS"


def test_a_model_change_is_asked_for_when_the_service_reports_no_desired_model(comprehend):
    client, stub = comprehend
    described(stub, DesiredModelArn=None)
    owned(stub)
    updated(stub, DesiredModelArn=MODEL_V2)
    described(stub, ModelArn=MODEL_V2, DesiredModelArn=MODEL_V2)
    no_strays(stub)
    assert run(client, request("Update", ARN, ModelArn=MODEL_V2)).status == "SUCCESS"


def test_a_pending_change_to_another_model_is_turned_back_to_the_templates(comprehend):
    # GIVEN the endpoint serves the template's model, but another one is its desired model (a change
    # made outside the stack, or left by a failed update)
    client, stub = comprehend
    described(stub, DesiredModelArn=MODEL_V2)
    owned(stub)
    # THEN the update asks for the template's model again
    updated(stub, DesiredModelArn=MODEL)
    described(stub)
    no_strays(stub)
    assert run(client, request("Update", ARN)).status == "SUCCESS"


def test_an_unchanged_flywheel_is_not_sent_again(comprehend):
    client, stub = comprehend
    described(stub, FlywheelArn=FLYWHEEL)
    owned(stub)
    updated(stub, DesiredInferenceUnits=2)
    described(stub, FlywheelArn=FLYWHEEL, DesiredInferenceUnits=2, CurrentInferenceUnits=2)
    no_strays(stub)
    assert run(client, request("Update", ARN, FlywheelArn=FLYWHEEL, DesiredInferenceUnits="2")).status == "SUCCESS"


def test_removing_the_flywheel_of_an_endpoint_in_place_is_refused_naming_the_property(comprehend):
    client, stub = comprehend
    described(stub, FlywheelArn=FLYWHEEL)
    owned(stub)
    outcome = run(client, request("Update", ARN))
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == (
        "FlywheelArn: cannot be removed from an existing endpoint in place; change EndpointName as well to replace it"
    )
