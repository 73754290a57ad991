"""Round-trip latency of one evaluation, against the floors it cannot beat.

Run stand-alone: `.venv/bin/python bench/roundtrip.py [--samples 5000] [--json out.json]`;
for Cuis add `--dialect cuis --vm VM --from IMAGE_OR_ZIP --packages DIR` (target: evaluate
p50 within 1.5x the raw eval floor of the same image; 2x for Squeak).

In one run, in a private temporary STUI_HOME, with one image it starts itself:

- **zmq echo**: a pyzmq DEALER and a ROUTER echo in another process, same frame size:
  the floor of ZeroMQ on this machine.
- **raw eval**: the image's NUL-framed raw-socket eval of ``3 + 4``
  (``start_image(raw_port=…)``; the launcher files that server in at start, it is not
  in the shipped template): the floor of an evaluation in this image.
- **stui eval (sync DEALER)**: the STUI protocol from a blocking DEALER: the server's
  cost without the asyncio client.
- **stui evaluate** and **stui ping**: ``ImageClient`` on asyncio, as STUI uses it.

The measurements are interleaved in rounds, so drift on a busy machine hits all of them
alike. Each line reports p50 and p99 and the p50 ratios against both floors. The image
is stopped and the temporary home removed on the way out, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import zmq

CODE = "3 + 4"
ROUNDS = 10
WARMUP = 200
CLIENT = "c-" + "b" * 32
ECHO_PEER = """
import sys, zmq
sock = zmq.Context().socket(zmq.ROUTER)
sock.bind(sys.argv[1])
print("ready", flush=True)
while True:
    sock.send_multipart(sock.recv_multipart())
