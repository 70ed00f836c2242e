"""Unit tier (Stubber contract): a successful update deletes the strays of its resource, whatever their
status (endpoints a cancelled or withdrawn request of the same resource created: CloudFormation never
learned of them), and nothing else: not another owner's endpoint, not one kept on purpose, not one from
before the request tag. Driven from the outside: an Update in, the service's answers stubbed (every call
checked against botocore's model, in order), the answer and the calls out."""

from __future__ import annotations

from comprehend_cr.lifecycle import DEADLINE_MARGIN_S
from tests.unit.stubs import ARN, OWNED, described, no_strays, owned, request, run, run_timed

STRAY = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"
STRAY_2 = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer-endpoint/news"
FOREIGN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/theirs"
SIBLING = "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer-endpoint/people"


def unchanged_update(stub):
    """An update whose endpoint is in service as desired: it succeeds without UpdateEndpoint."""
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": ARN})


def stray_found(stub):
    """The search for strays lists news-v2 CREATING, and its tags say it is this resource's."""
    no_strays(stub, {"EndpointArn": STRAY, "Status": "CREATING"})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": STRAY})


def deleted_once_in_service(stub):
    """news-v2 seen in service, then deleted."""
    status_of(stub, STRAY, "IN_SERVICE")
    stub.add_response("delete_endpoint", {}, {"EndpointArn": STRAY})


def update(client, **props):
    """The Update of news (nothing changed unless ``props`` say so), and the seconds it took."""
    return run_timed(client, request("Update", ARN, **props))


def status_of(stub, arn, status):
    """A sweep round's look at a stray: its status, then (unless it is already going) its tags again."""
    stub.add_response("describe_endpoint", described(status, arn=arn), {"EndpointArn": arn})
    if status != "DELETING":
        stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": arn})


def test_a_stray_still_being_created_is_deleted_once_it_can_be_then_the_update_answers(comprehend):
    client, stub = comprehend
    # GIVEN the update's endpoint as desired, and news-v2 CREATING with this resource's ownership tags
    unchanged_update(stub)
    stray_found(stub)
    # WHEN news-v2 is still CREATING at the first look and in service at the next
    status_of(stub, STRAY, "CREATING")
    status_of(stub, STRAY, "IN_SERVICE")
    # THEN it is deleted as soon as the service accepts it, and the update answers SUCCESS with its own ARN
    stub.add_response("delete_endpoint", {}, {"EndpointArn": STRAY})
    outcome, _ = update(client)
    assert (outcome.status, outcome.physical_id, outcome.data["EndpointArn"]) == ("SUCCESS", ARN, ARN)


def test_other_owners_kept_and_pre_request_tag_endpoints_are_not_touched(comprehend):
    client, stub = comprehend
    # GIVEN, besides the update's endpoint: another stack's endpoint being created (IAM refuses its
    # tags), a sibling resource's endpoint being created, one of this resource's in service that it keeps
    # on purpose (retained mark), and one of this resource's created before the request tag existed (0.2)
    unchanged_update(stub)
    no_strays(
        stub,
        {"EndpointArn": FOREIGN, "Status": "CREATING"},
        {"EndpointArn": SIBLING, "Status": "CREATING"},
        {"EndpointArn": STRAY, "Status": "IN_SERVICE"},
        {"EndpointArn": STRAY_2, "Status": "IN_SERVICE"},
    )
    stub.add_client_error("list_tags_for_resource", "AccessDeniedException", http_status_code=400)
    stub.add_response("list_tags_for_resource", {"Tags": owned(logical="People")}, {"ResourceArn": SIBLING})
    kept = [*OWNED, {"Key": "cdk-comprehend-endpoint:retained", "Value": "true"}]
    stub.add_response("list_tags_for_resource", {"Tags": kept}, {"ResourceArn": STRAY})
    stub.add_response("list_tags_for_resource", {"Tags": owned(request_id=None)}, {"ResourceArn": STRAY_2})
    # THEN the update answers at once, and nothing is described, deleted or tagged
    outcome, _ = update(client)
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)


def test_an_endpoint_the_listing_shows_on_a_later_page_is_found(comprehend):
    client, stub = comprehend
    unchanged_update(stub)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": [], "NextToken": "p2"}, {})
    stub.add_response(
        "list_endpoints",
        {"EndpointPropertiesList": [{"EndpointArn": STRAY, "Status": "CREATING"}]},
        {"NextToken": "p2"},
    )
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": STRAY})
    deleted_once_in_service(stub)
    assert update(client)[0].status == "SUCCESS"


def test_a_stray_already_on_its_way_out_is_not_deleted_again(comprehend):
    client, stub = comprehend
    unchanged_update(stub)
    stray_found(stub)
    status_of(stub, STRAY, "DELETING")
    assert update(client)[0].status == "SUCCESS"


def test_a_throttled_tag_lookup_is_tried_again_not_taken_for_a_foreign_endpoint(comprehend):
    client, stub = comprehend
    # GIVEN the tags of a CREATING endpoint cannot be read for a while (throttled)
    unchanged_update(stub)
    no_strays(stub, {"EndpointArn": STRAY, "Status": "CREATING"})
    stub.add_client_error("list_tags_for_resource", "ThrottlingException", http_status_code=400)
    # THEN the whole check runs again on the next round, and the stray is found and deleted
    unchanged_update(stub)
    stray_found(stub)
    deleted_once_in_service(stub)
    assert update(client)[0].status == "SUCCESS"


