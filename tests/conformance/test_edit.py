"""Editing a real image: compile, syntax errors that change nothing, class definitions,
removals, and the change log on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from stui.launcher.runtime import RuntimeInfo
from stui.protocol import NotFound, RemoteError
from stui.protocol.messages import (
    BrowseMethod,
    BrowseSelectors,
    ClassDefine,
    ClassDefined,
    ClassRemove,
    Compile,
    Compiled,
    CompileError,
    MethodRemove,
    MethodSource,
    Removed,
    Selectors,
    Side,
)
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(120)

CLIENT = "c-" + "a" * 32
DEFINITION = (
    "Object subclass: #StuiEdited\n"
    "\tinstanceVariableNames: 'left right'\n"
    "\tclassVariableNames: ''\n"
    "\tpoolDictionaries: ''\n"
    "\tcategory: 'Stui-Tests'"
)


def connection_to(image: RuntimeInfo) -> ImageClient:
    return ImageClient(image.address, image.token, CLIENT)


def changes_file(image: RuntimeInfo) -> bytes:
    return Path(image.image_path).with_suffix(".changes").read_bytes()


async def test_compile_runs_and_reads_back_exactly(running_image: RuntimeInfo) -> None:
    source = 'stuiTwice: aNumber\n\t"Answer twice aNumber; é stays Latin-1."\n\t^ aNumber * 2'
    async with connection_to(running_image) as conn:
        reply = await conn.call(Compile(class_="Object", category="stui-tests", source=source))
        assert isinstance(reply, Compiled)
        assert (reply.selector, reply.protocol, reply.created) == ("stuiTwice:", "stui-tests", True)
        assert (await conn.evaluate("nil stuiTwice: 21")).value == "42"
        back = await conn.call(BrowseMethod(class_="Object", selector="stuiTwice:"))
        assert isinstance(back, MethodSource) and back.source == source
        again = await conn.call(Compile(class_="Object", source=source.replace("2", "3")))
        assert isinstance(again, Compiled) and again.created is False
        assert again.protocol == "stui-tests"  # a recompile keeps the method's protocol
        assert (await conn.evaluate("nil stuiTwice: 21")).value == "63"
        # the change is on disk before the reply (flushed, so a crash keeps it)
        assert b"aNumber * 3" in changes_file(running_image)


async def test_a_syntax_error_changes_nothing(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        good = "stuiKept\n\t^ #kept"
        assert isinstance(await conn.call(Compile(class_="Object", source=good)), Compiled)
        before = changes_file(running_image)
        bad = await conn.call(Compile(class_="Object", source="stuiKept\n\t^ 3 +"))
        assert isinstance(bad, CompileError)
        assert bad.position == len("stuiKept\n\t^ 3 +") + 1 and bad.message
        assert (await conn.evaluate("nil stuiKept")).value == "#kept"
        fresh = await conn.call(Compile(class_="Object", source="stuiNever\n\t^ (1"))
        assert isinstance(fresh, CompileError) and fresh.position is not None
        sels = await conn.call(BrowseSelectors(class_="Object"))
        assert isinstance(sels, Selectors) and "stuiNever" not in sels.selectors
        assert changes_file(running_image) == before
        no_pattern = await conn.call(Compile(class_="Object", source="^ 3"))
        assert isinstance(no_pattern, CompileError)


async def test_define_redefine_and_remove_a_class(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        made = await conn.call(ClassDefine(definition=DEFINITION))
        assert isinstance(made, ClassDefined) and made.class_ == "StuiEdited" and made.created
        method = "sum\n\t^ left + right"
        await conn.call(Compile(class_="StuiEdited", source=method, category="math"))
        setter = "left: a right: b\n\tleft := a. right := b"
        await conn.call(Compile(class_="StuiEdited", source=setter, category="init"))
        maker = "new\n\t^ super new left: 1 right: 2"
        compiled = await conn.call(Compile(class_="StuiEdited", side=Side.CLASS, source=maker))
        assert isinstance(compiled, Compiled) and compiled.side is Side.CLASS
        assert (await conn.evaluate("StuiEdited new sum")).value == "3"
        again = await conn.call(
            ClassDefine(definition=DEFINITION.replace("left right", "left right extra"))
        )
        assert isinstance(again, ClassDefined) and again.created is False
        assert "extra" in again.definition
        assert (await conn.evaluate("StuiEdited new sum")).value == "3"
        assert b"left right extra" in changes_file(running_image)
        removed = await conn.call(MethodRemove(class_="StuiEdited", selector="sum"))
        assert isinstance(removed, Removed) and removed.name == "StuiEdited>>sum"
        with pytest.raises(NotFound):
            await conn.call(MethodRemove(class_="StuiEdited", selector="sum"))
        gone = await conn.call(ClassRemove(class_="StuiEdited"))
        assert isinstance(gone, Removed) and gone.kind == "class"
        assert (await conn.evaluate("Smalltalk includesKey: #StuiEdited")).value == "false"


async def test_bad_definitions_and_protected_classes(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        syntax = await conn.call(
            ClassDefine(definition="Object subclass: #Broken instanceVariableNames: 'a")
        )
        assert isinstance(syntax, CompileError)
        not_a_class = await conn.call(ClassDefine(definition="3 + 4"))
        assert isinstance(not_a_class, CompileError)
        missing = await conn.call(
            ClassDefine(definition=DEFINITION.replace("Object", "NoSuchSuper"))
        )
        assert isinstance(missing, CompileError)
        assert (await conn.evaluate("Smalltalk includesKey: #StuiEdited")).value == "false"
        with pytest.raises(RemoteError, match="subclasses"):
            await conn.call(ClassRemove(class_="Collection"))
        with pytest.raises(RemoteError, match="STUI server"):
            await conn.call(ClassRemove(class_="StuiServer"))
