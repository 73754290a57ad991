"""`stui copy` against real images: code filed out of a and into b, class definitions
first, refusing to overwrite what differs in b without --force (issue 13, "Copy code")."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo

pytestmark = pytest.mark.timeout(240)

BASE = (
    "Object subclass: #StuiCopyBase instanceVariableNames: 'a' classVariableNames: '' "
    "poolDictionaries: '' category: 'Copy-Demo'"
)
SUB = (
    "StuiCopyBase subclass: #StuiCopySub instanceVariableNames: 'b' classVariableNames: 'K' "
    "poolDictionaries: '' category: 'Copy-Demo'"
)


def stui(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def compile_in(image: str, cls: str, source: str, *options: str) -> None:
    done = stui("compile", "-i", image, cls, *options, "-", stdin=source)
    assert done.exit_code == 0, done.output


def run_json(*args: str, code: int = 0) -> dict:
    done = stui(*args, "--json")
    assert done.exit_code == code, (done.stdout, done.stderr)
    return json.loads(done.stdout)


@pytest.fixture
def pair(start_images: Callable[..., list[RuntimeInfo]]) -> tuple[str, str]:
    a, b = (info.name for info in start_images(2))
    return a, b


def test_a_copied_method_leaves_no_difference_and_lands_in_the_change_log(
    pair: tuple[str, str],
) -> None:
    a, b = pair
    compile_in(a, "Object", "stuiCopied\n\t^ 'from a'", "--category", "stui-copy")
    dry = run_json("copy", a, b, "Object>>stuiCopied", "--dry-run")
    assert dry["dry_run"] and dry["applied"] == 0
    assert [s["name"] for s in dry["steps"]] == ["Object>>stuiCopied"]
    assert stui("eval", "-i", b, "nil respondsTo: #stuiCopied").stdout == "false\n"
    done = stui("copy", a, b, "Object>>stuiCopied")
    assert done.exit_code == 0
    assert done.stdout.splitlines() == [
        f"copied 1 of 1 change(s) from {a} to {b}:",
        "  compile            Object>>stuiCopied (new)",
    ]
    assert run_json("diff", a, b, "Object>>stuiCopied")["differences"] == []
    assert run_json("diff", a, b, "--all")["differences"] == []
    assert stui("eval", "-i", b, "nil stuiCopied").stdout == "'from a'\n"
    method = run_json("browse", "-i", b, "Object", "stuiCopied")
    assert method["protocol"] == "stui-copy"
    logged = run_json("changes", b)["changes"]
    assert any(c["class"] == "Object" and c["selector"] == "stuiCopied" for c in logged)
    again = stui("copy", a, b, "Object>>stuiCopied")
    assert again.exit_code == 0 and again.stdout.startswith("nothing to copy")


def test_a_differing_method_is_refused_without_force(pair: tuple[str, str]) -> None:
    a, b = pair
    compile_in(a, "Object", "stuiCopyClash\n\t^ #a")
    compile_in(b, "Object", "stuiCopyClash\n\t^ #b")
    refused = stui("copy", a, b, "Object>>stuiCopyClash")
    assert refused.exit_code == 1
    assert "different code for Object>>stuiCopyClash" in refused.stderr
    assert "--force" in refused.stderr
    assert stui("eval", "-i", b, "nil stuiCopyClash").stdout == "#b\n"
    as_json = run_json("copy", a, b, "Object>>stuiCopyClash", code=1)
    assert as_json["ok"] is False and as_json["error"] == "copy_conflict"
    dry = stui("copy", a, b, "Object>>stuiCopyClash", "--dry-run")
    assert dry.exit_code == 0 and "(overwrites" in dry.stdout and "without --force" in dry.stdout
    forced = run_json("copy", a, b, "Object>>stuiCopyClash", "--force")
    assert forced["applied"] == 1 and forced["steps"][0]["replaces"] is True
    assert stui("eval", "-i", b, "nil stuiCopyClash").stdout == "#a\n"
    assert run_json("diff", a, b, "Object")["differences"] == []


def test_a_category_copy_defines_classes_first(pair: tuple[str, str]) -> None:
    a, b = pair
    for definition in (BASE, SUB, "StuiCopySub class instanceVariableNames: 'count'"):
        assert stui("eval", "-i", a, "--do", definition).exit_code == 0
    compile_in(a, "StuiCopySub", "b\n\t^ b", "--category", "accessing")
    compile_in(a, "StuiCopyBase", "make\n\t^ self new", "--class-side")
    alone = stui("copy", a, b, "StuiCopySub")
    assert alone.exit_code == 1 and "superclass StuiCopyBase is not in" in alone.stderr
    done = run_json("copy", a, b, "--category", "copy-*")
    assert [s["name"] for s in done["steps"]] == [
        "StuiCopyBase",
        "StuiCopySub",
        "StuiCopySub class",
        "StuiCopyBase class>>make",
        "StuiCopySub>>b",
    ]
    assert done["applied"] == 5
    assert run_json("diff", a, b, "--category", "Copy-Demo")["differences"] == []
    made = stui(
        "eval", "-i", b, "(StuiCopyBase make) class name , StuiCopySub class instVarNames first"
    )
    assert made.stdout == "'StuiCopyBasecount'\n"
    # a changed definition is a conflict like a changed method
    assert stui("eval", "-i", b, "--do", SUB.replace("'b'", "'b extra'")).exit_code == 0
    clash = stui("copy", a, b, "StuiCopySub")
    assert clash.exit_code == 1 and "different code for StuiCopySub" in clash.stderr
    assert run_json("copy", a, b, "StuiCopySub", "--force")["applied"] == 1
    assert run_json("diff", a, b, "StuiCopySub")["differences"] == []


def test_copy_usage(pair: tuple[str, str]) -> None:
    a, b = pair
    every = stui("copy", a, b, "--all")
    assert every.exit_code == 2
    none = stui("copy", a, b)
    assert none.exit_code == 2 and "--category" in none.stderr and "--all" not in none.stderr
