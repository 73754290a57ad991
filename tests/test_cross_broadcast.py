"""`stui eval --images` and `--all` against real images: one row per image, errors in
their own rows, the others unaffected (issue 13, "Evaluate on many images")."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from stui import launcher
from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo

pytestmark = pytest.mark.timeout(240)


def stui(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_broadcast_over_five_images_with_one_stopped(
    start_images: Callable[..., list[RuntimeInfo]],
) -> None:
    names = [info.name for info in start_images(5)]
    launcher.stop_image(names[2])
    done = stui("eval", "--images", ",".join(names), "--json", "3 + 4")
    assert done.exit_code == 1
    rows = json.loads(done.stdout)
    assert [r["image"] for r in rows] == names
    assert [r["ok"] for r in rows] == [True, True, False, True, True]
    assert {r["value"] for r in rows if r["ok"]} == {"7"}
    stopped = rows[2]
    assert stopped["error"] == "unreachable" and names[2] in stopped["message"]
    assert all(r["elapsed_ms"] >= 0 for r in rows)

    table = stui("eval", "--images", ",".join(names), "3 + 4")
    assert table.exit_code == 1
    header, *lines = table.stdout.splitlines()
    assert header.split() == ["IMAGE", "TIME", "RESULT"]
    assert len(lines) == 5
    for name, line in zip(names, lines, strict=True):
        assert line.startswith(name) and " ms  " in line
        assert line.endswith("  7") != (name == names[2])
    assert "error: " in lines[2]

    every = json.loads(stui("eval", "--all", "--json", "6 * 7").stdout)
    assert [r["image"] for r in every] == sorted(names[:2] + names[3:])
    assert all(r["ok"] and r["value"] == "42" for r in every)


def test_errors_and_timeouts_stay_in_their_rows(
    start_images: Callable[..., list[RuntimeInfo]],
) -> None:
    names = [info.name for info in start_images(3)]
    slow, failing, fine = names
    assert stui("eval", "-i", slow, "--do", "Smalltalk at: #StuiSlow put: true").exit_code == 0
    assert stui("eval", "-i", failing, "--do", "Smalltalk at: #StuiBreak put: 1").exit_code == 0
    breaking = (
        "(Smalltalk includesKey: #StuiSlow) ifTrue: [[true] whileTrue]. "
        "(Smalltalk includesKey: #StuiBreak) ifTrue: [nil foo]. 3 + 4"
    )
    done = stui("eval", "--images", ",".join(names), "--timeout", "2", "--json", breaking)
    assert done.exit_code == 1
    rows = {r["image"]: r for r in json.loads(done.stdout)}
    assert rows[slow]["error"] == "timeout" and "interrupted" in rows[slow]["message"]
    assert rows[failing]["error"] == "eval_error" and rows[failing]["kind"] == "runtime"
    assert rows[fine]["ok"] and rows[fine]["value"] == "7"
    # the slow image's evaluation was interrupted: it answers at once again
    assert stui("eval", "-i", slow, "3 + 4").stdout == "7\n"
    # each image's session recorded its evaluation
    for name in names:
        shown = json.loads(stui("sessions", "show", rows[name]["session"], "--json").stdout)
        assert shown["image"] == name
        assert any(h["code"] == breaking for h in shown["history"])


def test_broadcast_usage_errors(running_image: RuntimeInfo) -> None:
    both = stui("eval", "--images", running_image.name, "--all", "1")
    assert both.exit_code == 2 and "not both" in both.stderr
    mixed = stui("eval", "--images", running_image.name, "-i", running_image.name, "1")
    assert mixed.exit_code == 2
    blank = stui("eval", "--images", " , ", "1")
    assert blank.exit_code == 2 and "at least one image" in blank.stderr
    one = stui("eval", "--images", f"{running_image.name},{running_image.name}", "--json", "1")
    assert one.exit_code == 0 and len(json.loads(one.stdout)) == 1
