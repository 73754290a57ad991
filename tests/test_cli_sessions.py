"""`stui images`, `stui sessions` and `stui eval --session` as a user runs them."""

from __future__ import annotations

import json
import os
import signal

from click.testing import CliRunner

from stui.cli.main import cli


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.output


def test_images_sessions_and_eval_in_a_session(start_images) -> None:
    a, b = start_images(2)
    code, out = run("images", "--json")
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert code == 0 and rows[a.name]["status"] == "connected"
    assert rows[b.name]["image_id"] == b.image_id

    code, sid = run("sessions", "create", "--image", a.name, "--label", "work")
    sid = sid.strip()
    assert code == 0
    assert run("eval", "--session", sid, "total := 6 * 7") == (0, "42\n")
    assert run("eval", "--session", sid, "total + 1") == (0, "43\n")
    assert run("eval", "--image", b.name, "total") == (0, "nil\n")
    code, out = run("eval", "--session", sid, "total foo", "--json")
    assert code == 1 and json.loads(out)["ok"] is False

    code, out = run("sessions", "list", "--image", a.name, "--json")
    (listed,) = map(json.loads, out.splitlines())
    assert listed["id"] == sid and listed["status"] == "active" and listed["label"] == "work"
    code, out = run("sessions", "stats", "--image", a.name, "--json")
    assert json.loads(out)["total"] == 1

    code, out = run("images")
    assert code == 0 and "connected" in out and a.name in out

    os.kill(a.pid, signal.SIGKILL)
    os.waitpid(a.pid, 0)
    code, out = run("images", "--orphan-after", "0", "--json")
    rows = {row["name"]: row for row in map(json.loads, out.splitlines())}
    assert rows[a.name]["status"] == "orphaned"
    assert rows[b.name]["status"] == "connected"
    code, out = run("sessions", "list", "--orphaned", "--json")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [sid]
    code, out = run("images", "history", a.name, "--json")
    events = [json.loads(line)["event"] for line in out.splitlines()]
    assert events[:2] == ["orphaned", "disconnected"] and "connected" in events

    code, out = run("sessions", "cleanup", input="n\n")
    assert code == 1 and "1 orphaned session(s) will be deleted" in out
    assert run("sessions", "list", "--orphaned", "--json")[1].strip()
    code, out = run("sessions", "cleanup", "--yes", "--json")
    assert code == 0 and json.loads(out)["cleaned"] == 1
    assert run("sessions", "list", "--json") == (0, "")
    code, out = run("sessions", "history", "--json")
    (record,) = map(json.loads, out.splitlines())
    assert record["session_ids"] == [sid] and record["policy"] is False

    assert run("images", "remove", a.name)[0] == 0  # gone for good: forget it
    names = [json.loads(r)["name"] for r in run("images", "--json")[1].splitlines()]
    assert names == [b.name]


def test_expired_cleanup_asks_the_images(start_images) -> None:
    (a,) = start_images(1)
    code, out = run("sessions", "cleanup", "--expired", "--json")
    assert code == 0 and json.loads(out) == {"image": a.name, "cleaned": 0, "remaining": 0}


def test_added_image_and_bad_input(start_images) -> None:
    (a,) = start_images(1)
    assert run("images", "add", "far", "--address", "nonsense", "--token", "t")[0] == 1
    assert run("images", "add", "../x", "--address", a.address, "--token", "t")[0] == 1
    assert run("images", "add", "far", "--address", a.address, "--token", a.token)[0] == 0
    code, out = run("images", "add", "far", "--address", a.address, "--token", a.token)
    assert code == 1 and "already registered" in out
    rows = {r["name"]: r for r in map(json.loads, run("images", "--json")[1].splitlines())}
    assert rows["far"]["status"] == "connected"
    assert rows["far"]["duplicates"] == [a.name]  # the same image under two names
    assert run("images", "remove", "far")[0] == 0
    assert run("images", "remove", "far")[0] == 1
    names = [json.loads(r)["name"] for r in run("images", "--json")[1].splitlines()]
    assert "far" not in names and a.name in names
    code, out = run("sessions", "list", "--image", "nope")
    assert code == 1 and "no image named 'nope'" in out
    code, out = run("eval", "--session", "0" * 8, "3")
    assert code == 4 and "no session 00000000" in out
