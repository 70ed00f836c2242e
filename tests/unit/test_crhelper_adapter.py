"""Unit tier: ``comprehend_cr.crhelper_adapter``'s own promises about answers, on a minimal subclass.

At most one answer leaves an invocation, also when the first delivery raised after the PUT may have gone out
(crhelper then answers FAILED through ``_send`` again); none leaves without the invocation's own ResponseURL.
"""

from __future__ import annotations

from typing import Any

from comprehend_cr.crhelper_adapter import AdaptedCfnResource
from tests.unit.crhelper_stubs import Context, event


class Recorder(AdaptedCfnResource):
    """Answers every request with ``physical-1``; records each delivery, and raises from the first if told to."""

    def __init__(self, *, delivery_raises: bool = False) -> None:
        super().__init__(log_level="INFO")
        self.delivered: list[tuple[str, str, str]] = []
        self.delivery_raises = delivery_raises

    def handle(self, event: dict[str, Any], context: Any) -> str | None:
        return "physical-1"

    def fallback_physical_id(self, event: dict[str, Any]) -> str:
        return "fallback-1"

    def deliver(self, *, status: str, reason: str, physical_id: str) -> None:
        self.delivered.append((status, reason, physical_id))
        if self.delivery_raises:
            raise ConnectionError("the connection broke after the answer was written")


def test_an_answer_whose_delivery_raised_is_not_followed_by_a_second_answer():
    # GIVEN an invocation whose one delivery raises once the answer may already have reached CloudFormation
    resource = Recorder(delivery_raises=True)
    resource.begin_invocation()
    # WHEN crhelper catches the error and answers FAILED through _send, as it does for any escaping exception
    resource(event(), Context())
    # THEN only the first answer left the invocation: CloudFormation never reads a FAILED after a SUCCESS
    assert resource.delivered == [("SUCCESS", "", "physical-1")]


def test_the_next_invocation_answers_again():
    # GIVEN a warm container whose previous invocation answered
    resource = Recorder()
    resource.begin_invocation()
    resource(event(), Context())
    # WHEN the next request arrives in the same container
    resource.begin_invocation()
    resource(event(RequestId="req-2"), Context())
    # THEN it gets its own answer
    assert resource.delivered == [("SUCCESS", "", "physical-1")] * 2


def test_an_event_without_a_response_url_is_answered_nowhere():
    # GIVEN a warm container that answered a request, then an event without ResponseURL (a console test event)
    resource = Recorder()
    resource.begin_invocation()
    resource(event(), Context())
    test_event = event(RequestId="req-2")
    del test_event["ResponseURL"]
    # WHEN it is handled
    resource.begin_invocation()
    resource(test_event, Context())
    # THEN nothing more is delivered (the previous request's URL is not reused)
    assert resource.delivered == [("SUCCESS", "", "physical-1")]


class KeptByCrhelper(Recorder):
    """A crhelper whose per-request init leaves the previous request's physical id and reason in place (2.0.12
    resets both; the adapter's clean slate must not depend on it). req-1 succeeds with a reason, req-2 fails,
    any other request succeeds without a physical id."""

    kept: tuple[str, str] = ("", "")

    # crhelper's private methods are not in its type stubs.
    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self.kept = (self.PhysicalResourceId, self.Reason)
        return bool(super()._crhelper_init(event, context))  # type: ignore[misc]

    def _wrap_function(self, func: Any) -> None:
        """Runs the request's function, with the attributes crhelper's init just reset put back."""
        self.PhysicalResourceId, self.Reason = self.kept
        super()._wrap_function(func)  # type: ignore[misc]

    def handle(self, event: dict[str, Any], context: Any) -> str | None:
        if event["RequestId"] == "req-1":
            self.Reason = "the first request's reason"
            return "physical-1"
        if event["RequestId"] == "req-2":
            raise RuntimeError("the second request failed")
        return None


def test_no_physical_id_or_reason_of_one_request_reaches_the_next_requests_answer():
    # GIVEN a warm container whose first request answered with physical-1 and a reason, on a crhelper that no
    # longer resets its per-request attributes itself
    resource = KeptByCrhelper()
    resource.begin_invocation()
    resource(event(RequestId="req-1"), Context())
    # WHEN a request that fails before it has a physical id, then one that succeeds without one, arrive
    for request_id in ("req-2", "req-3"):
        resource.begin_invocation()
        resource(event(RequestId=request_id), Context())
    # THEN each answers with its own reason and the fallback id, never what an earlier request left behind
    assert resource.delivered == [
        ("SUCCESS", "the first request's reason", "physical-1"),
        ("FAILED", "the second request failed", "fallback-1"),
        ("SUCCESS", "", "fallback-1"),
    ]
