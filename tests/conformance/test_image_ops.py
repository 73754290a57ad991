"""Saving a real image, and recovering what a crash lost from its change log."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from stui import launcher
from stui.launcher.runtime import RuntimeInfo
from stui.protocol.messages import (
    ChangeKind,
    Changes,
    ChangesList,
    ChangesReplay,
    ClassDefine,
    ClassDefined,
    Compile,
    Compiled,
    MethodRemove,
    Ping,
    Pong,
    Replayed,
    Save,
    Saved,
    Side,
)
from stui.transport import ImageClient

pytestmark = pytest.mark.timeout(180)

CLIENT = "c-" + "b" * 32
KEEP = (
    "Object subclass: #StuiKept instanceVariableNames: 'a' classVariableNames: '' "
    "poolDictionaries: '' category: 'Stui-Tests'"
)
LOST = KEEP.replace("StuiKept", "StuiLost")


def connection_to(image: RuntimeInfo) -> ImageClient:
    return ImageClient(image.address, image.token, CLIENT)


async def unsaved(conn: ImageClient) -> bool:
    pong = await conn.call(Ping())
    assert isinstance(pong, Pong)
    return pong.unsaved


def crash(info: RuntimeInfo) -> None:
    """kill -9, and wait until the VM is gone."""
    os.kill(info.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while psutil.pid_exists(info.pid) and time.monotonic() < deadline:
        try:
            if psutil.Process(info.pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)


async def test_save_then_stop_and_start_keeps_class_and_method(running_image: RuntimeInfo) -> None:
    async with connection_to(running_image) as conn:
        assert await unsaved(conn) is False
        assert isinstance(await conn.call(ClassDefine(definition=KEEP)), ClassDefined)
        source = "answer\n\t^ 42"
        assert isinstance(await conn.call(Compile(class_="StuiKept", source=source)), Compiled)
        assert await unsaved(conn) is True
        saved = await conn.call(Save())
        assert isinstance(saved, Saved) and saved.image_path == running_image.image_path
        assert await unsaved(conn) is False
        assert (await conn.evaluate("StuiKept new answer")).value == "42"  # still running
    launcher.stop_image(running_image.name)
    info = launcher.start_image(running_image.name)
    async with connection_to(info) as conn:
        assert (await conn.evaluate("StuiKept new answer")).value == "42"
        assert (await conn.evaluate("(StuiKept sourceCodeAt: #answer) asString")).value == (
            "'answer\n\t^ 42'"
        )
        assert await unsaved(conn) is False
        listed = await conn.call(ChangesList())
        assert isinstance(listed, Changes)
        assert all(c.applied or c.superseded for c in listed.changes)


async def test_after_kill_9_the_lost_changes_are_listed_and_replayed_once(
    running_image: RuntimeInfo,
) -> None:
    async with connection_to(running_image) as conn:
        await conn.call(ClassDefine(definition=KEEP))
        await conn.call(Compile(class_="StuiKept", source="kept\n\t^ #saved"))
        assert isinstance(await conn.call(Save()), Saved)
        # after the save: all of this is lost by the crash
        await conn.call(ClassDefine(definition=LOST))
        await conn.call(Compile(class_="StuiLost", side=Side.CLASS, source="answer\n\t^ 42"))
        await conn.call(Compile(class_="StuiKept", source="lost\n\t^ #lost"))
        await conn.call(Compile(class_="StuiKept", source="kept\n\t^ #first"))
        await conn.call(Compile(class_="StuiKept", source="kept\n\t^ #second"))
        await conn.call(MethodRemove(class_="StuiKept", selector="lost"))
        await conn.call(Compile(class_="StuiKept", source="back\n\t^ #back"))
    crash(running_image)
    info = launcher.start_image(running_image.name)
    async with connection_to(info) as conn:
        assert (await conn.evaluate("Smalltalk includesKey: #StuiLost")).value == "false"
        assert (await conn.evaluate("StuiKept new kept")).value == "#saved"
        listed = await conn.call(ChangesList())
        assert isinstance(listed, Changes) and listed.unsaved is False
        kinds = [(c.kind, c.class_, c.selector) for c in listed.changes]
        assert kinds == [
            (ChangeKind.CLASS_DEFINITION, "StuiLost", None),
            (ChangeKind.METHOD, "StuiLost", "answer"),
            (ChangeKind.METHOD, "StuiKept", "lost"),
            (ChangeKind.METHOD, "StuiKept", "kept"),
            (ChangeKind.METHOD, "StuiKept", "kept"),
            (ChangeKind.REMOVE_METHOD, "StuiKept", "lost"),
            (ChangeKind.METHOD, "StuiKept", "back"),
        ]
        assert [c.superseded for c in listed.changes] == [
            False,
            False,
            True,
            True,
            False,
            False,
            False,
        ]
        # only the removal is already true of the restarted image (it never had #lost)
        assert [c.applied for c in listed.changes] == [False] * 5 + [True, False]
        assert listed.changes[1].side is Side.CLASS and listed.changes[1].source == "answer\n\t^ 42"

        replayed = await conn.call(ChangesReplay())
        assert isinstance(replayed, Replayed) and replayed.failed == []
        assert replayed.applied == [1, 2, 5, 7]
        assert (await conn.evaluate("StuiLost answer")).value == "42"
        assert (await conn.evaluate("StuiKept new kept")).value == "#second"
        assert (await conn.evaluate("StuiKept new back")).value == "#back"
        assert (await conn.evaluate("StuiKept includesSelector: #lost")).value == "false"
        assert await unsaved(conn) is True

        twice = await conn.call(ChangesReplay())
        assert isinstance(twice, Replayed) and twice.applied == [] and twice.failed == []
        relisted = await conn.call(ChangesList(source=False))
        assert isinstance(relisted, Changes)
        assert all(c.source is None for c in relisted.changes)
        assert all(c.applied or c.superseded for c in relisted.changes)


async def test_a_class_and_a_method_made_by_do_its_are_recovered_after_kill_9(
    running_image: RuntimeInfo,
) -> None:
    """Code written from a workspace, not through class.define or compile, is not lost."""
    made = LOST.replace("StuiLost", "StuiDoIt")
    async with connection_to(running_image) as conn:
        assert (await conn.evaluate(made)).value == "StuiDoIt"
        await conn.evaluate("StuiDoIt compile: 'answer ^ 42' classified: 'demo'")
        assert await unsaved(conn) is True
    crash(running_image)
    info = launcher.start_image(running_image.name)
    async with connection_to(info) as conn:
        assert (await conn.evaluate("Smalltalk includesKey: #StuiDoIt")).value == "false"
        listed = await conn.call(ChangesList())
        assert isinstance(listed, Changes)
        kinds = [(c.kind, c.class_, c.selector) for c in listed.changes]
        assert kinds == [
            (ChangeKind.CLASS_DEFINITION, "StuiDoIt", None),
            (ChangeKind.METHOD, "StuiDoIt", "answer"),
        ]
        replayed = await conn.call(ChangesReplay())
        assert isinstance(replayed, Replayed) and replayed.failed == []
        assert (await conn.evaluate("StuiDoIt new answer")).value == "42"
