"""Fault injection for the tests and benchmarks: which calls the loopback server throttles, fails, loses or
holds up (``LoopbackAws.faults``).

Private: not part of the rehearsal's public surface (``comprehend-endpoint-rehearse`` never injects a fault)
and free to change in any release.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from comprehend_loopback.comprehend import ApiError


@dataclass
class Faults:
    """The faults the loopback server injects into the calls it serves; none by default."""

    throttle_every: int = 0
    """Throttle every Nth Comprehend call (2 = every other call); 0 = never."""
    server_error_every: int = 0
    """Answer every Nth Comprehend call with a 500 InternalServerException; 0 = never."""
    refuse_invoke: bool = False
    """Answer Lambda Invoke with AccessDeniedException (a function that may not continue itself)."""
    lose_response: dict[str, int] = field(default_factory=dict)
    """Operation -> how many times to carry it out but answer 500 (the response is lost)."""
    in_use: dict[str, int] = field(default_factory=dict)
    """Operation -> how many of its next calls answer ResourceInUseException (someone else's change
    in progress) without being carried out."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Operation -> error codes its next calls answer with (HTTP 400), one per call, without being carried out
    (e.g. ``ConcurrentModificationException``, which TagResource and UntagResource declare)."""
    hang_real_s: dict[str, list[float]] = field(default_factory=dict)
    """Operation (a Comprehend operation, or ``lambda:Invoke``) -> real seconds each of its next calls blocks
    before it is served (one entry per call): a call still in flight when Lambda kills the invocation (virtual
    time does not move meanwhile)."""
    _count: int = 0

    def pick(self) -> ApiError | None:
        self._count += 1
        if self.throttle_every and self._count % self.throttle_every == 0:
            return ApiError("TooManyRequestsException", "Rate exceeded")
        if self.server_error_every and self._count % self.server_error_every == 0:
            return ApiError("InternalServerException", "Internal error", status=500)
        return None
