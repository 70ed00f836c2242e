"""20 endpoints created at once through the one shared handler while the API throttles every other call."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from comprehend_loopback.scenarios import create_many
from comprehend_loopback.world import World


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, World.start(Path(tmp)) as world:
        started = time.perf_counter()
        result = create_many(world)
        result["real_s"] = time.perf_counter() - started
        return result


def report(result: dict[str, Any]) -> list[str]:
    ok = result["statuses"].count("SUCCESS")
    unique = len(set(result["creates"]))
    return [
        f"20 concurrent creates, every other API call throttled ({result['throttled']} of {result['calls']} "
        f"Comprehend calls): {ok}/20 answered SUCCESS, {result['endpoints']} endpoints, "
        f"{len(result['creates']) - unique} duplicates, {len(set(result['physical_ids']))} distinct physical ids, "
        f"{result['invocations']} invocations ({result['crashed_or_timed_out']} crashed or timed out), "
        f"all answered {result['virtual_s'] / 60:.1f} virtual minutes after submission "
        f"({result['real_s']:.1f} s of real time)."
    ]
