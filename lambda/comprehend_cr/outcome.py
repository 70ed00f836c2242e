"""What one invocation of the handler decided about a CloudFormation request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["SUCCESS", "FAILED", "PENDING", "SILENT"]


@dataclass(frozen=True)
class Outcome:
    """``SUCCESS``/``FAILED`` are answered to CloudFormation with ``physical_id``; ``PENDING`` means
    the request is still in progress and ``progress`` must be handed to the next invocation; ``SILENT``
    means CloudFormation no longer waits for this delivery: nothing is answered."""

    status: Status
    physical_id: str
    reason: str = ""
    data: dict[str, str] = field(default_factory=dict)
    progress: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def success(cls, physical_id: str, data: dict[str, str]) -> Outcome:
        return cls("SUCCESS", physical_id, data=data)

    @classmethod
    def failed(cls, physical_id: str, reason: str) -> Outcome:
        return cls("FAILED", physical_id, reason=reason)

    @classmethod
    def silent(cls, physical_id: str) -> Outcome:
        return cls("SILENT", physical_id)

    @classmethod
    def pending(cls, physical_id: str, progress: dict[str, Any]) -> Outcome:
        return cls("PENDING", physical_id, progress=dict(progress))
