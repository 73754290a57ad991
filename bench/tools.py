"""Latency of the IDE operations on a real image (docs/protocol.md, "IDE operations").

Run stand-alone: `.venv/bin/python bench/tools.py [--samples 300] [--json out.json]`;
for Cuis add `--dialect cuis --vm VM --from IMAGE_OR_ZIP --packages DIR`.

In a private temporary STUI_HOME, with one image it starts itself, through `ImageClient`
as STUI uses it, interleaved in rounds so drift on a busy machine hits every case alike:

- **class list**: `browse.classes` of Kernel-Objects and `browse.find_class` "Stream";
- **method source**: `browse.method` Object>>printString;
- **senders of printOn:** and **implementors of printOn:** (`search.*`);
- **completion**: `complete` "Transcript sh";
- **inspect, first page**: `inspect` of a 1000-element Array held by a handle;
- **compile**: `compile` of a small method (replacing itself each time; each one is
  written and flushed to the .changes file);
- **debugger frame** and **debugger step**: `debug.frame` of the top frame, and one
  `debug.step_over`, of an evaluation suspended by a halt before an endless loop (each
  step runs one send of the loop, simulated).

Targets: every lookup (the debugger's frame and step too) under 30 ms at p99, a compile under 100 ms. The image is stopped
and the temporary home removed on the way out, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from stui import launcher
from stui.dialects import DIALECTS, DialectSource
from stui.launcher.runtime import RuntimeInfo
from stui.protocol.messages import (
    BrowseClasses,
    BrowseFindClass,
    BrowseMethod,
    Compile,
    Complete,
    DebugAbandon,
    DebugFrame,
    DebugStepOver,
    EvalMode,
    Evaluate,
    Inspect,
    Inspection,
    Release,
    SearchImplementors,
    SearchSenders,
    Suspended,
)
from stui.transport import ImageClient

CLIENT = "c-" + "e" * 32
ROUNDS = 10
WARMUP = 5
LOOKUP_TARGET_MS = 30.0
COMPILE_TARGET_MS = 100.0

Timings = dict[str, list[float]]

# Suspended by the halt; then every step over runs one `+` of the endless loop.
LOOP = "| s | s := 0. nil halt. [true] whileTrue: [s := s + 1]. s"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@contextlib.contextmanager
def private_image(dialect: str, source: DialectSource | None) -> Iterator[RuntimeInfo]:
    """A fresh image of the dialect in a temporary STUI_HOME; stopped and removed at the end."""
    home = Path(tempfile.mkdtemp(prefix="stui-bench-tools-"))
    os.environ["STUI_HOME"] = str(home)
    try:
        launcher.create_image(
            "bench", dialect, progress=lambda m: print(f"  {m}", file=sys.stderr), source=source
        )
        info = launcher.start_image("bench")
        try:
            yield info
        finally:
            launcher.stop_image("bench", timeout=3)
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def measure(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def run(samples: int, dialect: str, source: DialectSource | None) -> Timings:
    with private_image(dialect, source) as info:
        async with ImageClient(info.address, info.token, CLIENT) as client:
            session = (await client.session_create("bench")).id
            held = await client.call(
                Evaluate(code="(1 to: 1000) asArray", mode=EvalMode.INSPECT, session=session)
            )
            assert isinstance(held, Inspection)
            handle = held.object.handle
            counter = iter(range(10**9))

            async def inspect_first_page() -> None:
                view = await client.call(Inspect(session=session, handle=handle))
                assert isinstance(view, Inspection)
                # the page made a handle per element: free them, as a client would
                fresh = [e.value.handle for e in view.object.elements if e.value.handle]
                if fresh:
                    await client.call(Release(session=session, handles=fresh))

            async def compile_method() -> None:
                n = next(counter)
                await client.call(
                    Compile(class_="Object", category="bench", source=f"stuiBench\n\t^ {n}")
                )

            debugged = (await client.session_create("bench-debug")).id
            stopped = await client.call(
                Evaluate(code=LOOP, session=debugged, debug=True), timeout=10
            )
            assert isinstance(stopped, Suspended), stopped
            suspended = stopped.debug

            async def debug_step() -> None:
                reply = await client.call(DebugStepOver(session=debugged, debug=suspended))
                assert isinstance(reply, Suspended), reply

            cases: dict[str, Callable[[], Awaitable[object]]] = {
                "class list (browse.classes)": lambda: client.call(
                    BrowseClasses(category="Kernel-Objects")
                ),
                "class search (find_class Stream)": lambda: client.call(
                    BrowseFindClass(pattern="Stream")
                ),
                "method source (Object>>printString)": lambda: client.call(
                    BrowseMethod(class_="Object", selector="printString")
                ),
                "senders of printOn:": lambda: client.call(SearchSenders(selector="printOn:")),
                "implementors of printOn:": lambda: client.call(
                    SearchImplementors(selector="printOn:")
                ),
                "completion (Transcript sh)": lambda: client.call(Complete(code="Transcript sh")),
                "inspect, first page": inspect_first_page,
                "compile": compile_method,
                "debugger frame (debug.frame)": lambda: client.call(
                    DebugFrame(session=debugged, debug=suspended)
                ),
                "debugger step (debug.step_over)": debug_step,
            }
            for fn in cases.values():
                await measure(fn, WARMUP)
            timings: Timings = {name: [] for name in cases}
            per_round = max(1, samples // ROUNDS)
            for _ in range(ROUNDS):
                for name, fn in cases.items():
                    timings[name] += await measure(fn, per_round)
            await client.call(DebugAbandon(session=debugged, debug=suspended))
            return timings


def report(timings: Timings) -> list[dict[str, object]]:
    rows = []
    print(f"{'case':40} {'p50 ms':>8} {'p99 ms':>8}  target")
    for name, samples in timings.items():
        target = COMPILE_TARGET_MS if name == "compile" else LOOKUP_TARGET_MS
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        verdict = "met" if p99 < target else "MISSED"
        print(f"{name:40} {p50:8.2f} {p99:8.2f}  p99 < {target:g} ms: {verdict}")
        rows.append({"case": name, "p50_ms": p50, "p99_ms": p99, "target_ms": target})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300, help="samples per case")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--dialect", default="squeak", choices=sorted(DIALECTS))
    parser.add_argument("--vm", help="the VM to run (cuis: needed, or STUI_CUIS_VM)")
    parser.add_argument("--from", dest="image", help="the image or zip (cuis: needed, or STUI_CUIS_IMAGE)")  # fmt: skip
    parser.add_argument("--packages", help="the directory of Network-Kernel.pck.st (cuis)")
    args = parser.parse_args()
    named = [str(Path(p).resolve()) if p else None for p in (args.vm, args.image, args.packages)]
    source = DialectSource(*named) if any(named) else None
    print(f"{args.dialect}: {args.samples} samples per case, {ROUNDS} rounds")
    rows = report(asyncio.run(run(args.samples, args.dialect, source)))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
