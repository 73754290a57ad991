"""The Squeak server's transport, tested with plain pyzmq DEALER sockets against a real image.

This module also holds the small client the other ``test_server_*`` modules use: a DEALER
that sends one JSON frame per request and reads replies with a deadline.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq

from stui.launcher.runtime import RuntimeInfo
from stui.protocol import codec
from stui.protocol.messages import Unknown

REPLY_TIMEOUT = 10.0
_ids = itertools.count(1)


class NoReply(AssertionError):
    """The image did not answer within the deadline."""


class Peer:
    """One DEALER connection to an image; replies are read in order with a deadline."""

    def __init__(self, ctx: zmq.Context, address: str) -> None:
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.monitor = self.sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self.sock.connect(address)

    def send(self, type: str, **fields: Any) -> int:
        """Send a request; answer its id (an explicit ``id`` field wins)."""
        msg = {"type": type, "id": next(_ids), **fields}
        self.sock.send(json.dumps(msg).encode())
        return msg["id"]

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
        self.sock.disable_monitor()
        self.monitor.close(linger=0)
        self.sock.close(linger=0)


@pytest.fixture
def zctx() -> Iterator[zmq.Context]:
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.fixture
def connect(zctx: zmq.Context) -> Callable[[RuntimeInfo], Peer]:
    """Open a DEALER to an image (not yet said hello)."""

    def open_peer(info: RuntimeInfo) -> Peer:
        return Peer(zctx, info.address)

    return open_peer


@pytest.fixture
def client(running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]) -> Peer:
    """A DEALER to a fresh image, past hello."""
    peer = connect(running_image)
    assert peer.hello(running_image.token)["type"] == "welcome"
    return peer


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


GREETING = (
    b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL" + b"\x00" * 16 + b"\x00" + b"\x00" * 31
)


def ready_command(socket_type: bytes) -> bytes:
    body = b"\x05READY" + b"\x0bSocket-Type" + len(socket_type).to_bytes(4, "big") + socket_type
    return b"\x04" + bytes([len(body)]) + body


# -- tests ---------------------------------------------------------------------------


def test_a_dealer_gets_replies_with_and_without_a_delimiter(client: Peer) -> None:
    assert client.request("ping")["type"] == "pong"
    client.send_raw(b"", json.dumps({"type": "ping", "id": 7}).encode())
    delimiter, body = client.recv_frames()
    assert delimiter == b""
    assert json.loads(body)["id"] == 7


def test_later_frames_of_a_multipart_message_are_ignored(client: Peer) -> None:
    client.send_raw(json.dumps({"type": "ping", "id": 8}).encode(), b"extra", b"{not json")
    assert client.recv()["id"] == 8
    assert not client.sock.poll(300)
    assert client.request("ping")["type"] == "pong"


def test_a_large_frame_round_trips(client: Peer) -> None:
    code = "'" + "x" * 300_000 + "' size"
    assert client.request("evaluate", code=code)["value"] == "300000"


def test_the_greeting_and_ready_follow_zmtp_3(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        data = b""
        while len(data) < 64 + 30:
            data += sock.recv(4096)
        assert data[0] == 0xFF and data[9] == 0x7F
        assert data[10:12] == b"\x03\x00"
        assert data[12:32] == b"NULL" + b"\x00" * 16
        assert data[32] == 0  # as-server
        ready = data[64:]
        assert ready[0] == 0x04
        assert b"READY" in ready and b"Socket-Type" in ready and b"ROUTER" in ready


def test_ping_command_is_answered_with_pong(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        ping = b"\x04PING" + b"\x00\x0a" + b"ctx-123"
        sock.sendall(b"\x04" + bytes([len(ping)]) + ping)
        data = b""
        deadline = time.monotonic() + 5
        while b"PONG" not in data and time.monotonic() < deadline:
            data += sock.recv(4096)
        pong = data[data.index(b"\x04PONG") - 2 :]
        assert pong[:2] == bytes([4, len(b"\x04PONGctx-123")])
        assert pong[2:].startswith(b"\x04PONGctx-123")


@pytest.mark.parametrize("socket_type", [b"PUB", b"REP", b"PAIR"])
def test_an_incompatible_socket_type_is_disconnected(
    running_image: RuntimeInfo, socket_type: bytes
) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(socket_type))
        data = read_until_closed(sock)
        assert data.startswith(b"\xff")


def test_a_bad_signature_is_disconnected(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\x00" * 64)
        read_until_closed(sock)


def test_a_frame_over_the_limit_gets_too_large_and_a_disconnect(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        sock.sendall(b"\x02" + (16 * 1024 * 1024 + 1).to_bytes(8, "big") + b"{")
        data = read_until_closed(sock)
        assert b'"too_large"' in data


def test_the_first_request_must_be_hello(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.request("ping")
    assert reply["type"] == "error" and reply["code"] == "unauthorized"
    assert peer.hello(running_image.token)["type"] == "welcome"


def test_welcome_tells_who_the_image_is(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    welcome = connect(running_image).hello(running_image.token)
    image = welcome["image"]
    assert welcome["protocol"] == "1.0"
    assert image["image_id"] == running_image.image_id
    assert image["pid"] == running_image.pid
    assert image["port"] == running_image.port
    assert image["name"] == running_image.name
    assert image["dialect"] == "squeak"
    assert image["image_path"] == running_image.image_path
    assert uuid.UUID(image["instance_id"])
    assert image["started_at"].endswith("Z") and "T" in image["started_at"]
    assert welcome["capabilities"][:3] == ["evaluate", "interrupt", "sessions"]
    assert {"inspect", "browse.method", "compile", "save", "complete"} <= set(
        welcome["capabilities"]
    )
    assert welcome["limits"] == {"max_frame": 16777216, "max_print": 100000}


def test_a_wrong_token_is_refused_and_disconnected(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.hello("not-the-token")
    assert reply["code"] == "unauthorized"
    assert peer.closed_by_image()


def test_a_missing_token_is_refused(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.request("hello", client_id="c-x", protocol="1.0")
    assert reply["code"] == "unauthorized"


def test_another_protocol_major_is_refused(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_image)
    reply = peer.request("hello", client_id="c-x", protocol="2.0", token=running_image.token)
    assert reply["code"] == "version_mismatch"
    assert peer.closed_by_image()
