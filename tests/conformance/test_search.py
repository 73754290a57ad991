"""Searching and completing on a real image."""

from __future__ import annotations

import pytest

from conformance.expected import Expectations
from stui.launcher.runtime import RuntimeInfo
from stui.protocol import NotFound
from stui.protocol.messages import (
    Compile,
    Complete,
    Completions,
    MethodRef,
    MethodRefs,
    SearchImplementors,
    SearchReferences,
    SearchSenders,
    Side,
)
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(120)

CLIENT = "c-" + "c" * 32


def connection_to(image: RuntimeInfo) -> ImageClient:
    return ImageClient(image.address, image.token, CLIENT)


def names(refs: list[MethodRef]) -> set[str]:
    return {f"{r.class_}{' class' if r.side is Side.CLASS else ''}>>{r.selector}" for r in refs}


async def test_senders_implementors_and_references(
    running_image: RuntimeInfo, expect: Expectations
) -> None:
    async with connection_to(running_image) as conn:
        senders = await conn.call(SearchSenders(selector="printOn:"))
        assert isinstance(senders, MethodRefs) and senders.total == len(senders.refs) > 10
        assert expect.ide["a_sender_of_printOn"] in names(senders.refs)
        implementors = await conn.call(SearchImplementors(selector="printOn:"))
        assert isinstance(implementors, MethodRefs)
        assert {"Object>>printOn:", "Collection>>printOn:"} <= names(implementors.refs)
        assert all(r.selector == "printOn:" and r.protocol for r in implementors.refs)
        # a special selector (compiled to a bytecode, not a literal) is found too
        plus = await conn.call(SearchSenders(selector="+", max=5))
        assert isinstance(plus, MethodRefs) and plus.total > 100 and len(plus.refs) == 5
        refs = await conn.call(SearchReferences(name="OrderedCollection"))
        assert isinstance(refs, MethodRefs) and refs.total > 10
        meta = await conn.call(SearchImplementors(selector="new"))
        assert isinstance(meta, MethodRefs)
        assert any(r.side is Side.CLASS for r in meta.refs)
        none = await conn.call(SearchSenders(selector="noSuchSelectorAnywhereAtAll"))
        assert isinstance(none, MethodRefs) and none.total == 0 and none.refs == []
        with pytest.raises(NotFound):
            await conn.call(SearchReferences(name="NoSuchGlobalAnywhere"))


async def test_a_new_method_is_found_at_once(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        source = "stuiCaller\n\t^ self stuiCallee"
        await conn.call(Compile(class_="Object", side=Side.CLASS, source=source))
        senders = await conn.call(SearchSenders(selector="stuiCallee"))
        assert isinstance(senders, MethodRefs) and names(senders.refs) == {
            "Object class>>stuiCaller"
        }
        implementors = await conn.call(SearchImplementors(selector="stuiCaller"))
        assert isinstance(implementors, MethodRefs)
        assert names(implementors.refs) == {"Object class>>stuiCaller"}
        completed = await conn.call(Complete(code="Object stuiCal"))
        assert isinstance(completed, Completions)
        assert [i.text for i in completed.items] == ["stuiCaller"]


async def test_completion_of_selectors_classes_and_variables(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        shown = await conn.call(Complete(code="Transcript sh"))
        assert isinstance(shown, Completions)
        assert shown.items[0].text == "show:" and shown.items[0].kind == "keyword"
        assert len(shown.items) <= 20
        few = await conn.call(Complete(code="Transcript sh", max=3))
        assert isinstance(few, Completions) and len(few.items) == 3
        classes = await conn.call(Complete(code="x := OrderedCo"))
        assert isinstance(classes, Completions)
        assert classes.items[0].text == "OrderedCollection" and classes.items[0].kind == "class"
        session = (await conn.session_create()).id
        await conn.evaluate("stuiCounter := 0", session=session)
        variables = await conn.call(Complete(code="stuiCo", session=session))
        assert isinstance(variables, Completions)
        assert variables.items[0].text == "stuiCounter" and variables.items[0].kind == "variable"
        after_keyword = await conn.call(Complete(code="Transcript show: stuiCo", session=session))
        assert isinstance(after_keyword, Completions)
        assert after_keyword.items[0].text == "stuiCounter"
        nothing = await conn.call(Complete(code="3 + "))
        assert isinstance(nothing, Completions) and nothing.items == []


@pytest.mark.parametrize("code", ["x ]", "#(1 2 3)", "'abc'", "(3 + 4)", "{1}", "a + b]"])
async def test_completion_after_a_closing_bracket_or_quote_is_empty(
    running_image: RuntimeInfo, code: str
) -> None:
    """No word before the cursor: nothing to complete, and no error."""
    async with connection_to(running_image) as conn:
        done = await conn.call(Complete(code=code))
        assert isinstance(done, Completions) and done.items == []


async def test_completion_after_a_parenthesis_offers_selectors(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        done = await conn.call(Complete(code="(3 + 4) printStr"))
        assert isinstance(done, Completions)
        assert "printString" in [i.text for i in done.items]
