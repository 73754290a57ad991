"""Several real processes on one store: concurrent writers, and writers killed mid-write.

The worker side of these tests is this same file run as a script (see `main`), so the
processes are real Python processes using the real store on a real file.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stui.sessions import (
    HistoryEntry,
    OpenTool,
    SessionManager,
    SessionState,
    SessionStore,
)
from stui.sessions.state import encode_state

IMAGES = ("img-a", "img-b", "img-c")
CRASH_CLIENT = "c-crash"


def spawn(*args: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "STUI_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def checked_state(seed: int, size: int) -> SessionState:
    """A state whose parts vouch for each other, so a torn write would show."""
    rng = random.Random(seed)
    body = "".join(rng.choice("abcdé🦜\n ") for _ in range(size))
    sha = hashlib.sha256(body.encode()).hexdigest()
    return SessionState(
        buffers={"body": body, "sha": sha},
        history=[HistoryEntry(sha, "print", str(seed), datetime(2026, 1, 1, tzinfo=UTC))],
        tools=[OpenTool("inspector", sha)],
    )


def assert_complete(state: SessionState) -> None:
    if not state.buffers:  # a fresh session, never saved
        assert state == SessionState()
        return
    sha = hashlib.sha256(state.buffers["body"].encode()).hexdigest()
    assert state.buffers["sha"] == sha
    assert state.history[0].code == sha
    assert state.tools[0].target == sha


# -- two processes at once ----------------------------------------------------------


def test_two_processes_write_one_store_at_once(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"  # not created yet: both processes race to set it up
    go = tmp_path / "go"
    workers = [
        spawn("writer", str(path), client, str(go), "150", home=tmp_path)
        for client in ("c-one", "c-two")
    ]
    time.sleep(0.5)
    go.touch()
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert out.strip() == "done"
    with SessionStore(path) as store:
        assert store.integrity_check() == ["ok"]
        for client in ("c-one", "c-two"):
            manager = SessionManager(store, client)
            sessions = manager.list_sessions()
            assert len(sessions) == 150  # the 50 orphans of img-gone were cleaned up
            for info in sessions:
                assert_complete(manager.get_session(info.id).state)
            history = manager.cleanup_history()
            assert sum(record.cleaned for record in history) == 50
        events = SessionManager(store, "c-one").connection_history("img-a", limit=10_000)
        assert len(events) == 2 * 50 * 2  # each worker: 50 disconnections + 50 reconnections


def writer(path: Path, client: str, go: Path, count: int) -> None:
    while not go.exists():
        time.sleep(0.01)
    with SessionStore(path) as store:
        manager = SessionManager(store, client)
        for i in range(count):
            session = manager.create_session(IMAGES[i % len(IMAGES)], label=f"{client}-{i}")
            manager.save_state(session.id, checked_state(i, 2000))
            if i % 3 == 0:
                manager.handle_disconnection("img-a", f"{client} {i}")
                manager.handle_reconnection("img-a", "inst-1")
        for _ in range(50):
            manager.create_session("img-gone")
        manager.handle_disconnection("img-gone", "stopped")
        manager.mark_orphaned("img-gone")
        manager.cleanup_orphaned("img-gone")
    print("done")


# -- SIGKILL at random moments ------------------------------------------------------


def test_a_writer_killed_at_random_moments_leaves_a_consistent_store(tmp_path: Path) -> None:
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    path = tmp_path / "sessions.db"
    kills = 0
    for round_ in range(30):
        fresh = round_ < 8
        if fresh:  # aim at the first open: schema creation and migrations
            for leftover in tmp_path.glob("sessions.db*"):
                leftover.unlink()
        worker = spawn("loop", str(path), str(round_), home=tmp_path)
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "opening"
        time.sleep(rng.uniform(0, 0.02) if fresh else rng.uniform(0, 0.4))
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
        if worker.returncode == -signal.SIGKILL:
            kills += 1
        else:  # it must never stop on its own
            raise AssertionError(f"worker ended with {worker.returncode}: {worker.stderr}")
        check_consistent(path)
    assert kills == 30


def check_consistent(path: Path) -> None:
    with SessionStore(path) as store:
        assert store.integrity_check() == ["ok"]
        conn = store._conn
        assert conn is not None
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        manager = SessionManager(store, CRASH_CLIENT)
        sessions = manager.list_sessions()
        for info in sessions:
            session = manager.get_session(info.id)
            assert session.state_bytes == len(encode_state(session.state).encode())
            assert_complete(session.state)
        present = {info.id for info in sessions}
        for record in manager.cleanup_history():
            assert record.cleaned == len(record.session_ids)
            assert present.isdisjoint(record.session_ids)
        for image in manager.list_images():
            events = manager.connection_history(image.image_id, limit=1)
            if events:  # status and event are written in one transaction
                shown = "connected" if events[0].event == "restarted" else events[0].event
                assert image.status == shown
                if shown == "connected":  # only handle_reconnection here
                    assert image.instance_id == events[0].instance_id


def loop(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    print("opening", flush=True)
    with SessionStore(path) as store:
        manager = SessionManager(store, CRASH_CLIENT)
        step = 0
        while True:
            step += 1
            image = rng.choice(IMAGES)
            match rng.randrange(8):
                case 0 | 1 | 2:
                    session = manager.create_session(image)
                    manager.save_state(session.id, checked_state(step, rng.choice((100, 60_000))))
                case 3:
                    manager.handle_disconnection(image, f"step {step}")
                case 4:
                    manager.mark_orphaned(image)
                case 5:
                    manager.handle_reconnection(image, f"inst-{rng.randrange(3)}")
                case 6:
                    manager.cleanup_orphaned(
                        rng.choice((None, image)), rng.choice((None, timedelta(0)))
                    )
                case _:
                    for info in manager.list_sessions(image)[:3]:
                        if info.status != "closed":
                            manager.save_state(info.id, checked_state(step, 30_000))


def main(argv: list[str]) -> None:
    match argv:
        case ["writer", path, client, go, count]:
            writer(Path(path), client, Path(go), int(count))
        case ["loop", path, seed]:
            loop(Path(path), int(seed))
        case _:
            raise SystemExit(f"usage: {argv}")


if __name__ == "__main__":
    main(sys.argv[1:])
