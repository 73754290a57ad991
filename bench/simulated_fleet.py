"""A simulated fleet: many STUI protocol endpoints in one process, for measuring only.

This is a simulation of images, not an image. Each simulated endpoint is one pyzmq
ROUTER that answers the requests of docs/protocol.md that a watching client sends:
`hello` (a `welcome` with its own image_id and instance_id), `ping`, a trivial
`evaluate` (integer arithmetic, left to right as Smalltalk does), `interrupt` and the
`session.*` family. It exists because a thousand real VMs do not fit on one machine:
it serves `bench/fleet.py` and the tests of how the client scales
(`tests/test_simulated_fleet.py`). It never stands in for a real image in a functional
test; those start real Squeak VMs.

All endpoints of a fleet share one asyncio loop in one background thread, and one
ZeroMQ context of their own. On command, one endpoint can be:

- closed (its socket closes: the client sees the connection drop),
- hung (it reads and drops everything, answering nothing, with the connection up),
- delayed (every answer is sent that many seconds late),
- resumed (back to normal), or restarted (a new socket on the same port, a new
  instance_id, its sessions gone).

In-process: `SimulatedFleet(n)` as a context manager, with `close(i)`, `hang(i)`,
`delay(i, s)`, `resume(i)`, `restart(i)`. In its own process (so that its CPU is not
the client's): `python bench/simulated_fleet.py --count N` prints one JSON line with
the endpoints, then takes one command a line on stdin (`close I`, `hang I`,
`delay I SECONDS`, `resume I`, `restart I`, `quit`) and answers `ok` or `error: …`;
`SimulatedFleetProcess` drives it.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

import zmq

from stui.protocol import PROTOCOL_VERSION, ProtocolError, decode_request, encode
from stui.protocol.messages import (
    Cleaned,
    CleanupScope,
    Closed,
    ErrorReply,
    EvalError,
    EvalErrorKind,
    EvalMode,
    Evaluate,
    Hello,
    ImageInfo,
    ImageSession,
    Interrupt,
    Interrupted,
    Message,
    Ping,
    Pong,
    Result,
    ServerLimits,
    SessionAttach,
    SessionCleanup,
    SessionClose,
    SessionCreate,
    SessionList,
    SessionListReply,
    SessionReply,
    SessionStats,
    SessionStatsReply,
    Unknown,
    Welcome,
)

SIMULATED_DIALECT: Final = "simulated"
SIMULATED_VERSION: Final = "STUI simulated fleet (not an image)"
CAPABILITIES: Final = [
    "evaluate",
    "interrupt",
    "session.create",
    "session.attach",
    "session.close",
    "session.list",
    "session.stats",
    "session.cleanup",
]
SOCKET_MARGIN: Final = 64  # sockets of the fleet's context beyond one per endpoint
SMALL_INTEGER_BITS: Final = 30
REBIND_ATTEMPTS: Final = 100
REBIND_PAUSE: Final = 0.01
_ARITHMETIC: Final = re.compile(r"\s*-?\d+(?:\s*[-+*]\s*-?\d+)*\s*")
_OPERAND: Final = re.compile(r"\s*(-?\d+)")
_OPERATOR: Final = re.compile(r"\s*([-+*])")
_POLLIN: Final = int(zmq.POLLIN)
_NOBLOCK: Final = int(zmq.NOBLOCK)

T = TypeVar("T")


class Mode(StrEnum):
    """What a simulated endpoint does with the requests it gets."""

    SERVING = "serving"
    HUNG = "hung"
    CLOSED = "closed"


@dataclass(frozen=True)
class EndpointSpec:
    """How a client reaches one simulated endpoint."""

    index: int
    name: str
    address: str
    token: str
    image_id: str


@dataclass
class _Peer:
    """One client connection, as the ROUTER sees it (by routing id)."""

    client_id: str | None = None  # set once it said hello with the right token
    delimiter: bool = False  # it sends an empty frame first; answer the same way


@dataclass
class _SimSession:
    id: str
    client_id: str
    label: str | None
    created_at: str
    created: float
    last_activity: str

    def info(self) -> ImageSession:
        return ImageSession(
            id=self.id,
            client_id=self.client_id,
            status="active",
            created_at=self.created_at,
            last_activity=self.last_activity,
            bindings=0,
            label=self.label,
        )


@dataclass
class _Endpoint:
    index: int
    name: str
    token: str
    image_id: str
    port: int = 0
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    mode: Mode = Mode.SERVING
    delay: float = 0.0
    started: float = field(default_factory=time.monotonic)
    started_at: str = field(default_factory=lambda: _now())
    sock: zmq.Socket[bytes] | None = None
    peers: dict[bytes, _Peer] = field(default_factory=dict)
    sessions: dict[str, _SimSession] = field(default_factory=dict)
    requests: int = 0

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def spec(self) -> EndpointSpec:
        return EndpointSpec(self.index, self.name, self.address, self.token, self.image_id)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def evaluate_arithmetic(code: str) -> int | None:
    """Integer arithmetic with + - *, left to right as in Smalltalk; None for anything else."""
    if not _ARITHMETIC.fullmatch(code):
        return None
    value, pos = _operand(code, 0)
    while (step := _next(_OPERATOR, code, pos)) is not None:
        op, pos = step
        right, pos = _operand(code, pos)
        value = value + right if op == "+" else value - right if op == "-" else value * right
    return value


def _next(pattern: re.Pattern[str], code: str, pos: int) -> tuple[str, int] | None:
    """The next token of `pattern` at `pos` (after spaces) and the position after it."""
    found = pattern.match(code, pos)
    return None if found is None else (found.group(1), found.end())


def _operand(code: str, pos: int) -> tuple[int, int]:
    step = _next(_OPERAND, code, pos)
    assert step is not None, "the whole code was matched as arithmetic first"
    return int(step[0]), step[1]


def _integer_class(value: int) -> str:
    if -(2**SMALL_INTEGER_BITS) <= value < 2**SMALL_INTEGER_BITS:
        return "SmallInteger"
    return "LargePositiveInteger" if value > 0 else "LargeNegativeInteger"


class SimulatedFleet:
    """`count` simulated endpoints on 127.0.0.1, served from one background thread."""

    def __init__(self, count: int, *, token: str | None = None, name_prefix: str = "sim") -> None:
        if count < 1:
            raise ValueError(f"a fleet needs at least one endpoint, not {count}")
        self.count = count
        self._endpoints = [
            _Endpoint(
                index=i,
                name=f"{name_prefix}-{i:04d}",
                token=token or secrets.token_hex(8),
                image_id=str(uuid.uuid4()),
            )
            for i in range(count)
        ]
        self._context: zmq.Context[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle (any thread) ------------------------------------------------------

    def start(self) -> list[EndpointSpec]:
        """Bind every endpoint and start serving; answer how to reach them."""
        if self._thread is not None:
            raise RuntimeError("this simulated fleet was already started")
        context: zmq.Context[Any] = zmq.Context()
        context.set(zmq.MAX_SOCKETS, self.count + SOCKET_MARGIN)
        self._context = context
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="simulated-fleet", daemon=True
        )
        self._thread.start()
        ready.result()
        return self.endpoints

    def stop(self) -> None:
        """Close every endpoint and end the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
        self._loop = None
        if self._context is not None:
            self._context.term()
            self._context = None

    def __enter__(self) -> SimulatedFleet:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoints(self) -> list[EndpointSpec]:
        return [e.spec() for e in self._endpoints]

    # -- commands (any thread) --------------------------------------------------------

    def close(self, index: int) -> None:
        """Close the endpoint's socket: its clients see the connection drop."""
        self._call(self._close, self._endpoints[index])

    def hang(self, index: int) -> None:
        """Keep the connection up but answer nothing (requests are read and dropped)."""
        self._call(self._set_mode, self._endpoints[index], Mode.HUNG)

    def delay(self, index: int, seconds: float) -> None:
        """Send every answer of this endpoint `seconds` late (0: at once again)."""
        if seconds < 0:
            raise ValueError(f"a delay cannot be negative: {seconds}")
        self._call(setattr, self._endpoints[index], "delay", seconds)

    def resume(self, index: int) -> None:
        """Answer again, at once (undoes hang and delay; a closed endpoint stays closed)."""
        self._call(self._resume, self._endpoints[index])

    def restart(self, index: int) -> None:
        """A new socket on the same port with a new instance_id and no sessions."""
        self._call(self._restart, self._endpoints[index])

    def mode(self, index: int) -> Mode:
        return self._endpoints[index].mode

    def requests(self, index: int) -> int:
        """How many requests this endpoint has read (answered or not)."""
        return self._endpoints[index].requests

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = self._loop
        if loop is None:
            raise RuntimeError("the simulated fleet is not running")
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(timeout=10)

    # -- the serving thread -----------------------------------------------------------

    def _serve(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            for endpoint in self._endpoints:
                self._open(endpoint)
        except BaseException as exc:
            self._close_all()
            loop.close()
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            self._close_all()
            loop.close()

    def _close_all(self) -> None:
        for endpoint in self._endpoints:
            self._close(endpoint)

    def _open(self, endpoint: _Endpoint) -> None:
        assert self._context is not None and self._loop is not None
        sock = self._context.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        if endpoint.port:
            _bind_again(sock, endpoint.address)
        else:
            endpoint.port = sock.bind_to_random_port("tcp://127.0.0.1")
        endpoint.sock = sock
        endpoint.mode = Mode.SERVING
        self._loop.add_reader(sock.FD, self._on_readable, endpoint)
        self._loop.call_soon(self._on_readable, endpoint)

    def _close(self, endpoint: _Endpoint) -> None:
        sock = endpoint.sock
        endpoint.mode = Mode.CLOSED
        if sock is None:
            return
        endpoint.sock = None
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(sock.FD)
        sock.close(linger=0)
        endpoint.peers.clear()

    def _set_mode(self, endpoint: _Endpoint, mode: Mode) -> None:
        if endpoint.mode is Mode.CLOSED:
            raise ValueError(f"{endpoint.name} is closed; restart it first")
        endpoint.mode = mode

    def _resume(self, endpoint: _Endpoint) -> None:
        endpoint.delay = 0.0
        self._set_mode(endpoint, Mode.SERVING)

    def _restart(self, endpoint: _Endpoint) -> None:
        self._close(endpoint)
        endpoint.instance_id = str(uuid.uuid4())
        endpoint.started = time.monotonic()
        endpoint.started_at = _now()
        endpoint.sessions.clear()
        endpoint.delay = 0.0
        self._open(endpoint)

    def _on_readable(self, endpoint: _Endpoint) -> None:
        """Drain the socket (its descriptor is edge-triggered) and answer each request."""
        sock = endpoint.sock
        while sock is not None and endpoint.sock is sock:
            try:
                frames = sock.recv_multipart(_NOBLOCK)
            except zmq.Again:
                return
            endpoint.requests += 1
            if endpoint.mode is Mode.SERVING and len(frames) >= 2:
                self._answer(endpoint, frames)

    def _answer(self, endpoint: _Endpoint, frames: list[bytes]) -> None:
        routing_id, payload = frames[0], frames[1]
        peer = endpoint.peers.setdefault(routing_id, _Peer())
        if not payload and len(frames) > 2:
            peer.delimiter, payload = True, frames[2]
        reply = _handle(endpoint, peer, routing_id, payload)
        if reply is None:
            return
        out = [routing_id, b"", encode(reply)] if peer.delimiter else [routing_id, encode(reply)]
        if endpoint.delay > 0 and self._loop is not None:
            self._loop.call_later(endpoint.delay, self._send, endpoint, out)
        else:
            self._send(endpoint, out)

    def _send(self, endpoint: _Endpoint, frames: list[bytes]) -> None:
        sock = endpoint.sock
        if sock is None or endpoint.mode is not Mode.SERVING:
            return  # closed or hung since the answer was made: it is never sent
        try:
            sock.send_multipart(frames, _NOBLOCK)
        except zmq.ZMQError:
            return  # the peer is gone or its queue is full: a ROUTER drops the answer
        if sock.get(zmq.EVENTS) & _POLLIN and self._loop is not None:
            self._loop.call_soon(self._on_readable, endpoint)


def _bind_again(sock: zmq.Socket[bytes], address: str) -> None:
    """Bind a port that a just-closed socket held: libzmq releases it asynchronously."""
    for _ in range(REBIND_ATTEMPTS - 1):
        try:
            sock.bind(address)
            return
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EADDRINUSE:
                raise
            time.sleep(REBIND_PAUSE)
    sock.bind(address)


# -- the protocol, as a simulated image answers it ----------------------------------------


def _error(rid: int | None, code: str, message: str) -> ErrorReply:
    return ErrorReply(id=rid, code=code, message=message)


def _handle(endpoint: _Endpoint, peer: _Peer, routing_id: bytes, payload: bytes) -> Message | None:
    try:
        request = decode_request(payload)
    except ProtocolError as exc:
        return _error(exc.request_id, "bad_request", exc.message)
    rid = request.id
    if isinstance(request, Hello):
        return _hello(endpoint, peer, routing_id, request)
    if peer.client_id is None:
        return _error(rid, "unauthorized", "say hello first")
    match request:
        case Unknown():
            return _error(rid, "unsupported", f"unknown request type {request.type!r}")
        case Ping():
            uptime = int((time.monotonic() - endpoint.started) * 1000)
            return Pong(id=rid, uptime_ms=uptime, busy=False, sessions=len(endpoint.sessions))
        case Evaluate():
            return _evaluate(endpoint, peer.client_id, request)
        case Interrupt():
            return Interrupted(id=rid, was_running=False)
        case _:
            return _session_request(endpoint, peer.client_id, request)


def _hello(endpoint: _Endpoint, peer: _Peer, routing_id: bytes, hello: Hello) -> Message:
    if hello.token != endpoint.token:
        endpoint.peers.pop(routing_id, None)  # a stock ROUTER cannot close one peer
        return _error(hello.id, "unauthorized", "wrong token")
    if hello.protocol.partition(".")[0] != PROTOCOL_VERSION.partition(".")[0]:
        return _error(
            hello.id, "version_mismatch", f"this endpoint speaks protocol {PROTOCOL_VERSION}"
        )
    peer.client_id = hello.client_id
    image = ImageInfo(
        image_id=endpoint.image_id,
        instance_id=endpoint.instance_id,
        name=endpoint.name,
        dialect=SIMULATED_DIALECT,
        version=SIMULATED_VERSION,
        pid=os.getpid(),
        started_at=endpoint.started_at,
        port=endpoint.port,
    )
    return Welcome(
        id=hello.id,
        protocol=PROTOCOL_VERSION,
        image=image,
        capabilities=list(CAPABILITIES),
        limits=ServerLimits(),
    )


def _own_session(endpoint: _Endpoint, client_id: str, session_id: str) -> _SimSession | None:
    session = endpoint.sessions.get(session_id)
    return session if session is not None and session.client_id == client_id else None


def _evaluate(endpoint: _Endpoint, client_id: str, request: Evaluate) -> Message:
    rid = request.id
    if isinstance(request.session, str):
        session = _own_session(endpoint, client_id, request.session)
        if session is None:
            return _error(rid, "no_session", f"no session {request.session}")
        session.last_activity = _now()
    started = time.perf_counter()
    value = evaluate_arithmetic(request.code)
    if value is None:
        return EvalError(
            id=rid,
            kind=EvalErrorKind.RUNTIME,
            message="a simulated endpoint evaluates integer arithmetic only",
            error_class="Error",
        )
    text = str(value)
    limit = request.max_print if isinstance(request.max_print, int) else len(text)
    elapsed = int((time.perf_counter() - started) * 1000)
    return Result(
        id=rid,
        value=None if request.mode is EvalMode.DO else text[:limit],
        class_=_integer_class(value),
        truncated=request.mode is not EvalMode.DO and len(text) > limit,
        elapsed_ms=elapsed,
    )


def _session_request(endpoint: _Endpoint, client_id: str, request: Message) -> Message:
    rid: int = getattr(request, "id", 0)
    match request:
        case SessionCreate():
            now = _now()
            label = request.label if isinstance(request.label, str) else None
            session = _SimSession("s-" + uuid.uuid4().hex, client_id, label, now, time.time(), now)
            endpoint.sessions[session.id] = session
            return SessionReply(id=rid, session=session.info())
        case SessionAttach():
            found = _own_session(endpoint, client_id, request.session)
            if found is None:
                return _error(rid, "no_session", f"no session {request.session}")
            found.last_activity = _now()
            return SessionReply(id=rid, session=found.info())
        case SessionClose():
            if _own_session(endpoint, client_id, request.session) is None:
                return _error(rid, "no_session", f"no session {request.session}")
            del endpoint.sessions[request.session]
            return Closed(id=rid, session=request.session)
        case SessionList():
            own = [s.info() for s in endpoint.sessions.values() if s.client_id == client_id]
            return SessionListReply(id=rid, sessions=own)
        case SessionStats():
            own = [s for s in endpoint.sessions.values() if s.client_id == client_id]
            last = max((s.last_activity for s in own), default=None)
            return SessionStatsReply(
                id=rid, total=len(own), active=len(own), orphaned=0, context_size=0,
                last_activity=last,
            )  # fmt: skip
        case SessionCleanup():
            return _cleanup(endpoint, client_id, request)
        case _:
            return _error(rid, "unsupported", "not simulated")


def _cleanup(endpoint: _Endpoint, client_id: str, request: SessionCleanup) -> Message:
    """Nothing is ever orphaned or expired here; `older_than` removes old own sessions."""
    own = [s for s in endpoint.sessions.values() if s.client_id == client_id]
    gone: list[_SimSession] = []
    if request.scope is CleanupScope.OLDER_THAN:
        if not isinstance(request.hours, int | float):
            return _error(request.id, "bad_request", "older_than needs hours")
        cutoff = time.time() - request.hours * 3600
        gone = [s for s in own if s.created < cutoff]
    for session in gone:
        del endpoint.sessions[session.id]
    return Cleaned(id=request.id, cleaned=len(gone), remaining=len(own) - len(gone))


# -- in its own process -------------------------------------------------------------------


class SimulatedFleetProcess:
    """A simulated fleet in a child process, driven over its stdin and stdout."""

    def __init__(self, count: int, token: str | None = None) -> None:
        command = [sys.executable, __file__, "--count", str(count)]
        if token:
            command += ["--token", token]
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            raise RuntimeError(f"the simulated fleet did not start (exit {self.proc.returncode})")
        self.endpoints = [EndpointSpec(**e) for e in json.loads(line)["endpoints"]]

    def command(self, line: str) -> None:
        """Send one command (e.g. `close 3`); raise if the fleet refuses it."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"simulated fleet: {line!r}: {answer or 'no answer'}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(RuntimeError, OSError):
                self.command("quit")
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> SimulatedFleetProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _run_command(fleet: SimulatedFleet, line: str) -> bool:
    """Apply one control line; False for `quit`."""
    words = line.split()
    match words:
        case ["quit"]:
            return False
        case ["close", i]:
            fleet.close(int(i))
        case ["hang", i]:
            fleet.hang(int(i))
        case ["delay", i, seconds]:
            fleet.delay(int(i), float(seconds))
        case ["resume", i]:
            fleet.resume(int(i))
        case ["restart", i]:
            fleet.restart(int(i))
        case _:
            raise ValueError(f"unknown command {line.strip()!r}")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="simulated endpoints")
    parser.add_argument("--token", help="one token for all (default: one each)")
    args = parser.parse_args(argv)
    with SimulatedFleet(args.count, token=args.token) as fleet:
        specs = [e.__dict__ for e in fleet.endpoints]
        print(json.dumps({"endpoints": specs}), flush=True)
        for line in sys.stdin:
            try:
                going = _run_command(fleet, line)
            except (ValueError, IndexError, RuntimeError) as exc:
                print(f"error: {exc}", flush=True)
                continue
            print("ok", flush=True)
            if not going:
                break


if __name__ == "__main__":
    main()
