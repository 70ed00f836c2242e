"""Runs the probes in order, one progress line each, and writes the report (markdown and JSON).

A probe that raises is reported ``inconclusive`` with the error; the session's clean-up (the shared
endpoint, any endpoint or role with the prefix) runs whatever happened, and what it could not remove is
in the report.
"""

from __future__ import annotations

import datetime
import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import botocore

from integ.probes.cfn import CFN_MINUTES
from integ.probes.probes import Probe
from integ.probes.target import ProbeResult, Target

PRICE_PER_UNIT_SECOND = 0.0005
"""List price of an inference unit per second (60 s minimum per endpoint); it may differ by region."""
CREATE_MIN, UPDATE_MIN, DELETE_MIN = 20, 10, 5
"""Expected minutes of an endpoint's creation, update and deletion (creation takes 10-20 minutes)."""


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to cost and take."""

    endpoints: int
    minutes: int
    unit_seconds: int

    @property
    def dollars(self) -> float:
        return round(self.unit_seconds * PRICE_PER_UNIT_SECOND, 2)

    def line(self) -> str:
        return (
            f"Expected: {self.endpoints} endpoint(s) of 1 inference unit, about {self.minutes} minutes, about "
            f"${self.dollars:.2f} ({self.unit_seconds} inference-unit seconds at ${PRICE_PER_UNIT_SECOND}/s; the "
            f"last {CFN_MINUTES} minutes are the CloudFormation probes, which make no endpoint)."
        )


def estimate(*, other_model: bool, failing_model: bool, flywheel: bool = False) -> Estimate:
    """The shared endpoint lives the whole run of the endpoint probes (2 units during its update); the
    other-type endpoint is created and deleted; the FAILED endpoint is created, updated and deleted, one
    after the other; with a flywheel the shared endpoint is updated once more (to the flywheel's active
    model), a wait the next probe sits out. The CloudFormation probes then take ``CFN_MINUTES`` and make no
    endpoint."""
    minutes = CREATE_MIN + UPDATE_MIN + DELETE_MIN + (UPDATE_MIN if flywheel else 0)
    unit_minutes = UPDATE_MIN
    endpoints = 1
    if other_model:
        endpoints += 1
        minutes += CREATE_MIN + DELETE_MIN
        unit_minutes += CREATE_MIN + DELETE_MIN
    if failing_model:
        endpoints += 1
        minutes += CREATE_MIN + UPDATE_MIN + DELETE_MIN
        unit_minutes += CREATE_MIN + UPDATE_MIN + DELETE_MIN
    # the CloudFormation probes run after the last endpoint is deleted: time, but no inference unit
    return Estimate(endpoints, minutes + CFN_MINUTES, (unit_minutes + minutes) * 60)


@dataclass
class Report:
    prefix: str
    region: str
    models: dict[str, str | None]
    estimate: Estimate
    results: list[ProbeResult] = field(default_factory=list)
    left: dict[str, list[str]] = field(default_factory=dict)
    started: str = ""
    finished: str = ""
    """Wall-clock UTC times of the run (ISO 8601)."""

    @property
    def ok(self) -> bool:
        """No probe refuted and nothing left behind."""
        return not any(r.verdict == "refuted" for r in self.results) and not any(self.left.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "started": self.started,
            "finished": self.finished,
            "botocore": botocore.__version__,
            "region": self.region,
            "models": self.models,
            "estimate": {**asdict(self.estimate), "dollars": self.estimate.dollars},
            "counts": {v: sum(r.verdict == v for r in self.results) for v in ("confirmed", "refuted", "inconclusive")},
            "results": [asdict(r) for r in self.results],
            "left_behind": self.left,
        }

    def as_markdown(self) -> str:
        counts = self.as_json()["counts"]
        lines = [
            "# cdk-comprehend-endpoint: probes of AWS behaviour",
            "",
            f"{self.started} to {self.finished}, botocore {botocore.__version__}. "
            f"Region `{self.region}`, prefix `{self.prefix}`; models: "
            + ", ".join(f"{k} `{v}`" for k, v in self.models.items() if v),
            "",
            f"**{counts['confirmed']} confirmed, {counts['refuted']} refuted, {counts['inconclusive']} inconclusive.**",
            "",
            "| probe | verdict | seen | seconds |",
            "|---|---|---|---|",
            *(f"| `{r.name}` | {r.verdict} | {r.summary} | {r.seconds:.0f} |" for r in self.results),
            "",
        ]
        refuted = [r for r in self.results if r.verdict == "refuted"]
        if refuted:
            lines += ["## Refuted: what must change", ""]
            for r in refuted:
                lines += [f"### `{r.name}`", "", "Depends on it:", "", *(f"- {d}" for d in r.depends_on), ""]
                lines += ["Evidence:", "", "```json", json.dumps(r.evidence, indent=2, default=str), "```", ""]
        unsure = [r for r in self.results if r.verdict == "inconclusive"]
        if unsure:
            lines += ["## Inconclusive", ""]
            lines += [f"- `{r.name}`: {r.evidence.get('why') or r.evidence.get('error') or r.summary}" for r in unsure]
            lines += [""]
        left = {k: v for k, v in self.left.items() if v}
        lines += ["## Left behind", "", f"`{json.dumps(left)}` (delete these by hand)" if left else "Nothing.", ""]
        return "\n".join(lines)

    def write(self, out: Path) -> tuple[Path, Path]:
        out.mkdir(parents=True, exist_ok=True)
        md, js = out / "probe-report.md", out / "probe-report.json"
        md.write_text(self.as_markdown())
        js.write_text(json.dumps(self.as_json(), indent=2, default=str) + "\n")
        return md, js


def run(target: Target, probes: Sequence[Probe], report: Report, progress: Callable[[str], None]) -> Report:
    """Run ``probes`` in order on ``target`` (progress line per probe), then clean up the session."""
    report.started = _utc()
    try:
        for index, probe in enumerate(probes, 1):
            name = probe.__name__.removeprefix("probe_")
            started = target.clock.now()
            try:
                result = probe(target)
            except Exception as exc:  # a probe that raises is a finding, not the end of the run
                result = ProbeResult(
                    name,
                    "inconclusive",
                    {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(limit=5)},
                    [],
                    f"raised {type(exc).__name__}",
                )
            result.seconds = round(target.clock.now() - started, 1)
            report.results.append(result)
            progress(
                f"[{index}/{len(probes)}] {result.name}: {result.verdict} ({result.summary}; {result.seconds:.0f} s)"
            )
    finally:
        try:
            report.left = target.close()
        except Exception as exc:  # the report must still be written, saying the clean-up did not finish
            report.left = {"clean_up_failed": [f"{type(exc).__name__}: {exc}"], **target_leftovers(target)}
        report.finished = _utc()
    return report


def target_leftovers(target: Target) -> dict[str, list[str]]:
    """What is known to be left when the clean-up itself failed (best effort: may fail too)."""
    try:
        return target.leftovers()
    except Exception as exc:  # the account may be unreachable: say so instead
        return {"unknown": [f"could not list what is left: {type(exc).__name__}: {exc}"]}


def _utc() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
