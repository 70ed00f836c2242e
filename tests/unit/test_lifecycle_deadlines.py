"""Unit tier (Stubber contract): the handler's own deadline, to the second.

The handler answers FAILED itself ``DEADLINE_MARGIN_S`` before the resource's ServiceTimeout. These
tests put that deadline exactly on the first or the second check of a request (checks happen at 0 s
and ``POLL_FIRST_S``) and drive the request with the service's answers stubbed (Stubber: every call
checked against the API model, and no call allowed that the test did not expect). At the deadline the
request is over: the deadline instant itself is too late.
"""

from __future__ import annotations

from comprehend_cr.lifecycle import CLEANUP_RESERVE_S, DEADLINE_MARGIN_S, POLL_FIRST_S
from tests.unit import stubs
from tests.unit.stubs import ARN, OWNED, described
from tests.unit.stubs import run_timed as run

NEW_ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"
MARKER = "ComprehendEndpoint-CREATE_FAILED-Endpoint"
AT_FIRST_CHECK = int(DEADLINE_MARGIN_S)
"""A ServiceTimeout whose deadline is the request's first check."""
AT_SECOND_CHECK = int(DEADLINE_MARGIN_S + POLL_FIRST_S)
"""A ServiceTimeout whose deadline is the request's second check."""


def request(request_type="Create", physical_id="", timeout=AT_SECOND_CHECK, **props):
    """``stubs.request`` with a ServiceTimeout (by default one whose deadline is the second check)."""
    return stubs.request(request_type, physical_id, ServiceTimeout=str(timeout), **props)


def late(endpoint, status, timeout):
    return (
        f"Endpoint {endpoint} still {status} after {timeout - int(DEADLINE_MARGIN_S)} s, the handler's deadline "
        f"({int(DEADLINE_MARGIN_S)} s before the resource's ServiceTimeout of {timeout} s)"
    )


def throttle(stub, operation):
    stub.add_client_error(operation, service_error_code="TooManyRequestsException", http_status_code=400)


def test_a_create_whose_deadline_has_come_makes_no_call_and_fails_with_the_marker(comprehend):
    # GIVEN a ServiceTimeout so short that the deadline is the first check
    client, _ = comprehend
    # WHEN the Create runs, THEN it fails at once, creating nothing, naming the endpoint by its name
    outcome, elapsed = run(client, request(timeout=AT_FIRST_CHECK))
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", MARKER, 0.0)
    assert outcome.reason == late("news", "unknown", AT_FIRST_CHECK)


def test_a_create_throttled_until_the_deadline_fails_naming_the_arn_it_tried(comprehend):
    # GIVEN CreateEndpoint throttled at the first check, and the deadline at the second
    client, stub = comprehend
    throttle(stub, "create_endpoint")
    # THEN at the second check the Create fails (no second CreateEndpoint), naming the ARN it asked for
    outcome, elapsed = run(client, request())
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", MARKER, POLL_FIRST_S)
    assert outcome.reason == late(ARN, "unknown", AT_SECOND_CHECK)


def test_a_name_refused_as_in_use_while_no_endpoint_has_it_fails_at_the_deadline_saying_it_is_gone(comprehend):
    # GIVEN CreateEndpoint says the name is in use, but the endpoint holding it is already gone
    client, stub = comprehend
    stub.add_client_error("create_endpoint", service_error_code="ResourceInUseException", http_status_code=400)
    stub.add_client_error("describe_endpoint", service_error_code="ResourceNotFoundException", http_status_code=400)
    # THEN the Create waits for the name, and at the deadline says the endpoint it waited for is gone
    outcome, _ = run(client, request())
    assert (outcome.status, outcome.physical_id) == ("FAILED", MARKER)
    assert outcome.reason == late(ARN, "gone", AT_SECOND_CHECK)


def test_an_endpoint_still_creating_at_the_deadline_fails_with_its_arn(comprehend):
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    stub.add_response("describe_endpoint", described("CREATING"), {"EndpointArn": ARN})
    outcome, elapsed = run(client, request())
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == late(ARN, "CREATING", AT_SECOND_CHECK)


def test_an_update_still_updating_at_the_deadline_fails_with_the_arn(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    stub.add_response("update_endpoint", {}, {"EndpointArn": ARN, "DesiredInferenceUnits": 2})
    stub.add_response("describe_endpoint", described("UPDATING"), {"EndpointArn": ARN})
    outcome, elapsed = run(client, request("Update", ARN, DesiredInferenceUnits="2"))
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == late(ARN, "UPDATING", AT_SECOND_CHECK)


def test_a_delete_still_deleting_at_the_deadline_fails_with_the_arn(comprehend):
    client, stub = comprehend
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": ARN})
    stub.add_response("describe_endpoint", described("DELETING"), {"EndpointArn": ARN})
    outcome, elapsed = run(client, request("Delete", ARN))
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == late(ARN, "DELETING", AT_SECOND_CHECK)


def rename(stub):
    """The first check of a rename: the replacement ``news-v2`` is requested."""
    stub.add_response("create_endpoint", {"EndpointArn": NEW_ARN}, None)


def test_a_rename_throttled_until_the_deadline_fails_keeping_the_old_arn_and_naming_the_new(comprehend):
    client, stub = comprehend
    throttle(stub, "create_endpoint")
    outcome, elapsed = run(client, request("Update", ARN, EndpointName="news-v2"))
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == late(NEW_ARN, "unknown", AT_SECOND_CHECK)


def test_a_rename_whose_deadline_has_come_makes_no_call_and_names_the_new_endpoint_by_name(comprehend):
    client, _ = comprehend
    outcome, _ = run(client, request("Update", ARN, EndpointName="news-v2", timeout=AT_FIRST_CHECK))
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == late("news-v2", "unknown", AT_FIRST_CHECK)


def test_a_replacement_that_failed_at_the_deadline_is_deleted_and_said_so(comprehend):
    # GIVEN the replacement is FAILED at the second check, which is also the deadline
    client, stub = comprehend
    rename(stub)
    stub.add_response(
        "describe_endpoint",
        described("FAILED", arn=NEW_ARN, Message="bad model"),
        {"EndpointArn": NEW_ARN},
    )
    # WHEN its ownership tags are read again and DeleteEndpoint of the replacement is accepted
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": NEW_ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": NEW_ARN})
    outcome, elapsed = run(client, request("Update", ARN, EndpointName="news-v2"))
    # THEN the update fails at once with the old ARN, saying the replacement was deleted (not "by hand")
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == (
        f"Endpoint {NEW_ARN} FAILED: bad model; the replacement endpoint was deleted, {ARN} is unchanged"
    )


