"""The server under load and abuse: many clients, malformed input, raw TCP garbage.

After every kind of abuse a well-behaved client must still be served.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.expected import Expectations
from conformance.wire import (
    ERROR_CODES,
    GREETING,
    Peer,
    raw_connect,
    read_until_closed,
    ready_command,
)
from stui.launcher.runtime import RuntimeInfo


def assert_served(peer: Peer) -> None:
    assert peer.request("ping")["type"] == "pong"
    assert peer.request("evaluate", code="3 + 4")["value"] == "7"


def test_twenty_concurrent_clients_get_their_own_replies(running_image: RuntimeInfo) -> None:
    """Each client pipelines requests whose answers it can check; none is lost or crossed."""
    errors: list[str] = []
    per_client = 25

    def work(n: int) -> None:
        ctx = zmq.Context.instance()
        peer = Peer(ctx, running_image.address)  # made again if its greeting never comes
        try:
            peer.hello(running_image.token, client_id=f"c-load-{n}")
            session = peer.request("session.create")["session"]["id"]
            expected: dict[int, str] = {}
            assignments: list[int] = []
            for i in range(per_client):
                fields = {"session": session} if i % 2 else {}
                code = f"acc := {n} * 1000 + {i}" if i % 2 else f"{n} * 1000 + {i}"
                sent = peer.send("evaluate", code=code, **fields)
                expected[sent] = str(n * 1000 + i)
                if i % 2:
                    assignments.append(sent)
                if i % 5 == 0:
                    expected[peer.send("ping")] = "pong"
            seen: dict[int, str] = {}
            refused: set[int] = set()
            while len(seen) + len(refused) < len(expected):
                reply = peer.recv(timeout=30)
                if reply.get("code") == "busy":
                    refused.add(reply["id"])
                    continue
                seen[reply["id"]] = reply.get("value", reply["type"])
            for key, value in seen.items():
                if expected[key] != value:
                    errors.append(f"client {n}: request {key} got {value!r}, not {expected[key]!r}")
            # Replies come in any order, but a session runs one evaluation at a time in the
            # order sent: its variable holds the last assignment that was not refused.
            assigned = [k for k in assignments if k not in refused]
            want = expected[assigned[-1]] if assigned else "nil"
            final = peer.request("evaluate", code="acc", session=session)
            if final.get("value") != want:
                errors.append(
                    f"client {n}: session variable is {final!r}, not {want!r} "
                    f"({len(assigned)} of {len(assignments)} assignments answered)"
                )
        except Exception as e:  # the assertion below reports it with the client number
            errors.append(f"client {n}: {e!r}")
        finally:
            peer.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_a_client_that_does_not_read_does_not_block_others(
    running_image: RuntimeInfo, client: Peer, zctx: zmq.Context
) -> None:
    hog = Peer(zctx, running_image.address)
    hog.sock.setsockopt(zmq.RCVHWM, 1)
    hog.hello(running_image.token)
    for _ in range(60):
        hog.send("evaluate", code="String new: 100000 withAll: $x")
    for _ in range(10):
        start = time.monotonic()
        assert_served(client)
        assert time.monotonic() - start < 2


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"", "bad_request"),
        (b"not json", "bad_request"),
        (b"[1, 2]", "bad_request"),
        (b'"ping"', "bad_request"),
        (b"{}", "bad_request"),
        (b'{"type": 7, "id": 1}', "bad_request"),
        (b'{"type": "ping", "id": "one"}', "bad_request"),
        (b'{"type": "ping", "id": 1.5}', "bad_request"),
        (b'{"type": "ping", "id": 1', "bad_request"),
        (b'{"type": "launch", "id": 1}', "unsupported"),
        (b'{"type": "ping", "id": 1, "x": "\xff\xfe"}', "bad_request"),
        pytest.param(b"[" * 100_000, "bad_request", id="deep-nesting"),
        (b'{"type": "evaluate", "id": 1, "code": "\\ud800"}', None),
    ],
)
def test_malformed_messages_get_an_error_and_the_connection_lives(
    client: Peer, frame: bytes, code: str | None
) -> None:
    client.send_raw(frame)
    reply = client.recv()
    assert reply["type"] == "error", reply
    assert reply["code"] in ({code} if code else ERROR_CODES), reply
    assert_served(client)


def test_unknown_fields_are_ignored(client: Peer) -> None:
    reply = client.request("ping", colour="blue", nested={"a": [1, 2, {"b": None}]})
    assert reply["type"] == "pong"


request_types = st.sampled_from(
    [
        "ping",
        "evaluate",
        "interrupt",
        "hello",
        "session.create",
        "session.attach",
        "session.close",
        "session.list",
        "session.stats",
        "session.cleanup",
        "nope",
    ]
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
safe_code = st.text(alphabet="0123456789 +-*()#$'abc", max_size=30)
field_values = st.fixed_dictionaries(
    {},
    optional={
        "session": st.one_of(json_values, st.just("s-" + "0" * 32)),
        "code": st.one_of(safe_code, json_values),
        "mode": st.one_of(st.sampled_from(["do", "print"]), json_values),
        "max_print": st.one_of(st.integers(-5, 10**6), json_values),
        "label": json_values,
        "scope": st.one_of(st.sampled_from(["orphaned", "expired", "older_than"]), json_values),
        "hours": st.one_of(st.floats(0, 1e6), json_values),
        "include_orphaned": json_values,
        "client_id": json_values,
        "protocol": st.one_of(st.sampled_from(["1.0", "1.7", "2.0"]), json_values),
        "token": json_values,
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=request_types, fields=field_values, request_id=st.integers(0, 2**31))
def test_fuzzed_requests_get_exactly_one_well_formed_reply(
    running_image: RuntimeInfo, client: Peer, kind: str, fields: dict, request_id: int
) -> None:
    client.hello(running_image.token, client_id="c-fuzz")  # a fuzzed hello may have closed it
    if kind == "hello":
        fields = {**fields, "token": "wrong"} if fields.get("token") else fields
    client.sock.send(json.dumps({"type": kind, "id": request_id, **fields}).encode())
    reply = client.recv(timeout=10)
    assert reply["id"] in (request_id, None), reply
    assert isinstance(reply["type"], str)
    if reply["type"] == "error":
        assert reply["code"] in ERROR_CODES and isinstance(reply["message"], str)
    if reply["type"] == "result" and kind == "evaluate":
        assert isinstance(reply["value"], str | None)
    while client.sock.poll(20):  # an interrupted evaluation answers twice; drain it
        client.sock.recv_multipart()
    if kind == "hello" or (reply.get("code") in {"unauthorized", "version_mismatch"}):
        return  # that connection is closed by design; the next example reconnects
    assert client.request("ping")["type"] == "pong"


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(frame=st.binary(max_size=300))
def test_fuzzed_frames_never_kill_the_server(client: Peer, frame: bytes) -> None:
    client.send_raw(frame)
    reply = client.recv(timeout=10)
    assert reply["type"] in {"error", "pong", "result", "eval_error", "session", "sessions"}


def test_raw_tcp_garbage_is_disconnected_and_the_server_lives(
    running_image: RuntimeInfo, client: Peer
) -> None:
    garbage = [
        b"",
        b"\x00" * 64,
        b"\xff" + b"\x00" * 8 + b"\x7e" + os.urandom(54),
        b"\xff" + b"\x00" * 8 + b"\x7f\x02\x00" + os.urandom(51),  # ZMTP 2.0
        GREETING[:12] + b"CURVE" + b"\x00" * 15 + GREETING[32:],
        GREETING + b"\x04\x05HELLO",
        GREETING + ready_command(b"DEALER") + b"\x08\x01x",  # reserved flag bits
        GREETING + ready_command(b"DEALER") + b"\x02" + b"\xff" * 8,  # absurd size
        GREETING + ready_command(b"DEALER") + b"\x06" + (2**40).to_bytes(8, "big"),
        os.urandom(4096),
    ]
    for data in garbage:
        with raw_connect(running_image) as sock:
            sock.sendall(data)
            if data:
                read_until_closed(sock)
    for _ in range(30):
        with raw_connect(running_image) as sock:
            sock.sendall(GREETING[:5])
    with raw_connect(running_image) as sock:  # a half-sent frame, then the peer goes away
        sock.sendall(GREETING + ready_command(b"DEALER") + b"\x00\x40{")
    assert_served(client)
    assert client.request("ping")["busy"] is False


def test_a_truncated_large_frame_from_a_vanishing_peer(
    running_image: RuntimeInfo, client: Peer
) -> None:
    with raw_connect(running_image) as sock:
        sock.sendall(GREETING + ready_command(b"DEALER"))
        sock.sendall(b"\x02" + (8 * 1024 * 1024).to_bytes(8, "big") + b"x" * 100_000)
    assert_served(client)


def test_a_frame_just_under_the_limit_is_read(running_image: RuntimeInfo, client: Peer) -> None:
    body = json.dumps({"type": "ping", "id": 5, "pad": "x" * (4 * 1024 * 1024)}).encode()
    client.send_raw(body)
    assert client.recv(timeout=30)["id"] == 5


def test_connections_that_come_and_go_leave_nothing_behind(
    running_image: RuntimeInfo, client: Peer, zctx: zmq.Context, expect: Expectations
) -> None:
    def counts() -> list[int]:
        reply = client.request("evaluate", code=expect.census)
        return [int(n) for n in re.findall(r"-?[0-9]+", reply["value"])]

    before = counts()
    for n in range(60):
        peer = Peer(zctx, running_image.address)
        peer.hello(running_image.token)
        if n % 2:
            peer.request("evaluate", code="3 + 4")
        peer.close()
    deadline = time.monotonic() + 10
    while counts() != before:
        assert time.monotonic() < deadline, (before, counts())
        time.sleep(0.1)
