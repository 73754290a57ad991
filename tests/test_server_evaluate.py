"""evaluate, ping and interrupt on a real image, with a plain pyzmq DEALER."""

# ruff: noqa: F811  (the fixtures imported from test_server_client are parameters here)

from __future__ import annotations

import time

import pytest

from stui.launcher.runtime import RuntimeInfo
from test_server_client import Peer, client, connect, zctx  # noqa: F401 (fixtures)


def evaluate(peer: Peer, code: str, **fields: object) -> dict:
    return peer.request("evaluate", code=code, **fields)


@pytest.mark.parametrize(
    ("code", "value", "cls"),
    [
        ("3 + 4", "7", "SmallInteger"),
        ("100 factorial printString size", "158", "SmallInteger"),
        ("2 raisedTo: 100", "1267650600228229401496703205376", "LargePositiveInteger"),
        ("nil", "nil", "UndefinedObject"),
        ("true & false", "false", "False"),
        ("#(1 $a 'b' #c)", "(1 $a 'b' #c)", "Array"),
        ("(OrderedCollection new) add: 3; add: 4; yourself", "an OrderedCollection(3 4)", None),
        ("'it''s'", "'it''s'", "String"),
        ("#foo", "#foo", "Symbol"),
        ("3 @ 4", "3@4", "Point"),
        ("Object", "Object", "Object class"),
    ],
)
def test_print_it_answers_the_print_string_and_class(
    client: Peer, code: str, value: str, cls: str | None
) -> None:
    reply = evaluate(client, code)
    assert reply["type"] == "result", reply
    assert reply["value"] == value
    if cls is not None:
        assert reply["class"] == cls
    assert reply["truncated"] is False
    assert isinstance(reply["elapsed_ms"], int) and reply["elapsed_ms"] >= 0


def test_do_it_reports_the_class_but_no_value(client: Peer) -> None:
    reply = evaluate(client, "3 + 4", mode="do")
    assert reply["type"] == "result"
    assert reply["value"] is None
    assert reply["class"] == "SmallInteger"


def test_latin1_strings_round_trip(client: Peer) -> None:
    reply = evaluate(client, "'Grüße, ñandú' , ' ©'")
    assert reply["value"] == "'Grüße, ñandú ©'"
    assert evaluate(client, "'é' first asciiValue")["value"] == "233"


def test_line_ends_are_lf_on_the_wire_and_cr_in_the_image(client: Peer) -> None:
    assert evaluate(client, "'a\nb' size")["value"] == "3"
    assert evaluate(client, "('a\nb' at: 2) asciiValue")["value"] == "13"
    assert evaluate(client, "'x', (String with: Character cr), 'y'")["value"] == "'x\ny'"


def test_a_character_above_latin1_is_an_encoding_error_with_the_id(client: Peer) -> None:
    for code in ["'€'", "'snow ☃'", "'\U0001f600'"]:
        reply = evaluate(client, code)
        assert reply["type"] == "error" and reply["code"] == "encoding", reply
        assert "U+" in reply["message"]
    assert evaluate(client, "1")["value"] == "1"


def test_a_huge_print_string_is_cut(client: Peer) -> None:
    reply = evaluate(client, "(1 to: 200000) asArray")
    assert reply["truncated"] is True
    assert len(reply["value"]) == 100_000
    assert reply["value"].startswith("(1 2 3 ")
    small = evaluate(client, "(1 to: 10) asArray", max_print=5)
    assert small["value"] == "(1 2 " and small["truncated"] is True
    exact = evaluate(client, "'abc'", max_print=5)
    assert exact["value"] == "'abc'" and exact["truncated"] is False


def test_max_print_is_capped_by_the_limit(client: Peer) -> None:
    reply = evaluate(client, "String new: 150000 withAll: $a", max_print=10**9)
    assert reply["truncated"] is True and len(reply["value"]) == 100_000


def test_a_syntax_error_has_a_one_based_position(client: Peer) -> None:
    code = "3 + "
    reply = evaluate(client, code)
    assert reply["type"] == "eval_error" and reply["kind"] == "syntax"
    assert reply["error_class"] == "SyntaxError"
    assert reply["position"] == 5
    assert "expected" in reply["message"].lower()
    reply = evaluate(client, "| a | a := 3. a foo: ]")
    assert reply["kind"] == "syntax"
    assert reply["position"] == len("| a | a := 3. a foo: ") + 1


def test_a_runtime_error_has_message_class_receiver_and_stack(client: Peer) -> None:
    reply = evaluate(client, "nil foo")
    assert reply["type"] == "eval_error" and reply["kind"] == "runtime"
    assert reply["message"] == "doesNotUnderstand: #foo"
    assert reply["error_class"] == "MessageNotUnderstood"
    assert reply["receiver"] == "nil"
    assert reply["stack"] == [
        "UndefinedObject(Object)>>doesNotUnderstand:",
        "UndefinedObject>>DoIt",
    ]
    assert reply["position"] is None


def test_an_error_in_a_block_shows_the_block_frames(client: Peer) -> None:
    reply = evaluate(client, "#(1 2) collect: [:x | x / 0]")
    assert reply["error_class"] == "ZeroDivide"
    assert reply["receiver"] == "1"
    assert reply["stack"][0] == "SmallInteger>>/"
    assert "[] in UndefinedObject>>DoIt" in reply["stack"]
    assert reply["stack"][-1] == "UndefinedObject>>DoIt"


def test_error_and_halt_are_runtime_errors(client: Peer) -> None:
    reply = evaluate(client, "self error: 'boom'")
    assert (reply["kind"], reply["message"], reply["error_class"]) == ("runtime", "boom", "Error")
    assert evaluate(client, "self halt")["error_class"] == "Halt"
    assert evaluate(client, "#(1) at: 5")["error_class"] == "SubscriptOutOfBounds"


