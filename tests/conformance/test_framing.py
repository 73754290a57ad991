"""Frames and messages on the wire: delimiters, multi-part messages, size limits."""

from __future__ import annotations

import json

from conformance.wire import GREETING, Peer, raw_connect, read_until_closed, ready_command
from stui.launcher.runtime import RuntimeInfo


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


def test_a_frame_over_the_limit_gets_too_large_and_a_disconnect(running_image: RuntimeInfo) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        sock.sendall(b"\x02" + (16 * 1024 * 1024 + 1).to_bytes(8, "big") + b"{")
        data = read_until_closed(sock)
        assert b'"too_large"' in data
