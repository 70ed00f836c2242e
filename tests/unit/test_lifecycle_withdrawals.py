"""Unit tier: late, withdrawn and forged requests (a delivery CloudFormation no longer waits for, a rollback
that already ran, a carried progress that names what it should not) never delete, or answer with, an
endpoint the stack holds or the request never settled; and their deadline stays CloudFormation's.

These drive :class:`~comprehend_cr.lifecycle.Lifecycle` with small recording fakes of Comprehend and
CloudFormation instead of the strict Stubber, so that they pin an outcome (what is deleted, what is answered)
and not the order of the calls that reach it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from comprehend_cr.delivery import Delivery
from comprehend_cr.engine import Engine, Withdrawn
from comprehend_cr.lifecycle import Request, failed_create_marker
from comprehend_cr.progress import Phase, Progress
from tests.unit import stubs
from tests.unit.stubs import ARN, MODEL, OWNED, STACK, Clock

OTHER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/other"
SENT = 1000.0


def url(sent_at: float) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(sent_at))
    return f"https://cfn.example/s%7CEndpoint%7Creq-1?X-Amz-Date={stamp}&X-Amz-SignedHeaders=host&X-Amz-Signature=x"


def a_request(request_type: str, physical_id: str = "", sent_at: float = SENT) -> Request:
    properties = {"EndpointName": "news", "ModelArn": MODEL, "DesiredInferenceUnits": "1", "ServiceTimeout": "2700"}
    old = dict(properties) if request_type == "Update" else {}
    return Request(request_type, STACK, "req-1", "Endpoint", physical_id, properties, old, Delivery.of(url(sent_at)))


class FakeComprehend:
    """One endpoint, ``ARN``, in service and owned by resource Endpoint of ``STACK`` (created before SENT);
    records every call."""

    def __init__(self, status: str = "IN_SERVICE", born: float = SENT - 3600) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.deleted: list[str] = []
        self.status = status
        self.born = born

    def _note(self, name: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((name, kwargs))

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self._note("DescribeEndpoint", kwargs)
        status = "DELETING" if kwargs["EndpointArn"] in self.deleted else self.status
        return {
            "EndpointProperties": {
                "EndpointArn": kwargs["EndpointArn"],
                "Status": status,
                "ModelArn": MODEL,
                "DesiredModelArn": MODEL,
                "DesiredInferenceUnits": 1,
                "CurrentInferenceUnits": 1,
                "CreationTime": datetime.fromtimestamp(self.born, UTC),
            }
        }

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        self._note("ListTagsForResource", kwargs)
        return {"Tags": OWNED}

    def list_endpoints(self, **kwargs: Any) -> dict[str, Any]:
        self._note("ListEndpoints", kwargs)
        return {
            "EndpointPropertiesList": [
                {
                    "EndpointArn": ARN,
                    "Status": "DELETING" if ARN in self.deleted else "IN_SERVICE",
                    "CreationTime": datetime.fromtimestamp(self.born, UTC),
                }
            ]
        }

    def update_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self._note("UpdateEndpoint", kwargs)
        return {}

    def delete_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self._note("DeleteEndpoint", kwargs)
        self.deleted.append(kwargs["EndpointArn"])
        return {}


class FakeCloudFormation:
    """The stack as ``DescribeStacks``/``DescribeStackResource`` show it (fixed for the whole test)."""

    def __init__(self, stack_status: str, resource_status: str, physical_id: str, at: float = SENT) -> None:
        self.stack_status, self.resource_status, self.physical_id, self.at = (
            stack_status,
            resource_status,
            physical_id,
            at,
        )

    def describe_stacks(self, **kwargs: Any) -> dict[str, Any]:
        return {"Stacks": [{"StackName": "s", "StackId": STACK, "StackStatus": self.stack_status}]}

    def describe_stack_resource(self, **kwargs: Any) -> dict[str, Any]:
        detail = {
            "LogicalResourceId": "Endpoint",
            "ResourceStatus": self.resource_status,
            "LastUpdatedTimestamp": datetime.fromtimestamp(self.at, UTC),
        }
        if self.physical_id:
            detail["PhysicalResourceId"] = self.physical_id
        return {"StackResourceDetail": detail}


def run(request: Request, progress: Progress | None, comprehend: FakeComprehend, cfn: FakeCloudFormation) -> Any:
    """``stubs.run``, ten minutes after the request was sent."""
    return stubs.run(comprehend, request, progress, cloudformation=cfn, clock=Clock(SENT + 600))


def test_a_withdrawn_create_continued_in_a_new_invocation_never_deletes_the_endpoint_its_stack_holds():
    # GIVEN a Create delivery that created ARN and was withdrawn (another delivery of the same request
    # answered with ARN: the resource is CREATE_COMPLETE with that physical id), and whose withdrawal goes on
    # in a new invocation (the previous one ran out of time right after the verdict)
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("CREATE_IN_PROGRESS", "CREATE_COMPLETE", ARN)
    # WHEN the continuation runs
    outcome = run(
        a_request("Create"), withdrawing(created=True, reason="the resource is CREATE_COMPLETE"), comprehend, cfn
    )
    # THEN it answers nothing and leaves ARN, the endpoint CloudFormation holds, alone
    assert outcome.status == "SILENT"
    assert comprehend.deleted == [], "the withdrawn chain deleted the endpoint the stack holds"


def test_a_delete_of_a_non_arn_physical_id_never_sweeps_the_endpoint_the_resource_still_holds():
    # GIVEN resource Endpoint holds ARN (UPDATE_COMPLETE), and CloudFormation deletes an old physical id of it
    # that is not an endpoint ARN (e.g. the marker of a Create that failed before the request was sent again)
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", ARN)
    # WHEN the Delete runs
    outcome = run(a_request("Delete", failed_create_marker("Endpoint")), None, comprehend, cfn)
    # THEN it succeeds and ARN, the resource's current endpoint, is not deleted as a "stray"
    assert comprehend.deleted == [], "the Delete swept the endpoint the stack holds for the resource"
    assert outcome.status == "SUCCESS"


def test_a_carried_answer_id_cannot_name_an_endpoint_the_request_never_settled():
    # GIVEN an Update of ARN continued with a progress that says: settled, answer with OTHER
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ARN)
    progress = Progress.from_json({"started": SENT, "phase": "sweep", "strays": [], "answer_id": OTHER})
    # WHEN it runs
    outcome = run(a_request("Update", ARN), progress, comprehend, cfn)
    # THEN CloudFormation is not told that the resource's physical id is now OTHER (which would make it delete
    # ARN as a replaced endpoint in the cleanup)
    assert not (outcome.status == "SUCCESS" and outcome.physical_id == OTHER), outcome
    # AND it fails naming the field, having deleted nothing
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN)
    assert outcome.reason.startswith("progress.answer_id: "), outcome.reason
    assert comprehend.deleted == []


def test_a_carried_answer_whose_endpoint_arn_attribute_differs_from_it_is_refused():
    # GIVEN an Update of ARN continued with a progress that says: answer ARN, with attribute EndpointArn OTHER
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ARN)
    progress = Progress.from_json(
        {"started": SENT, "phase": "sweep", "strays": [], "answer_id": ARN, "answer_data": {"EndpointArn": OTHER}}
    )
    # WHEN it runs
    outcome = run(a_request("Update", ARN), progress, comprehend, cfn)
    # THEN the stack is never told OTHER is the endpoint: the request fails naming the field
    assert outcome.status == "FAILED", outcome
    assert outcome.reason.startswith("progress.answer_data.EndpointArn: "), outcome.reason


def test_a_carried_answer_of_the_endpoint_a_rename_names_is_given():
    # GIVEN a rename of ARN to news-v2 continued with a progress that settled on news-v2 (in this stack's region)
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ARN)
    base = a_request("Update", ARN)
    request = Request(
        "Update", STACK, "req-1", "Endpoint", ARN, {**base.properties, "EndpointName": "news-v2"},
        base.properties, base.delivery,
    )  # fmt: skip
    progress = Progress.from_json(
        {"started": SENT, "phase": "sweep", "strays": [], "answer_id": NEWS_V2, "answer_data": {"EndpointArn": NEWS_V2}}
    )
    # WHEN it runs
    outcome = run(request, progress, comprehend, cfn)
    # THEN it answers SUCCESS with news-v2
    assert (outcome.status, outcome.physical_id) == ("SUCCESS", NEWS_V2), outcome


def test_a_response_url_dated_in_the_future_does_not_move_the_deadline_past_cloudformations_timeout():
    # GIVEN a Create whose first invocation ran 2,700 s (its ServiceTimeout) ago and whose endpoint is still
    # CREATING, but whose ResponseURL says it was sent a day from now (a skewed or hand-made X-Amz-Date)
    comprehend = FakeComprehend(status="CREATING")
    cfn = FakeCloudFormation("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "")
    now = SENT + 600
    progress = Progress(started=now - 2700, arn=ARN, created=True, awaiting=True, units=1, expected_arn=ARN)
    # WHEN the continuation runs
    outcome = run(a_request("Create", sent_at=now + 86400), progress, comprehend, cfn)
    # THEN it answers FAILED at the handler's deadline (a send time cannot be later than the first invocation),
    # instead of waiting on past the ServiceTimeout
    assert outcome.status == "FAILED", outcome
    assert "deadline" in outcome.reason


NEWS_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/news-v2"


def test_a_rename_whose_stack_moved_into_rollback_since_its_first_check_withdraws_even_within_the_window():
    # GIVEN a rename of news (ARN) to news-v2 whose first check saw UPDATE_IN_PROGRESS and which created news-v2
    comprehend = FakeComprehend()
    # AND the stack now rolls back, its rollback Update having reached the resource 30 s after the rename was sent
    # (so neither the resource's status nor its time tells the two requests apart: only the stack's move does)
    cfn = FakeCloudFormation("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", ARN, at=SENT + 30)
    request = a_request("Update", ARN)
    request = Request(
        "Update", STACK, "req-1", "Endpoint", ARN, {**request.properties, "EndpointName": "news-v2"},
        request.properties, request.delivery,
    )  # fmt: skip
    progress = Progress(
        started=SENT, phase=Phase.REPLACE, arn=NEWS_V2, created=True, awaiting=True, units=1,
        expected_arn=NEWS_V2, stack_status="UPDATE_IN_PROGRESS", checked_at=SENT + 5,
    )  # fmt: skip
    # WHEN news-v2 is in service and the rename checks its stack before answering
    outcome = run(request, progress, comprehend, cfn)
    # THEN it does not answer (CloudFormation no longer waits for it) and removes news-v2
    assert outcome.status == "SILENT", outcome
    assert comprehend.deleted == [NEWS_V2]


def test_a_carried_stray_list_cannot_name_the_endpoint_the_request_answers_with():
    # GIVEN an Update of ARN continued with a progress whose strays name ARN itself (the resource's own endpoint,
    # which its ownership tags do name)
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ARN)
    progress = Progress.from_json({"started": SENT, "phase": "sweep", "strays": [ARN], "answer_id": ARN})
    # WHEN it runs
    run(a_request("Update", ARN), progress, comprehend, cfn)
    # THEN the endpoint CloudFormation holds (and this request answers with) is not deleted as a stray
    assert comprehend.deleted == [], "a carried stray list deleted the resource's own endpoint"


def test_a_carried_stray_list_cannot_name_an_endpoint_created_after_the_request_was_sent():
    # GIVEN a marker Delete (sent at SENT) continued with a progress whose strays name ARN, an endpoint of this
    # resource that a newer request created 100 s after the Delete was sent
    comprehend = FakeComprehend(born=SENT + 100)
    cfn = FakeCloudFormation("UPDATE_ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", failed_create_marker("Endpoint"))
    marker = failed_create_marker("Endpoint")
    progress = Progress.from_json({"started": SENT, "phase": "sweep", "strays": [ARN], "answer_id": marker})
    # WHEN it runs
    outcome = run(a_request("Delete", marker), progress, comprehend, cfn)
    # THEN the newer endpoint is read again and left alone: a carried list never outranks its creation time
    assert comprehend.deleted == [], "a carried stray list deleted an endpoint newer than the request"
    assert outcome.status == "SUCCESS"


def test_a_late_delete_of_a_replaced_id_leaves_the_endpoint_a_rename_back_created_under_that_name():
    # GIVEN the cleanup Delete of ARN, sent at SENT, that runs late; meanwhile a rename back to the same name made a
    # new endpoint at ARN (created 100 s after the Delete was sent), which the resource now holds
    comprehend = FakeComprehend(born=SENT + 100)
    cfn = FakeCloudFormation("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", ARN)
    # WHEN the Delete runs
    outcome = run(a_request("Delete", ARN), None, comprehend, cfn)
    # THEN it leaves the newer endpoint alone and succeeds
    assert comprehend.deleted == [], "the late Delete removed the newer endpoint that reuses the name"
    assert outcome.status == "SUCCESS"


def test_an_update_whose_rollback_already_ran_changes_nothing_on_the_endpoint():
    # GIVEN an Update of ARN from 1 to 2 inference units whose event ran late (Lambda's queue): CloudFormation
    # cancelled it and its rollback Update has already been answered (the resource is UPDATE_COMPLETE)
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_COMPLETE", ARN, at=SENT + 300)
    request = a_request("Update", ARN)
    request = Request(
        "Update", STACK, "req-1", "Endpoint", ARN, {**request.properties, "DesiredInferenceUnits": "2"},
        request.properties, request.delivery,
    )  # fmt: skip
    # WHEN it runs
    outcome = run(request, None, comprehend, cfn)
    # THEN it answers nothing and leaves the endpoint at the units the rollback restored
    assert [name for name, _ in comprehend.calls if name in ("UpdateEndpoint", "TagResource")] == []
    assert outcome.status == "SILENT"


def test_a_late_marker_delete_never_sweeps_an_endpoint_created_after_it_was_sent():
    # GIVEN the rollback Delete of a failed Create (the marker), sent at SENT and run late (a Lambda retry); in the
    # meantime a newer request of the resource created the endpoint ARN (100 s after the Delete was sent)
    comprehend = FakeComprehend(born=SENT + 100)
    cfn = FakeCloudFormation("UPDATE_ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", failed_create_marker("Endpoint"))
    # WHEN the Delete runs
    outcome = run(a_request("Delete", failed_create_marker("Endpoint")), None, comprehend, cfn)
    # THEN the newer endpoint is not one of its strays
    assert comprehend.deleted == [], "a late Delete swept an endpoint newer than itself"
    assert outcome.status == "SUCCESS"


class SiblingsComprehend(FakeComprehend):
    """OTHER belongs to sibling resource Other of the same stack."""

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        self._note("ListTagsForResource", kwargs)
        if kwargs["ResourceArn"] == OTHER:
            return {"Tags": [{**t, "Value": "Other"} if t["Key"].endswith(":logical-id") else t for t in OWNED]}
        return {"Tags": OWNED}


def test_a_forged_withdrawal_cannot_delete_a_siblings_endpoint():
    # GIVEN a Create continued with a forged progress: "withdrawn, delete OTHER, which this request created"
    comprehend = SiblingsComprehend()
    cfn = FakeCloudFormation("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "")
    progress = Progress.from_json({"started": SENT, "phase": "withdraw", "created": True, "arn": OTHER})
    # WHEN it runs
    run(a_request("Create"), progress, comprehend, cfn)
    # THEN the sibling's endpoint is left alone (its tags are read first)
    assert comprehend.deleted == []


def test_a_delete_run_at_the_very_second_cloudformation_stops_waiting_deletes_nothing_and_is_not_answered():
    # GIVEN a Delete of ARN whose first invocation runs exactly its ServiceTimeout (2700 s) after it was sent
    comprehend = FakeComprehend()
    cfn = FakeCloudFormation("DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS", ARN)
    # WHEN it runs
    outcome = stubs.run(comprehend, a_request("Delete", ARN), None, cloudformation=cfn, clock=Clock(SENT + 2700))
    # THEN CloudFormation no longer reads an answer: none is given, and the endpoint is left for the next Delete
    assert outcome.status == "SILENT"
    assert comprehend.deleted == []


def withdrawing(*, created: bool, reason: str = "the stack is rolling back") -> Progress:
    """A withdrawn Create's progress, continued in a new invocation: it reached ARN (created by it, or taken
    back) and was withdrawn for ``reason``."""
    return Progress(
        started=SENT,
        phase=Phase.WITHDRAW,
        arn=ARN,
        created=created,
        awaiting=True,
        units=1,
        expected_arn=ARN,
        reason=reason,
        stack_status="CREATE_IN_PROGRESS",
        checked_at=SENT + 590,
    )


def test_a_withdrawn_create_deletes_only_an_endpoint_it_created_itself():
    # GIVEN withdrawn Creates that reached ARN, one by creating it and one by taking back an endpoint that
    # existed before (e.g. kept by an earlier attempt), in a stack that no longer holds ARN
    cfn = FakeCloudFormation("ROLLBACK_IN_PROGRESS", "CREATE_FAILED", "")
    # WHEN each withdrawal goes on
    made, taken = FakeComprehend(), FakeComprehend()
    run(a_request("Create"), withdrawing(created=True), made, cfn)
    outcome = run(a_request("Create"), withdrawing(created=False), taken, cfn)
    # THEN the endpoint it created is deleted; the one it took back is left alone; neither is answered
    assert made.deleted == [ARN]
    assert taken.deleted == [], "a withdrawal deleted an endpoint it did not create"
    assert outcome.status == "SILENT"


def test_a_withdrawal_whose_endpoint_is_already_being_deleted_ends_without_deleting_it_again():
    # GIVEN a withdrawn Create whose endpoint is already DELETING
    comprehend = FakeComprehend(status="DELETING")
    cfn = FakeCloudFormation("ROLLBACK_IN_PROGRESS", "CREATE_FAILED", "")
    # WHEN the withdrawal goes on
    outcome = run(a_request("Create"), withdrawing(created=True), comprehend, cfn)
    # THEN it ends at once, unanswered, with no DeleteEndpoint and no stack read
    assert outcome.status == "SILENT"
    assert [name for name, _ in comprehend.calls] == ["DescribeEndpoint"]


class CountingCloudFormation(FakeCloudFormation):
    """``FakeCloudFormation`` that counts its ``DescribeStacks`` reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reads = 0

    def describe_stacks(self, **kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        return super().describe_stacks(**kwargs)


@pytest.mark.parametrize(
    ("fresh", "after_s", "reads"),
    [(False, 29.9, 1), (False, 30.0, 2), (True, 0.0, 1), (True, 0.002, 2)],
    ids=["reused within 30 s", "read again at 30 s", "fresh: reused in the same instant", "fresh: read again"],
)
def test_a_still_waited_verdict_is_reused_for_30_seconds_and_a_fresh_check_only_in_the_same_instant(
    fresh, after_s, reads
):
    # GIVEN a Create whose stack was read once, 10 s after it was sent, and still waits for it
    cfn = CountingCloudFormation("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "")
    clock = Clock(SENT + 10)
    engine = Engine(FakeComprehend(), clock, SENT + 900, cloudformation=cfn)
    request, state = a_request("Create"), Progress(started=SENT)
    engine._still_waited(request, state)
    # WHEN the request asks again, after_s later (fresh: before it creates or answers)
    clock.t += after_s
    if fresh:
        engine._still_waited(request, state, fresh=True)
    else:
        engine._still_waited(request, state)  # the default: not fresh
    # THEN the stack is read again only once the verdict is that old (the pace budget counts these reads)
    assert cfn.reads == reads


def test_the_first_stack_status_a_request_reads_is_kept_to_tell_a_later_rollback_apart():
    # GIVEN a rename of news (ARN) to news-v2 whose first read of its stack, 10 s after it was sent, shows
    # UPDATE_IN_PROGRESS (nothing carried from an earlier invocation)
    cfn = CountingCloudFormation("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", ARN)
    clock = Clock(SENT + 10)
    engine = Engine(FakeComprehend(), clock, SENT + 900, cloudformation=cfn)
    forward = a_request("Update", ARN)
    request = Request(
        "Update", STACK, "req-1", "Endpoint", ARN, {**forward.properties, "EndpointName": "news-v2"},
        forward.properties, forward.delivery,
    )  # fmt: skip
    state = Progress(started=SENT)
    engine._still_waited(request, state)
    # WHEN the stack has moved into rollback, its rollback Update reaching the resource 30 s after the rename was
    # sent (the resource's status and time alone cannot tell the two requests apart), and the rename checks again
    cfn.stack_status, cfn.at = "UPDATE_ROLLBACK_IN_PROGRESS", SENT + 30
    clock.t += 31
    # THEN the status it read first is what tells it that CloudFormation no longer waits for it
    with pytest.raises(Withdrawn):
        engine._still_waited(request, state, fresh=True)
    assert state.stack_status == "UPDATE_IN_PROGRESS"


class RefusingOnce(FakeComprehend):
    """``FakeComprehend`` whose first ``DescribeEndpoint`` is refused for good (a ``Rejected`` error)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        if not self.refused:
            self.refused = True
            error = {"Error": {"Code": "InvalidRequestException", "Message": "refused"}}
            raise ClientError(error, "DescribeEndpoint")  # type: ignore[arg-type]
        return super().describe_endpoint(**kwargs)


def test_a_refused_request_found_withdrawn_before_its_answer_still_removes_what_it_created():
    # GIVEN a Create that created ARN and waits for it, whose stack has since rolled back, and whose next read of
    # the endpoint is refused (so it would answer FAILED, and checks its stack first)
    comprehend = RefusingOnce()
    cfn = FakeCloudFormation("ROLLBACK_IN_PROGRESS", "CREATE_IN_PROGRESS", "")
    progress = Progress(started=SENT, arn=ARN, created=True, awaiting=True, units=1, expected_arn=ARN)
    # WHEN the request goes on
    outcome = run(a_request("Create"), progress, comprehend, cfn)
    # THEN it answers nothing (CloudFormation no longer waits) and deletes the endpoint it created
    assert outcome.status == "SILENT", outcome
    assert comprehend.deleted == [ARN]


@pytest.mark.parametrize(
    "comprehend_class",
    [FakeComprehend, RefusingOnce],
    ids=["found withdrawn before its answer", "refused, then found withdrawn before its FAILED answer"],
)
def test_a_withdrawn_request_that_created_nothing_ends_at_once(comprehend_class):
    # GIVEN a Create waiting for an endpoint it took back but did not create (ARN: its own, by name and tags),
    # now in service, whose stack has since rolled back (and, in one case, whose next read of it is refused)
    comprehend = comprehend_class()
    cfn = FakeCloudFormation("ROLLBACK_IN_PROGRESS", "CREATE_IN_PROGRESS", "")
    progress = Progress(started=SENT, arn=ARN, created=False, awaiting=True, units=1, expected_arn=ARN)
    clock = Clock(SENT + 600)
    # WHEN the request goes on and checks its stack before it answers
    outcome = stubs.run(comprehend, a_request("Create"), progress, cloudformation=cfn, clock=clock)
    # THEN it ends without an answer in the same instant, deleting nothing (no round is left to run)
    assert outcome.status == "SILENT", outcome
    assert comprehend.deleted == [] and clock.t == SENT + 600


def test_a_refused_request_whose_invocation_is_abandoned_before_its_last_stack_check_answers_the_refusal():
    # GIVEN a Create waiting for the endpoint it created (its stack still waits for it), whose next read of the
    # endpoint is refused, and whose invocation crhelper's timer abandons right after that refusal
    comprehend = RefusingOnce()
    cfn = FakeCloudFormation("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "")
    progress = Progress(started=SENT, arn=ARN, created=True, awaiting=True, units=1, expected_arn=ARN)
    # WHEN the request goes on, and its check of the stack before the FAILED answer meets the abandonment
    outcome = stubs.run(
        comprehend, a_request("Create"), progress, cloudformation=cfn, clock=Clock(SENT + 600),
        abandoned=lambda: comprehend.refused,
    )  # fmt: skip
    # THEN it answers FAILED at once, quoting the refusal (not the abandonment)
    assert (outcome.status, outcome.physical_id) == ("FAILED", ARN), outcome
    assert "refused" in outcome.reason and "InvalidRequestException" in outcome.reason, outcome.reason