def test_an_endpoint_whose_tags_cannot_be_read_is_left_alone(comprehend):
    client, stub = comprehend
    # GIVEN a CREATING endpoint that vanishes before its tags are read
    unchanged_update(stub)
    no_strays(stub, {"EndpointArn": STRAY, "Status": "CREATING"})
    stub.add_client_error("list_tags_for_resource", "ResourceNotFoundException", http_status_code=400)
    # THEN the update still answers SUCCESS, with nothing deleted
    assert update(client)[0].status == "SUCCESS"


def test_the_endpoint_a_rename_replaces_is_never_swept_even_while_still_being_created(comprehend):
    client, stub = comprehend
    # GIVEN news still CREATING (a create that failed on a stack deployed with --no-rollback), renamed
    # to news-v2: the replacement is created and comes into service first
    stub.add_response("create_endpoint", {"EndpointArn": STRAY})
    stub.add_response("describe_endpoint", described(arn=STRAY), {"EndpointArn": STRAY})
    # WHEN the search for strays sees news CREATING with this resource's tags
    stub.add_response(
        "list_endpoints",
        {"EndpointPropertiesList": [{"EndpointArn": ARN, "Status": "CREATING"}, {"EndpointArn": STRAY}]},
        {},
    )
    # THEN news is left for CloudFormation's cleanup (it is the physical id CloudFormation knows)
    outcome = run(client, request("Update", ARN, EndpointName="news-v2"))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", STRAY)


def test_at_the_deadline_the_update_answers_and_leaves_the_stray_named_in_the_log(comprehend, caplog):
    client, stub = comprehend
    # GIVEN a stray that stays CREATING, and a ServiceTimeout that leaves the handler one more look
    timeout = int(DEADLINE_MARGIN_S) + 5
    unchanged_update(stub)
    stray_found(stub)
    status_of(stub, STRAY, "CREATING")
    status_of(stub, STRAY, "CREATING")
    # THEN at the deadline the update still answers SUCCESS (the resource itself is as desired) and the
    # log names the endpoint left to delete by hand
    outcome, elapsed = update(client, ServiceTimeout=str(timeout))
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", ARN)
    assert elapsed == 5.0
    assert STRAY in caplog.text and "left to delete by hand" in caplog.text


def two_strays_found(stub):
    no_strays(stub, {"EndpointArn": STRAY, "Status": "CREATING"}, {"EndpointArn": STRAY_2, "Status": "CREATING"})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": STRAY})
    stub.add_response("list_tags_for_resource", {"Tags": OWNED}, {"ResourceArn": STRAY_2})


def test_each_stray_is_handled_in_every_round_and_only_the_busy_one_is_looked_at_again(comprehend):
    client, stub = comprehend
    # GIVEN two strays (a rename and a type change cancelled in turn)
    unchanged_update(stub)
    two_strays_found(stub)
    # WHEN the first is still being created and the second can already be deleted
    status_of(stub, STRAY, "CREATING")
    status_of(stub, STRAY_2, "IN_SERVICE")
    stub.add_response("delete_endpoint", {}, {"EndpointArn": STRAY_2})
    # THEN the second is deleted in the same round, and the next round looks at the first one only
    deleted_once_in_service(stub)
    assert update(client)[0].status == "SUCCESS"


def test_a_stray_already_going_does_not_stop_the_next_one_from_being_deleted(comprehend):
    client, stub = comprehend
    unchanged_update(stub)
    two_strays_found(stub)
    status_of(stub, STRAY, "DELETING")
    status_of(stub, STRAY_2, "IN_SERVICE")
    stub.add_response("delete_endpoint", {}, {"EndpointArn": STRAY_2})
    assert update(client)[0].status == "SUCCESS"


def test_a_listing_without_an_arn_is_skipped(comprehend):
    client, stub = comprehend
    # GIVEN ListEndpoints shows an endpoint being created without its ARN (every field of the API's
    # EndpointProperties is optional)
    unchanged_update(stub)
    no_strays(stub, {"Status": "CREATING"})
    # THEN nothing is looked up for it
    assert update(client)[0].status == "SUCCESS"


def test_a_stray_that_vanishes_before_its_delete_needs_no_second_look(comprehend):
    client, stub = comprehend
    unchanged_update(stub)
    stray_found(stub)
    status_of(stub, STRAY, "IN_SERVICE")
    stub.add_client_error("delete_endpoint", "ResourceNotFoundException", http_status_code=400)
    # THEN the update answers in the same round, without another look at the stray
    outcome, elapsed = update(client)
    assert (outcome.status, elapsed) == ("SUCCESS", 0.0)


def test_a_stray_whose_delete_is_denied_because_it_is_gone_needs_no_second_look(comprehend):
    client, stub = comprehend
    unchanged_update(stub)
    stray_found(stub)
    status_of(stub, STRAY, "IN_SERVICE")
    # GIVEN DeleteEndpoint denied (under the tag condition, a vanished endpoint answers AccessDenied) and
    # ListEndpoints no longer showing it
    stub.add_client_error("delete_endpoint", "AccessDeniedException", http_status_code=400)
    stub.add_response("list_endpoints", {"EndpointPropertiesList": []}, {})
    outcome, elapsed = update(client)
    assert (outcome.status, elapsed) == ("SUCCESS", 0.0)
