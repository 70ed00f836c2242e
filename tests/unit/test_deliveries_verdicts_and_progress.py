"""Unit tier: the pure decisions behind CloudFormation's real timing.

When a delivery was sent (the ResponseURL's X-Amz-Date), whether CloudFormation still waits for it (the stack's
and the resource's status), what the carried progress may hold, and which tags an update may touch.
"""

from __future__ import annotations

import pytest

from comprehend_cr import arns
from comprehend_cr.delivery import Delivery, InvalidResponseUrl, amz_date
from comprehend_cr.diffs import tag_changes
from comprehend_cr.progress import Phase, Progress, ProgressError
from comprehend_cr.watch import NEWER_DELIVERY_S, StackView, needs_rollback_start, verdict

ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news"
URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3Acloudformation"
    "%3Aus-east-1%3A111122223333%3Astack/s/1%7CEndpoint%7Creq-1?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Date=20261203T101500Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7200&X-Amz-Signature=abc"
)
SENT = 1796292900.0
"""2026-12-03 10:15:00 UTC, the X-Amz-Date of ``URL``."""


# -- deliveries ------------------------------------------------------------------------------------


def test_a_deliverys_send_time_is_its_urls_x_amz_date():
    assert Delivery.of(URL).sent_at == SENT


@pytest.mark.parametrize(
    "query",
    ["", "X-Amz-Date=", "X-Amz-Date=20261203T101500", "X-Amz-Date=20261303T101500Z", "X-Amz-Date=1&X-Amz-Date=2"],
)
def test_a_missing_or_malformed_x_amz_date_gives_no_send_time(query):
    assert amz_date(query) is None


def test_the_parameter_name_is_matched_whatever_its_case():
    assert amz_date("x-amz-date=20261203T101500Z") == SENT


def test_a_delivery_id_is_twenty_hex_digits_of_the_urls_path_and_query():
    import hashlib
    from urllib.parse import urlsplit

    parts = urlsplit(URL)
    assert Delivery.of(URL).id == hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:20]


def test_a_missing_or_non_https_response_url_is_refused_naming_it():
    with pytest.raises(InvalidResponseUrl) as caught:
        Delivery.of(None)
    assert str(caught.value) == "ResponseURL: missing (a test event or a hand-made invocation?)"
    with pytest.raises(InvalidResponseUrl) as caught:
        Delivery.of("http://example.com/x")
    assert str(caught.value) == "ResponseURL: not an https URL"


def test_two_deliveries_of_one_request_differ_and_one_delivery_is_the_same_wherever_it_is_served():
    # GIVEN the same request sent again a minute later (new date, new signature), and the first URL on another host
    again = URL.replace("101500Z", "101600Z").replace("Signature=abc", "Signature=def")
    elsewhere = URL.replace("cloudformation-custom-resource-response-useast1.s3.amazonaws.com", "127.0.0.1:8443")
    # THEN the two deliveries have different ids, and the host does not change a delivery's id
    assert Delivery.of(URL).id != Delivery.of(again).id
    assert Delivery.of(URL).id == Delivery.of(elsewhere).id
    # AND so do the tokens derived for them (a re-sent Create can create anew)
    tokens = {arns.derive_token("s", "Endpoint", "req-1", Delivery.of(u).id) for u in (URL, again)}
    assert len(tokens) == 2 and all(arns.TOKEN.fullmatch(t) for t in tokens)


def test_the_token_formula_is_pinned():
    # A golden value: a change of the derivation would make a retried invocation after an upgrade create a
    # second endpoint
    token = arns.derive_token("arn:aws:cloudformation:us-east-1:111122223333:stack/s/1", "Endpoint", "r", "d")
    assert token == "cfn-418689c549967a3f923a923514870eafa249cb3b383fc6f9a1b1cbbf195c"


