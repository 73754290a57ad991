"""Session store size against time: restore latency and cleanup time at 1k/10k/100k.

Run stand-alone: `.venv/bin/python bench/store.py [--sizes 1000 10000 100000]`.
Each size gets a fresh store in a temporary directory, filled in one bulk transaction
with sessions spread over images, statuses and ages, then measured through the real
SessionManager. The last column compares each size's restore p50 with the smallest one.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stui.sessions import HistoryEntry, OpenTool, Selection, Session, SessionManager, SessionState
from stui.sessions.state import encode_state
from stui.sessions.store import SessionStore, encoded_size

CLIENT = "c-bench"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
STATUSES = ("active",) * 10 + ("detached",) * 50 + ("orphaned",) * 30 + ("closed",) * 10


def sample_states(count: int, rng: random.Random) -> list[tuple[SessionState, str]]:
    """A few realistic states (about 1 KB each), shared among the sessions."""
    states = []
    for i in range(count):
        state = SessionState(
            buffers={"workspace": f"| x |\nx := {i} factorial.\nx printString size\n" * 8},
            history=[HistoryEntry(f"{j} factorial", "print", str(j * 7), NOW) for j in range(5)],
            tools=[OpenTool("browser", "Object>>printOn:"), OpenTool("inspector", f"h-{i}")],
            selections={"workspace": Selection(0, rng.randrange(1, 40))},
        )
        states.append((state, encode_state(state)))
    return states


def populate(store: SessionStore, size: int, rng: random.Random) -> list[tuple[str, str]]:
    """Insert `size` sessions in one transaction; answer (image_id, id) of the active and
    detached ones (restoring those leaves the orphans for the cleanup measurements)."""
    images = [f"img-{n:04d}" for n in range(max(10, size // 100))]
    states = sample_states(50, rng)
    rows = []
    open_sessions = []
    for n in range(size):
        state, text = rng.choice(states)
        seen = NOW - timedelta(seconds=rng.uniform(0, 30 * 86400))
        status = rng.choice(STATUSES)
        session = Session(
            id=f"bench-{n:08d}",
            image_id=rng.choice(images),
            client_id=CLIENT,
            image_session_id=None,
            label=None,
            status=status,  # type: ignore[arg-type]
            created_at=seen,
            updated_at=seen,
            last_seen_at=seen,
            state_bytes=encoded_size(text),
            state=state,
        )
        rows.append((session, text))
        if status in ("active", "detached"):
            open_sessions.append((session.image_id, session.id))
    with store.write() as tx:
        for image in images:
            tx.ensure_image(image)
        tx.insert_sessions(rows)
    return open_sessions


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(size: int, restores: int, root: Path) -> dict[str, float]:
    rng = random.Random(size)
    path = root / f"sessions-{size}.db"
    with SessionStore(path) as store:
        fill = time.perf_counter()
        open_sessions = populate(store, size, rng)
        fill = time.perf_counter() - fill
        manager = SessionManager(store, CLIENT, clock=lambda: NOW)
        picks = [rng.choice(open_sessions) for _ in range(restores)]
        by_id = [timed(lambda p=p: manager.restore_session(p[0], p[1])) for p in picks]
        images = sorted({image for image, _ in open_sessions})
        latest = [
            timed(lambda i=i: manager.restore_session(i))
            for i in (rng.choice(images) for _ in range(restores))
        ]
        stats = [timed(lambda i=i: manager.session_stats(i)) for i in images[:200]]
        old = time.perf_counter()
        aged = manager.cleanup_orphaned(older_than=timedelta(days=15), policy=True)
        old = time.perf_counter() - old
        rest = time.perf_counter()
        every = manager.cleanup_orphaned()
        rest = time.perf_counter() - rest
        integrity = store.integrity_check()
    assert integrity == ["ok"], integrity
    return {
        "size": size,
        "fill_s": fill,
        "restore_p50_ms": statistics.median(by_id) * 1e3,
        "restore_p99_ms": percentile(by_id, 0.99) * 1e3,
        "latest_p50_ms": statistics.median(latest) * 1e3,
        "latest_p99_ms": percentile(latest, 0.99) * 1e3,
        "stats_p50_ms": statistics.median(stats) * 1e3,
        "cleanup_aged_ms": old * 1e3,
        "aged_cleaned": aged.cleaned,
        "cleanup_all_ms": rest * 1e3,
        "all_cleaned": every.cleaned,
        "file_mb": sum(p.stat().st_size for p in root.glob(f"{path.name}*")) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--restores", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stui-bench-") as tmp:
        os.environ["STUI_HOME"] = tmp
        rows = [measure(size, args.restores, Path(tmp)) for size in args.sizes]
    base = rows[0]["restore_p50_ms"]
    header = (
        f"{'sessions':>9} {'fill s':>7} {'restore p50':>11} {'p99':>7} {'latest p50':>10} "
        f"{'p99':>7} {'stats p50':>9} {'cleanup aged':>17} {'cleanup rest':>17} "
        f"{'file MB':>8} {'p50 vs first':>12}"
    )
    print("session store (times in ms unless noted)")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['size']:>9,} {r['fill_s']:>7.2f} {r['restore_p50_ms']:>11.3f} "
            f"{r['restore_p99_ms']:>7.3f} {r['latest_p50_ms']:>10.3f} {r['latest_p99_ms']:>7.3f} "
            f"{r['stats_p50_ms']:>9.3f} "
            f"{r['cleanup_aged_ms']:>8.1f} ({r['aged_cleaned']:>6,}) "
            f"{r['cleanup_all_ms']:>8.1f} ({r['all_cleaned']:>6,}) "
            f"{r['file_mb']:>8.1f} {r['restore_p50_ms'] / base:>11.2f}x"
        )


if __name__ == "__main__":
    main()
