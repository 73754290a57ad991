"""A fleet of simulated endpoints: what one client pays to watch hundreds or thousands.

Run stand-alone:
`.venv/bin/python bench/fleet.py [--sizes 100,300,1000] [--seconds 10]
[--connect-timeout S] [--json out.json]`.

The endpoints are a simulation (bench/simulated_fleet.py), served from one child
process, because a thousand real VMs do not fit on one machine; they answer at once, so
what is measured here is the client. For each size N, in a private temporary STUI_HOME:

1. the simulated fleet starts with N endpoints;
2. each is registered with `ImageRegistry.add` (which saves the endpoint book), timed;
3. one `HealthMonitor` (default policy: a ping a second) with a `SessionManager` on a
   fresh SQLite store starts; the time until every endpoint is `connected` is taken,
   with the event loop's lag meanwhile;
4. a window of `--seconds` measures this process's CPU and RSS, every pong's round trip,
   the loop's lag and every status change;
5. one endpoint is closed and the time until it is `disconnected` is taken; then one is
   hung (connected, answering nothing) and the same is taken; every other endpoint must
   stay `connected` (a change to `degraded` or `disconnected` of one of them is false).

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
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil

from multi_image import LAG_TICK, MIB, PooledLatency, cpu_seconds, percentile
from simulated_fleet import EndpointSpec, SimulatedFleetProcess
from stui.images.health import HealthPolicy
from stui.images.registry import ImageEntry, ImageRegistry
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

    endpoints: int
    register_s: float
    connected: int  # endpoints connected when the connect phase ended
    connect_s: float  # monitor start until all connected (NaN if they never were)
    connect_lag_p99_ms: float
    connect_lag_max_ms: float
    client_cpu_pct: float = float("nan")
    fleet_cpu_pct: float = float("nan")  # the simulation's own process
    client_rss_mib: float = float("nan")
    rss_per_endpoint_kib: float = float("nan")
    ping_p50_ms: float = float("nan")
    ping_p99_ms: float = float("nan")
    ping_max_ms: float = float("nan")
    pings: int = 0
    loop_lag_p99_ms: float = float("nan")
    loop_lag_max_ms: float = float("nan")
    false_degraded: int = 0  # after all connected, of endpoints nobody closed or hung
    false_disconnected: int = 0
    close_detect_s: float = float("nan")
    hang_detect_s: float = float("nan")
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


def register(workbench: Workbench, specs: list[EndpointSpec]) -> float:
    started = time.monotonic()
    for spec in specs:
        workbench.add_image(spec.name, spec.address, spec.token)
    return time.monotonic() - started


def connected_count(registry: ImageRegistry, names: list[str]) -> int:
    return sum(1 for n in names if registry.get(n).status is ConnectionStatus.CONNECTED)


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
    home: Path, fleet: SimulatedFleetProcess, seconds: float, connect_timeout: float | None
) -> SizeResult:
    specs = fleet.endpoints
    size = len(specs)
    names = [s.name for s in specs]
    me = psutil.Process()
    child = psutil.Process(fleet.proc.pid)
    config = WorkbenchConfig(
        health=HealthPolicy(), store_path=home / f"sessions-{size}.db", client_id=CLIENT
    )
    workbench = Workbench(config)
    registry = workbench.registry
    log = ChangeLog(registry)
    register_s = register(workbench, specs)
    rss_before = me.memory_info().rss
    try:
        with loop_lag_probe() as connect_lags:
            await workbench.start()
            timeout = connect_timeout if connect_timeout is not None else 30 + size / 20
            connect_s = await wait_all_connected(registry, names, timeout)
        result = SizeResult(
            endpoints=size,
            register_s=register_s,
            connected=connected_count(registry, names),
            connect_s=connect_s,
            connect_lag_p99_ms=percentile(connect_lags, 99) * 1e3,
            connect_lag_max_ms=max(connect_lags, default=float("nan")) * 1e3,
        )
        if result.connected < size:
            errors = {registry.get(n).last_error for n in names} - {None}
            result.note = f"{size - result.connected} never connected: " + "; ".join(
                sorted(str(e) for e in errors)[:2]
            )
            return result
        all_connected_at = time.monotonic()
        await measure_window(registry, names, seconds, me, child, result)
        rss_after = me.memory_info().rss
        result.client_rss_mib = rss_after / MIB
        result.rss_per_endpoint_kib = (rss_after - rss_before) / size / 1024
        touched = await detect_failures(registry, fleet, names, result)
        result.false_degraded, result.false_disconnected = log.false_alarms(
            all_connected_at, touched
        )
    finally:
        await workbench.stop()
    return result


async def measure_window(
    registry: ImageRegistry,
    names: list[str],
    seconds: float,
    me: psutil.Process,
    child: psutil.Process,
    result: SizeResult,
) -> None:
    pool: list[float] = []
    for name in names:
        registry.get(name).latency = PooledLatency(pool)
    cpu_before, fleet_before = cpu_seconds([me]), cpu_seconds([child])
    opened = time.monotonic()
    with loop_lag_probe() as lags:
        await asyncio.sleep(seconds)
    wall = time.monotonic() - opened
    result.client_cpu_pct = (cpu_seconds([me]) - cpu_before) / wall * 100
    result.fleet_cpu_pct = (cpu_seconds([child]) - fleet_before) / wall * 100
    result.ping_p50_ms = percentile(pool, 50) * 1e3
    result.ping_p99_ms = percentile(pool, 99) * 1e3
    result.ping_max_ms = max(pool, default=float("nan")) * 1e3
    result.pings = len(pool)
    result.loop_lag_p99_ms = percentile(lags, 99) * 1e3
    result.loop_lag_max_ms = max(lags, default=float("nan")) * 1e3


async def detect_failures(
    registry: ImageRegistry, fleet: SimulatedFleetProcess, names: list[str], result: SizeResult
) -> set[str]:
    """Close one endpoint, then hang another; answer the names of the two."""
    closed, hung = 0, len(names) // 2
    started = time.monotonic()
    fleet.command(f"close {closed}")
    result.close_detect_s = await time_to_disconnected(registry, names[closed], started)
    started = time.monotonic()
    fleet.command(f"hang {hung}")
    result.hang_detect_s = await time_to_disconnected(registry, names[hung], started)
    return {names[closed], names[hung]}


def run_size(size: int, seconds: float, home: Path, connect_timeout: float | None) -> SizeResult:
    with SimulatedFleetProcess(size) as fleet:
        return asyncio.run(watch(home, fleet, seconds, connect_timeout))


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
        "| N | register s | connected | all connected s | connect lag p99 / max ms "
        "| client CPU % | fleet CPU % | RSS / endpoint KiB | ping p50 / p99 / max ms | loop lag p99 / max ms "
        "| false degraded | false disconnected | closed → disconnected s "
        "| hung → disconnected s |"
    )
    print("|---:" * 14 + "|")
    for r in results:
        print(
            f"| {r.endpoints} | {fmt(r.register_s)} | {r.connected} | {fmt(r.connect_s, 2)} "
            f"| {fmt(r.connect_lag_p99_ms, 0)} / {fmt(r.connect_lag_max_ms, 0)} "
            f"| {fmt(r.client_cpu_pct)} | {fmt(r.fleet_cpu_pct)} | {fmt(r.rss_per_endpoint_kib, 0)} "
            f"| {fmt(r.ping_p50_ms)} / {fmt(r.ping_p99_ms)} / {fmt(r.ping_max_ms)} "
            f"| {fmt(r.loop_lag_p99_ms)} / {fmt(r.loop_lag_max_ms)} "
            f"| {r.false_degraded} | {r.false_disconnected} "
            f"| {fmt(r.close_detect_s, 2)} | {fmt(r.hang_detect_s, 2)} |"
        )
        if r.note:
            print(f"  N={r.endpoints}: {r.note}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300,1000")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connect-timeout", type=float,
                        help="seconds to wait for all to connect (default: 30 + N/20)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    raise_fd_limit(max(sizes) * FDS_PER_ENDPOINT + 1024)
    results = []
    with private_home() as home:
        for size in sizes:
            result = run_size(size, args.seconds, home, args.connect_timeout)
            results.append(result)
            print(f"N={size} done", file=sys.stderr)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
