"""Unit tier (Stubber contract): the exact reason CloudFormation shows for each way a request fails.

The reason is the handler's user interface (docs/design.md §4: it names the property to fix), so these tests
pin the whole text, driven from the outside: a request in, the service's answers stubbed with
botocore's Stubber (requests checked against the real API model), the outcome out.
"""

from __future__ import annotations

import pytest

from tests.unit.stubs import ARN, MODEL, STACK, described, owned, run
from tests.unit.stubs import request as base_request

FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop"
OTHER_STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/other/2"
MARKER = "ComprehendEndpoint-CREATE_FAILED-Endpoint"


def request(request_type="Create", physical_id="", **props):
    """``stubs.request``, naming no model when it names a flywheel (unless told to name both)."""
    no_model = {"ModelArn": None} if "FlywheelArn" in props else {}
    return base_request(request_type, physical_id, **{**no_model, **props})


def refuse_create(stub, code, message="nope"):
    stub.add_client_error("create_endpoint", service_error_code=code, service_message=message, http_status_code=400)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("ResourceNotFoundException", f"ModelArn: not found (ModelArn {MODEL})"),
        ("ResourceUnavailableException", f"ModelArn: the model is not available yet (ModelArn {MODEL})"),
        (
            "ResourceLimitExceededException",
            "DesiredInferenceUnits: 1 exceeds an account quota of Comprehend endpoints or inference units "
            "(request an increase in Service Quotas)",
        ),
        ("TooManyTagsException", "Tags: 0 tags are more than the service allows"),
        ("InvalidRequestException", "CreateEndpoint rejected the request"),
        ("KmsKeyValidationException", "CreateEndpoint failed"),
    ],
)
def test_a_refused_create_names_what_to_fix_then_quotes_the_service(comprehend, code, reason):
    # GIVEN CreateEndpoint refuses for good
    client, stub = comprehend
    refuse_create(stub, code, "the service's words")
    # WHEN the Create runs
    outcome = run(client, request())
    # THEN the reason names the property to fix, then quotes the service's code and message
    assert (outcome.status, outcome.physical_id) == ("FAILED", MARKER)
    assert outcome.reason == f"{reason} [{code}: the service's words]"


def flywheel_described(stub):
    stub.add_response(
        "describe_flywheel",
        {"FlywheelProperties": {"FlywheelArn": FLYWHEEL, "ModelType": "DOCUMENT_CLASSIFIER"}},
        {"FlywheelArn": FLYWHEEL},
    )


def test_a_flywheel_that_is_not_found_is_named_as_the_property_to_fix(comprehend):
    client, stub = comprehend
    flywheel_described(stub)
    refuse_create(stub, "ResourceNotFoundException")
    outcome = run(client, request(FlywheelArn=FLYWHEEL))
    assert outcome.reason == f"FlywheelArn: not found (FlywheelArn {FLYWHEEL}) [ResourceNotFoundException: nope]"


@pytest.mark.parametrize(
    ("message", "named"),
    [("Flywheel is not ready", f"FlywheelArn: not found (FlywheelArn {FLYWHEEL})"), ("Model x", "ModelArn: not")],
)
def test_with_both_a_model_and_a_flywheel_the_services_message_tells_which_is_missing(comprehend, message, named):
    # GIVEN an endpoint that names both a model and a flywheel
    client, stub = comprehend
    refuse_create(stub, "ResourceNotFoundException", message)
    # WHEN CreateEndpoint says one of them is not found
    outcome = run(client, request(ModelArn=MODEL, FlywheelArn=FLYWHEEL))
    # THEN the reason names the one the service's message speaks of (the model unless it says "flywheel")
    assert outcome.reason.startswith(named)


