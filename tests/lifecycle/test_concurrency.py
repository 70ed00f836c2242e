"""Lifecycle tier: many endpoints at once through the one shared handler function."""

from __future__ import annotations

from comprehend_loopback.scenarios import create_many


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
