"""A peer that never completes the ZMTP handshake is dropped, not kept forever."""

from __future__ import annotations

import socket
import time

from stui.launcher.runtime import RuntimeInfo
from stui.transport import ImageClient


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


async def test_silent_and_half_greeting_peers_are_dropped(running_image: RuntimeInfo) -> None:
    async with ImageClient(running_image.address, running_image.token, "c-hs") as conn:
        await conn.evaluate("StuiZmtpConnection handshakeSeconds: 1")
        port = running_image.port
        with (
            socket.create_connection(("127.0.0.1", port)) as silent,
            socket.create_connection(("127.0.0.1", port)) as half,
        ):
            half.sendall(b"\xff" + b"\0" * 8 + b"\x7f\x03")  # a greeting cut short
            assert closed_within(silent, 10)
            assert closed_within(half, 10)
        pong = await conn.ping()
        assert pong.pong.busy is False
        await conn.evaluate("StuiZmtpConnection handshakeSeconds: 10")
