"""The real `stui` in tmux, driven as a person would: keys in, screen text out."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

STUI = Path(sys.executable).with_name("stui")


class Tmux:
    def __init__(self, home: Path) -> None:
        self.name = f"stui-e2e-{uuid.uuid4().hex[:8]}"
        self.home = home

    def start(self) -> None:
        # COLUMNS and LINES, when set, win over the pane's size: a library in this
        # process may have put them in the environment that the tmux server inherits.
        command = f"env -u COLUMNS -u LINES STUI_HOME={self.home} TERM=xterm-256color {STUI}"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "36", command],
            check=True,
        )

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(
            ["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True
        )
        time.sleep(0.15)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def screen(self) -> str:
        done = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return done.stdout

    def wait(self, predicate: Callable[[str], bool], timeout: float = 10.0, what: str = "") -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return (
            subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode
            == 0
        )

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)

    def quit(self, timeout: float = 5.0) -> None:
        """Ctrl+Q, then wait for the app (and so the session) to end."""
        self.keys("C-q")
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)


@contextmanager
def stui_in_tmux(home: Path, config: str = "ping_interval = 0.2\n") -> Iterator[Tmux]:
    """The app in a new tmux session, with a config that makes images show up fast; it is
    quit after the block and its session killed whatever happened."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(config)
    tmux = Tmux(home)
    tmux.start()
    try:
        yield tmux
        tmux.quit()
    finally:
        tmux.kill()


def sidebar_line(text: str, name: str) -> str:
    """The status line under an image's name in the sidebar."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if f" {name}" in line[:34] and i + 1 < len(lines):
            return lines[i + 1][:34]
    return ""


@pytest.mark.slow
def test_a_person_uses_stui_in_tmux(start_images, stui_home: Path) -> None:
    infos = start_images(3)
    config = stui_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("ping_interval = 0.2\norphan_after = 2\n")
    tmux = Tmux(stui_home)
    tmux.start()
    try:
        tmux.wait(
            lambda s: "connected" in sidebar_line(s, "img-0") and "Do it" in s, what="start-up"
        )
        time.sleep(0.5)
        # 1. x := 42 in image 1
        tmux.type("x := 42")
        tmux.keys("C-d")
        time.sleep(0.5)
        # 2. switch to image 2 and evaluate there
        tmux.keys("M-2")
        tmux.wait(lambda s: "● img-1  connected" in s, what="switch to img-1")
        time.sleep(0.3)
        tmux.type("3 + 4")
        tmux.keys("C-p")
        tmux.wait(lambda s: "3 + 4 7" in s, what="print it in img-1")
        # 3. back to image 1: the text and x are still there
        tmux.keys("M-1")
        screen = tmux.wait(lambda s: "● img-0  connected" in s, what="back to img-0")
        assert "x := 42" in screen and "3 + 4" not in screen
        tmux.keys("End")
        tmux.keys("Enter")
        tmux.type("x")
        tmux.keys("C-p")
        tmux.wait(lambda s: "x 42" in s, what="x is still 42")
        # 4. kill -9 image 2: disconnected within 3 s, one notice
        os.kill(infos[1].pid, signal.SIGKILL)
        killed = time.monotonic()
        screen = tmux.wait(
            lambda s: "disconnected" in sidebar_line(s, "img-1"), timeout=3, what="disconnected"
        )
        assert time.monotonic() - killed < 3
        time.sleep(1.0)
        assert tmux.screen().count("img-1 went away") == 1
        time.sleep(1.5)  # orphaned after 2 s; the workspace is saved by then
        # 5. quit and restart: workspaces and session restored
        tmux.keys("C-q")
        deadline = time.monotonic() + 10
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not tmux.alive()
        tmux.start()
        screen = tmux.wait(
            lambda s: "connected" in sidebar_line(s, "img-0") and "Do it" in s, what="restart"
        )
        tmux.wait(lambda s: "x := 42" in s and "x 42" in s, what="workspace restored")
        assert "orphaned" in sidebar_line(screen, "img-1")
        # 6. clean up the orphaned sessions from the sessions panel, with confirmation
        tmux.keys("F3")
        screen = tmux.wait(lambda s: "SESSIONS" in s and "orphaned" in s, what="sessions panel")
        rows = screen.splitlines()
        header = next(i for i, line in enumerate(rows) if "▾ img-1" in line)
        cursor = next(i for i, line in enumerate(rows) if "▾ img-0" in line)
        for _ in range(header - cursor):
            tmux.keys("Down")
        tmux.keys("o")
        tmux.wait(lambda s: "Clean up orphaned sessions" in s, what="confirmation")
        tmux.keys("y")
        screen = tmux.wait(lambda s: "Cleaned up 1 orphaned session" in s, what="cleanup done")
        tmux.keys("h")
        tmux.wait(lambda s: "Cleanup history" in s and "img-1" in s, what="cleanup history")
        tmux.keys("Escape")
        tmux.keys("C-q")
    finally:
        tmux.kill()
