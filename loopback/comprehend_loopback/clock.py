"""A virtual clock shared by the handler, the fake service and the driver.

``sleep`` returns at once after moving time forward. With several participant threads (concurrent
Lambda invocations), time only moves when every participant is asleep, to the earliest wake-up:
a discrete-event simulation, so the threads see the same timeline real concurrency would give.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EPOCH = 1_800_000_000.0


class VirtualClock:
    def __init__(self, start: float = EPOCH) -> None:
        self._now = start
        self._cond = threading.Condition()
        self._participants = 0
        self._awake = 0
        self._sleepers: list[tuple[float, int]] = []
        self._seq = itertools.count()
        self.slept = 0.0

    def now(self) -> float:
        with self._cond:
            return self._now

    def advance_to(self, when: float) -> None:
        """Move time forward (never back); used by the driver between invocations."""
        with self._cond:
            self._now = max(self._now, when)
            self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        with self._cond:
            self.slept += seconds
            wake = self._now + seconds
            if self._participants <= 1:
                self._now = wake
                return
            entry = (wake, next(self._seq))
            heapq.heappush(self._sleepers, entry)
            self._awake -= 1
            self._maybe_advance()
            while self._now < wake:
                self._cond.wait()
            self._sleepers.remove(entry)
            heapq.heapify(self._sleepers)
            self._awake += 1

    def _maybe_advance(self) -> None:
        if self._awake == 0 and self._sleepers:
            self._now = max(self._now, self._sleepers[0][0])
            self._cond.notify_all()

    @contextmanager
    def participant(self) -> Iterator[None]:
        """Run the body as one of the threads whose sleeps the clock coordinates."""
        with self._cond:
            self._participants += 1
            self._awake += 1
        try:
            yield
        finally:
            with self._cond:
                self._participants -= 1
                self._awake -= 1
                self._maybe_advance()
