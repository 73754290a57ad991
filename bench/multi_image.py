"""Many images at once: what one HealthMonitor costs, how fast pings are, how fast a kill shows.

Run stand-alone:
`.venv/bin/python bench/multi_image.py [--sizes 5,25,50,100] [--seconds 10] [--json out.json]`.

For each size N, in a private temporary STUI_HOME:

1. N real images are created (once, reused by later sizes) and started;
2. one HealthMonitor (default policy: a ping a second) with a SessionManager on a fresh
   SQLite store watches them; once all are connected, a window of `--seconds` measures
   this process's CPU and RSS, ping round trips, event-loop lag and the CPU of the VMs;
3. one image is killed with SIGKILL and the time until it is `disconnected` is taken,
   while the others must stay connected;
4. every image is stopped, and no VM may be left.

Before each size after the first, free memory is compared with the per-VM RSS measured
at the previous size; a size that would not fit is skipped with a line saying why.
Every VM this run started is stopped on the way out, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import psutil

from stui import launcher
from stui.images.health import HealthMonitor, HealthPolicy
from stui.images.latency import LatencyStats
from stui.images.registry import ImageEntry, ImageRegistry
from stui.launcher import PortInUse, RuntimeInfo
from stui.sessions.manager import SessionManager
from stui.sessions.store import SessionStore
from stui.status import ConnectionStatus

CLIENT = "c-" + uuid.uuid4().hex
MIB = 1024 * 1024
POLL = 0.01  # how often the kill detection looks at the registry
LAG_TICK = 0.02  # the event-loop lag probe's sleep
MEMORY_HEADROOM = 1.5  # a size must fit N x measured per-VM RSS x this
MEMORY_RESERVE = 1024 * MIB  # left free for everything else on the machine
IDLE_SECONDS = 5.0  # how long the VMs' CPU is measured before the monitor starts
START_ATTEMPTS = 3  # a free port picked by one thread can be taken by another

T = TypeVar("T")


@dataclasses.dataclass
class SizeResult:
    """One row of the table (times in seconds, latencies in ms, memory in MiB)."""

    images: int
    create_s: float  # creating the images this size added (earlier ones are reused)
    start_s: float
    connect_s: float  # monitor start until every image is connected
    client_cpu_pct: float  # this process over the window, 100 = one core
    client_rss_mib: float
    rss_per_image_kib: float  # RSS growth since before the monitor started, / N
    ping_p50_ms: float
    ping_p99_ms: float
    ping_max_ms: float
    worst_image_p99_ms: float
    pings: int
    ping_gap_p99_s: float  # time between two pings of one image; the policy says 1 s
    ping_gap_max_s: float
    late_pongs: int  # slower than the policy's late_after
    degraded: int  # transitions to degraded during the window
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    refresh_ms: float  # registry.refresh() (runtime-file discovery, every 2 s on the loop)
    refresh_cpu_ms: float  # the CPU it used; the rest of refresh_ms is waiting for a core
    vm_idle_cpu_pct: float  # all N VMs before the monitor started (nobody talks to them)
    vm_cpu_pct: float  # all N VMs together over the window, 100 = one core
    vm_rss_mib: float  # all N VMs together
    other_cpu_pct: float  # the rest of the machine (other programs) over the window
    kill_detect_s: float
    others_connected: bool
    stop_s: float
    vms_left: int


@dataclasses.dataclass(frozen=True)
class Skipped:
    images: int
    reason: str


# -- images -------------------------------------------------------------------------


def in_pool(workers: int, action: Callable[[str], T], names: Iterable[str]) -> list[T]:
    """Run action over names in a small thread pool (the launcher is safe per name)."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench")
    try:
        return list(pool.map(action, names))
    finally:  # on Ctrl-C or a failure, queued work must not go on starting VMs
        pool.shutdown(wait=True, cancel_futures=True)