@pytest.mark.parametrize("url", [None, "", "http://example.com/r", "https://", 42])
def test_an_event_without_an_https_response_url_cannot_be_answered(url):
    with pytest.raises(InvalidResponseUrl, match="ResponseURL"):
        Delivery.of(url)


# -- is the request still waited for ---------------------------------------------------------------


def waited(request_type="Update", stack="UPDATE_IN_PROGRESS", resource="UPDATE_IN_PROGRESS", at=SENT, first=None):
    view = StackView(stack, resource, at, ARN)
    return verdict(request_type, view, first_stack_status=first, sent_at=SENT).waited


def test_a_request_in_progress_is_waited_for():
    assert waited()
    assert waited("Create", "CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS")
    assert waited("Create", "UPDATE_IN_PROGRESS", "CREATE_IN_PROGRESS")
    assert waited("Update", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS")


@pytest.mark.parametrize(
    ("request_type", "stack"),
    [
        ("Create", "ROLLBACK_IN_PROGRESS"),
        ("Create", "ROLLBACK_COMPLETE"),
        ("Create", "UPDATE_ROLLBACK_IN_PROGRESS"),
        ("Update", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("Update", "UPDATE_FAILED"),
        ("Update", "DELETE_IN_PROGRESS"),
    ],
)
def test_a_stack_in_a_status_that_sends_no_such_request_means_it_is_over(request_type, stack):
    resource = f"{request_type.upper()}_IN_PROGRESS"
    assert not waited(request_type, stack, resource)


def test_a_stack_that_moved_on_since_the_first_check_means_it_is_over():
    # GIVEN a forward Update that saw UPDATE_IN_PROGRESS at its first check; the stack now rolls back
    assert not waited("Update", "UPDATE_ROLLBACK_IN_PROGRESS", first="UPDATE_IN_PROGRESS")
    # AND the same status as at the first check is still waited for
    assert waited("Update", "UPDATE_IN_PROGRESS", first="UPDATE_IN_PROGRESS")


@pytest.mark.parametrize("resource", ["UPDATE_FAILED", "UPDATE_COMPLETE", "CREATE_COMPLETE", "DELETE_IN_PROGRESS"])
def test_a_cancelled_or_answered_resource_means_it_is_over(resource):
    assert not waited(resource=resource)


def test_a_newer_delivery_is_told_from_this_one_by_its_time():
    # GIVEN the resource went in progress within NEWER_DELIVERY_S of this delivery: this delivery
    assert waited(at=SENT + NEWER_DELIVERY_S)
    # WHEN it went in progress later: a newer delivery (the rollback's Update, or the request sent again)
    assert not waited(at=SENT + NEWER_DELIVERY_S + 1)


def test_a_gone_stack_means_it_is_over_and_unknown_statuses_are_never_taken_for_it():
    assert not verdict("Create", StackView(None), first_stack_status=None, sent_at=SENT).waited
    # GIVEN statuses this module does not know (a future status, a resource not listed yet)
    assert waited("Update", "SOME_FUTURE_STATUS", "SOME_FUTURE_RESOURCE_STATUS")
    assert verdict("Create", StackView("CREATE_IN_PROGRESS"), first_stack_status=None, sent_at=SENT).waited


def rolling_back(began_at, request_type="Update", resource="UPDATE_IN_PROGRESS", sent_at=SENT):
    view = StackView("UPDATE_ROLLBACK_IN_PROGRESS", resource, SENT + 30, ARN)
    return verdict(request_type, view, first_stack_status=None, sent_at=sent_at, rollback_began_at=began_at).waited


def test_an_update_sent_before_the_stack_began_to_roll_back_is_the_cancelled_forward_one():
    # GIVEN an Update read while the stack rolls back, the resource stamped in progress 30 s after the Update
    # was sent (too soon to call it a newer delivery)
    # WHEN the rollback began a second or more after the Update's X-Amz-Date: the forward Update, cancelled
    assert not rolling_back(SENT + 1.0)
    assert not rolling_back(SENT + 25)
    # WHEN the rollback began before, or within the second X-Amz-Date rounds down: the rollback's own Update
    assert rolling_back(SENT + 0.999)
    assert rolling_back(SENT - 40)
    # AND an unknown start (events unreadable) is never taken for "over"
    assert rolling_back(None)


def test_only_an_update_with_a_send_time_read_during_an_update_rollback_needs_the_rollbacks_start():
    view = StackView("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", SENT, ARN)
    assert needs_rollback_start("Update", view, SENT)
    assert not needs_rollback_start("Update", view, None)
    assert not needs_rollback_start("Create", view, SENT)
    assert not needs_rollback_start("Update", StackView("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", SENT, ARN), SENT)
    # AND a rollback's start never makes a forward stack's Update over, nor an Update without a send time
    forward = StackView("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", SENT, ARN)
    assert verdict("Update", forward, first_stack_status=None, sent_at=SENT, rollback_began_at=SENT + 9).waited
    assert rolling_back(SENT + 9, sent_at=None)


def why(request_type="Update", stack="UPDATE_IN_PROGRESS", resource="UPDATE_IN_PROGRESS", at=SENT, **kwargs):
    options = {"first_stack_status": None, "sent_at": SENT, **kwargs}
    return verdict(request_type, StackView(stack, resource, at, ARN), **options).why


def test_each_verdict_says_why_in_the_words_an_operator_reads_in_the_log():
    assert verdict("Create", StackView(None), first_stack_status=None, sent_at=SENT).why == "the stack no longer exists"
    assert why(stack="UPDATE_FAILED") == "the stack is UPDATE_FAILED, in which CloudFormation waits for no Update"
    assert why(first_stack_status="UPDATE_IN_PROGRESS", stack="UPDATE_ROLLBACK_IN_PROGRESS") == (
        "the stack moved from UPDATE_IN_PROGRESS to UPDATE_ROLLBACK_IN_PROGRESS"
    )
    assert why(resource="UPDATE_FAILED") == "the resource is UPDATE_FAILED"
    assert why(at=SENT + 61) == "CloudFormation sent this resource a newer request"
    assert why(stack="UPDATE_ROLLBACK_IN_PROGRESS", rollback_began_at=SENT + 5) == (
        "this Update was sent before the stack began to roll back, which cancelled it"
    )
    assert why() == "the stack is UPDATE_IN_PROGRESS and the resource UPDATE_IN_PROGRESS"
    assert why(resource=None) == "the stack is UPDATE_IN_PROGRESS and the resource not listed yet"


def test_an_endpoints_creation_time_is_read_from_a_datetime_or_a_number_never_a_flag():
    from datetime import UTC, datetime

    from comprehend_cr.calls import creation_time

    assert creation_time({"CreationTime": datetime.fromtimestamp(SENT, UTC)}) == SENT
    assert creation_time({"CreationTime": 12}) == 12.0
    assert creation_time({"CreationTime": True}) is None
    assert creation_time({}) is None


# -- the progress carried between invocations ----------------------------------------------------


def test_progress_round_trips_through_json():
    progress = Progress(started=5.0, phase=Phase.SWEEP, arn=ARN, created=True, strays=[ARN], answer_data={"a": "b"})
    assert Progress.from_json(progress.to_json()) == progress


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phase", "delete-everything"),
        ("arn", "arn:aws:s3:::bucket"),
        ("strays", ["arn:aws:comprehend:us-east-1:111122223333:flywheel/x"]),
        ("strays", "not-a-list"),
        ("created", "yes"),
        ("hops", -1),
        ("started", float("nan")),
        ("answer_data", {"a": 1}),
        ("owner_checked", True),
    ],
)
def test_forged_or_malformed_progress_is_refused_naming_the_field(field, value):
    raw = {**Progress(started=5.0).to_json(), field: value}
    with pytest.raises(ProgressError, match=rf"^progress\.{field}"):
        Progress.from_json(raw)