"""

Timings = dict[str, list[float]]


# evaluate p50 over the raw eval floor of the same image
TARGETS = {"squeak": 2.0, "cuis": 1.5}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def echo_peer() -> Iterator[str]:
    address = f"tcp://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [sys.executable, "-c", ECHO_PEER, address], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the echo peer did not start")
        yield address
    finally:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def private_image(dialect: str, source: object) -> Iterator[tuple[object, int]]:
    """A fresh image in a temporary STUI_HOME, with the raw eval port; stopped at the end."""
    home = Path(tempfile.mkdtemp(prefix="stui-bench-roundtrip-"))
    os.environ["STUI_HOME"] = str(home)
    from stui import launcher

    raw_port = free_port()
    try:
        launcher.create_image(
            "bench", dialect, progress=lambda m: print(f"  {m}", file=sys.stderr), source=source
        )
        info = launcher.start_image("bench", raw_port=raw_port)
        try:
            yield info, raw_port
        finally:
            launcher.stop_image("bench", timeout=3)
    finally:
        shutil.rmtree(home, ignore_errors=True)


class ZmqEcho:
    def __init__(self, context: zmq.Context, address: str, frame: bytes) -> None:
        self.sock = context.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.connect(address)
        self.frame = frame

    def once(self) -> None:
        self.sock.send(self.frame)
        self.sock.recv()


class RawEval:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = CODE.encode("latin-1") + b"\0"

    def once(self) -> None:
        self.sock.sendall(self.request)
        reply = b""
        while not reply.endswith(b"\0"):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the raw eval port closed")
            reply += chunk
        if reply != b"+7\0":
            raise RuntimeError(f"raw eval answered {reply!r}")


class SyncStui:
    """The STUI protocol from a blocking DEALER, frames prepared once."""

    def __init__(self, context: zmq.Context, address: str, token: str) -> None:
        self.sock = context.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.rcvtimeo = 10_000
        self.sock.connect(address)
        hello = {"type": "hello", "id": 0, "client_id": CLIENT, "protocol": "1.0", "token": token}
        self.sock.send(json.dumps(hello).encode())
        if json.loads(self.sock.recv())["type"] != "welcome":
            raise RuntimeError("the image refused the benchmark's hello")
        self.frame = json.dumps({"type": "evaluate", "id": 1, "code": CODE}).encode()

    def once(self) -> None:
        self.sock.send(self.frame)
        self.sock.recv()


def measure_sync(fn: Callable[[], None], n: int) -> list[float]:
    clock = time.perf_counter
    samples = []
    for _ in range(n):
        started = clock()
        fn()
        samples.append(clock() - started)
    return samples


async def measure_async(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    clock = time.perf_counter
    samples = []
    for _ in range(n):
        started = clock()
        await fn()
        samples.append(clock() - started)
    return samples


async def run(samples: int, dialect: str, source: object) -> Timings:
    from stui.protocol import Evaluate, encode
    from stui.transport import ImageClient

    per_round = max(1, samples // ROUNDS)
    context = zmq.Context()
    timings: Timings = {}
    with (
        echo_peer() as echo_address,
        private_image(dialect, source) as (
            info,
            raw_port,
        ),
    ):
        connection = ImageClient(info.address, info.token, CLIENT)  # type: ignore[attr-defined]
        await connection.connect()
        echo = ZmqEcho(context, echo_address, encode(Evaluate(id=1, code=CODE)))
        raw = RawEval(raw_port)
        sync = SyncStui(context, info.address, info.token)  # type: ignore[attr-defined]

        async def evaluate() -> None:
            result = await connection.evaluate(CODE)
            assert result.value == "7", result

        async def ping() -> None:
            await connection.ping()

        sync_cases = {"zmq echo": echo.once, "raw eval": raw.once, "stui eval, sync": sync.once}
        async_cases = {"stui evaluate": evaluate, "stui ping": ping}
        for name, fn in sync_cases.items():
            measure_sync(fn, WARMUP)
            timings[name] = []
        for name, afn in async_cases.items():
            await measure_async(afn, WARMUP)
            timings[name] = []
        for _ in range(ROUNDS):
            for name, fn in sync_cases.items():
                timings[name] += measure_sync(fn, per_round)
            for name, afn in async_cases.items():
                timings[name] += await measure_async(afn, per_round)
        await connection.close()
    context.destroy(linger=0)
    return timings


def report(timings: Timings, target: float) -> dict[str, dict[str, float]]:
    echo_p50 = statistics.median(timings["zmq echo"])
    raw_p50 = statistics.median(timings["raw eval"])
    rows: dict[str, dict[str, float]] = {}
    print(f"{'':18} {'n':>6} {'p50 µs':>9} {'p99 µs':>9} {'÷ echo':>8} {'÷ raw eval':>11}")
    for name, samples in timings.items():
        p50 = statistics.median(samples)
        p99 = percentile(samples, 0.99)
        rows[name] = {
            "n": len(samples),
            "p50_us": round(p50 * 1e6, 1),
            "p99_us": round(p99 * 1e6, 1),
            "p50_vs_echo": round(p50 / echo_p50, 2),
            "p50_vs_raw_eval": round(p50 / raw_p50, 2),
        }
        r = rows[name]
        print(
            f"{name:18} {r['n']:>6} {r['p50_us']:>9.1f} {r['p99_us']:>9.1f}"
            f" {r['p50_vs_echo']:>7.2f}x {r['p50_vs_raw_eval']:>10.2f}x"
        )
    evaluate = rows["stui evaluate"]
    within = evaluate["p50_vs_raw_eval"] <= target
    print(
        f"\nstui evaluate: p50 {evaluate['p50_vs_raw_eval']:.2f}x the raw eval"
        f" (target ≤ {target:g}x: {'met' if within else 'missed'}),"
        f" p99 {evaluate['p99_us']:.0f} µs (target < 1000 µs:"
        f" {'met' if evaluate['p99_us'] < 1000 else 'missed'})"
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=5000, help="per case (default 5000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--dialect", default="squeak", choices=sorted(TARGETS))
    parser.add_argument("--vm", help="the VM to run (cuis: needed, or STUI_CUIS_VM)")
    parser.add_argument("--from", dest="image", help="the image or zip (cuis: needed, or STUI_CUIS_IMAGE)")  # fmt: skip
    parser.add_argument("--packages", help="the directory of Network-Kernel.pck.st (cuis)")
    args = parser.parse_args()
    from stui.dialects import DialectSource

    named = [str(Path(p).resolve()) if p else None for p in (args.vm, args.image, args.packages)]
    source = DialectSource(*named) if any(named) else None
    if args.samples < ROUNDS:
        parser.error(f"--samples must be at least {ROUNDS}")
    print(
        f"{args.dialect}: round trips of {CODE!r}, {args.samples} samples per case, {ROUNDS} rounds"
    )
    timings = asyncio.run(run(args.samples, args.dialect, source))
    rows = report(timings, TARGETS[args.dialect])
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
