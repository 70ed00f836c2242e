"""``make bench``: prints every figure and writes them to docs/benchmarks.md."""

from __future__ import annotations

import datetime
import logging
import platform
import time
from collections.abc import Callable
from pathlib import Path

from bench import coldstart, concurrency, lifecycle, scale

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    started = time.perf_counter()
    # The handlers' own log lines (retries under throttling, ...) are not the benchmark's output.
    logging.getLogger().addHandler(logging.NullHandler())
    sections: list[tuple[str, list[str]]] = []

    steps: list[tuple[str, str, Callable[[], list[str]]]] = [
        (
            "lifecycle on the virtual clock",
            "Waiting: this handler vs crhelper's defaults (virtual clock)",
            lambda: lifecycle.report(lifecycle.run()),
        ),
        ("20 concurrent creates under throttling", "Concurrency", lambda: concurrency.report(concurrency.run())),
        (
            "scale: synthesizing 1 / 10 / 100 endpoints with four approaches",
            "Scale against the alternatives",
            lambda: scale.report(scale.run(), scale.in_process()),
        ),
        ("cold start and asset", "Cold start and asset size", lambda: coldstart.report(coldstart.run())),
    ]
    for progress, title, measure in steps:
        print(f"\n{progress} ...", flush=True)
        lines = measure()
        sections.append((title, lines))
        print("\n".join(lines), flush=True)

    elapsed = time.perf_counter() - started
    header = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` on {datetime.date.today().isoformat()} "
        f"({platform.machine()}, {platform.python_implementation()} {platform.python_version()}, 2 cores); "
        f"the whole run took {elapsed:.0f} s. Lifecycle figures are on the loopback world's virtual clock "
        "(loopback/comprehend_loopback), with 50 ms per API call; synth times are wall-clock seconds of a new process "
        "running the app (as `cdk synth` does), median of 3 at 2 and 100 endpoints; the machine is shared, "
        "so compare ratios within one run rather than absolute seconds across runs.",
        "",
    ]
    body: list[str] = []
    for title, lines in sections:
        body += [f"## {title}", "", *lines, ""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(header + body))
    print(f"\nwritten to docs/benchmarks.md ({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
