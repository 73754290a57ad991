"""The conformance suite's client: a plain pyzmq DEALER, and raw TCP for ZMTP-level tests.

The Peer sends one JSON frame per request and reads replies with a deadline. Every reply
must also decode as a message of the protocol model, so a server that answers with a
wrong JSON type fails here, as it would fail in STUI's client.
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from typing import Any

import zmq

from stui.launcher.runtime import RuntimeInfo
from stui.protocol import codec
from stui.protocol.messages import Unknown

REPLY_TIMEOUT = 10.0
_ids = itertools.count(1)

ERROR_CODES = {
    "bad_request",
    "unsupported",
    "unauthorized",
    "version_mismatch",
    "too_large",
    "encoding",
    "no_session",
    "busy",
    "internal",
}


class NoReply(AssertionError):
    """The image did not answer within the deadline."""


class Peer:
    """One DEALER connection to an image; replies are read in order with a deadline."""

    def __init__(self, ctx: zmq.Context, address: str, handshake_ms: int = 3_000) -> None:
        """`handshake_ms`: drop and make again a connection whose greeting has not come
        by then (libzmq keeps the queued requests for the new one), as STUI's client
        does: the Cuis VM may lose an accepted connection now and then
        (docs/dialects.md, "Accepting connections")."""
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.HANDSHAKE_IVL, handshake_ms)
        self.monitor = self.sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self.sock.connect(address)

    def send(self, type: str, **fields: Any) -> int:
        """Send a request; answer its id (an explicit ``id`` field wins)."""
        msg = {"type": type, "id": next(_ids), **fields}
        self.sock.send(json.dumps(msg).encode())
        return msg["id"]

    def send_json(self, message: dict[str, Any]) -> None:
        """Send exactly this object, e.g. one without an id."""
        self.sock.send(json.dumps(message).encode())

    def send_raw(self, *frames: bytes) -> None:
        self.sock.send_multipart(list(frames))

    def recv_frames(self, timeout: float = REPLY_TIMEOUT) -> list[bytes]:
        if not self.sock.poll(int(timeout * 1000)):
            raise NoReply(f"no reply within {timeout} s")
        return self.sock.recv_multipart()

    def recv(self, timeout: float = REPLY_TIMEOUT) -> dict[str, Any]:
        """The next reply as a dict; it must also decode as a message of the protocol model."""
        frames = self.recv_frames(timeout)
        assert len(frames) == 1, frames
        assert not isinstance(codec.decode(frames[0]), Unknown), frames[0]
        return json.loads(frames[0])

    def silent(self, seconds: float = 0.3) -> bool:
        """True if nothing arrives within seconds."""
        return not self.sock.poll(int(seconds * 1000))

    def request(self, type: str, timeout: float = REPLY_TIMEOUT, **fields: Any) -> dict[str, Any]:
        """Send and answer the reply, which must carry the request's id."""
        sent = self.send(type, **fields)
        reply = self.recv(timeout)
        assert reply.get("id") == sent, reply
        return reply

    def hello(self, token: str, client_id: str | None = None) -> dict[str, Any]:
        return self.request(
            "hello", client_id=client_id or f"c-{uuid.uuid4()}", protocol="1.0", token=token
        )

    def closed_by_image(self, timeout: float = 5.0) -> bool:
        """Whether the image closed this connection (libzmq reports the disconnect)."""
        return bool(self.monitor.poll(int(timeout * 1000)))

    def close(self) -> None:
        """Stop the monitor before closing its reader: libzmq's I/O thread sends monitor
        events with a blocking send, and blocks for good (every socket of the context
        with it) on an event for a monitor whose reader is gone."""
        if getattr(self, "monitor", None) is None or self.sock.closed:
            return
        self.sock.disable_monitor()
        self.monitor.close(linger=0)
        self.sock.close(linger=0)

    def __del__(self) -> None:
        # A Peer dropped without close() (`connect(info).hello(...)`) must not leave its
        # monitor's reader to the garbage collector alone: see close().
        self.close()


def raw_connect(info: RuntimeInfo) -> socket.socket:
    return socket.create_connection(("127.0.0.1", info.port), timeout=5)


def read_until_closed(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the image sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the image kept the connection open; it sent {data[:100]!r}")


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Read until the server closes; True if it did within seconds."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


GREETING = (
    b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\x00" * 16 + b"\x00" + b"\x00" * 31
)


def ready_command(socket_type: bytes) -> bytes:
    body = b"\x05READY" + b"\x0bSocket-Type" + len(socket_type).to_bytes(4, "big") + socket_type
    return b"\x04" + bytes([len(body)]) + body


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@dataclass
class ServerStart:
    """What a server printed when started by its launcher's argv."""

    line: str
    process: subprocess.Popen
