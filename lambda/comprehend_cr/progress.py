"""What a request has done so far, carried from one invocation to the next.

When an invocation runs out of time, the runtime invokes the function again with the original event plus
``Progress.to_json()``; the next invocation resumes from :meth:`Progress.from_json`. That payload crosses a
trust boundary (anyone allowed to invoke the function could forge it), so it is validated field by field
when loaded, and nothing in it is ever a reason to skip a check: every delete, update or retag re-reads the
endpoint's ownership tags first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from comprehend_cr import arns


class Phase(StrEnum):
    """Where an Update stands (Create and Delete need no phase of their own)."""

    PLAN = "plan"
    """Not decided yet: update in place or replace."""
    CONVERGE = "converge"
    """Bring the current endpoint to the properties."""
    REPLACE = "replace"
    """Create (or take back) the endpoint of a new name or model type."""
    DISCARD = "discard"
    """The replacement failed: delete the endpoint it created, then answer FAILED."""
    SWEEP = "sweep"
    """Settled: delete strays of this resource, then give ``answer``."""
    WITHDRAW = "withdraw"
    """CloudFormation no longer waits for this request: delete what it created, answer nothing."""


class ProgressError(ValueError):
    """The carried progress is malformed; ``str()`` names the field."""


@dataclass
class Progress:
    """The state of one request between invocations (every field optional but ``started``)."""

    started: float
    """Epoch seconds of the request's first invocation (the deadline's origin when the URL has no date)."""
    phase: Phase = Phase.PLAN
    arn: str = ""
    """The endpoint this request waits for (created or taken back)."""
    created: bool = False
    """``arn`` was created by this request (not taken back)."""
    awaiting: bool = False
    """The endpoint was changed; only waiting for it remains."""
    retained: bool = False
    """``arn`` carries the retained mark (read from its tags when it was taken back)."""
    units: int = 0
    """The inference units ``arn`` must reach (0: not decided yet)."""
    expected_arn: str = ""
    """The ARN CreateEndpoint is about to give (recorded before calling it)."""
    strays: list[str] = field(default_factory=list)
    answer_id: str = ""
    answer_data: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    target: str = ""
    """Delete: the endpoint being deleted."""
    polled_at: float = 0.0
    hops: int = 0
    stack_status: str = ""
    """The stack's status at this request's first check (see ``comprehend_cr.watch``)."""
    checked_at: float = 0.0
    """When the stack last said this request is still waited for."""

    def to_json(self) -> dict[str, Any]:
        raw = {f.name: getattr(self, f.name) for f in fields(self)}
        raw["phase"] = self.phase.value
        return raw

    @classmethod
    def from_json(cls, raw: object) -> Progress:
        """Validate ``raw`` (what ``to_json`` wrote, or a forgery): :class:`ProgressError` names the first
        field that is unknown, of the wrong type, or not an endpoint ARN where one is expected."""
        if not isinstance(raw, Mapping):
            raise ProgressError(f"progress: must be an object, got {type(raw).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in raw if k not in known)
        if unknown:
            raise ProgressError(f"progress.{unknown[0]}: unknown field")
        if "started" not in raw:
            raise ProgressError("progress.started: missing")
        values: dict[str, Any] = {}
        for name, value in raw.items():
            values[name] = _checked(str(name), value)
        return cls(**values)


_NUMBERS = {"started", "polled_at", "checked_at"}
_COUNTS = {"units", "hops"}
_FLAGS = {"created", "awaiting", "retained"}
_ARNS = {"arn", "expected_arn", "target"}
_TEXTS = {"reason", "stack_status", "answer_id"}


def _checked(name: str, value: Any) -> Any:
    where = f"progress.{name}"
    if name in _NUMBERS:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ProgressError(f"{where}: must be a non-negative number, got {value!r}")
        return float(value)
    if name in _COUNTS:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise ProgressError(f"{where}: must be a whole number >= 0, got {value!r}")
        return value
    if name in _FLAGS:
        if not isinstance(value, bool):
            raise ProgressError(f"{where}: must be true or false, got {value!r}")
        return value
    if name in _ARNS:
        return _endpoint_arn(where, value, empty=True)
    if name in _TEXTS:
        if not isinstance(value, str) or len(value) > 2048:
            raise ProgressError(f"{where}: must be a string of at most 2048 characters")
        return value
    if name == "phase":
        try:
            return Phase(value)
        except ValueError:
            raise ProgressError(f"{where}: must be one of {[p.value for p in Phase]}, got {value!r}") from None
    if name == "strays":
        if not isinstance(value, list) or len(value) > 1000:
            raise ProgressError(f"{where}: must be a list of endpoint ARNs")
        return [_endpoint_arn(f"{where}[{i}]", item, empty=False) for i, item in enumerate(value)]
    # answer_data: the attributes of an answer
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ProgressError(f"{where}: must map strings to strings")
    return dict(value)


def _endpoint_arn(where: str, value: Any, *, empty: bool) -> str:
    if empty and value == "":
        return ""
    if not isinstance(value, str) or arns.parse_endpoint_arn(value) is None:
        raise ProgressError(f"{where}: must be an endpoint ARN, got {value!r}")
    return value
