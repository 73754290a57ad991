"""The debugger's messages (docs/protocol.md, "The debugger"): samples for the protocol's
round-trip tests, and the replies the client checks against the operations table."""

from __future__ import annotations

import msgspec
import pytest

from stui.protocol import decode, encode
from stui.protocol import messages as m
from stui.transport.operations import OPERATIONS

REF = m.ValueRef(handle=3, class_="Foo", print="a Foo")
FRAMES = [
    m.StackFrame(class_="Foo", method_class="Object", selector="error:"),
    m.StackFrame(class_="Foo", method_class="Foo", selector="bar", is_block=True),
    m.StackFrame(class_="UndefinedObject", method_class="UndefinedObject", selector="DoIt"),
]

DEBUG_REQUESTS = [
    m.Evaluate(id=1, code="Foo new bar", session="s-1", debug=True),
    m.DebugFrame(id=2, session="s-1", debug=4),
    m.DebugFrame(id=2, session="s-1", debug=4, frame=2),
    m.DebugStepInto(id=3, session="s-1", debug=4),
    m.DebugStepOver(id=4, session="s-1", debug=4),
    m.DebugStepThrough(id=5, session="s-1", debug=4),
    m.DebugRestart(id=6, session="s-1", debug=4, frame=2),
    m.DebugReturn(id=7, session="s-1", debug=4, frame=1, code="42"),
    m.DebugProceed(id=8, session="s-1", debug=4),
    m.DebugAbandon(id=9, session="s-1", debug=4),
    m.DebugEvaluate(id=10, session="s-1", debug=4, frame=1, code="a + b", max_print=100),
    m.DebugCompile(id=11, session="s-1", debug=4, frame=2, source="bar\n\t^ 42"),
]

DEBUG_INCOMING = [
    m.Suspended(
        id=1,
        debug=4,
        error=m.DebugError(
            kind=m.DebugErrorKind.ERROR,
            class_="MessageNotUnderstood",
            message="doesNotUnderstand: #foo",
            receiver="nil",
        ),
        stack=FRAMES,
    ),
    m.Suspended(id=3, debug=4, error=None, stack=FRAMES[1:]),
    m.Frame(
        id=2,
        debug=4,
        index=1,
        class_="Foo",
        method_class="Foo",
        selector="foo:",
        source="foo: n\n\t| a |\n\ta := n. self halt. ^ a",
        pc_range=[24, 27],
        receiver=REF,
        variables=[
            m.FrameVariable(name="n", kind=m.VariableKind.ARG, value=REF),
            m.FrameVariable(name="a", kind=m.VariableKind.TEMP, value=REF),
        ],
    ),
    m.Abandoned(id=9, debug=4),
]


@pytest.mark.parametrize("message", DEBUG_INCOMING, ids=lambda x: m.type_tag(x))
def test_replies_round_trip(message: m.Message) -> None:
    assert decode(encode(message)) == message


def test_a_frame_without_pc_reads_as_none() -> None:
    frame = {"type": "frame", "id": 1, "debug": 2, "index": 1, "class": "Foo",
             "method_class": "Foo", "selector": "x", "source": "x",
             "receiver": {"handle": None, "class": "Foo", "print": "a Foo"}}  # fmt: skip
    decoded = decode(msgspec.json.encode(frame))
    assert isinstance(decoded, m.Frame) and decoded.pc_range is None and decoded.variables == []


def test_every_debug_request_has_a_row() -> None:
    for request in DEBUG_REQUESTS:
        assert type(request) in OPERATIONS
    assert m.Suspended in OPERATIONS[m.Evaluate].replies
    assert OPERATIONS[m.DebugCompile].replies == (m.Suspended, m.CompileError)
