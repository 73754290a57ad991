"""The debugger on a real image of each dialect that offers it (docs/protocol.md, "The
debugger"): suspend on halt and error, frames, steps, restart, return, compile in a frame,
proceed, abandon, and no process left behind. A dialect whose welcome does not list the
debug requests is skipped; once it lists them, its expectations need a [debug] table."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from conformance.expected import Expectations
from conformance.wire import Peer
from stui.launcher.runtime import RuntimeInfo

DEBUG_REQUESTS = {
    "debug.frame", "debug.step_into", "debug.step_over", "debug.step_through",
    "debug.restart", "debug.return", "debug.proceed", "debug.abandon", "debug.evaluate",
    "debug.compile",
}  # fmt: skip


class Debuggee:
    """One connection with a session and the test class defined in the image."""

    def __init__(self, peer: Peer, expect: Expectations) -> None:
        assert expect.debug is not None, (
            "the image offers the debugger: add [debug] to its expectations"
        )
        self.peer = peer
        self.data: dict[str, Any] = expect.debug
        self.session = peer.request("session.create")["session"]["id"]

    def define(self) -> None:
        assert self.evaluate(self.data["define"])["type"] == "result"
        for source in self.data["methods"]:
            reply = self.peer.request("compile", **{"class": self.data["class"]}, source=source)
            assert reply["type"] == "compiled", reply

    def evaluate(self, code: str, **fields: Any) -> dict[str, Any]:
        return self.peer.request("evaluate", code=code, session=self.session, **fields)

    def debug(self, code: str) -> dict[str, Any]:
        reply = self.evaluate(code, debug=True)
        assert reply["type"] == "suspended", reply
        return reply

    def on(self, type: str, handle: int, **fields: Any) -> dict[str, Any]:
        return self.peer.request(type, session=self.session, debug=handle, **fields)

    def parked(self) -> int:
        return int(self.evaluate(self.data["parked"])["value"])


@pytest.fixture
def debuggee(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer], expect: Expectations
) -> Debuggee:
    peer = connect(running_image)
    welcome = peer.hello(running_image.token)
    offered = DEBUG_REQUESTS & set(welcome.get("capabilities", []))
    if not offered:
        pytest.skip("the image does not offer the debugger")
    assert offered == DEBUG_REQUESTS, f"only part of the debugger is offered: {sorted(offered)}"
    d = Debuggee(peer, expect)
    d.define()
    return d


def selectors(reply: dict[str, Any]) -> list[str]:
    return [f["selector"] for f in reply["stack"]]


def variables(frame: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["value"]["print"] for v in frame["variables"]}


def test_halt_suspends_and_steps_move_the_pc(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    stopped = debuggee.debug(f"({cls} new foo: 3) + 100")
    assert stopped["error"]["kind"] == "halt"
    assert selectors(stopped) == ["foo:", "DoIt"]
    assert stopped["stack"][0]["class"] == cls and stopped["stack"][0]["is_block"] is False
    h = stopped["debug"]
    frame = debuggee.on("debug.frame", h)
    assert frame["type"] == "frame" and frame["selector"] == "foo:"
    assert variables(frame) == {"n": "3", "a": "4", "b": "nil"}
    assert [v["kind"] for v in frame["variables"]] == ["arg", "temp", "temp"]
    start, end = frame["pc_range"]
    assert "halt" in frame["source"][start - 1 : end]
    assert frame["receiver"]["class"] == cls
    assert debuggee.on("debug.evaluate", h, code="a * 10")["value"] == "40"
    doit = debuggee.on("debug.frame", h, frame=2)  # the do-it's code, mapped too
    start, end = doit["pc_range"]
    assert "foo:" in doit["source"][start - 1 : end]

    stepped = debuggee.on("debug.step_over", h)  # b := a * 2, then stop at the next send
    assert stepped["type"] == "suspended" and stepped["error"] is None
    assert variables(debuggee.on("debug.frame", h))["b"] == "8"
    done = debuggee.on("debug.proceed", h)
    assert (done["type"], done["value"]) == ("result", "109")
    assert debuggee.on("debug.frame", h)["code"] == "not_found"  # gone with the evaluation


def test_step_into_enters_the_callee(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    h = debuggee.debug(f"{cls} new halt; twice: 4")["debug"]
    into = debuggee.on("debug.step_into", h)
    assert selectors(into) == ["twice:", "DoIt"]
    assert variables(debuggee.on("debug.frame", h)) == {"k": "4"}
    assert debuggee.on("debug.proceed", h)["value"] == "8"


def test_a_bug_is_fixed_in_its_frame_and_the_evaluation_goes_on(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    stopped = debuggee.debug(f"{cls} new bar + 1")
    assert stopped["error"]["kind"] == "error"
    assert stopped["error"]["class"] == "MessageNotUnderstood"
    names = selectors(stopped)
    assert names[-2:] == ["bar", "DoIt"]
    index = names.index("bar") + 1
    h = stopped["debug"]
    broken = debuggee.on("debug.compile", h, frame=index, source="bar\n\t^ 41 +")
    assert broken["type"] == "compile_error"
    restarted = debuggee.on("debug.compile", h, frame=index, source=debuggee.data["fixed_bar"])
    assert restarted["type"] == "suspended"
    assert selectors(restarted) == ["bar", "DoIt"]
    assert debuggee.on("debug.proceed", h)["value"] == "43"


def test_restart_reruns_a_frame_and_return_answers_a_value(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    h = debuggee.debug(f"({cls} new foo: 3) + 100")["debug"]
    debuggee.on("debug.step_over", h)
    restarted = debuggee.on("debug.restart", h, frame=1)
    assert selectors(restarted) == ["foo:", "DoIt"]
    assert variables(debuggee.on("debug.frame", h)) == {"n": "3", "a": "nil", "b": "nil"}
    returned = debuggee.on("debug.return", h, frame=1, code="42")
    assert selectors(returned) == ["DoIt"]
    assert debuggee.on("debug.proceed", h)["value"] == "142"


def test_abandon_and_close_leave_no_process(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    before = debuggee.parked()
    h = debuggee.debug(f"{cls} new foo: 1")["debug"]
    assert debuggee.parked() == before + 1
    assert debuggee.on("debug.abandon", h)["type"] == "abandoned"
    assert debuggee.parked() == before
    assert debuggee.evaluate("3 + 4")["value"] == "7"

    debuggee.debug(f"{cls} new foo: 2")
    debuggee.debug(f"{cls} new bar")  # two suspended evaluations in one session
    assert debuggee.parked() == before + 2
    closed = debuggee.session
    assert debuggee.peer.request("session.close", session=closed)["type"] == "closed"
    debuggee.session = debuggee.peer.request("session.create")["session"]["id"]
    assert debuggee.parked() == before


def test_ping_and_other_sessions_go_on_while_suspended(
    debuggee: Debuggee, running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    cls = debuggee.data["class"]
    h = debuggee.debug(f"{cls} new foo: 1")["debug"]
    other = connect(running_image)
    other.hello(running_image.token)
    session = other.request("session.create")["session"]["id"]
    for _ in range(3):
        start = time.monotonic()
        assert debuggee.peer.request("ping", timeout=2)["type"] == "pong"
        assert time.monotonic() - start < 0.5
        reply = other.request(
            "evaluate", session=session, code="(1 to: 1000) inject: 0 into: [:a :b | a + b]"
        )
        assert reply["value"] == "500500"
    assert debuggee.evaluate("3 + 4")["value"] == "7"  # the same session evaluates too
    assert debuggee.on("debug.proceed", h)["value"] == "5"


def test_halt_without_debug_stays_an_error(debuggee: Debuggee) -> None:
    reply = debuggee.evaluate(f"{debuggee.data['class']} new foo: 1")
    assert reply["type"] == "eval_error" and reply["error_class"] == "Halt"
    assert reply["stack"]


def test_bad_debug_requests(debuggee: Debuggee) -> None:
    assert debuggee.peer.request("evaluate", code="1", debug=True)["code"] == "bad_request"
    assert debuggee.on("debug.frame", 999)["code"] == "not_found"
    h = debuggee.debug(f"{debuggee.data['class']} new foo: 1")["debug"]
    assert debuggee.on("debug.frame", h, frame=99)["code"] == "not_found"
    assert debuggee.on("debug.abandon", h)["type"] == "abandoned"


def test_debug_it_stops_before_the_first_statement(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    reply = debuggee.evaluate(f"| t | t := {cls} new twice: 5. t + 1", mode="debug")
    assert reply["type"] == "suspended" and reply["error"] is None
    assert selectors(reply) == ["DoIt"]
    h = reply["debug"]
    assert variables(debuggee.on("debug.frame", h)) == {"t": "nil"}
    while selectors(stepped := debuggee.on("debug.step_into", h)) == ["DoIt"]:
        pass  # past `new`, answered by a primitive or by a method of its own
    if selectors(stepped)[0] != "twice:":  # into new's method: back out to the do-it
        while selectors(stepped)[0] != "twice:":
            stepped = debuggee.on("debug.step_into", h)
    assert selectors(stepped) == ["twice:", "DoIt"]
    assert debuggee.on("debug.proceed", h)["value"] == "11"


def test_a_step_stops_at_an_unhandled_error_only(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    handled = debuggee.data["handled"] or "5"  # "": the dialect stops at handled errors too
    h = debuggee.debug(f"| got | nil halt. got := {handled}. {cls} new bar. got")["debug"]
    for _ in range(20):
        stepped = debuggee.on("debug.step_over", h)
        assert stepped["type"] == "suspended", stepped
        if stepped["error"] is not None:
            break
    assert stepped["error"]["kind"] == "error"
    assert stepped["error"]["class"] == "MessageNotUnderstood"
    assert selectors(stepped)[-2:] == ["bar", "DoIt"]
    assert variables(debuggee.on("debug.frame", h, frame=len(stepped["stack"])))["got"] == "5"
    assert debuggee.on("debug.abandon", h)["type"] == "abandoned"


# After the halt, one step over simulates inject:into: up to the server's step limit.
SPIN = "spin\n\t| r |\n\tr := 1 to: 100000000.\n\tself halt.\n\t^ r inject: 0 into: [:a :b | a + b]"


def test_closing_the_session_during_a_step_ends_the_process(debuggee: Debuggee) -> None:
    cls = debuggee.data["class"]
    compiled = debuggee.peer.request("compile", **{"class": cls}, source=SPIN)
    assert compiled["type"] == "compiled", compiled
    before = debuggee.parked()
    h = debuggee.debug(f"{cls} new spin")["debug"]
    step = debuggee.peer.send("debug.step_over", session=debuggee.session, debug=h)
    # the close is read while the step simulates its 200 000 bytecodes (or before it starts)
    close = debuggee.peer.send("session.close", session=debuggee.session)
    replies = {r["id"]: r for r in (debuggee.peer.recv(timeout=30), debuggee.peer.recv(timeout=30))}
    assert replies[close]["type"] == "closed"
    assert (replies[step]["type"], replies[step]["code"]) == ("error", "not_found"), replies[step]
    debuggee.session = debuggee.peer.request("session.create")["session"]["id"]
    assert debuggee.parked() == before


def test_step_through_stops_in_a_block_of_the_frame(debuggee: Debuggee) -> None:
    reply = debuggee.evaluate("| s | s := 0. #(5 6) do: [:e | s := s + e]. s", mode="debug")
    h = reply["debug"]
    into = debuggee.on("debug.step_through", h)  # do: runs the block: stop inside it
    assert selectors(into)[0] == "DoIt" and into["stack"][0]["is_block"] is True
    assert "do:" in selectors(into)
    assert variables(debuggee.on("debug.frame", h))["e"] == "5"
    over = debuggee.on("debug.step_over", h)  # s := s + e
    assert over["stack"][0]["is_block"] is True
    assert debuggee.on("debug.evaluate", h, code="s")["value"] == "5"
    assert debuggee.on("debug.proceed", h)["value"] == "11"


def test_an_expired_session_ends_its_suspended_process(
    start_images: Callable[..., list[RuntimeInfo]],
    connect: Callable[[RuntimeInfo], Peer],
    expect: Expectations,
) -> None:
    (info,) = start_images(1, session_ttl=1)
    leaving = connect(info)
    if not DEBUG_REQUESTS & set(leaving.hello(info.token).get("capabilities", [])):
        pytest.skip("the image does not offer the debugger")
    debuggee = Debuggee(leaving, expect)
    debuggee.define()
    before = debuggee.parked()
    debuggee.debug(f"{debuggee.data['class']} new foo: 1")
    assert debuggee.parked() == before + 1
    leaving.close()  # its session is orphaned, then expires one second later
    staying = connect(info)
    staying.hello(info.token)
    counter = Debuggee(staying, expect)
    deadline = time.monotonic() + 10
    while counter.parked() != before:
        assert time.monotonic() < deadline, "the suspended process outlived its session"
        time.sleep(0.2)
