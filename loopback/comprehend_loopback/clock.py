"""A virtual clock shared by the handler, the fake service and the driver.

``sleep`` returns at once after moving time forward. With several participant threads (concurrent
Lambda invocations) the clock is a deterministic discrete-event scheduler: exactly one participant
runs at a time; one that sleeps gives the turn to the participant with the earliest wake-up (ties
in the order they went to sleep), and time moves to that wake-up. All participants of a batch are
registered before any of them runs, so no thread can move time alone, and the same inputs give the
same timeline and the same sequence of API calls on every run.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterable

EPOCH = 1_800_000_000.0


class VirtualClock:
    def __init__(self, start: float = EPOCH) -> None:
        self._now = start
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._ready: list[tuple[float, int, int]] = []
        """(wake-up time, sequence, ticket) of participants waiting for their turn."""
        self._running: int | None = None
        self._tickets = itertools.count(1)
        self._local = threading.local()
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
        ticket = getattr(self._local, "ticket", None)
        with self._cond:
            self.slept += seconds
            wake = self._now + seconds
            if ticket is None:  # not a participant: time is this thread's alone
                self._now = wake
                return
            heapq.heappush(self._ready, (wake, next(self._seq), ticket))
            self._pass_turn()
            self._wait_turn(ticket)

    def run_concurrently(self, jobs: Iterable[Callable[[], None]]) -> None:
        """Run ``jobs`` as participants, one at a time in turn (see module doc), and wait for all."""
        jobs = list(jobs)
        with self._cond:
            tickets = [next(self._tickets) for _ in jobs]
            for ticket in tickets:
                heapq.heappush(self._ready, (self._now, next(self._seq), ticket))
            if self._running is None:
                self._pass_turn()
        threads = [
            threading.Thread(target=self._participate, args=(ticket, job), daemon=True)
            for ticket, job in zip(tickets, jobs, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _participate(self, ticket: int, job: Callable[[], None]) -> None:
        self._local.ticket = ticket
        with self._cond:
            self._wait_turn(ticket)
        try:
            job()
        finally:
            self._local.ticket = None
            with self._cond:
                self._pass_turn()

    def _pass_turn(self) -> None:
        """Give the turn to the earliest ready participant (moving time to its wake-up); lock held."""
        if self._ready:
            wake, _, ticket = heapq.heappop(self._ready)
            self._now = max(self._now, wake)
            self._running = ticket
        else:
            self._running = None
        self._cond.notify_all()

    def _wait_turn(self, ticket: int) -> None:
        while self._running != ticket:
            self._cond.wait()
