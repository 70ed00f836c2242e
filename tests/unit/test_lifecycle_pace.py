"""Unit tier (Stubber contract): when the lifecycle polls, on the virtual clock.

DescribeEndpoint is paced (docs/design.md §4: at most one call per 5 s per endpoint): the first poll 5 s after
the request, then every 1.5 times longer, up to every 10 s. A continuation keeps the pace of the
invocation before it, and an invocation hands over rather than start a wait it could not finish.
"""

from __future__ import annotations

from typing import Any

from comprehend_cr import budget
from comprehend_cr.lifecycle import Lifecycle
from comprehend_cr.progress import Progress
from tests.unit.stubs import ARN, Clock, described, request


class Timed:
    """``client``, recording each call's operation and the clock's time when it was made."""

    def __init__(self, client: Any, clock: Clock) -> None:
        self._client, self._clock = client, clock
        self.calls: list[tuple[str, float]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, self._clock.now()))
            return method(**kwargs)

        return call


def creating(stub, polls):
    for _ in range(polls):
        stub.add_response("describe_endpoint", described("CREATING"), {"EndpointArn": ARN})


def test_a_create_polls_after_5_then_7_5_then_every_10_seconds(comprehend):
    # GIVEN an endpoint that is CREATING for four polls
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    creating(stub, 4)
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    clock = Clock()
    timed = Timed(client, clock)
    # WHEN the Create runs
    outcome = Lifecycle(timed, clock, invocation_end=clock.now() + 900).run(request())
    # THEN it polls 5 s after CreateEndpoint, then 7.5 s later, then every 10 s
    assert outcome.status == "SUCCESS"
    assert [(name, at - 1000.0) for name, at in timed.calls] == [
        ("create_endpoint", 0.0),
        ("describe_endpoint", 5.0),
        ("describe_endpoint", 12.5),
        ("describe_endpoint", 22.5),
        ("describe_endpoint", 32.5),
        ("describe_endpoint", 42.5),
    ]


def awaiting(polled_at: float) -> Progress:
    """The progress a Create hands over while its endpoint is being created."""
    return Progress.from_json(
        {"started": 900.0, "polled_at": polled_at, "arn": ARN, "created": True, "awaiting": True, "units": 1}
    )


def test_a_continuation_polls_at_once_when_the_last_poll_is_older_than_the_first_interval(comprehend):
    # GIVEN a Create handed over; its last poll was 10 s before this invocation starts
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    clock = Clock()
    timed = Timed(client, clock)
    # WHEN the continuation runs
    outcome = Lifecycle(timed, clock, invocation_end=clock.now() + 900).run(request(), awaiting(clock.now() - 10))
    # THEN its first poll is made at once
    assert outcome.status == "SUCCESS" and timed.calls == [("describe_endpoint", 1000.0)]


def test_a_continuation_keeps_the_pace_of_the_invocation_before_it(comprehend):
    # GIVEN a Create handed over 2 s after its last poll
    client, stub = comprehend
    stub.add_response("describe_endpoint", described(), {"EndpointArn": ARN})
    clock = Clock()
    timed = Timed(client, clock)
    # WHEN the continuation runs, THEN its first poll is 5 s after the last one
    Lifecycle(timed, clock, invocation_end=clock.now() + 900).run(request(), awaiting(clock.now() - 2))
    assert timed.calls == [("describe_endpoint", 1003.0)]


def test_an_invocation_waits_when_the_wait_ends_exactly_at_its_margin_and_hands_over_after(comprehend):
    # GIVEN an invocation whose end leaves exactly the first 5 s wait plus its margin after CreateEndpoint
    client, stub = comprehend
    stub.add_response("create_endpoint", {"EndpointArn": ARN}, None)
    creating(stub, 1)
    clock = Clock()
    timed = Timed(client, clock)
    # WHEN the Create runs
    end = clock.now() + 5.0 + budget.INVOCATION_MARGIN_S
    outcome = Lifecycle(timed, clock, invocation_end=end).run(request())
    # THEN it waits and polls once, then hands over (the next, 7.5 s, wait would end inside the margin)
    assert outcome.status == "PENDING" and outcome.progress["polled_at"] == 1005.0
    assert [name for name, _ in timed.calls] == ["create_endpoint", "describe_endpoint"]
