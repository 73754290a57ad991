"""Request deadlines without one timer per request.

A timer handle per request cost about a tenth of the client's CPU time per round trip.
Requests with the same timeout expire in the order they were sent, so each timeout
gets a FIFO queue of (when, id). One loop timer is armed for the earliest entry.
Answered requests are dropped from the head of their queue as they complete, which
keeps the queues as short as the span of requests still waiting.

The channels of one hub share one `Deadlines`, keyed by (channel, request id): a
fleet's thousand pings a second then wait behind one timer instead of one per link.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

SLACK: Final = 0.001  # a deadline may pass this much early, so the timer never spins

K = TypeVar("K", bound=Hashable)


class Deadlines(Generic[K]):
    """The deadlines of pending requests, each named by a key."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        is_pending: Callable[[K], bool],
        expire: Callable[[K, str, float], None],
    ) -> None:
        self._loop = loop
        self._is_pending = is_pending
        self._expire = expire
        self._queues: dict[float, deque[tuple[float, K, str]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._armed_at = math.inf

    def add(self, rid: K, tag: str, delay: float) -> None:
        """Expire request ``rid`` (of wire type ``tag``) after ``delay`` seconds."""
        when = self._loop.time() + delay
        queue = self._queues.get(delay)
        if queue is None:
            queue = self._queues[delay] = deque()
        queue.append((when, rid, tag))
        if when < self._armed_at:
            self._arm(when)

    def settle(self, delay: float) -> None:
        """Forget answered requests at the head of the queue for ``delay``."""
        queue = self._queues.get(delay)
        if queue:
            is_pending = self._is_pending
            while queue and not is_pending(queue[0][1]):
                queue.popleft()

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._armed_at = math.inf
        self._queues.clear()

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed_at = when
        self._timer = self._loop.call_at(when, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        self._armed_at = math.inf
        now = self._loop.time() + SLACK
        earliest = math.inf
        for delay, queue in list(self._queues.items()):
            while queue:
                when, rid, tag = queue[0]
                if self._is_pending(rid) and when > now:
                    break
                queue.popleft()
                if self._is_pending(rid):
                    self._expire(rid, tag, delay)
            if queue:
                earliest = min(earliest, queue[0][0])
            else:
                del self._queues[delay]
        if earliest < self._armed_at:
            self._arm(earliest)
