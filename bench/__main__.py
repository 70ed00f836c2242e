"""``make bench``: prints every figure and writes them to docs/benchmarks.md."""

from __future__ import annotations

import datetime
import platform
import time
from pathlib import Path

from bench import coldstart, concurrency, lifecycle, scale

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    started = time.perf_counter()
    sections: list[tuple[str, list[str]]] = []

    print("lifecycle on the virtual clock ...", flush=True)
    sections.append(("Waiting: this handler vs crhelper's defaults (virtual clock)", lifecycle.report(lifecycle.run())))
    print("\n".join(sections[-1][1]), flush=True)

    print("\n20 concurrent creates under throttling ...", flush=True)
    sections.append(("Concurrency", concurrency.report(concurrency.run())))
    print("\n".join(sections[-1][1]), flush=True)

    print("\nscale: synthesizing 1 / 10 / 100 endpoints with four approaches ...", flush=True)
    sections.append(("Scale against the alternatives", scale.report(scale.run())))
    print("\n".join(sections[-1][1]), flush=True)

    print("\ncold start and asset ...", flush=True)
    sections.append(("Cold start and asset size", coldstart.report(coldstart.run())))
    print("\n".join(sections[-1][1]), flush=True)

    elapsed = time.perf_counter() - started
    header = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` on {datetime.date.today().isoformat()} "
        f"({platform.machine()}, {platform.python_implementation()} {platform.python_version()}, 2 cores); "
        f"the whole run took {elapsed:.0f} s. Lifecycle figures are on the harness's virtual clock "
        "(tests/harness), with 50 ms per API call; synth times are wall-clock seconds of a new process "
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