def test_a_create_the_policy_denies_for_a_name_not_in_use_says_the_policy_names_exact_endpoints(comprehend):
    # GIVEN CreateEndpoint is denied and no endpoint holds the name
    client, stub = comprehend
    refuse_create(stub, "AccessDeniedException", "not authorized")
    stub.add_client_error("describe_endpoint", service_error_code="ResourceNotFoundException", http_status_code=400)
    outcome = run(client, request())
    # THEN the reason says what the handler's policy allows
    assert outcome.reason == (
        "EndpointName/ModelArn: the handler may not create this endpoint (its policy names the exact endpoint "
        "names, models and flywheels of the current template) [AccessDeniedException: not authorized]"
    )


def test_a_name_held_by_another_stacks_endpoint_fails_naming_the_owner_and_what_to_do(comprehend):
    # GIVEN the name is taken by an endpoint another stack's resource created
    client, stub = comprehend
    refuse_create(stub, "ResourceInUseException")
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned(OTHER_STACK, "Theirs")}, {"ResourceArn": ARN})
    outcome = run(client, request())
    assert (outcome.status, outcome.physical_id) == ("FAILED", MARKER)
    assert outcome.reason == (
        "EndpointName: 'news' is already used by an endpoint this resource does not own (EndpointArn: "
        f"{ARN} is not this resource's: it belongs to resource Theirs of stack {OTHER_STACK}; it was left "
        "untouched). Choose another endpoint_name"
    )


def test_a_name_held_by_an_endpoint_without_ownership_tags_points_to_the_readme(comprehend):
    client, stub = comprehend
    refuse_create(stub, "ResourceInUseException")
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": [{"Key": "team", "Value": "nlp"}]}, {"ResourceArn": ARN})
    outcome = run(client, request())
    assert outcome.reason == (
        "EndpointName: 'news' is already used by an endpoint this resource does not own (EndpointArn: "
        f"{ARN} is not this resource's: it has no cdk-comprehend-endpoint:stack-id tag naming this stack (IAM "
        "refused to show it, or it was created outside cdk-comprehend-endpoint >= 0.2; see the README's "
        "'Ownership tags'); it was left untouched). Choose another endpoint_name"
    )


def test_an_update_of_an_endpoint_of_a_sibling_resource_names_that_resource(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned(STACK, "Sibling")}, {"ResourceArn": ARN})
    outcome = run(client, request("Update", ARN, DesiredInferenceUnits="2"))
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == (
        f"EndpointArn: {ARN} is not this resource's: it belongs to resource Sibling of this stack; "
        "it was left untouched"
    )


def test_an_abandoned_invocation_says_so(comprehend):
    client, _ = comprehend
    outcome = run(client, request(), abandoned=lambda: True)
    assert outcome.reason == "the invocation was abandoned before it could finish"


def test_an_endpoint_that_failed_without_a_message_says_the_service_gave_none(comprehend):
    # GIVEN the created endpoint turns FAILED without a Message
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    stub.add_response("describe_endpoint", described("FAILED"), {"EndpointArn": ARN})
    outcome = run(client, request())
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == f"Endpoint {ARN} FAILED: no message from the service"


def test_a_list_endpoints_page_without_a_list_counts_as_no_endpoint(comprehend):
    # GIVEN IAM hides the endpoint of a Delete, and ListEndpoints answers a page with no list in it
    client, stub = comprehend
    stub.add_client_error("describe_endpoint", service_error_code="AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {}, {})
    # THEN the endpoint is gone: the Delete succeeds
    outcome = run(client, request("Delete", ARN))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_an_update_to_a_flywheel_the_handler_may_not_describe_fails_at_once_keeping_the_endpoint(comprehend):
    # GIVEN DescribeFlywheel is denied for the flywheel an Update moves the endpoint to
    client, stub = comprehend
    stub.add_client_error(
        "describe_flywheel",
        service_error_code="AccessDeniedException",
        service_message="not authorized",
        http_status_code=400,
        expected_params={"FlywheelArn": FLYWHEEL},
    )
    # WHEN the Update runs
    outcome = run(client, request("Update", ARN, FlywheelArn=FLYWHEEL))
    # THEN it fails before touching the endpoint, keeping its ARN, naming the flywheel and quoting the service
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == "FlywheelArn: AccessDeniedException: not authorized"