def start_with_retry(name: str) -> RuntimeInfo:
    for attempt in range(START_ATTEMPTS):
        try:
            return launcher.start_image(name)
        except PortInUse:
            if attempt == START_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


class Fleet:
    """The images of this run. Whatever happens, `shutdown` leaves no VM behind."""

    def __init__(self, home: Path, workers: int) -> None:
        self.home = home
        self.workers = workers
        self.created: list[str] = []

    def create(self, count: int) -> float:
        """Make sure `count` images exist; answer the seconds spent creating new ones."""
        names = [f"bench-{n:03d}" for n in range(len(self.created), count)]
        started = time.monotonic()
        in_pool(self.workers, launcher.create_image, names)
        self.created.extend(names)
        return time.monotonic() - started

    def start(self, count: int) -> tuple[list[RuntimeInfo], float]:
        started = time.monotonic()
        infos = in_pool(self.workers, start_with_retry, self.created[:count])
        return infos, time.monotonic() - started

    def stop(self) -> float:
        """Stop every running image of this run (SIGTERM, then SIGKILL after 5 s)."""
        started = time.monotonic()
        running = [row.meta.name for row in launcher.list_images() if row.running]
        in_pool(max(self.workers, 8), stop_quietly, running)
        return time.monotonic() - started

    def leftover_vms(self) -> list[psutil.Process]:
        """Live processes whose command line points into this run's STUI_HOME."""
        home = str(self.home)
        found = []
        for proc in psutil.process_iter(["cmdline", "status"]):
            cmdline = proc.info["cmdline"] or []
            if proc.info["status"] != psutil.STATUS_ZOMBIE and any(home in a for a in cmdline):
                found.append(proc)
        return found

    def shutdown(self) -> None:
        """Stop politely, then kill by pid whatever is still there, then reap."""
        with contextlib.suppress(Exception):
            self.stop()
        for proc in self.leftover_vms():
            print(f"killing left-over VM pid {proc.pid}", file=sys.stderr)
            with contextlib.suppress(psutil.Error):
                proc.kill()
        reap_children()


def stop_quietly(name: str) -> None:
    with contextlib.suppress(launcher.ImageNotRunning):
        launcher.stop_image(name)


def reap_children() -> None:
    """Collect exited VMs (our children), so none lingers as a zombie."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass


def vm_processes(infos: list[RuntimeInfo]) -> list[psutil.Process]:
    return [psutil.Process(info.pid) for info in infos]


def cpu_seconds(procs: Iterable[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every core spent on anything but idling, since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def rss_bytes(procs: Iterable[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total


# -- measurements -------------------------------------------------------------------


class PooledLatency(LatencyStats):
    """An entry's LatencyStats that also adds each round trip to one list for all images,
    so percentiles can be taken across images (LatencyStats keeps them per image), and
    notes when each pong came, to see whether pings keep their interval."""

    def __init__(self, pool: list[float]) -> None:
        super().__init__()
        self._pool = pool
        self.arrivals: list[float] = []

    def add(self, seconds: float) -> None:
        super().add(seconds)
        self._pool.append(seconds)
        self.arrivals.append(time.monotonic())

    def gaps(self) -> list[float]:
        return [b - a for a, b in itertools.pairwise(self.arrivals)]


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile, q in 0..100; NaN with no samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def timed_ms(action: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """Median wall time and median CPU time of this thread, in ms."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.thread_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.thread_time() - cpu)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


@contextlib.contextmanager
def loop_lag_probe() -> Iterator[list[float]]:
    """Sleep LAG_TICK again and again; record how late each wake-up is."""
    lags: list[float] = []

    async def probe() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LAG_TICK)
            lags.append(time.monotonic() - before - LAG_TICK)

    task = asyncio.get_running_loop().create_task(probe())
    try:
        yield lags
    finally:
        task.cancel()


