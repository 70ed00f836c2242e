"""Unit tier (Stubber contract): the lifecycle's requests checked against botocore's Comprehend model (Stubber)."""

from __future__ import annotations

import pytest

from comprehend_cr import budget
from comprehend_cr.lifecycle import failed_create_marker
from tests.unit.stubs import ARN, OWNED, create_params, described, no_strays, request, run


def test_create_sends_api_names_and_types_and_waits_for_in_service(comprehend):
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, create_params(tags=[{"Key": "team", "Value": "nlp"}]))
    stub.add_response("describe_endpoint", described("CREATING"), {"EndpointArn": ARN})
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    outcome = run(client, request(Tags=[{"Key": "team", "Value": "nlp"}]))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_update_sends_only_what_changed(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, "DesiredInferenceUnits": 4})
    stub.add_response("describe_endpoint", described("UPDATING"), {"EndpointArn": ARN})
    stub.add_response("describe_endpoint", described("IN_SERVICE", units=4), {"EndpointArn": ARN})
    no_strays(stub)
    outcome = run(client, request("Update", ARN, DesiredInferenceUnits="4"))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


@pytest.mark.parametrize(
    ("code", "names"),
    [
        ("InvalidRequestException", "CreateEndpoint rejected the request"),
        ("ResourceLimitExceededException", "DesiredInferenceUnits"),
        ("ResourceNotFoundException", "ModelArn: not found"),
        ("ResourceUnavailableException", "ModelArn: the model is not available"),
        ("TooManyTagsException", "Tags:"),
    ],
)
def test_each_final_create_error_fails_with_a_marker_id_and_a_reason(comprehend, code, names):
    # GIVEN CreateEndpoint refuses with one of its documented, non-retryable errors
    client, stub = comprehend
    stub.add_client_error("create_endpoint", service_error_code=code, service_message="nope", http_status_code=400)
    # THEN FAILED with a reason naming the property, and a physical id that is not an endpoint
    outcome = run(client, request())
    assert outcome.status == "FAILED"
    assert names in outcome.reason and code in outcome.reason
    assert outcome.physical_id == failed_create_marker("Endpoint")


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 400), ("InternalServerException", 500)])
def test_retryable_create_errors_are_tried_again(comprehend, code, status):
    # GIVEN CreateEndpoint throttled / failing even after botocore's own retries
    client, stub = comprehend
    stub.add_client_error("create_endpoint", service_error_code=code, http_status_code=status)
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, create_params())
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    # THEN the lifecycle tries again on its next round and succeeds
    assert run(client, request()).status == "SUCCESS"


@pytest.mark.parametrize("spare_s", [0.0, 0.001])
def test_a_call_starts_while_its_whole_reserve_is_left_and_not_a_moment_later(comprehend, spare_s):
    # GIVEN an invocation with exactly CALL_RESERVE_S left, or a millisecond less
    client, stub = comprehend
    if spare_s == 0.0:
        # THEN with the whole reserve left, CreateEndpoint is called ...
        stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    # WHEN a Create runs
    outcome = run(client, budget_s=budget.CALL_RESERVE_S - spare_s)
    # ... and the request is handed over with the endpoint's ARN; with less left, before any call
    assert outcome.status == "PENDING"
    assert outcome.progress["arn"] == (ARN if spare_s == 0.0 else "")


def test_pending_when_the_invocation_budget_runs_out(comprehend):
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    stub.add_response("describe_endpoint", described("CREATING"), {"EndpointArn": ARN})
    outcome = run(client, budget_s=budget.INVOCATION_MARGIN_S + 12)
    assert outcome.status == "PENDING" and outcome.progress["arn"] == ARN


def test_delete_of_in_service_endpoint_deletes_and_waits_for_not_found(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": ARN})
    stub.add_response("describe_endpoint", described("DELETING"), {"EndpointArn": ARN})
    stub.add_client_error("describe_endpoint", service_error_code="ResourceNotFoundException")
    outcome = run(client, request("Delete", ARN))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_name_in_use_by_an_endpoint_iam_hides_fails_with_a_marker_and_touches_nothing(comprehend):
    # GIVEN the name is taken, and IAM refuses to describe that endpoint (its tags name no stack of ours)
    client, stub = comprehend
    stub.add_client_error("create_endpoint", service_error_code="ResourceInUseException", http_status_code=400)
    stub.add_client_error("describe_endpoint", service_error_code="AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": [{"EndpointArn": ARN, "Status": "IN_SERVICE"}]}, {})
    # WHEN the Create runs
    outcome = run(client, request())
    # THEN FAILED with the marker and a reason naming the property, and no mutating call was made
    assert outcome.status == "FAILED" and outcome.physical_id == failed_create_marker("Endpoint")
    assert outcome.reason == (
        f"EndpointName: 'news' is already used by an endpoint this resource does not own (EndpointArn: {ARN} is "
        "not this resource's: it has no cdk-comprehend-endpoint:stack-id tag naming this stack (IAM refused to "
        "show it, or it was created outside cdk-comprehend-endpoint >= 0.2; see the README's 'Ownership tags'); "
        "it was left untouched). Choose another endpoint_name"
    )


def test_name_in_use_by_an_endpoint_this_resource_owns_is_taken_back(comprehend):
    # GIVEN the name is held by an endpoint tagged with this stack and this logical id
    client, stub = comprehend
    stub.add_client_error("create_endpoint", service_error_code="ResourceInUseException", http_status_code=400)
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    # WHEN the Create runs
    outcome = run(client, request())
    # THEN it answers with that endpoint, having created nothing more
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_delete_told_access_denied_for_a_vanished_endpoint_succeeds_after_one_list(comprehend):
    # GIVEN IAM answers AccessDenied for an endpoint that no longer exists (tag conditions cannot match)
    client, stub = comprehend
    stub.add_client_error("describe_endpoint", service_error_code="AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": [], "NextToken": "page-2"}, {})
    stub.add_response("list_endpoints", {"EndpointPropertiesList": []}, {"NextToken": "page-2"})
    # WHEN the Delete runs, THEN it succeeds at once (every page of ListEndpoints was read)
    outcome = run(client, request("Delete", ARN))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_delete_of_an_endpoint_iam_hides_but_that_exists_fails_and_deletes_nothing(comprehend):
    client, stub = comprehend
    stub.add_client_error("describe_endpoint", service_error_code="AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": [{"EndpointArn": ARN, "Status": "IN_SERVICE"}]}, {})
    outcome = run(client, request("Delete", ARN))
    assert outcome.status == "FAILED" and "is not this resource's" in outcome.reason
