"""Lifecycle tier: many endpoints at once through the one shared handler function."""

from __future__ import annotations

from comprehend_loopback.scenarios import create_many
from tests.lifecycle.conftest import assert_well_behaved


def test_twenty_concurrent_creates_under_throttling_all_succeed_without_duplicates(world):
    # GIVEN 20 Creates submitted at the same instant, and every other API call throttled
    # WHEN the one function serves them concurrently (one execution environment per invocation)
    result = create_many(world, count=20)
    # THEN all 20 answered SUCCESS with 20 distinct endpoints, none created twice
    assert result["statuses"] == ["SUCCESS"] * 20
    assert result["endpoints"] == 20
    assert len(result["creates"]) == len(set(result["creates"])) == 20
    assert len(set(result["physical_ids"])) == 20
    assert result["throttled"] > 100
    assert result["crashed_or_timed_out"] == 0
    # ... and each endpoint was described at most once per 5 s, concurrency notwithstanding
    assert_well_behaved(world, result["cfn"])


def test_concurrent_runs_are_deterministic(make_world):
    # GIVEN the same 6 concurrent, throttled creates played twice from scratch
    runs = []
    for _ in range(2):
        with make_world() as world:
            result = create_many(world, count=6)
            runs.append(
                (
                    sorted(world.aws.calls.items()),
                    [(round(at, 6), arn) for at, arn, _ in world.aws.describes],
                    sorted((at, arn) for _, at, arn in result["timeline"]),
                )
            )
    # THEN both runs made the same calls, at the same virtual times, and answered at the same moments
    assert runs[0] == runs[1]
