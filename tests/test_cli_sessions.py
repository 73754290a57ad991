"""`stui images`, `stui sessions` and `stui eval --session` as a user runs them,
including the faults found trying STUI as a new user (issue 7), against real images."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from stui import launcher
from stui.cli.main import cli
from stui.images.health import HealthPolicy
from stui.status import ConnectionStatus
from stui.workbench import Workbench, WorkbenchConfig

STUI = str(Path(sys.executable).with_name("stui"))


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.output


def run_json(*args: str) -> object:
    return json.loads(run(*args, "--json")[1])


async def watch_until_orphaned(name: str) -> None:
    """What the TUI's monitor does while an image stays away: orphan its sessions."""
    policy = HealthPolicy(interval=0.1, orphan_after=0.2, backoff_initial=0.05)
    async with Workbench(WorkbenchConfig(health=policy)) as wb:
        await wb.wait_for(name, ConnectionStatus.ORPHANED, timeout=10)


def test_images_sessions_and_eval_in_a_session(start_images) -> None:
    a, b = start_images(2)
    rows = {row["name"]: row for row in run_json("images")}
    assert rows[a.name]["status"] == "connected" and rows[a.name]["dialect"] == "squeak"
    assert rows[b.name]["image_id"] == b.image_id

    code, sid = run("sessions", "create", "--image", a.name, "--label", "work")
    sid = sid.strip()
    assert code == 0
    assert run("eval", "--session", sid, "total := 6 * 7") == (0, "42\n")
    assert run("eval", "--session", "work", "total + 1") == (0, "43\n")
    assert run("eval", "--image", b.name, "total") == (0, "nil\n")
    code, out = run("eval", "--session", sid, "total foo", "--json")
    assert code == 1 and json.loads(out)["ok"] is False

    (listed,) = run_json("sessions", "list", "--image", a.name)
    assert listed["id"] == sid and listed["status"] == "active" and listed["label"] == "work"
    assert run_json("sessions", "stats", "--image", a.name)["total"] == 1
    shown = run_json("sessions", "show", "work")
    assert shown["variables"] == ["total"] and len(shown["history"]) == 3

    os.kill(a.pid, signal.SIGKILL)
    os.waitpid(a.pid, 0)
    asyncio.run(watch_until_orphaned(a.name))
    assert [s["id"] for s in run_json("sessions", "list", "--orphaned")] == [sid]
    events = [e["event"] for e in run_json("images", "history", a.name)]
    assert events[:2] == ["orphaned", "disconnected"] and "connected" in events

    code, out = run("sessions", "cleanup", input="n\n")
    assert code == 1 and "1 orphaned session(s) will be deleted" in out
    assert run_json("sessions", "list", "--orphaned")
    assert run_json("sessions", "cleanup", "--yes")["cleaned"] == 1
    assert run_json("sessions", "list", "--image", a.name) == []
    (record,) = run_json("sessions", "history")
    assert record["session_ids"] == [sid] and record["policy"] is False

    assert run("images", "remove", a.name)[0] == 0  # gone for good: forget it
    assert [r["name"] for r in run_json("images")] == [b.name]


def test_listings_change_nothing(start_images) -> None:
    (a,) = start_images(1)
    sid = run("sessions", "create", "--image", a.name)[1].strip()
    assert run("eval", "--session", sid, "1")[0] == 0
    before = (run_json("sessions", "list"), run_json("images", "history", a.name))
    for _ in range(2):
        assert run("images")[0] == 0
        assert run("sessions", "list")[0] == 0
        assert run("sessions", "show", sid)[0] == 0
    assert (run_json("sessions", "list"), run_json("images", "history", a.name)) == before


def test_expired_cleanup_asks_the_images(start_images) -> None:
    (a,) = start_images(1)
    assert run_json("sessions", "cleanup", "--expired") == [
        {"image": a.name, "cleaned": 0, "remaining": 0}
    ]


def test_added_images_are_first_class(start_images) -> None:
    (a,) = start_images(1)
    assert run("images", "add", "far", "--address", "nonsense", "--token", "t")[0] == 1
    assert run("images", "add", "../x", "--address", a.address, "--token", "t")[0] == 2
    assert run("images", "add", "far", "--address", a.address, "--token", a.token)[0] == 0
    code, out = run("images", "add", "far", "--address", a.address, "--token", a.token)
    assert code == 1 and "already registered" in out
    # eval and sessions work on an added image before `stui images` ever ran
    assert run("eval", "--image", "far", "3 + 4") == (0, "7\n")
    assert run("sessions", "create", "--image", "far", "--label", "remote")[0] == 0
    assert run("eval", "--session", "remote", "y := 5") == (0, "5\n")
    rows = {r["name"]: r for r in run_json("images")}
    assert rows["far"]["status"] == "connected"
    assert rows["far"]["duplicates"] == [a.name]  # the same image under two names
    # copied images: a session can be created for each of the two names
    assert run("sessions", "create", "--image", a.name)[0] == 0
    assert run("images", "remove", "far")[0] == 0
    assert run("images", "remove", "far")[0] == 3
    assert "far" not in [r["name"] for r in run_json("images")]
    code, out = run("sessions", "list", "--image", "nope")
    assert code == 3 and "no image named 'nope'" in out
    code, out = run("eval", "--session", "0" * 8, "3")
    assert code == 1 and "no session '00000000'" in out