def test_progress_must_be_an_object_with_a_start():
    with pytest.raises(ProgressError) as caught:
        Progress.from_json(["started"])
    assert str(caught.value) == "progress: must be an object, got list"
    with pytest.raises(ProgressError) as caught:
        Progress.from_json({})
    assert str(caught.value) == "progress.started: missing"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hops", 1_000_001, "progress.hops: must be a whole number >= 0, got 1000001"),
        ("hops", 2.0, "progress.hops: must be a whole number >= 0, got 2.0"),
        ("hops", True, "progress.hops: must be a whole number >= 0, got True"),
        ("started", "5", "progress.started: must be a non-negative number, got '5'"),
        ("started", -1.0, "progress.started: must be a non-negative number, got -1.0"),
        ("reason", "x" * 2049, "progress.reason: must be a string of at most 2048 characters"),
        ("reason", 7, "progress.reason: must be a string of at most 2048 characters"),
        ("strays", [ARN] * 1001, "progress.strays: must be a list of endpoint ARNs"),
        ("strays", [""], "progress.strays[0]: must be an endpoint ARN, got ''"),
        ("owner", "x", "progress.owner: unknown field"),
    ],
)
def test_progress_is_refused_past_each_limit_with_a_message_naming_the_field(field, value, message):
    raw = {**Progress(started=5.0).to_json(), field: value}
    with pytest.raises(ProgressError) as caught:
        Progress.from_json(raw)
    assert str(caught.value) == message


