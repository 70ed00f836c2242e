"""Unit tier (Stubber contract): the lifecycle's rarer paths, driven through botocore's Stubber (requests checked
against the real API model) or a client that fails the way botocore does."""

from __future__ import annotations

from botocore.exceptions import EndpointConnectionError

from comprehend_cr import budget
from comprehend_cr.lifecycle import failed_create_marker
from tests.unit.stubs import ARN, STACK, described, owned, request, run

OTHER_STACK = "arn:aws:cloudformation:us-east-1:111122223333:stack/other/2"


def test_an_unknown_request_type_fails_keeping_the_physical_id(comprehend):
    client, _ = comprehend
    assert run(client, request("Rename", ARN)).physical_id == ARN
    outcome = run(client, request("Rename"))
    assert outcome.status == "FAILED" and outcome.physical_id == failed_create_marker("Endpoint")
    assert outcome.reason.startswith("RequestType:")


def test_an_update_of_a_physical_id_that_is_not_an_endpoint_fails_at_once(comprehend):
    client, _ = comprehend
    outcome = run(client, request("Update", "ComprehendEndpoint-CREATE_FAILED-Endpoint"))
    assert outcome.status == "FAILED" and outcome.reason.startswith("PhysicalResourceId:")


def test_no_call_is_started_without_time_for_it_and_the_answer(comprehend):
    # GIVEN less time left than the slowest call plus the answer
    client, _ = comprehend
    # WHEN a Create runs, THEN it makes no call and hands over (PENDING) with nothing done
    outcome = run(client, request(), budget_s=budget.CALL_RESERVE_S - 1)
    assert outcome.status == "PENDING" and outcome.progress["arn"] == ""


def test_an_abandoned_invocation_makes_no_call(comprehend):
    client, _ = comprehend
    outcome = run(client, request(), abandoned=lambda: True)
    assert outcome.status == "FAILED" and "abandoned" in outcome.reason


def test_a_delete_of_an_endpoint_tagged_for_another_stack_fails_and_deletes_nothing(comprehend):
    # GIVEN a policy broad enough to describe it (defense in depth: the handler still reads the tags)
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned(OTHER_STACK, "Theirs")}, {"ResourceArn": ARN})
    outcome = run(client, request("Delete", ARN))
    assert outcome.status == "FAILED" and f"belongs to resource Theirs of stack {OTHER_STACK}" in outcome.reason


def test_an_update_of_an_endpoint_another_resource_of_the_stack_owns_fails_untouched(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned(STACK, "Other")}, {"ResourceArn": ARN})
    outcome = run(client, request("Update", ARN, DesiredInferenceUnits="2"))
    assert outcome.status == "FAILED" and "belongs to resource Other of this stack" in outcome.reason


def test_a_delete_denied_for_an_endpoint_that_then_vanished_succeeds(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned()}, {"ResourceArn": ARN})
    stub.add_client_error("delete_endpoint", service_error_code="AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": []}, {})
    stub.add_client_error("describe_endpoint", service_error_code="ResourceNotFoundException", http_status_code=400)
    assert run(client, request("Delete", ARN)).status == "SUCCESS"


def test_a_delete_denied_for_an_endpoint_that_still_exists_fails_naming_the_denial(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned()}, {"ResourceArn": ARN})
    stub.add_client_error("delete_endpoint", service_error_code="AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": [{"EndpointArn": ARN, "Status": "IN_SERVICE"}]}, {})
    outcome = run(client, request("Delete", ARN))
    assert outcome.status == "FAILED" and outcome.reason.startswith("AccessDeniedException")


def test_an_unexpected_refusal_of_describe_fails_with_the_services_reason(comprehend):
    client, stub = comprehend
    stub.add_client_error("describe_endpoint", service_error_code="ValidationException", service_message="bad arn")
    outcome = run(client, request("Delete", ARN))
    assert outcome.status == "FAILED" and outcome.reason == "ValidationException: bad arn"


def test_an_update_endpoint_refusal_other_than_in_use_fails_with_the_arn(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned()}, {"ResourceArn": ARN})
    stub.add_client_error(
        "update_endpoint", service_error_code="ResourceLimitExceededException", service_message="quota"
    )
    outcome = run(client, request("Update", ARN, DesiredInferenceUnits="11"))
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == "ResourceLimitExceededException: quota"


class Unreachable:
    """A client whose every call fails below the API (no connection), as botocore raises it."""

    def __init__(self):
        self.calls = 0

    def __getattr__(self, name):
        def call(**_kwargs):
            self.calls += 1
            raise EndpointConnectionError(endpoint_url="https://comprehend.us-east-1.amazonaws.com")

        return call


def test_connection_failures_are_retried_until_the_invocation_hands_over():
    # GIVEN a service that cannot be reached
    client = Unreachable()
    # WHEN a Create runs with 10 minutes of invocation left
    outcome = run(client, request(), budget_s=600)
    # THEN it kept trying (never a FAILED for a network blip) and handed over with nothing created
    assert outcome.status == "PENDING" and outcome.progress["arn"] == ""
    assert client.calls > 10


MARKER = failed_create_marker("Endpoint")
RECOGNIZER_ARN = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer-endpoint/news"
FLYWHEEL = "arn:aws:comprehend:us-east-1:111122223333:flywheel/loop"


def test_a_marker_delete_with_unreadable_properties_still_looks_for_strays_then_succeeds(comprehend):
    # GIVEN a failed Create's marker and properties that do not parse, and no endpoint of this resource
    client, stub = comprehend
    stub.add_response("list_endpoints", {"EndpointPropertiesList": []}, {})
    # THEN one ListEndpoints, and SUCCESS at once
    outcome = run(client, request("Delete", MARKER, DesiredInferenceUnits="many"))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", MARKER)


def test_a_marker_delete_deletes_this_resources_strays_only_and_answers_once_they_are_gone(comprehend):
    # GIVEN another stack's endpoint (IAM refuses its tags) and one this resource created, in service
    client, stub = comprehend
    listed = [{"EndpointArn": ARN, "Status": "IN_SERVICE"}, {"EndpointArn": RECOGNIZER_ARN, "Status": "IN_SERVICE"}]
    stub.add_response("list_endpoints", {"EndpointPropertiesList": listed}, {})
    stub.add_client_error("list_tags_for_resource", "AccessDeniedException", http_status_code=400)
    stub.add_response("list_tags_for_resource", {"Tags": owned()}, {"ResourceArn": RECOGNIZER_ARN})
    # WHEN the sweep looks at this resource's endpoint again (status, then its tags) and deletes it
    recognizer = described(arn=RECOGNIZER_ARN)
    stub.add_response("describe_endpoint", recognizer, {"EndpointArn": RECOGNIZER_ARN})
    stub.add_response("list_tags_for_resource", {"Tags": owned()}, {"ResourceArn": RECOGNIZER_ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": RECOGNIZER_ARN})
    stub.add_response("describe_endpoint", described("DELETING", arn=RECOGNIZER_ARN), {"EndpointArn": RECOGNIZER_ARN})
    stub.add_client_error("describe_endpoint", "ResourceNotFoundException", http_status_code=400)
    # THEN the Delete answers only once it is gone, and the other stack's endpoint was never described
    outcome = run(client, request("Delete", MARKER, ModelArn=None, FlywheelArn=FLYWHEEL))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", MARKER)