def test_a_session_never_crosses_images(start_images) -> None:
    a, b = start_images(2)
    sid = run("sessions", "create", "--image", a.name, "--label", "on-a")[1].strip()
    assert run("eval", "--session", sid, "v := 1")[0] == 0
    code, out = run("eval", "--image", b.name, "--session", sid, "v")
    assert code == 1 and f"belongs to image {a.name}" in out
    assert run("eval", "--session", sid, "v") == (0, "1\n")


def test_a_restart_warns_once_about_lost_variables(start_images) -> None:
    (a,) = start_images(1)
    sid = run("sessions", "create", "--image", a.name)[1].strip()
    assert run("eval", "--session", sid, "x := 42. y := 1")[0] == 0
    launcher.stop_image(a.name)
    launcher.start_image(a.name)
    done = CliRunner().invoke(cli, ["eval", "--session", sid, "x"])
    assert done.exit_code == 0 and done.stdout == "nil\n"
    assert f"{a.name} restarted" in done.stderr and "lost: x, y" in done.stderr
    assert run("eval", "--session", sid, "z := 7")[0] == 0
    again = CliRunner().invoke(cli, ["eval", "--session", sid, "z"])
    assert (again.stdout, again.stderr) == ("7\n", "")  # said once; z survived
    events = [e["event"] for e in run_json("images", "history", a.name)]
    assert events[0] == "restarted"


def test_a_killed_eval_is_interrupted_in_the_image(start_images) -> None:
    (a,) = start_images(1)
    sid = run("sessions", "create", "--image", a.name)[1].strip()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        proc = subprocess.Popen([STUI, "eval", "--session", sid, "[true] whileTrue"])
        time.sleep(1.5)
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 130
        assert run("eval", "--session", sid, "3 + 4") == (0, "7\n")  # not busy


def test_interrupt_command(start_images) -> None:
    (a,) = start_images(1)
    sid = run("sessions", "create", "--image", a.name)[1].strip()
    proc = subprocess.Popen(
        [STUI, "eval", "--session", sid, "[true] whileTrue"], stderr=subprocess.PIPE
    )
    time.sleep(1.5)
    assert run_json("interrupt", "--session", sid)["was_running"] is True
    assert proc.wait(timeout=10) == 1
    proc.stderr.close()  # type: ignore[union-attr]


def test_bad_input_is_one_line(start_images) -> None:
    (a,) = start_images(1)
    bad_arg = subprocess.run([STUI.encode(), b"eval", b"\xff"], capture_output=True, timeout=30)
    assert bad_arg.returncode == 2
    assert bad_arg.stderr.strip() == b"stui: argument 2 is not valid UTF-8"
    bad_in = subprocess.run([STUI, "eval", "-"], input=b"'\xff'", capture_output=True, timeout=30)
    assert bad_in.returncode == 2 and b"not valid UTF-8" in bad_in.stderr
    assert b"Traceback" not in bad_in.stderr
    garbage = subprocess.run(
        [STUI, "images", "add", "g", "--address", "garbage", "--token", "t"],
        capture_output=True,
        timeout=30,
    )
    assert garbage.returncode == 1 and b"Traceback" not in garbage.stderr
    for args in (["images", "--json"], ["sessions", "list", "--json"], ["eval", "--json", "1"]):
        out = subprocess.run([STUI, *args], capture_output=True, timeout=30).stdout
        json.loads(out)  # exactly one document
    usage = subprocess.run([STUI, "ping", "--json", "--count", "0"], capture_output=True)
    assert usage.returncode == 2 and json.loads(usage.stdout)["error"] == "usage"
    assert a.name


def test_one_image_with_a_malformed_id_does_not_break_the_list(start_images) -> None:
    good, bad = start_images(2)
    launcher.stop_image(bad.name)
    image = launcher.images.image_dir(bad.name) / f"{bad.name}.image"
    launcher.launcher_for("squeak").stamp_identity(image, "not a valid id!")
    launcher.start_image(bad.name)
    code, out = run("images", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert code == 0
    assert rows[good.name]["status"] == "connected"
    assert rows[bad.name]["status"] == "disconnected"
    assert "image.image_id" in rows[bad.name]["last_error"]
    code, out = run("eval", "--image", bad.name, "1")
    assert code == 4 and "malformed 'welcome'" in out