async def wait_connected(registry: ImageRegistry, names: list[str], timeout: float) -> float:
    started = time.monotonic()
    deadline = started + timeout
    while True:
        entries = [registry.find(name) for name in names]
        if all(e is not None and e.status is ConnectionStatus.CONNECTED for e in entries):
            return time.monotonic() - started
        if time.monotonic() > deadline:
            waiting = [
                n
                for n, e in zip(names, entries, strict=True)
                if e is None or e.status is not ConnectionStatus.CONNECTED
            ]
            raise TimeoutError(
                f"{len(waiting)} of {len(names)} images not connected after {timeout:.0f} s: "
                + ", ".join(waiting[:10])
            )
        await asyncio.sleep(0.05)


Figures = dict[str, float | int | bool]


async def window(
    registry: ImageRegistry, infos: list[RuntimeInfo], seconds: float, policy: HealthPolicy
) -> Figures:
    """Measure over `seconds` while the monitor pings every image."""
    pool: list[float] = []
    entries = [registry.get(info.name) for info in infos]
    stats = [PooledLatency(pool) for _ in entries]
    for entry, pooled in zip(entries, stats, strict=True):
        entry.latency = pooled
    me = psutil.Process()
    vms = vm_processes(infos)
    cpu_before, vm_before = cpu_seconds([me]), cpu_seconds(vms)
    busy_before = machine_busy_seconds()
    opened = time.monotonic()
    since = time.time()
    with loop_lag_probe() as lags:
        await asyncio.sleep(seconds)
    wall = time.monotonic() - opened
    client_cpu = cpu_seconds([me]) - cpu_before
    vm_cpu = cpu_seconds(vms) - vm_before
    other_cpu = machine_busy_seconds() - busy_before - client_cpu - vm_cpu
    gaps = [gap for pooled in stats for gap in pooled.gaps()]
    degraded = sum(
        1
        for entry in entries
        for h in entry.history
        if h.at >= since and h.status is ConnectionStatus.DEGRADED
    )
    return {
        "client_cpu_pct": client_cpu / wall * 100,
        "vm_cpu_pct": vm_cpu / wall * 100,
        "other_cpu_pct": max(0.0, other_cpu) / wall * 100,
        "vm_rss_mib": rss_bytes(vms) / MIB,
        "ping_p50_ms": percentile(pool, 50) * 1e3,
        "ping_p99_ms": percentile(pool, 99) * 1e3,
        "ping_max_ms": max(pool, default=float("nan")) * 1e3,
        "worst_image_p99_ms": max((e.latency.p99 or 0.0) for e in entries) * 1e3,
        "pings": len(pool),
        "ping_gap_p99_s": percentile(gaps, 99),
        "ping_gap_max_s": max(gaps, default=float("nan")),
        "late_pongs": sum(1 for rtt in pool if rtt > policy.late_after),
        "degraded": degraded,
        "loop_lag_p99_ms": percentile(lags, 99) * 1e3,
        "loop_lag_max_ms": max(lags, default=float("nan")) * 1e3,
    }


async def kill_one(
    registry: ImageRegistry, victim: RuntimeInfo, others: list[str]
) -> tuple[float, bool]:
    """SIGKILL one image; answer seconds until it is disconnected, and whether every
    other image stayed connected throughout."""
    killed_at = time.monotonic()
    since = time.time()
    os.kill(victim.pid, signal.SIGKILL)
    entry = registry.get(victim.name)
    while entry.status not in (ConnectionStatus.DISCONNECTED, ConnectionStatus.ORPHANED):
        if time.monotonic() - killed_at > 30:
            raise TimeoutError(f"{victim.name} still {entry.status} 30 s after SIGKILL")
        await asyncio.sleep(POLL)
    detected = time.monotonic() - killed_at
    with contextlib.suppress(ChildProcessError):
        os.waitpid(victim.pid, 0)
    return detected, all(stayed_connected(registry.get(name), since) for name in others)


