"""Inspecting on a real image: handles per session, paging, cycles, self bound to a handle,
and the events that replace the windows user code would open."""

from __future__ import annotations

import asyncio

import pytest

from stui.launcher.runtime import RuntimeInfo
from stui.protocol import EvaluationFailed, NoSession, NotFound
from stui.protocol.messages import (
    BrowseRequest,
    EvalMode,
    Evaluate,
    Inspect,
    Inspection,
    InspectionPage,
    InspectKind,
    InspectPage,
    InspectRequest,
    Release,
    Released,
    Result,
)
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(120)

CLIENT = "c-" + "8" * 32


def connection_to(image: RuntimeInfo, client: str = CLIENT) -> ImageClient:
    return ImageClient(image.address, image.token, client)


async def inspect_code(conn: ImageClient, session: str, code: str) -> Inspection:
    reply = await conn.call(Evaluate(code=code, mode=EvalMode.INSPECT, session=session))
    assert isinstance(reply, Inspection), reply
    return reply


async def test_inspect_shows_class_print_fields_and_first_page(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        sid = (await conn.session_create()).id
        view = (
            await inspect_code(conn, sid, "OrderedCollection new add: 3; add: 'x'; yourself")
        ).object
        assert view.class_ == "OrderedCollection"
        assert view.print == "an OrderedCollection(3 'x')"
        assert view.kind is InspectKind.SEQUENCE
        assert [f.name for f in view.fields] == ["array", "firstIndex", "lastIndex"]
        assert view.size == 2 and view.offset == 0
        assert [(e.index, e.value.print, e.value.class_) for e in view.elements] == [
            (1, "3", "SmallInteger"),
            (2, "'x'", "String"),
        ]
        assert view.elements[0].value.handle is None  # shown whole
        string = view.elements[1].value.handle
        assert string is not None
        inner = await conn.call(Inspect(session=sid, handle=string))
        assert isinstance(inner, Inspection)
        assert inner.object.handle == string and inner.object.class_ == "String"


async def test_a_cyclic_structure_is_inspected_one_level_at_a_time(
    running_image: RuntimeInfo,
) -> None:
    async with connection_to(running_image) as conn:
        sid = (await conn.session_create()).id
        code = "| a | a := Array new: 2. a at: 1 put: a; at: 2 put: 7. a"
        view = (await inspect_code(conn, sid, code)).object
        assert view.kind is InspectKind.SEQUENCE and view.size == 2
        assert view.truncated is True and len(view.print) == 1000  # the print string is cut
        first = view.elements[0].value
        assert first.class_ == "Array" and first.handle is not None
        again = await conn.call(Inspect(session=sid, handle=first.handle))
        assert isinstance(again, Inspection)
        assert again.object.elements[1].value.print == "7"
        # dictionaries holding themselves too
        d = (await inspect_code(conn, sid, "| d | d := Dictionary new. d at: #me put: d. d")).object
        assert d.kind is InspectKind.DICTIONARY and d.size == 1
        assert d.elements[0].key is not None and d.elements[0].key.print == "#me"
        assert d.elements[0].value.class_ == "Dictionary"


async def test_a_million_elements_are_paged_never_sent_whole(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        sid = (await conn.session_create()).id
        view = (await inspect_code(conn, sid, "big := (1 to: 1000000) asArray")).object
        assert view.size == 1_000_000 and view.kind is InspectKind.SEQUENCE
        assert len(view.elements) == 100 and view.elements[-1].index == 100
        assert view.truncated is True and len(view.print) == 1000
        page = await conn.call(
            InspectPage(session=sid, handle=view.handle, offset=999_990, count=50)
        )
        assert isinstance(page, InspectionPage)
        assert page.size == 1_000_000 and page.offset == 999_990
        assert [e.index for e in page.elements] == list(range(999_991, 1_000_001))
        assert page.elements[-1].value.print == "1000000"
        huge = await conn.call(InspectPage(session=sid, handle=view.handle, count=100_000))
        assert isinstance(huge, InspectionPage) and len(huge.elements) == 1000  # capped
        # an OrderedCollection of a million pages through at: too
        oc = (await inspect_code(conn, sid, "big asOrderedCollection")).object
        page = await conn.call(InspectPage(session=sid, handle=oc.handle, offset=500_000, count=1))
        assert isinstance(page, InspectionPage) and page.elements[0].value.print == "500001"


async def test_evaluate_with_self_bound_to_a_handle(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        sid = (await conn.session_create()).id
        view = (await inspect_code(conn, sid, "3 @ 4")).object
        reply = await conn.call(Evaluate(code="self x + y", session=sid, receiver=view.handle))
        assert isinstance(reply, Result) and reply.value == "7"
        inspected = await conn.call(
            Evaluate(code="self * 2", session=sid, receiver=view.handle, mode=EvalMode.INSPECT)
        )
        assert isinstance(inspected, Inspection) and inspected.object.print == "6@8"
        with pytest.raises(NotFound):
            await conn.call(Evaluate(code="self", session=sid, receiver=99999))


async def test_handles_belong_to_their_session_and_go_with_release(
    running_image: RuntimeInfo,
) -> None:
    async with (
        connection_to(running_image) as conn,
        connection_to(running_image, "c-other") as other,
    ):
        sid = (await conn.session_create()).id
        view = (await inspect_code(conn, sid, "Object new")).object
        with pytest.raises(NoSession):
            await other.call(Inspect(session=sid, handle=view.handle))
        sid2 = (await conn.session_create()).id
        with pytest.raises(NotFound):
            await conn.call(Inspect(session=sid2, handle=view.handle))
        released = await conn.call(Release(session=sid, handles=[view.handle]))
        assert isinstance(released, Released) and released.released == 1
        with pytest.raises(NotFound):
            await conn.call(Inspect(session=sid, handle=view.handle))
        await inspect_code(conn, sid, "#(1 2 3) copy")
        everything = await conn.call(Release(session=sid))
        assert isinstance(everything, Released) and everything.remaining == 0
        await conn.session_close(sid)
        with pytest.raises(NoSession):
            await conn.call(Inspect(session=sid, handle=1))


async def test_inspect_and_browse_from_user_code_become_events(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        sid = (await conn.session_create()).id
        events = conn.events()
        code = "(3 @ 4) inspect. 42 explore. Object browse. 1 browse. #(1) asOrderedCollection inspect. 5"
        reply = await conn.call(Evaluate(code=code, session=sid))
        assert isinstance(reply, Result) and reply.value == "5"
        got = [await asyncio.wait_for(anext(events), 5) for _ in range(5)]
        point, explored, browse_object, browse_int, oc = got
        assert isinstance(point, InspectRequest) and point.class_ == "Point"
        assert point.session == sid and point.handle is not None and point.explore is False
        assert isinstance(explored, InspectRequest) and explored.explore is True
        assert isinstance(browse_object, BrowseRequest) and browse_object.class_ == "Object"
        assert isinstance(browse_int, BrowseRequest) and browse_int.class_ == "SmallInteger"
        assert isinstance(oc, InspectRequest) and oc.class_ == "OrderedCollection"
        opened = await conn.call(Inspect(session=sid, handle=point.handle))
        assert isinstance(opened, Inspection) and opened.object.print == "3@4"


async def test_an_inspect_event_goes_to_the_client_whose_evaluation_sent_it(
    running_image: RuntimeInfo,
) -> None:
    """A server may run one client's evaluations in a process that ran another's before."""
    other = "c-" + "9" * 32
    async with connection_to(running_image) as a, connection_to(running_image, other) as b:
        a_events, b_events = a.events(), b.events()
        for _ in range(3):
            assert (await a.evaluate("1")).value == "1"
            assert (await b.evaluate("(3 @ 4) inspect. 2")).value == "2"
            event = await asyncio.wait_for(anext(b_events), 5)
            assert isinstance(event, InspectRequest) and event.class_ == "Point"
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(anext(a_events), 0.5)


async def test_halt_outside_a_debugger_is_an_error_with_its_stack(
    running_image: RuntimeInfo,
) -> None:
    async with connection_to(running_image) as conn:
        with pytest.raises(EvaluationFailed) as caught:
            await conn.evaluate("3 halt. 4")
        error = caught.value.error
        assert error.error_class == "Halt"
        assert error.stack and error.stack[-1] == "UndefinedObject>>DoIt"


async def test_inspect_mode_needs_a_session(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        with pytest.raises(Exception, match="need a session"):
            await conn.call(Evaluate(code="3", mode=EvalMode.INSPECT))


async def test_print_it_of_a_structure_containing_itself_is_cut(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        code = "| d | d := Dictionary new. d at: #me put: d. d"
        result = await conn.evaluate(code)
        assert result.truncated is True and len(result.value or "") == 100_000
        assert (result.value or "").startswith("a Dictionary(#me->a Dictionary(")
        with pytest.raises(EvaluationFailed) as caught:
            await conn.evaluate("| a | a := Array new: 1. a at: 1 put: a. a foo")
        assert caught.value.error.receiver is not None
        assert len(caught.value.error.receiver) <= 200
