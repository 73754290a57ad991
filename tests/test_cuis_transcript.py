"""Transcript output of a Cuis image reaches its clients as transcript events (a Cuis
server feature; the protocol reserves the event for its next minor)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import zmq

from stui.launcher.runtime import RuntimeInfo


@pytest.fixture
def dealer(running_cuis_image: RuntimeInfo) -> Iterator[zmq.Socket]:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(running_cuis_image.address)
    hello = {"type": "hello", "id": 1, "client_id": "c-t", "protocol": "1.0",
             "token": running_cuis_image.token}  # fmt: skip
    sock.send(json.dumps(hello).encode())
    assert sock.poll(10_000)
    assert json.loads(sock.recv())["type"] == "welcome"
    yield sock
    ctx.destroy(linger=0)


def test_transcript_output_is_pushed_as_events(dealer: zmq.Socket) -> None:
    code = "1 to: 3 do: [:i | Transcript show: 'line ', i printString; newLine]. 42"
    dealer.send(json.dumps({"type": "evaluate", "id": 2, "code": code}).encode())
    text, result = "", None
    deadline = time.monotonic() + 10
    while (result is None or "line 3\n" not in text) and time.monotonic() < deadline:
        if not dealer.poll(500):
            continue
        message = json.loads(dealer.recv())
        if message["type"] == "transcript":
            assert "id" not in message
            text += message["text"]
        else:
            result = message
    assert result is not None and result["value"] == "42"
    assert text == "line 1\nline 2\nline 3\n"
