"""Cross-image work on real images: a broadcast, and a full-image diff (docs/cross-image.md).

Run stand-alone:
`.venv/bin/python bench/cross_image.py [--sizes 10,50] [--rounds 5] [--json out.json]`.

In a private temporary STUI_HOME, with real images it creates and starts itself (as
bench/multi_image.py does):

1. **broadcast**: `3 + 4` printed in N images through `tools.broadcast` (as
   `stui eval --images` runs it: each image's latest session, its history recorded),
   against the same N evaluations one after another (`broadcast` of one image at a
   time), in the same run, rounds alternating which goes first. *Cold*: a fresh
   workbench each time (connecting, the handshake and opening the sessions included);
   *warm*: one workbench that already holds its connections. Target: at 50 images the
   concurrent broadcast is at least 4x faster than one after another.
2. **full-image diff**: `tools.diff` of every class of two images that differ in 10
   methods (one changed method in each of 10 classes), cold (a fresh workbench) and
   warm. Target: under 2 s.

Medians of `--rounds`. Every VM this run started is stopped on the way out, also on
Ctrl-C or an error, and the temporary home is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil

from multi_image import Fleet, cpu_seconds, exit_on_sigterm, parse_sizes, vm_processes
from stui.protocol import messages as m
from stui.tools.broadcast import BroadcastRow, broadcast
from stui.tools.code_scope import CodeScope
from stui.tools.diff import diff
from stui.tools.edit import compile_method
from stui.workbench import Workbench, WorkbenchConfig

CODE = "3 + 4"
BROADCAST_TARGET = 4.0  # concurrent at least this many times faster, at the largest size
DIFF_TARGET_S = 2.0
DIFF_CLASSES = (
    "Object", "Point", "Rectangle", "String", "Symbol",
    "OrderedCollection", "Dictionary", "Set", "Interval", "Fraction",
)  # fmt: skip


@dataclasses.dataclass
class BroadcastResult:
    """One size: medians in ms of the whole run over N images, and the ratios."""

    images: int
    cold_sequential_ms: float
    cold_concurrent_ms: float
    cold_ratio: float
    warm_sequential_ms: float
    warm_concurrent_ms: float
    warm_ratio: float
    warm_concurrent_per_image_ms: float
    warm_concurrent_client_cpu_pct: float  # this process during the runs, 100 = one core
    warm_concurrent_vm_cpu_pct: float  # the N VMs together (10 ms ticks: coarse)


@dataclasses.dataclass
class DiffResult:
    classes_compared: int
    differences: int
    sources_fetched: int
    cold_s: float
    warm_s: float


def workbench() -> Workbench:
    """A one-shot workbench, as the CLI opens one: connections opened on demand."""
    return Workbench(WorkbenchConfig(watch=False))


@dataclasses.dataclass(frozen=True)
class Spent:
    """Wall time of one run, and the CPU this process and the VMs used meanwhile (s)."""

    wall: float
    client_cpu: float
    vm_cpu: float


async def timed(vms: list[psutil.Process], action: Callable[[], Awaitable[object]]) -> Spent:
    started, cpu, vm_cpu = time.perf_counter(), time.process_time(), cpu_seconds(vms)
    await action()
    wall = time.perf_counter() - started
    return Spent(wall, time.process_time() - cpu, cpu_seconds(vms) - vm_cpu)


def check(rows: list[BroadcastRow]) -> None:
    bad = [r for r in rows if not r.ok]
    if bad:
        raise SystemExit(f"broadcast failed in {bad[0].image}: {bad[0].outcome}")


async def concurrent(wb: Workbench, names: list[str]) -> None:
    check(await broadcast(wb, names, CODE))


async def sequential(wb: Workbench, names: list[str]) -> None:
    for name in names:
        check(await broadcast(wb, [name], CODE))


Run = Callable[[Workbench, list[str]], Awaitable[None]]


async def cold(vms: list[psutil.Process], run: Run, names: list[str]) -> Spent:
    async with workbench() as wb:
        return await timed(vms, lambda: run(wb, names))


async def measure_broadcast(
    names: list[str], vms: list[psutil.Process], rounds: int
) -> BroadcastResult:
    """Cold and warm, concurrent and one after another, rounds alternating the order."""
    spent: dict[str, list[Spent]] = {k: [] for k in ("cs", "cc", "ws", "wc")}
    runs: list[tuple[str, Run]] = [("s", sequential), ("c", concurrent)]
    for round_ in range(rounds):
        for key, run in runs if round_ % 2 == 0 else runs[::-1]:
            spent["c" + key].append(await cold(vms, run, names))
    async with workbench() as wb:
        await concurrent(wb, names)  # connect every image once
        for round_ in range(rounds):
            for key, run in runs if round_ % 2 == 0 else runs[::-1]:
                spent["w" + key].append(await timed(vms, lambda run=run: run(wb, names)))
    ms = {k: statistics.median(s.wall for s in v) * 1000 for k, v in spent.items()}
    warm = spent["wc"]
    wall = sum(s.wall for s in warm)
    return BroadcastResult(
        images=len(names),
        cold_sequential_ms=ms["cs"],
        cold_concurrent_ms=ms["cc"],
        cold_ratio=ms["cs"] / ms["cc"],
        warm_sequential_ms=ms["ws"],
        warm_concurrent_ms=ms["wc"],
        warm_ratio=ms["ws"] / ms["wc"],
        warm_concurrent_per_image_ms=ms["wc"] / len(names),
        warm_concurrent_client_cpu_pct=100 * sum(s.client_cpu for s in warm) / wall,
        warm_concurrent_vm_cpu_pct=100 * sum(s.vm_cpu for s in warm) / wall,
    )


async def make_them_differ(a: str, b: str) -> None:
    """One method in each of DIFF_CLASSES, with another source in each image."""
    async with workbench() as wb:
        for name, says in ((a, "a"), (b, "b")):
            client = await wb.client(name)
            for cls in DIFF_CLASSES:
                source = f"stuiBenchProbe\n\t^ 'as in {says}'"
                done = await compile_method(client, cls, source, category="stui-bench")
                if not isinstance(done, m.Compiled):
                    raise SystemExit(f"cannot compile in {name} {cls}: {done}")


async def measure_diff(a: str, b: str, rounds: int) -> DiffResult:
    await make_them_differ(a, b)
    colds: list[float] = []
    result = None
    for _ in range(rounds):
        async with workbench() as wb:
            started = time.perf_counter()
            result = await diff(wb, a, b, CodeScope())
            colds.append(time.perf_counter() - started)
    warms: list[float] = []
    async with workbench() as wb:
        await diff(wb, a, b, CodeScope())
        for _ in range(rounds):
            started = time.perf_counter()
            result = await diff(wb, a, b, CodeScope())
            warms.append(time.perf_counter() - started)
    assert result is not None
    if len(result.differences) != len(DIFF_CLASSES):
        raise SystemExit(f"expected {len(DIFF_CLASSES)} differences, got {result.differences}")
    return DiffResult(
        classes_compared=result.classes_compared,
        differences=len(result.differences),
        sources_fetched=result.sources_fetched,
        cold_s=statistics.median(colds),
        warm_s=statistics.median(warms),
    )


async def measure(fleet: Fleet, sizes: list[int], rounds: int) -> tuple[list, DiffResult]:
    largest = max(sizes)
    fleet.create(largest)
    infos, seconds = fleet.start(largest)
    print(f"started {largest} images in {seconds:.1f} s", flush=True)
    names = [info.name for info in infos]
    async with workbench() as wb:
        await concurrent(wb, names)  # every image gets its session once, before timing
    results = []
    for size in sizes:
        print(f"broadcast to {size} images …", flush=True)
        vms = vm_processes(infos[:size])
        results.append(await measure_broadcast(names[:size], vms, rounds))
    print("full-image diff …", flush=True)
    return results, await measure_diff(names[0], names[1], rounds)


def report(rows: list[BroadcastResult], diffed: DiffResult, rounds: int) -> None:
    print(f"\nbroadcast of {CODE!r}, medians of {rounds} rounds (ms)")
    print(f"{'images':>6} {'cold seq':>9} {'cold conc':>9} {'ratio':>6} "
          f"{'warm seq':>9} {'warm conc':>9} {'ratio':>6} {'per image':>9} "
          f"{'client cpu':>10} {'vm cpu':>7}")  # fmt: skip
    for r in rows:
        print(
            f"{r.images:>6} {r.cold_sequential_ms:>9.0f} {r.cold_concurrent_ms:>9.0f} "
            f"{r.cold_ratio:>5.1f}x {r.warm_sequential_ms:>9.0f} {r.warm_concurrent_ms:>9.0f} "
            f"{r.warm_ratio:>5.1f}x {r.warm_concurrent_per_image_ms:>9.2f} "
            f"{r.warm_concurrent_client_cpu_pct:>9.0f}% {r.warm_concurrent_vm_cpu_pct:>6.0f}%"
        )
    print(
        "(client and VM CPU: during the warm concurrent runs, 100% = one core of "
        f"{psutil.cpu_count()})"
    )
    largest = rows[-1]
    verdict = (
        "meets" if min(largest.cold_ratio, largest.warm_ratio) >= BROADCAST_TARGET else "MISSES"
    )
    print(f"{verdict} the target of {BROADCAST_TARGET:g}x at {largest.images} images")
    print(
        f"\nfull-image diff: {diffed.classes_compared} classes, {diffed.differences} "
        f"differences, {diffed.sources_fetched} sources fetched; cold {diffed.cold_s:.2f} s, "
        f"warm {diffed.warm_s:.2f} s "
        f"({'meets' if diffed.cold_s < DIFF_TARGET_S else 'MISSES'} the {DIFF_TARGET_S:g} s target)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[10, 50])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--workers", type=int, default=3, help="threads creating/starting images")
    args = parser.parse_args()
    if args.rounds < 1 or args.workers < 1:
        parser.error("--rounds and --workers must be at least 1")
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    home = Path(tempfile.mkdtemp(prefix="stui-bench-cross-"))
    os.environ["STUI_HOME"] = str(home)
    fleet = Fleet(home, args.workers)
    try:
        rows, diffed = asyncio.run(measure(fleet, args.sizes, args.rounds))
    except KeyboardInterrupt:
        print("interrupted; stopping every image", file=sys.stderr)
        sys.exit(130)
    finally:
        fleet.shutdown()
        shutil.rmtree(home, ignore_errors=True)
    report(rows, diffed, args.rounds)
    if args.json is not None:
        document = {
            "cpus": psutil.cpu_count(),
            "rounds": args.rounds,
            "broadcast": [dataclasses.asdict(r) for r in rows],
            "diff": dataclasses.asdict(diffed),
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
