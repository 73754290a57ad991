"""evaluate and ping on a real image of each dialect, with a plain pyzmq DEALER."""

from __future__ import annotations

import time

from conformance.expected import Expectations
from conformance.wire import Peer
from stui.dialects import dialect as dialect_named


def evaluate(peer: Peer, code: str, **fields: object) -> dict:
    return peer.request("evaluate", code=code, **fields)


def test_print_it_answers_the_print_string_and_class(client: Peer, expect: Expectations) -> None:
    for code, value, cls in expect.prints:
        reply = evaluate(client, code)
        assert reply["type"] == "result", reply
        assert reply["value"] == value, (code, reply)
        if cls:
            assert reply["class"] == cls, (code, reply)
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


def test_line_ends_are_lf_on_the_wire_and_the_images_own_inside(
    client: Peer, expect: Expectations
) -> None:
    assert evaluate(client, "'a\nb' size")["value"] == "3"
    assert evaluate(client, "('a\nb' at: 2) asciiValue")["value"] == str(expect.line_end)
    in_image = f"'x', (String with: {expect.line_end} asCharacter), 'y'"
    assert evaluate(client, in_image)["value"] == "'x\ny'"


def test_characters_the_image_cannot_hold_are_encoding_errors_with_the_id(
    client: Peer, dialect: str
) -> None:
    """The dialect's client-side check (stui.dialects) and its server agree."""
    found = dialect_named(dialect)
    assert found is not None
    for code in ["'€'", "'snow ☃'", "'\U0001f600'", "'ÿ'"]:
        refused = found.check_text(code)
        reply = evaluate(client, code)
        if refused is None:
            assert reply["type"] == "result" and reply["value"] == code, reply
            continue
        assert reply["type"] == "error" and reply["code"] == "encoding", reply
        assert f"U+{ord(refused.char):04X}" in reply["message"], reply
    assert evaluate(client, "1")["value"] == "1"


def test_a_huge_print_string_is_cut(client: Peer) -> None:
    reply = evaluate(client, "(1 to: 200000) asOrderedCollection")
    assert reply["truncated"] is True
    assert len(reply["value"]) == 100_000
    assert reply["value"].startswith("an OrderedCollection(1 2 3 ")
    small = evaluate(client, "'abcdefghij'", max_print=5)
    assert small["value"] == "'abcd" and small["truncated"] is True
    exact = evaluate(client, "'abc'", max_print=5)
    assert exact["value"] == "'abc'" and exact["truncated"] is False


def test_max_print_is_capped_by_the_limit(client: Peer) -> None:
    reply = evaluate(client, "String new: 150000 withAll: $a", max_print=10**9)
    assert reply["truncated"] is True and len(reply["value"]) == 100_000


def test_a_syntax_error_has_a_one_based_position(client: Peer, expect: Expectations) -> None:
    code = "3 + "
    reply = evaluate(client, code)
    assert reply["type"] == "eval_error" and reply["kind"] == "syntax"
    assert reply["error_class"] == "SyntaxError"
    assert reply["position"] == 5
    assert expect.syntax_message_contains in reply["message"].lower()
    reply = evaluate(client, "| a | a := 3. a foo: ]")
    assert reply["kind"] == "syntax"
    assert reply["position"] == len("| a | a := 3. a foo: ") + 1


def test_a_runtime_error_has_message_class_receiver_and_stack(
    client: Peer, expect: Expectations
) -> None:
    reply = evaluate(client, "nil foo")
    assert reply["type"] == "eval_error" and reply["kind"] == "runtime"
    assert reply["message"] == expect.dnu["message"]
    assert reply["error_class"] == expect.dnu["error_class"]
    assert reply["receiver"] == expect.dnu["receiver"]
    assert reply["stack"] == expect.dnu["stack"]
    assert reply["position"] is None


def test_an_error_in_a_block_shows_the_block_frames(client: Peer, expect: Expectations) -> None:
    reply = evaluate(client, "#(1 2) collect: [:x | x / 0]")
    frames = expect.block_error
    assert reply["error_class"] == frames["error_class"]
    assert reply["receiver"] == frames["receiver"]
    assert reply["stack"][0] == frames["top"]
    assert frames["block_frame"] in reply["stack"]
    assert reply["stack"][-1] == frames["doit_frame"]
    assert len(reply["stack"]) <= 20


def test_error_and_halt_are_runtime_errors(client: Peer, expect: Expectations) -> None:
    reply = evaluate(client, "self error: 'boom'")
    assert (reply["kind"], reply["message"]) == ("runtime", "boom")
    for code, error_class in expect.error_classes:
        reply = evaluate(client, code)
        assert (reply["kind"], reply["error_class"]) == ("runtime", error_class), (code, reply)


def test_a_failing_print_string_is_reported(client: Peer, expect: Expectations) -> None:
    reply = evaluate(client, expect.unprintable)
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


def test_evaluations_without_a_session_run_at_once(client: Peer) -> None:
    slow = client.send("evaluate", code="(Delay forMilliseconds: 300) wait. #slow")
    fast = client.send("evaluate", code="#fast")
    first, second = client.recv(), client.recv()
    assert (first["id"], first["value"]) == (fast, "#fast")
    assert (second["id"], second["value"]) == (slow, "#slow")


def test_each_evaluation_starts_at_user_priority_whatever_the_last_did(client: Peer) -> None:
    """A server may run evaluations in processes it keeps: what one did to its process
    must not carry over to the next."""
    lower = "Processor activeProcess priority: Processor userSchedulingPriority - 1. 1"
    assert evaluate(client, lower)["value"] == "1"
    for _ in range(3):
        check = "Processor activeProcess priority = Processor userSchedulingPriority"
        assert evaluate(client, check)["value"] == "true"


def test_evaluations_go_on_after_interrupted_ones(client: Peer) -> None:
    for n in range(3):
        looping = client.send("evaluate", code="[true] whileTrue")
        time.sleep(0.1)
        client.send("interrupt")
        assert client.recv(timeout=3)["id"] == looping
        assert client.recv()["was_running"] is True
        assert evaluate(client, f"{n} + 1")["value"] == str(n + 1)


def test_a_request_without_an_id_is_refused_and_not_served(client: Peer) -> None:
    client.send_json({"type": "evaluate", "code": "Smalltalk at: #StuiTestNoId put: 1"})
    reply = client.recv()
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "bad_request", None)
    assert client.silent()
    assert evaluate(client, "Smalltalk includesKey: #StuiTestNoId")["value"] == "false"


def test_defaults_of_evaluate(client: Peer) -> None:
    """mode print; no session (null is the same as absent); max_print the image's limit."""
    assert evaluate(client, "3 + 4", session=None)["value"] == "7"
    empty = evaluate(client, "'abc'", max_print=0)
    assert (empty["value"], empty["truncated"]) == ("", True)
    assert client.request("evaluate", code="1", max_print=5.0)["code"] == "bad_request"
    assert evaluate(client, "")["type"] == "result"


def test_an_unholdable_character_anywhere_in_the_frame_is_an_encoding_error(
    client: Peer, dialect: str
) -> None:
    found = dialect_named(dialect)
    assert found is not None
    samples = [c for c in "€☃\U0001f600" if found.check_text(c) is not None]
    for char in samples:
        for kind, fields in [
            ("session.create", {"label": f"a{char}"}),
            ("ping", {"note": char}),
            ("ping", {char: 1}),
        ]:
            reply = client.request(kind, **fields)
            assert (reply["type"], reply["code"]) == ("error", "encoding"), reply
            assert f"U+{ord(char):04X}" in reply["message"]
    assert client.request("ping")["type"] == "pong"