def stayed_connected(entry: ImageEntry, since: float) -> bool:
    left = any(h.at >= since and h.status is not ConnectionStatus.CONNECTED for h in entry.history)
    return entry.status is ConnectionStatus.CONNECTED and not left


async def watch(
    home: Path, infos: list[RuntimeInfo], seconds: float
) -> tuple[Figures, float, float]:
    """Run one monitor over the images: the window's figures, connect time, kill time…"""
    me = psutil.Process()
    rss_before = me.memory_info().rss
    policy = HealthPolicy()
    store = SessionStore(home / "stores" / f"sessions-{len(infos)}.db")
    manager = SessionManager(store, CLIENT)
    registry = ImageRegistry(manager.list_images())
    monitor = HealthMonitor(registry, manager, policy)
    names = [info.name for info in infos]
    await monitor.start()
    try:
        connect_s = await wait_connected(registry, names, timeout=30 + len(infos))
        figures = await window(registry, infos, seconds, policy)
        rss_after = me.memory_info().rss
        figures["client_rss_mib"] = rss_after / MIB
        figures["rss_per_image_kib"] = (rss_after - rss_before) / len(infos) / 1024
        detect_s, figures["others_connected"] = await kill_one(registry, infos[0], names[1:])
        # last: it blocks the loop on purpose, which would make the pongs it delays late
        figures["refresh_ms"], figures["refresh_cpu_ms"] = timed_ms(registry.refresh)
    finally:
        await monitor.stop()
        store.close()
    return figures, connect_s, detect_s


def idle_cpu_pct(infos: list[RuntimeInfo], seconds: float) -> float:
    """CPU of the VMs while no client talks to them: the floor the monitor adds to."""
    vms = vm_processes(infos)
    before = cpu_seconds(vms)
    opened = time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(vms) - before) / (time.monotonic() - opened) * 100


def measure(fleet: Fleet, size: int, seconds: float) -> SizeResult:
    create_s = fleet.create(size)
    infos, start_s = fleet.start(size)
    idle_pct = idle_cpu_pct(infos, min(seconds, IDLE_SECONDS))
    figures, connect_s, detect_s = asyncio.run(watch(fleet.home, infos, seconds))
    stop_s = fleet.stop()
    reap_children()
    left = fleet.leftover_vms()
    if left:
        pids = ", ".join(str(proc.pid) for proc in left)
        print(f"{len(left)} VMs still running after stopping every image: {pids}", file=sys.stderr)
    return SizeResult(
        images=size,
        create_s=create_s,
        start_s=start_s,
        connect_s=connect_s,
        kill_detect_s=detect_s,
        stop_s=stop_s,
        vms_left=len(left),
        vm_idle_cpu_pct=idle_pct,
        **figures,  # type: ignore[arg-type]
    )


def memory_check(size: int, previous: SizeResult | None) -> Skipped | None:
    """Skip a size whose VMs would not fit in the available memory."""
    if previous is None:
        return None
    per_vm = previous.vm_rss_mib * MIB / previous.images
    need = size * per_vm * MEMORY_HEADROOM + MEMORY_RESERVE
    available = psutil.virtual_memory().available
    if need <= available:
        return None
    return Skipped(
        size,
        f"needs about {need / MIB:,.0f} MiB ({size} x {per_vm / MIB:.1f} MiB per VM measured at "
        f"{previous.images} images, x{MEMORY_HEADROOM} headroom, +{MEMORY_RESERVE // MIB} MiB "
        f"reserve); only {available / MIB:,.0f} MiB available",
    )


# -- output -------------------------------------------------------------------------

