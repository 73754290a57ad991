"""Ping latency of one image: last, p50 and p99 over a bounded window."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque


class LatencyStats:
    """Keeps the last `window` round trips, in arrival order and sorted.

    A view of the image asks for its percentiles at every pong; with a thousand images
    that is a thousand a second, so the window is kept sorted as it changes (a binary
    search and a short move per pong) instead of being sorted at each question.
    """

    def __init__(self, window: int = 600) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self._sorted: list[float] = []

    def add(self, seconds: float) -> None:
        samples = self._samples
        if len(samples) == samples.maxlen:
            del self._sorted[bisect_left(self._sorted, samples[0])]
        samples.append(seconds)
        insort(self._sorted, seconds)

    @property
    def count(self) -> int:
        return len(self._samples)

    @property
    def last(self) -> float | None:
        return self._samples[-1] if self._samples else None

    def percentile(self, q: float) -> float | None:
        """The q-th percentile (0..100) by nearest rank, or None with no samples."""
        ordered = self._sorted
        if not ordered:
            return None
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def p50(self) -> float | None:
        return self.percentile(50)

    @property
    def p99(self) -> float | None:
        return self.percentile(99)