def test_a_failing_print_string_is_reported(client: Peer) -> None:
    code = (
        "| c | c := Object subclass: #StuiTestUnprintable instanceVariableNames: '' "
        "classVariableNames: '' poolDictionaries: '' category: 'StuiTest'. "
        "c compile: 'printOn: aStream self error: ''no print''' classified: 'x' notifying: nil. "
        "c new"
    )
    reply = evaluate(client, code)
    assert reply["type"] == "eval_error" and reply["kind"] == "runtime"
    assert "no print" in reply["message"]
    assert evaluate(client, "1")["value"] == "1"


def test_without_a_session_variables_do_not_outlive_the_evaluation(client: Peer) -> None:
    assert evaluate(client, "zork := 42")["value"] == "42"
    assert evaluate(client, "zork")["value"] == "nil"
    assert evaluate(client, "Smalltalk includesKey: #zork")["value"] == "false"
    assert evaluate(client, "Undeclared includesKey: #zork")["value"] == "false"


def test_bad_fields_are_bad_requests(client: Peer) -> None:
    for fields in [
        {"code": 3},
        {},
        {"code": "1", "mode": "inspect-it"},
        {"code": "1", "max_print": "many"},
        {"code": "1", "max_print": -1},
        {"code": "1", "session": 5},
    ]:
        reply = client.request("evaluate", **fields)
        assert reply["type"] == "error" and reply["code"] == "bad_request", (fields, reply)


def test_ping_reports_uptime_busy_and_sessions(client: Peer) -> None:
    first = client.request("ping")
    assert first["type"] == "pong" and first["busy"] is False and first["sessions"] == 0
    time.sleep(0.05)
    assert client.request("ping")["uptime_ms"] >= first["uptime_ms"] + 40


def test_ping_is_answered_while_user_code_loops_and_interrupt_recovers(client: Peer) -> None:
    loop_id = client.send("evaluate", code="[true] whileTrue")
    time.sleep(0.2)
    for _ in range(5):
        start = time.monotonic()
        pong = client.request("ping", timeout=2)
        assert pong["busy"] is True
        assert time.monotonic() - start < 0.5
    interrupt_id = client.send("interrupt")
    interrupted = client.recv()
    assert interrupted["id"] == loop_id
    assert interrupted["type"] == "eval_error" and interrupted["kind"] == "interrupted"
    answer = client.recv()
    assert answer == {"type": "interrupted", "id": interrupt_id, "was_running": True}
    assert client.request("ping")["busy"] is False
    assert evaluate(client, "3 + 4")["value"] == "7"


def test_interrupt_with_nothing_running(client: Peer) -> None:
    assert client.request("interrupt")["was_running"] is False


def test_interrupt_stops_a_long_wait(client: Peer) -> None:
    waiting = client.send("evaluate", code="(Delay forSeconds: 30) wait. 1")
    time.sleep(0.1)
    client.send("interrupt")
    assert client.recv(timeout=3)["id"] == waiting
    assert client.recv()["was_running"] is True


def test_evaluations_without_a_session_run_at_once(client: Peer) -> None:
    slow = client.send("evaluate", code="(Delay forMilliseconds: 300) wait. #slow")
    fast = client.send("evaluate", code="#fast")
    first, second = client.recv(), client.recv()
    assert (first["id"], first["value"]) == (fast, "#fast")
    assert (second["id"], second["value"]) == (slow, "#slow")


def test_another_clients_interrupt_leaves_my_evaluation_alone(
    running_image: RuntimeInfo, client: Peer, connect
) -> None:
    other = connect(running_image)
    other.hello(running_image.token)
    slow = client.send("evaluate", code="(Delay forMilliseconds: 300) wait. 5")
    time.sleep(0.05)
    assert other.request("interrupt")["was_running"] is False
    reply = client.recv()
    assert (reply["id"], reply["value"]) == (slow, "5")


def test_a_vanished_clients_sessionless_evaluation_is_stopped(
    running_image: RuntimeInfo, client: Peer, connect
) -> None:
    leaving = connect(running_image)
    leaving.hello(running_image.token)
    leaving.send("evaluate", code="[true] whileTrue")
    time.sleep(0.2)
    assert client.request("ping")["busy"] is True
    leaving.close()
    deadline = time.monotonic() + 5
    while client.request("ping")["busy"]:
        assert time.monotonic() < deadline, "the orphaned evaluation still runs"
        time.sleep(0.05)


def test_interrupt_inside_a_critical_section_releases_its_semaphore(client: Peer) -> None:
    """Squeak 2.8 has no ensure:; the server signals what the stopped process held."""
    setup = "Smalltalk at: #StuiTestMutex put: Semaphore forMutualExclusion. #ready"
    assert evaluate(client, setup)["value"] == "#ready"
    loop = client.send(
        "evaluate", code="(Smalltalk at: #StuiTestMutex) critical: [[true] whileTrue]"
    )
    time.sleep(0.2)
    client.send("interrupt")
    assert client.recv()["id"] == loop
    assert client.recv()["was_running"] is True
    free = evaluate(client, "(Smalltalk at: #StuiTestMutex) critical: [#free]", timeout=5)
    assert free["value"] == "#free"
    nested = "| m | m := Smalltalk at: #StuiTestMutex. m critical: [Semaphore new wait]"
    waiting = client.send("evaluate", code=nested)
    time.sleep(0.2)
    client.send("interrupt")
    assert client.recv()["id"] == waiting
    client.recv()
    assert (
        evaluate(client, "(Smalltalk at: #StuiTestMutex) critical: [#again]")["value"] == "#again"
    )
    assert evaluate(client, "(Delay forMilliseconds: 1) wait. #delays")["value"] == "#delays"
