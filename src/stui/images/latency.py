"""Ping latency of one image: last, p50 and p99 over a bounded window."""

from __future__ import annotations

from collections import deque


class LatencyStats:
    """Keeps the last `window` round trips; percentiles are computed on demand."""

    def __init__(self, window: int = 600) -> None:
        self._samples: deque[float] = deque(maxlen=window)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    @property
    def count(self) -> int:
        return len(self._samples)

    @property
    def last(self) -> float | None:
        return self._samples[-1] if self._samples else None

    def percentile(self, q: float) -> float | None:
        """The q-th percentile (0..100) by nearest rank, or None with no samples."""
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def p50(self) -> float | None:
        return self.percentile(50)

    @property
    def p99(self) -> float | None:
        return self.percentile(99)
