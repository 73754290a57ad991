"""LoopLag: how late this client's own event loop has been, so that an image is not
blamed for it.

A pong is timed from the ping's send to the moment the watcher runs again. When the
loop was busy meanwhile (a thousand images connecting, a slow subscriber), the pong
sat unread and the round trip grew by the stall: the image answered in time. A probe
sleeps TICK again and again and notes every wake-up that came late; `since(t)` sums
the stalls that overlap [t, now], including one still going on, and `longest(t)` is
the longest of them.

The two answer different questions. A pong's round trip includes every stall while it
waited, so the sum is taken off before it is judged late. A ping that timed out is
excused only by one long stall: a loaded loop (three thousand images) stalls for tens
of milliseconds many times a second, a reply is read between two of them, and their sum
over a ping's wait would excuse a hung image for ever.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final

TICK: Final = 0.05
NOTICEABLE: Final = 0.002  # later than this counts as a stall
KEEP: Final = 30.0  # seconds of stalls remembered: longer than any ping's wait


class LoopLag:
    """The recent stalls of the running loop (loop.time(), in seconds)."""

    def __init__(self) -> None:
        self._stalls: deque[tuple[float, float]] = deque()  # (began, ended)
        self._expected: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> None:
        """Probe until cancelled."""
        loop = self._loop = asyncio.get_running_loop()
        stalls = self._stalls
        while True:
            expected = self._expected = loop.time() + TICK
            await asyncio.sleep(TICK)
            now = loop.time()
            if now - expected > NOTICEABLE:
                stalls.append((expected, now))
            while stalls and stalls[0][1] < now - KEEP:
                stalls.popleft()

    def now(self) -> float:
        loop = self._loop or asyncio.get_running_loop()
        return loop.time()

    def since(self, began: float) -> float:
        """Seconds the loop was stalled between `began` (loop time) and now."""
        now = self.now()
        total = 0.0
        for start, end in reversed(self._stalls):
            if end <= began:
                break
            total += min(end, now) - max(start, began)
        expected = self._expected
        if expected is not None and now - expected > NOTICEABLE:
            total += now - max(expected, began)  # a stall going on: the probe is overdue
        return max(0.0, total)

    def longest(self, began: float) -> float:
        """The longest single stall between `began` (loop time) and now, in seconds."""
        now = self.now()
        longest = 0.0
        for start, end in reversed(self._stalls):
            if end <= began:
                break
            longest = max(longest, min(end, now) - max(start, began))
        expected = self._expected
        if expected is not None and now - expected > NOTICEABLE:
            longest = max(longest, now - max(expected, began))
        return longest
