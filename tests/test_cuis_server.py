"""The Cuis server on a real Cuis 5 image: hello, evaluate with real exceptions, sessions,
interrupt, and a killed VM, with the plain pyzmq DEALER of the conformance suite."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import pytest
import zmq

from conformance.wire import Peer
from stui.launcher.runtime import RuntimeInfo
from stui.protocol import codec


@pytest.fixture
def zctx() -> Iterator[zmq.Context]:
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.fixture
def connect(zctx: zmq.Context) -> Callable[[RuntimeInfo], Peer]:
    return lambda info: Peer(zctx, info.address)


@pytest.fixture
def cuis(running_cuis_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]) -> Peer:
    """A DEALER to a fresh Cuis image, past hello."""
    peer = connect(running_cuis_image)
    assert peer.hello(running_cuis_image.token)["type"] == "welcome"
    return peer


def evaluate(peer: Peer, code: str, **fields: object) -> dict:
    return peer.request("evaluate", code=code, **fields)


def test_welcome_names_the_dialect_and_its_version(
    running_cuis_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    welcome = connect(running_cuis_image).hello(running_cuis_image.token)
    image = welcome["image"]
    assert image["dialect"] == "cuis"
    assert image["version"].startswith("Cuis 5.0")
    assert image["image_id"] == running_cuis_image.image_id
    assert image["pid"] == running_cuis_image.pid
    assert welcome["capabilities"] == sorted(codec.REQUEST_TYPES)


def test_a_wrong_token_is_refused(
    running_cuis_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_cuis_image)
    reply = peer.hello("wrong")
    assert reply["type"] == "error" and reply["code"] == "unauthorized"


def test_fractions_are_fractions(cuis: Peer) -> None:
    assert evaluate(cuis, "(3/4) class")["value"] == "Fraction"
    reply = evaluate(cuis, "3/4")
    assert reply["value"] == "(3/4)" and reply["class"] == "Fraction"


def test_real_exceptions_are_caught_by_user_code(cuis: Peer) -> None:
    assert evaluate(cuis, "[1/0] on: ZeroDivide do: [:e | 7]")["value"] == "7"
    assert evaluate(cuis, "| x | [x := 1] ensure: [x := 2]. x")["value"] == "2"


def test_an_uncaught_error_reports_its_own_class_and_stack(cuis: Peer) -> None:
    reply = evaluate(cuis, "#(1 2) collect: [:x | x / 0]")
    assert reply["type"] == "eval_error" and reply["kind"] == "runtime"
    assert reply["error_class"] == "ZeroDivide"
    assert reply["stack"][0] == "SmallInteger>>/"
    assert "[] in UndefinedObject>>DoIt" in reply["stack"]
    assert reply["stack"][-1] == "UndefinedObject>>DoIt"
    reply = evaluate(cuis, "nil foo")
    assert reply["error_class"] == "MessageNotUnderstood"
    assert reply["message"] == "doesNotUnderstand: #foo"
    assert reply["stack"] == [
        "UndefinedObject(Object)>>doesNotUnderstand:",
        "UndefinedObject>>DoIt",
    ]


def test_a_syntax_error_has_a_one_based_position(cuis: Peer) -> None:
    reply = evaluate(cuis, "3 + ")
    assert reply["kind"] == "syntax" and reply["error_class"] == "SyntaxError"
    assert reply["position"] == 5


def test_latin9_text_round_trips_and_the_rest_is_refused(cuis: Peer) -> None:
    assert evaluate(cuis, "'Grüße €' size")["value"] == "7"
    assert evaluate(cuis, "'Grüße €'")["value"] == "'Grüße €'"
    for code in ["'¤'", "'snow ☃'", "'\U0001f600'"]:
        reply = evaluate(cuis, code)
        assert reply["type"] == "error" and reply["code"] == "encoding", reply
        assert "U+" in reply["message"]


def test_sessions_isolate_variables(cuis: Peer) -> None:
    a = cuis.request("session.create", label="a")["session"]["id"]
    b = cuis.request("session.create", label="b")["session"]["id"]
    assert evaluate(cuis, "x := 3", session=a)["value"] == "3"
    assert evaluate(cuis, "x := 4", session=b)["value"] == "4"
    assert evaluate(cuis, "x + 1", session=a)["value"] == "4"
    assert evaluate(cuis, "x", session=b)["value"] == "4"
    assert evaluate(cuis, "x")["value"] == "nil"
    listed = cuis.request("session.list")["sessions"]
    assert {s["id"] for s in listed} == {a, b}
    assert cuis.request("session.close", session=a)["type"] == "closed"
    assert evaluate(cuis, "x", session=a)["code"] == "no_session"


def test_an_infinite_loop_is_interrupted_and_the_image_survives(cuis: Peer) -> None:
    sid = cuis.request("session.create")["session"]["id"]
    loop = cuis.send("evaluate", code="[true] whileTrue", session=sid)
    time.sleep(0.3)
    assert cuis.request("ping")["busy"] is True
    sent = cuis.send("interrupt", session=sid)
    replies = {r["id"]: r for r in (cuis.recv(), cuis.recv())}
    assert replies[loop]["kind"] == "interrupted"
    assert replies[sent]["was_running"] is True
    assert evaluate(cuis, "3 + 4", session=sid)["value"] == "7"


def test_kill_9_of_the_vm_is_seen_as_a_lost_connection(
    running_cuis_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    peer = connect(running_cuis_image)
    assert peer.hello(running_cuis_image.token)["type"] == "welcome"
    os.kill(running_cuis_image.pid, signal.SIGKILL)
    assert peer.closed_by_image()