def test_a_replacement_still_creating_at_the_deadline_is_left_to_delete_by_hand(comprehend):
    # GIVEN the replacement is still CREATING at the deadline, and the service refuses to delete it yet
    client, stub = comprehend
    rename(stub)
    stub.add_response("describe_endpoint", described("CREATING", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": NEW_ARN})
    stub.add_client_error("delete_endpoint", service_error_code="ResourceInUseException", http_status_code=400)
    outcome, elapsed = run(client, request("Update", ARN, EndpointName="news-v2"))
    # THEN the update fails then and there, with the old ARN, saying which endpoint to delete by hand
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == (
        f"{late(NEW_ARN, 'CREATING', AT_SECOND_CHECK)}; delete the replacement endpoint {NEW_ARN} by hand"
    )


def test_a_replacement_too_slow_for_the_deadline_that_is_already_going_is_not_deleted_again(comprehend):
    # GIVEN a rename whose replacement is still CREATING when the deadline leaves no time to wait for it
    client, stub = comprehend
    rename(stub)
    stub.add_response("describe_endpoint", described("CREATING", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    # ... and is DELETING by the next check (deleted outside the stack, or by the service)
    stub.add_response("describe_endpoint", described("DELETING", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    outcome, _ = run(client, request("Update", ARN, EndpointName="news-v2", timeout=300))
    # THEN the update fails with the old ARN without another DeleteEndpoint (the Stubber allows none)
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert (
        outcome.reason == f"{late(NEW_ARN, 'CREATING', 300)}; the replacement endpoint was deleted, {ARN} is unchanged"
    )


def test_an_endpoint_taken_back_that_is_still_converging_at_the_deadline_fails_keeping_the_old_arn(comprehend):
    # GIVEN a rename onto a name held by an endpoint this resource owns (e.g. met again by a rollback)
    client, stub = comprehend
    stub.add_client_error("create_endpoint", service_error_code="ResourceInUseException", http_status_code=400)
    stub.add_response("describe_endpoint", described("IN_SERVICE", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": NEW_ARN})
    # ... which the second check (the deadline) finds with 1 unit instead of 2, and updates
    stub.add_response("describe_endpoint", described("IN_SERVICE", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": NEW_ARN})
    stub.add_response("update_endpoint", {}, {"EndpointArn": NEW_ARN, "DesiredInferenceUnits": 2})
    outcome, elapsed = run(client, request("Update", ARN, EndpointName="news-v2", DesiredInferenceUnits="2"))
    # THEN the update fails then and there, with the old ARN, naming the endpoint it was converging
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, POLL_FIRST_S)
    assert outcome.reason == late(NEW_ARN, "IN_SERVICE", AT_SECOND_CHECK)


def test_a_delete_honours_the_shortest_service_timeout_cloudformation_accepts(comprehend):
    # GIVEN a Delete whose ServiceTimeout is 1 s (CloudFormation's minimum): its deadline is long past
    client, stub = comprehend
    stub.add_response("describe_endpoint", described("IN_SERVICE"), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})
    outcome, elapsed = run(client, request("Delete", ARN, timeout=1))
    # THEN it fails at the first check without asking for the deletion (the Stubber allows no DeleteEndpoint)
    assert (outcome.status, outcome.physical_id, elapsed) == ("FAILED", ARN, 0.0)
    assert outcome.reason.startswith(f"Endpoint {ARN} still IN_SERVICE after ")


def test_a_replacement_not_in_service_when_the_cleanup_reserve_begins_is_given_up(comprehend):
    # GIVEN a rename whose second check falls exactly when only the cleanup reserve is left before the deadline
    client, stub = comprehend
    timeout = int(DEADLINE_MARGIN_S + CLEANUP_RESERVE_S + POLL_FIRST_S)
    rename(stub)
    stub.add_response("describe_endpoint", described("CREATING", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    # WHEN the replacement is in service at the third check
    stub.add_response("describe_endpoint", described("IN_SERVICE", arn=NEW_ARN), {"EndpointArn": NEW_ARN})
    # THEN it is deleted all the same (the update was given up at the second check), keeping the old ARN
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": NEW_ARN})
    stub.add_response("delete_endpoint", {}, {"EndpointArn": NEW_ARN})
    outcome, _ = run(client, request("Update", ARN, EndpointName="news-v2", timeout=timeout))
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason == (
        f"{late(NEW_ARN, 'CREATING', timeout)}; the replacement endpoint was deleted, {ARN} is unchanged"
    )
