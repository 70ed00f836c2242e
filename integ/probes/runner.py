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
from integ.probes.probes import PRICE_PER_UNIT_SECOND, QUOTA_FILL_MINUTES, Probe
from integ.probes.target import ProbeResult, Target

CREATE_MIN, UPDATE_MIN, DELETE_MIN = 20, 10, 5
"""Expected minutes of an endpoint's creation, update and deletion (creation takes 10-20 minutes)."""


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to cost and take."""

    endpoints: int
    minutes: int
    unit_seconds: int
    quota_units: int = 0
    """``QUOTA_PROBE_MAX_UNITS``: the most the quota probe may fill (0: it fills nothing)."""

    @property
    def dollars(self) -> float:
        return round(self.unit_seconds * PRICE_PER_UNIT_SECOND, 2)

    def line(self) -> str:
        sizes = "of 1 inference unit" if not self.quota_units else f"(fillers of up to {self.quota_units} units)"
        bound = "at most about" if self.quota_units else "about"
        return (
            f"Expected: {self.endpoints} endpoint(s) {sizes}, about {self.minutes} minutes, {bound} "
            f"${self.dollars:.2f} ({self.unit_seconds} inference-unit seconds at ${PRICE_PER_UNIT_SECOND}/s; the "
            f"last {CFN_MINUTES} minutes are the CloudFormation probes, which make no endpoint)."
        )


def estimate(*, other_model: bool, failing_model: bool, flywheel: bool = False, quota_units: int = 0) -> Estimate:
    """The shared endpoint lives the whole run of the endpoint probes (2 units from its update until the
    autoscaling probe scales it back to 1, one update later); the other-type endpoint is created and deleted;
    the FAILED endpoint is created, updated and deleted, one after the other; with a flywheel the shared
    endpoint is updated once more (to the flywheel's active model), a wait the next probe sits out. With
    ``quota_units`` (``QUOTA_PROBE_MAX_UNITS``) the quota probe may create an endpoint (1 then 2 units, about
    two creations and a deletion) and fillers of up to ``quota_units - 2`` units for ``QUOTA_FILL_MINUTES``:
    the estimate is then an upper bound. The CloudFormation probes then take ``CFN_MINUTES`` and make no
    endpoint."""
    minutes = CREATE_MIN + 2 * UPDATE_MIN + DELETE_MIN + (UPDATE_MIN if flywheel else 0)
    unit_minutes = 2 * UPDATE_MIN
    endpoints = 1
    if quota_units > 0:
        endpoints += 2
        quota_minutes = 2 * CREATE_MIN + DELETE_MIN
        minutes += quota_minutes
        unit_minutes += 2 * quota_minutes + max(quota_units - 2, 0) * QUOTA_FILL_MINUTES
    if other_model:
        endpoints += 1
        minutes += CREATE_MIN + DELETE_MIN
        unit_minutes += CREATE_MIN + DELETE_MIN
    if failing_model:
        endpoints += 1
        minutes += CREATE_MIN + UPDATE_MIN + DELETE_MIN
        unit_minutes += CREATE_MIN + UPDATE_MIN + DELETE_MIN
    # the CloudFormation probes run after the last endpoint is deleted: time, but no inference unit
    return Estimate(endpoints, minutes + CFN_MINUTES, (unit_minutes + minutes) * 60, quota_units)


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
