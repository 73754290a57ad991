"""A fleet: what one client pays to watch hundreds or thousands of images.

Run stand-alone:
`.venv/bin/python bench/fleet.py [--sizes 100,300,1000,3000] [--real 50] [--seconds 10]
[--connect-timeout S] [--json out.json]`.

Two kinds of images are watched in the same run. The many are a simulation
(bench/simulated_fleet.py), served from one child process, because a thousand real VMs
do not fit on one machine; they answer at once, so what they measure is the client.
`--real` real images (50 by default) are started once, watched at every size next to
the simulated ones, and found the way a user's are: from their runtime files. For each
size N, in a private temporary STUI_HOME:

1. the simulated fleet starts with N endpoints;
2. they are registered with `Workbench.add_images` (one write of the endpoint book),
   timed;
3. the workbench starts (default policy: a ping a second); the time until every image,
   simulated and real, is `connected` is taken, with the event loop's lag meanwhile;
4. a window of `--seconds` measures this process's CPU and RSS (the simulation's process
   separately), every pong's round trip, the loop's lag and every status change;
5. one simulated endpoint is closed, one hung (connected, answering nothing), and one
   real image killed with SIGKILL; the time until each is `disconnected` is taken;
   every other image must stay `connected` (a change to `degraded` or `disconnected` of
   one of them is false). The killed image is started again for the next size.

Before the first size, the discovery of the real images from their runtime files is
timed: once from scratch, a round when nothing changed, and a full rescan.

The client's ZeroMQ context keeps libzmq's default cap of 1023 sockets: the
connections share one socket (transport/hub.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil

from multi_image import LAG_TICK, MIB, Fleet, PooledLatency, cpu_seconds, percentile, reap_children
from simulated_fleet import SimulatedFleetProcess
from stui import launcher, paths
from stui.images.discovery import RACY_NS, LocalDiscovery
from stui.images.health import HealthPolicy
from stui.images.registry import ImageEntry, ImageRegistry
from stui.launcher import RuntimeInfo
from stui.status import ConnectionStatus
from stui.workbench import Workbench, WorkbenchConfig

CLIENT = "c-" + uuid.uuid4().hex
FDS_PER_ENDPOINT = 4  # the client's TCP socket; the fleet's, its listener and mailbox
POLL = 0.01  # how often detection looks at the registry
DETECT_TIMEOUT = 30.0


@dataclasses.dataclass
class Change:
    at: float  # monotonic
    name: str
    status: ConnectionStatus


@dataclasses.dataclass
class SizeResult:
    """One row (times in seconds, latencies in ms, memory in MiB or KiB)."""

    endpoints: int  # simulated
    real: int  # real images watched next to them
    register_s: float
    connected: int  # images connected when the connect phase ended, of endpoints + real
    connect_s: float  # workbench start until all connected (NaN if they never were)
    connect_lag_p99_ms: float
    connect_lag_max_ms: float
    client_cpu_pct: float = float("nan")  # this process alone, 100 = one core
    client_cpu_per_image_us: float = float("nan")  # CPU µs per second per image watched
    fleet_cpu_pct: float = float("nan")  # the simulation's own process
    client_rss_mib: float = float("nan")
    rss_per_image_kib: float = float("nan")
    ping_p50_ms: float = float("nan")
    ping_p99_ms: float = float("nan")
    ping_max_ms: float = float("nan")
    real_ping_p99_ms: float = float("nan")
    pings: int = 0
    loop_lag_p99_ms: float = float("nan")
    loop_lag_max_ms: float = float("nan")
    false_degraded: int = 0  # after all connected, of images nobody closed, hung or killed
    false_disconnected: int = 0
    close_detect_s: float = float("nan")
    hang_detect_s: float = float("nan")
    kill_detect_s: float = float("nan")  # a real image, SIGKILL
    note: str = ""


class ChangeLog:
    """Every status change the registry publishes, with when it happened."""

    def __init__(self, registry: ImageRegistry) -> None:
        self.changes: list[Change] = []
        registry.subscribe(self._on_change)

    def _on_change(self, entry: ImageEntry) -> None:
        self.changes.append(Change(time.monotonic(), entry.name, entry.status))

    def false_alarms(self, since: float, spared: set[str]) -> tuple[int, int]:
        """Changes to degraded and to disconnected since `since`, of names not in `spared`."""
        later = [c for c in self.changes if c.at >= since and c.name not in spared]
        degraded = sum(1 for c in later if c.status is ConnectionStatus.DEGRADED)
        gone = sum(1 for c in later if c.status is ConnectionStatus.DISCONNECTED)
        return degraded, gone


@contextlib.contextmanager
def loop_lag_probe() -> Iterator[list[float]]:
    """Sleep LAG_TICK again and again and record how late each wake-up is, including
    the stall still going on when the block ends (a phase shorter than one stall would
    otherwise show no lag at all)."""
    lags: list[float] = []
    asleep_since = [time.monotonic()]

    async def probe() -> None:
        while True:
            asleep_since[0] = time.monotonic()
            await asyncio.sleep(LAG_TICK)
            lags.append(time.monotonic() - asleep_since[0] - LAG_TICK)

    task = asyncio.get_running_loop().create_task(probe())
    try:
        yield lags
    finally:
        task.cancel()
        pending = time.monotonic() - asleep_since[0] - LAG_TICK
        if pending > 0:
            lags.append(pending)


def connected_count(registry: ImageRegistry, names: list[str]) -> int:
    connected = ConnectionStatus.CONNECTED
    return sum(1 for n in names if (e := registry.find(n)) is not None and e.status is connected)


async def wait_all_connected(registry: ImageRegistry, names: list[str], timeout: float) -> float:
    """Seconds until every name is connected, or NaN at the timeout."""
    started = time.monotonic()
    while connected_count(registry, names) < len(names):
        if time.monotonic() - started > timeout:
            return float("nan")
        await asyncio.sleep(POLL)
    return time.monotonic() - started


async def time_to_disconnected(registry: ImageRegistry, name: str, since: float) -> float:
    entry = registry.get(name)
    while entry.status not in (ConnectionStatus.DISCONNECTED, ConnectionStatus.ORPHANED):
        if time.monotonic() - since > DETECT_TIMEOUT:
            return float("nan")
        await asyncio.sleep(POLL)
    return time.monotonic() - since


async def watch(
    home: Path,
    fleet: SimulatedFleetProcess,
    real: list[RuntimeInfo],
    seconds: float,
    connect_timeout: float | None,
) -> SizeResult:
    specs = fleet.endpoints
    size = len(specs)
    real_names = [info.name for info in real]
    names = [s.name for s in specs] + real_names
    me = psutil.Process()
    child = psutil.Process(fleet.proc.pid)
    config = WorkbenchConfig(
        health=HealthPolicy(), store_path=home / f"sessions-{size}.db", client_id=CLIENT
    )
    workbench = Workbench(config)
    registry = workbench.registry
    log = ChangeLog(registry)
    started = time.monotonic()
    workbench.add_images([(s.name, s.address, s.token) for s in specs])
    register_s = time.monotonic() - started
    rss_before = me.memory_info().rss
    try:
        with loop_lag_probe() as connect_lags:
            await workbench.start()
            timeout = connect_timeout if connect_timeout is not None else 30 + size / 20
            connect_s = await wait_all_connected(registry, names, timeout)
        result = SizeResult(
            endpoints=size,
            real=len(real),
            register_s=register_s,
            connected=connected_count(registry, names),
            connect_s=connect_s,
            connect_lag_p99_ms=percentile(connect_lags, 99) * 1e3,
            connect_lag_max_ms=max(connect_lags, default=float("nan")) * 1e3,
        )
        if result.connected < len(names):
            errors = {e.last_error for n in names if (e := registry.find(n))} - {None}
            result.note = f"{len(names) - result.connected} never connected: " + "; ".join(
                sorted(str(e) for e in errors)[:2]
            )
            return result
        all_connected_at = time.monotonic()
        await measure_window(registry, names, real_names, seconds, me, child, result)
        rss_after = me.memory_info().rss
        result.client_rss_mib = rss_after / MIB
        result.rss_per_image_kib = (rss_after - rss_before) / len(names) / 1024
        touched = await detect_failures(registry, fleet, [s.name for s in specs], real, result)
        result.false_degraded, result.false_disconnected = log.false_alarms(
            all_connected_at, touched
        )
    finally:
        await workbench.stop()
    return result


async def measure_window(
    registry: ImageRegistry,
    names: list[str],
    real_names: list[str],
    seconds: float,
    me: psutil.Process,
    child: psutil.Process,
    result: SizeResult,
) -> None:
    pool: list[float] = []
    real_pool: list[float] = []
    for name in names:
        registry.get(name).latency = PooledLatency(pool)
    for name in real_names:
        registry.get(name).latency = PooledLatency(real_pool)
    cpu_before, fleet_before = cpu_seconds([me]), cpu_seconds([child])
    opened = time.monotonic()
    with loop_lag_probe() as lags:
        await asyncio.sleep(seconds)
    wall = time.monotonic() - opened
    client_cpu = (cpu_seconds([me]) - cpu_before) / wall
    result.client_cpu_pct = client_cpu * 100
    result.client_cpu_per_image_us = client_cpu / len(names) * 1e6
    result.fleet_cpu_pct = (cpu_seconds([child]) - fleet_before) / wall * 100
    everything = pool + real_pool
    result.ping_p50_ms = percentile(everything, 50) * 1e3
    result.ping_p99_ms = percentile(everything, 99) * 1e3
    result.ping_max_ms = max(everything, default=float("nan")) * 1e3
    result.real_ping_p99_ms = percentile(real_pool, 99) * 1e3
    result.pings = len(everything)
    result.loop_lag_p99_ms = percentile(lags, 99) * 1e3
    result.loop_lag_max_ms = max(lags, default=float("nan")) * 1e3


async def detect_failures(
    registry: ImageRegistry,
    fleet: SimulatedFleetProcess,
    names: list[str],
    real: list[RuntimeInfo],
    result: SizeResult,
) -> set[str]:
    """Close one endpoint, hang another, kill a real image; answer the names touched."""
    closed, hung = 0, len(names) // 2
    started = time.monotonic()
    fleet.command(f"close {closed}")
    result.close_detect_s = await time_to_disconnected(registry, names[closed], started)
    started = time.monotonic()
    fleet.command(f"hang {hung}")
    result.hang_detect_s = await time_to_disconnected(registry, names[hung], started)
    touched = {names[closed], names[hung]}
    if real:
        victim = real[0]
        started = time.monotonic()
        os.kill(victim.pid, signal.SIGKILL)
        result.kill_detect_s = await time_to_disconnected(registry, victim.name, started)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(victim.pid, 0)
        touched.add(victim.name)
    return touched


def run_size(
    size: int, seconds: float, home: Path, real: list[RuntimeInfo], connect_timeout: float | None
) -> SizeResult:
    with contextlib.suppress(FileNotFoundError):  # the previous size's simulated endpoints
        (paths.config_dir() / "images.json").unlink()
    with SimulatedFleetProcess(size) as fleet:
        return asyncio.run(watch(home, fleet, real, seconds, connect_timeout))


def restart_killed(real: list[RuntimeInfo]) -> list[RuntimeInfo]:
    """The killed first image started again (its runtime file is stale now)."""
    if not real:
        return real
    reap_children()
    return [launcher.start_image(real[0].name), *real[1:]]


@contextlib.contextmanager
def private_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="stui-fleet-"))
    old = os.environ.get("STUI_HOME")
    os.environ["STUI_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("STUI_HOME", None)
        else:
            os.environ["STUI_HOME"] = old
        shutil.rmtree(home, ignore_errors=True)


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:.{digits}f}"


def print_table(results: list[SizeResult]) -> None:
    print(
        "| N simulated + real | register s | connected | all connected s "
        "| connect lag p99 / max ms | client CPU % | CPU µs/s per image | fleet CPU % "
        "| RSS / image KiB | ping p50 / p99 / max ms | real p99 ms | loop lag p99 / max ms "
        "| false degraded | false disconnected | closed → disc. s | hung → disc. s "
        "| killed real → disc. s |"
    )
    print("|---" + "|---:" * 16 + "|")
    for r in results:
        print(
            f"| {r.endpoints} + {r.real} | {fmt(r.register_s, 2)} | {r.connected} "
            f"| {fmt(r.connect_s, 2)} "
            f"| {fmt(r.connect_lag_p99_ms, 0)} / {fmt(r.connect_lag_max_ms, 0)} "
            f"| {fmt(r.client_cpu_pct)} | {fmt(r.client_cpu_per_image_us, 0)} "
            f"| {fmt(r.fleet_cpu_pct)} | {fmt(r.rss_per_image_kib, 0)} "
            f"| {fmt(r.ping_p50_ms)} / {fmt(r.ping_p99_ms)} / {fmt(r.ping_max_ms)} "
            f"| {fmt(r.real_ping_p99_ms)} | {fmt(r.loop_lag_p99_ms)} / {fmt(r.loop_lag_max_ms)} "
            f"| {r.false_degraded} | {r.false_disconnected} "
            f"| {fmt(r.close_detect_s, 2)} | {fmt(r.hang_detect_s, 2)} "
            f"| {fmt(r.kill_detect_s, 2)} |"
        )
        if r.note:
            print(f"  N={r.endpoints}: {r.note}", file=sys.stderr)


def discovery_ms(count: int) -> tuple[float, float, float]:
    """One discovery of the local images from scratch, the median of later rounds with
    nothing changed (what every 2 s of a watching client costs), and the median of a
    full rescan (every file read, every process looked up), in ms."""
    time.sleep(RACY_NS / 1e9)  # runtime files just written are read again until then
    discovery = LocalDiscovery()
    started = time.perf_counter()
    found = discovery.endpoints()
    cold = (time.perf_counter() - started) * 1e3
    assert len(found) == count, f"{len(found)} of {count} local images discovered"
    rounds = []
    for _ in range(20):
        started = time.perf_counter()
        discovery.endpoints()
        rounds.append((time.perf_counter() - started) * 1e3)
    rescans = []
    for _ in range(5):
        started = time.perf_counter()
        launcher.running_images()
        rescans.append((time.perf_counter() - started) * 1e3)
    return cold, statistics.median(rounds), statistics.median(rescans)


def exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally that stops every image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300,1000,3000")
    parser.add_argument("--real", type=int, default=50, help="real images watched too")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=3, help="threads creating/starting images")
    parser.add_argument("--connect-timeout", type=float,
                        help="seconds to wait for all to connect (default: 30 + N/20)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    raise_fd_limit((max(sizes) + args.real) * FDS_PER_ENDPOINT + 1024)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    results = []
    with private_home() as home:
        images = Fleet(home, args.workers)
        try:
            real: list[RuntimeInfo] = []
            if args.real:
                images.create(args.real)
                real, start_s = images.start(args.real)
                print(f"{args.real} real images started in {start_s:.1f} s", file=sys.stderr)
                cold, warm, rescan = discovery_ms(args.real)
                print(
                    f"discovery of {args.real} local images: {cold:.1f} ms from scratch, "
                    f"{warm:.2f} ms a round when nothing changed "
                    f"(a full rescan: {rescan:.1f} ms)",
                    file=sys.stderr,
                )
            for size in sizes:
                result = run_size(size, args.seconds, home, real, args.connect_timeout)
                results.append(result)
                print(f"N={size} done", file=sys.stderr)
                real = restart_killed(real)
        finally:
            images.shutdown()
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
