"""`stui diff` and `code.digest` against real images: exactly what differs, found from
image-side hashes, with only the differing sources fetched (issue 13, "Compare code")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo
from stui.protocol.messages import CodeDigest, Digest
from stui.transport import ImageClient
from stui.transport.hub import _HUBS
from stui.workbench import Workbench, WorkbenchConfig

pytestmark = pytest.mark.timeout(240)

CLIENT = "c-" + "d" * 32
ADDED_CLASS = (
    "Object subclass: #StuiCrossAdded instanceVariableNames: 'left right' "
    "classVariableNames: '' poolDictionaries: '' category: 'Cross-Demo'"
)


def stui(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def compile_in(image: str, cls: str, source: str, *options: str) -> None:
    done = stui("compile", "-i", image, cls, *options, "-", stdin=source)
    assert done.exit_code == 0, done.output


def diff_json(*args: str) -> dict:
    done = stui("diff", *args, "--json")
    assert done.exit_code == 0, (done.stdout, done.stderr)
    return json.loads(done.stdout)


@pytest.fixture
def pair(start_images: Callable[..., list[RuntimeInfo]]) -> tuple[str, str]:
    """Two images from one template; b has one method changed and one class added."""
    a, b = (info.name for info in start_images(2))
    compile_in(a, "Object", "stuiCrossProbe\n\t^ 'as in a'", "--category", "stui-cross")
    compile_in(b, "Object", "stuiCrossProbe\n\t^ 'as in b'", "--category", "stui-cross")
    assert stui("eval", "-i", b, "--do", ADDED_CLASS).exit_code == 0
    return a, b


def test_a_full_diff_finds_exactly_the_changed_method_and_the_added_class(
    pair: tuple[str, str],
) -> None:
    a, b = pair
    doc = diff_json(a, b, "--all")
    kinds = [(d["kind"], d["name"]) for d in doc["differences"]]
    assert kinds == [
        ("method_changed", "Object>>stuiCrossProbe"),
        ("class_added", "StuiCrossAdded"),
    ]
    changed, added = doc["differences"]
    assert (changed["before"], changed["after"]) == (
        "stuiCrossProbe\n\t^ 'as in a'",
        "stuiCrossProbe\n\t^ 'as in b'",
    )
    assert added["before"] is None and "#StuiCrossAdded" in added["after"]
    assert doc["classes_compared"] > 500
    assert doc["sources_fetched"] == 3  # two sources of one method, one definition

    text = stui("diff", a, b, "--all")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["changed", "Object>>stuiCrossProbe"]
    assert f"--- {a}:Object>>stuiCrossProbe" in lines and f"+++ {b}:Object>>stuiCrossProbe" in lines
    assert "-\t^ 'as in a'" in lines and "+\t^ 'as in b'" in lines
    assert ["added", "class", "StuiCrossAdded"] in [line.split() for line in lines]
    names = stui("diff", a, b, "--all", "--names-only").stdout.splitlines()
    assert [line.split() for line in names] == [
        ["changed", "Object>>stuiCrossProbe"],
        ["added", "class", "StuiCrossAdded"],
    ]
    back = diff_json(b, a, "--all")
    assert [(d["kind"], d["name"]) for d in back["differences"]] == [
        ("method_changed", "Object>>stuiCrossProbe"),
        ("class_removed", "StuiCrossAdded"),
    ]
    assert diff_json(a, a, "--all")["differences"] == []


def test_scopes_a_method_a_class_and_categories(pair: tuple[str, str]) -> None:
    a, b = pair
    one = diff_json(a, b, "Object>>stuiCrossProbe")
    assert [d["kind"] for d in one["differences"]] == ["method_changed"]
    assert diff_json(a, b, "Object>>printString")["differences"] == []
    cls = diff_json(a, b, "Object")
    assert [d["name"] for d in cls["differences"]] == ["Object>>stuiCrossProbe"]
    added = diff_json(a, b, "StuiCrossAdded")
    assert [d["kind"] for d in added["differences"]] == ["class_added"]
    category = diff_json(a, b, "--category", "cross-*")
    assert [d["name"] for d in category["differences"]] == ["StuiCrossAdded"]
    assert diff_json(a, b, "--category", "Kernel-Numbers")["differences"] == []
    text = stui("diff", a, b, "Object>>printString")
    assert text.stdout == "no differences in Object>>printString (1 classes)\n"


def test_definitions_class_side_methods_and_moved_classes(pair: tuple[str, str]) -> None:
    a, b = pair
    assert stui("eval", "-i", a, "--do", ADDED_CLASS).exit_code == 0
    redefined = ADDED_CLASS.replace("'left right'", "'left right middle'")
    assert stui("eval", "-i", b, "--do", redefined).exit_code == 0
    compile_in(b, "StuiCrossAdded", "make\n\t^ self new", "--class-side")
    compile_in(a, "StuiCrossAdded", "left\n\t^ left")
    doc = diff_json(a, b, "StuiCrossAdded")
    assert [(d["kind"], d["name"]) for d in doc["differences"]] == [
        ("definition_changed", "StuiCrossAdded"),
        ("method_removed", "StuiCrossAdded>>left"),
        ("method_added", "StuiCrossAdded class>>make"),
    ]
    definition = doc["differences"][0]
    assert "'left right '" in definition["before"] and "'left right middle '" in definition["after"]
    moved = redefined.replace("'Cross-Demo'", "'Cross-Moved'")
    assert stui("eval", "-i", b, "--do", moved).exit_code == 0
    category = diff_json(a, b, "--category", "Cross-Demo")
    kinds = [d["kind"] for d in category["differences"]]
    assert kinds == ["definition_changed", "method_removed", "method_added"]
    assert "'Cross-Moved'" in category["differences"][0]["after"]


def test_usage_and_unreachable_images(pair: tuple[str, str]) -> None:
    a, b = pair
    none = stui("diff", a, b)
    assert none.exit_code == 2 and "--all" in none.stderr
    two = stui("diff", a, b, "Object", "--all")
    assert two.exit_code == 2
    bad = stui("diff", a, b, "object>>x")
    assert bad.exit_code == 2 and "not a class name" in bad.stderr
    gone = stui("diff", a, "nosuch", "--all")
    assert gone.exit_code == 3 and "nosuch" in gone.stderr


async def test_the_digest_request(running_image: RuntimeInfo) -> None:
    async with ImageClient(running_image.address, running_image.token, CLIENT) as client:
        whole = await client.call(CodeDigest())
        assert isinstance(whole, Digest) and whole.algorithm
        names = [c.class_ for c in whole.classes]
        assert "Object" in names and not any(n.startswith("Stui") for n in names)
        assert all(c.instance_methods is None for c in whole.classes)
        picked = await client.call(CodeDigest(classes=["Point", "NoSuchClass"], methods=True))
        assert isinstance(picked, Digest)
        (point,) = picked.classes
        assert point.category == "Graphics-Primitives"
        assert point.instance_methods and "x" in point.instance_methods
        assert point.class_methods and "x:y:" in point.class_methods
        again = await client.call(CodeDigest(classes=["Point"], methods=True))
        assert isinstance(again, Digest) and again.classes == picked.classes
        kernel = await client.call(CodeDigest(category="kernel-num*"))
        assert isinstance(kernel, Digest) and "Integer" in [c.class_ for c in kernel.classes]


async def test_callers_asking_for_one_image_at_once_share_one_connection(
    pair: tuple[str, str],
) -> None:
    """A diff of an image with itself asks for its client twice at once: one
    connection, closed with the workbench (two used to be made and one left open)."""
    a, _ = pair
    loop = asyncio.get_running_loop()
    async with Workbench(WorkbenchConfig(watch=False)) as wb:  # the CLI's one-shot mode
        first, second = await asyncio.gather(wb.client(a), wb.client(a))
        assert first is second
        assert len(hubs_of(loop)) == 1
    assert hubs_of(loop) == []


def hubs_of(loop: asyncio.AbstractEventLoop) -> list[object]:
    return [hub for (owner, _), group in _HUBS.items() if owner is loop for hub in group]