def test_progress_at_each_limit_is_accepted():
    # GIVEN every bounded field at its limit
    raw = {**Progress(started=0).to_json(), "hops": 1_000_000, "reason": "x" * 2048, "strays": [ARN] * 1000}
    # WHEN loaded, THEN it is kept as given
    loaded = Progress.from_json(raw)
    assert (loaded.hops, len(loaded.reason), len(loaded.strays), loaded.started) == (1_000_000, 2048, 1000, 0.0)


# -- the request's token ---------------------------------------------------------------------------


def test_a_requests_token_is_derived_from_its_stack_resource_request_and_delivery():
    from comprehend_cr.arns import derive_token
    from comprehend_cr.request import Request

    delivery = Delivery.of(URL)
    request = Request("Create", "stack-1", "req-1", "Endpoint", "", {}, {}, delivery)
    assert request.token() == derive_token("stack-1", "Endpoint", "req-1", delivery.id)
    # AND each part changes it: another stack, resource, request or delivery gets another token
    others = [
        Request("Create", "stack-2", "req-1", "Endpoint", "", {}, {}, delivery),
        Request("Create", "stack-1", "req-1", "Other", "", {}, {}, delivery),
        Request("Create", "stack-1", "req-2", "Endpoint", "", {}, {}, delivery),
        Request("Create", "stack-1", "req-1", "Endpoint", "", {}, {}, None),
    ]
    assert len({request.token(), *(o.token() for o in others)}) == 5
    # AND without a delivery the token is the one of an empty delivery id
    assert others[-1].token() == derive_token("stack-1", "Endpoint", "req-1", "")


# -- tags as CloudFormation changes them -----------------------------------------------------------


def test_only_the_tags_the_template_changed_are_set_or_removed():
    # GIVEN the template changed team and dropped env; another tool added backup; someone changed owner by hand
    live = {"team": "old", "env": "prod", "backup": "daily", "owner": "someone", "aws:cloudformation:x": "y"}
    changes = tag_changes({"team": "nlp", "owner": "ana"}, {"team": "old", "env": "prod", "owner": "ana"}, live)
    # THEN team and owner are set, env removed, and the other tool's tag (and aws:) left alone
    assert (changes.to_set, changes.to_remove) == ({"team": "nlp", "owner": "ana"}, ["env"])


def test_without_readable_previous_properties_nothing_is_removed():
    assert tag_changes({}, None, {"team": "nlp"}).to_remove == []
