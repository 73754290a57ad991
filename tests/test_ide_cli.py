"""The IDE commands of the CLI against real images: browse, search, inspect, compile,
transcript, image save, changes, and image stop saving first."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest
from click.testing import CliRunner, Result

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo

pytestmark = pytest.mark.timeout(180)


def stui(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def ok_json(*args: str, stdin: str | None = None) -> dict:
    done = stui(*args, "--json", stdin=stdin)
    assert done.exit_code == 0, (done.stdout, done.stderr)
    doc = json.loads(done.stdout)
    assert doc["ok"] is True
    return doc


def test_browse_a_class_and_a_method(running_image: RuntimeInfo) -> None:
    done = stui("browse", "OrderedCollection")
    assert done.exit_code == 0
    assert done.stdout.startswith("SequenceableCollection subclass: #OrderedCollection")
    assert "instance side:" in done.stdout and "    addFirst:" in done.stdout
    doc = ok_json("browse", "-i", running_image.name, "OrderedCollection")
    assert doc["definition"]["superclass"] == "SequenceableCollection"
    assert "addFirst:" in doc["protocols"]["adding"]
    method = stui("browse", "Object", "printString")
    assert method.exit_code == 0 and method.stdout.startswith("printString")
    assert "decompiled" in method.stderr
    meta = ok_json("browse", "--class-side", "OrderedCollection", "new:")
    assert meta["side"] == "class" and meta["source"].startswith("new:")
    missing = stui("browse", "NoSuchClass")
    assert missing.exit_code == 4 and "no class named" in missing.stderr
    missing_json = stui("browse", "Object", "noSuchSelectorAnywhere", "--json")
    assert missing_json.exit_code == 4
    assert json.loads(missing_json.stdout)["error"] == "not_found"


def test_senders_implementors_references(running_image: RuntimeInfo) -> None:
    senders = stui("senders", "printOn:")
    assert senders.exit_code == 0 and "Object>>printStringLimitedTo:" in senders.stdout.splitlines()
    doc = ok_json("implementors", "printOn:", "--max", "3")
    assert len(doc["refs"]) == 3 and doc["total"] > 3
    assert all(r["selector"] == "printOn:" for r in doc["refs"])
    assert "3 more" not in stui("implementors", "printOn:").stderr
    refs = ok_json("references", "OrderedCollection")
    assert refs["total"] > 10 and {"class", "side", "selector", "protocol"} <= set(refs["refs"][0])


def test_inspect_pages_a_million_elements(running_image: RuntimeInfo) -> None:
    doc = ok_json("inspect", "(1 to: 1000000) asArray", "--offset", "999990", "--count", "5")
    view = doc["object"]
    assert view["class"] == "Array" and view["size"] == 1_000_000
    assert [e["index"] for e in view["elements"]] == list(range(999_991, 999_996))
    text = stui("inspect", "3 @ 4")
    assert text.exit_code == 0
    head, x, y = text.stdout.splitlines()[:3]
    assert head.startswith("a Point [") and head.endswith("]: 3@4")
    assert (x, y) == ("  x: 3", "  y: 4")
    failed = stui("inspect", "nil foo")
    assert failed.exit_code == 1 and "doesNotUnderstand" in failed.stderr


def test_compile_from_stdin_runs_and_reads_back(running_image: RuntimeInfo) -> None:
    source = "stuiFromCli\n\t^ 'compiled from the CLI'"
    done = stui("compile", "Object", "--category", "stui-cli", "-", stdin=source)
    assert done.exit_code == 0 and "compiled Object>>stuiFromCli" in done.stdout
    assert stui("eval", "nil stuiFromCli").stdout == "'compiled from the CLI'\n"
    assert stui("browse", "Object", "stuiFromCli").stdout == source + "\n"
    meta = ok_json("compile", "Object", "--class-side", stdin="stuiMeta\n\t^ 1")
    assert meta["side"] == "class" and meta["created"] is True
    bad = stui("compile", "Object", stdin="stuiFromCli\n\t^ 1 +")
    assert bad.exit_code == 1 and "syntax error" in bad.stderr and "^" in bad.stderr
    assert stui("eval", "nil stuiFromCli").stdout == "'compiled from the CLI'\n"


def test_transcript_prints_what_the_image_writes(running_image: RuntimeInfo) -> None:
    writer = (
        "[40 timesRepeat: [Transcript show: 'tick'; cr. (Delay forMilliseconds: 50) wait]] "
        "forkAt: Processor userSchedulingPriority"
    )
    assert stui("eval", "--do", writer).exit_code == 0
    done = stui("transcript", "--wait", "1")
    assert done.exit_code == 0 and "tick\n" in done.stdout
    assert stui("eval", "--do", writer).exit_code == 0
    lines = stui("transcript", "--wait", "1", "--json").stdout.splitlines()
    assert lines and all(json.loads(line)["text"] for line in lines)


def _crash(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)


def test_save_crash_and_replay(running_image: RuntimeInfo) -> None:
    name = running_image.name
    assert stui("compile", "Object", stdin="stuiSaved\n\t^ #saved").exit_code == 0
    saved = ok_json("image", "save", name)
    assert saved["image_path"] == running_image.image_path
    assert stui("compile", "Object", stdin="stuiLost\n\t^ #lost").exit_code == 0
    _crash(running_image.pid)
    assert stui("image", "start", name).exit_code == 0
    listed = stui("changes", name)
    assert listed.exit_code == 0 and "method Object>>stuiLost  [lost]" in listed.stdout
    doc = ok_json("changes", name, "--replay")
    assert doc["replayed"]["applied"] == [1]
    assert stui("eval", "nil stuiLost").stdout == "#lost\n"
    assert stui("eval", "nil stuiSaved").stdout == "#saved\n"
    again = ok_json("changes", name, "--replay")
    assert again["replayed"]["applied"] == []


def test_image_stop_saves_unsaved_changes_first(running_image: RuntimeInfo) -> None:
    name = running_image.name
    assert stui("compile", "Object", stdin="stuiKeptByStop\n\t^ #kept").exit_code == 0
    stopped = stui("image", "stop", name)
    assert stopped.exit_code == 0 and f"saved {name} before stopping" in stopped.stdout
    assert stui("image", "start", name).exit_code == 0
    assert stui("eval", "nil stuiKeptByStop").stdout == "#kept\n"
    assert stui("compile", "Object", stdin="stuiNotKept\n\t^ 1").exit_code == 0
    assert "saved" not in stui("image", "stop", "--no-save", name).stdout
    assert stui("image", "start", name).exit_code == 0
    assert "doesNotUnderstand" in stui("eval", "nil stuiNotKept").stderr