COLUMNS: list[tuple[str, str, str]] = [
    # header, SizeResult field, format spec
    ("N", "images", "d"),
    ("start s", "start_s", ".1f"),
    ("conn s", "connect_s", ".1f"),
    ("cli CPU%", "client_cpu_pct", ".1f"),
    ("cli RSS MiB", "client_rss_mib", ".1f"),
    ("RSS/img KiB", "rss_per_image_kib", ".0f"),
    ("ping p50 ms", "ping_p50_ms", ".2f"),
    ("p99 ms", "ping_p99_ms", ".2f"),
    ("max ms", "ping_max_ms", ".1f"),
    ("pings", "pings", "d"),
    ("gap p99 s", "ping_gap_p99_s", ".2f"),
    ("gap max s", "ping_gap_max_s", ".2f"),
    ("late", "late_pongs", "d"),
    ("degr", "degraded", "d"),
    ("lag p99 ms", "loop_lag_p99_ms", ".1f"),
    ("refresh ms", "refresh_ms", ".1f"),
    ("CPU ms", "refresh_cpu_ms", ".1f"),
    ("VMs idle CPU%", "vm_idle_cpu_pct", ".1f"),
    ("VMs CPU%", "vm_cpu_pct", ".1f"),
    ("VMs RSS MiB", "vm_rss_mib", ".0f"),
    ("other CPU%", "other_cpu_pct", ".1f"),
    ("kill→disc s", "kill_detect_s", ".2f"),
    ("others ok", "others_connected", ""),
    ("stop s", "stop_s", ".1f"),
    ("left", "vms_left", "d"),
]


def cell(value: object, spec: str, width: int) -> str:
    text = ("yes" if value else "NO") if isinstance(value, bool) else format(value, spec)
    return f"{text:>{width}}"


def print_table(rows: list[SizeResult], skipped: list[Skipped], seconds: float) -> None:
    print(f"\nmany images: one HealthMonitor, default policy, {seconds:g} s window")
    widths = [max(len(title), 6) for title, _, _ in COLUMNS]
    header = " ".join(f"{title:>{w}}" for (title, _, _), w in zip(COLUMNS, widths, strict=True))
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = (
            cell(getattr(row, field), spec, w)
            for (_, field, spec), w in zip(COLUMNS, widths, strict=True)
        )
        print(" ".join(cells))
    for skip in skipped:
        print(f"{skip.images:>6} skipped: {skip.reason}")


def write_json(path: Path, rows: list[SizeResult], skipped: list[Skipped], seconds: float) -> None:
    document = {
        "seconds": seconds,
        "cpus": psutil.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "rows": [dataclasses.asdict(row) for row in rows],
        "skipped": [dataclasses.asdict(skip) for skip in skipped],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sizes takes whole numbers separated by commas, like 5,25,50; got {text!r}"
        ) from None
    if not sizes or any(n < 2 for n in sizes):
        raise argparse.ArgumentTypeError("every size must be at least 2 (one image is killed)")
    return sorted(sizes)


def exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops every image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[5, 25, 50, 100])
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workers", type=int, default=3, help="threads creating/starting images")
    args = parser.parse_args()
    if args.seconds <= 0 or args.workers < 1:
        parser.error("--seconds must be positive and --workers at least 1")
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    home = Path(tempfile.mkdtemp(prefix="stui-bench-images-"))
    os.environ["STUI_HOME"] = str(home)
    fleet = Fleet(home, args.workers)
    rows: list[SizeResult] = []
    skipped: list[Skipped] = []
    interrupted = False
    try:
        for size in args.sizes:
            skip = memory_check(size, rows[-1] if rows else None)
            if skip is not None:
                print(f"skipping {size} images: {skip.reason}", flush=True)
                skipped.append(skip)
                continue
            print(f"measuring {size} images …", flush=True)
            rows.append(measure(fleet, size, args.seconds))
    except KeyboardInterrupt:
        print("interrupted; stopping every image", file=sys.stderr)
        interrupted = True
    finally:
        fleet.shutdown()
        shutil.rmtree(home, ignore_errors=True)
    print_table(rows, skipped, args.seconds)
    if args.json is not None:
        write_json(args.json, rows, skipped, args.seconds)
    if interrupted:
        sys.exit(130)


if __name__ == "__main__":
    main()
