"""The tools of part 2 in the real `stui` in tmux, as a person uses them: define a class
and its methods in the browser, call them from the workspace, find a method's senders
and open one, inspect a collection and drill into an element, watch Transcript output,
save the image (F6), stop and start it: the class is still there. (The debugger's steps
of the issue's end-to-end story are left to the debugger's own test.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.tui.test_tmux_end_to_end import Tmux, sidebar_line

DEFINITION = (
    "Object subclass: #E2eCounter instanceVariableNames: 'count' "
    "classVariableNames: '' poolDictionaries: '' category: 'E2e-Demo'"
)


def clear_editor(tmux: Tmux, lines: int = 8) -> None:
    """Empty the focused editor from its first line: Ctrl+K deletes to the line end, and
    the empty line on a second press."""
    for _ in range(2 * lines):
        tmux.keys("C-k")


def connected(text: str) -> bool:
    return sidebar_line(text, "img-0").strip().startswith("connected")


def name_row(text: str, name: str) -> str:
    """The sidebar line with the image's name (and its unsaved mark)."""
    return next((line[:34] for line in text.splitlines() if f" {name}" in line[:34]), "")


@pytest.mark.slow
def test_the_tools_in_tmux(start_images, stui_home: Path) -> None:
    start_images(1)
    config = stui_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text("ping_interval = 0.2\n")
    tmux = Tmux(stui_home)
    tmux.start()
    try:
        tmux.wait(
            lambda s: "connected" in sidebar_line(s, "img-0") and "Do it" in s, what="start-up"
        )
        time.sleep(0.5)
        # 1. define a class in the browser, and add two methods
        tmux.keys("M-o")
        tmux.wait(lambda s: "no class" in s and "Scrat" in s, what="the browser")
        tmux.keys("M-k")
        tmux.wait(lambda s: "NameOfSubclass" in s, what="the class template")
        clear_editor(tmux)
        tmux.type(DEFINITION)
        tmux.keys("C-s")
        tmux.wait(lambda s: "E2eCounter definition" in s, what="the class defined")
        for method, shown in (
            ("double: x ^ x * 2", "E2eCounter >>double:"),
            ("quadruple: x ^ self double: (self double: x)", "E2eCounter >>quadruple:"),
        ):
            tmux.keys("M-y")
            tmux.wait(lambda s: "messageSelectorAndArgumentNames" in s, what="method template")
            clear_editor(tmux)
            tmux.type(method)
            tmux.keys("C-s")
            tmux.wait(lambda s, shown=shown: shown in s, what=f"{shown} compiled")
        # 2. call it from the workspace
        tmux.keys("M-e")
        tmux.type("E2eCounter new quadruple: 5")
        tmux.keys("C-p")
        tmux.wait(lambda s: "quadruple: 5 20" in s, what="the result printed")
        # 3. the senders of double:, and open one in the browser
        tmux.keys("End")
        tmux.keys("Enter")
        tmux.type("double:")
        tmux.keys("M-n")
        tmux.wait(lambda s: "Senders of double:" in s and "quadruple:" in s, what="senders")
        tmux.keys("Enter")
        tmux.wait(lambda s: "E2eCounter >>quadruple:" in s, what="the sender in the browser")
        # 4. inspect a collection and drill into an element
        tmux.keys("M-e")
        tmux.keys("End")
        tmux.keys("Enter")
        tmux.type("#(10 20 30) collect: [:i | i @ (i + 1)]")
        tmux.keys("M-i")
        tmux.wait(lambda s: "[2]: 20@21" in s, what="the inspector")
        tmux.keys("Down")
        tmux.keys("Down")
        tmux.keys("Enter")
        tmux.wait(lambda s: "Point: 20@21" in s and "y: 21" in s, what="the element")
        # 5. Transcript output
        tmux.keys("M-e")
        tmux.keys("End")
        tmux.keys("Enter")
        tmux.type("Transcript show: 'hello from e2e'; cr")
        tmux.keys("C-d")
        time.sleep(0.5)
        tmux.keys("M-l")
        tmux.wait(
            lambda s: (
                any(line.strip().endswith("hello from e2e") for line in s.splitlines())
                and "following" in s
            ),
            what="the Transcript",
        )
        # 6. save (F6): the unsaved mark goes; stop and start: the class is still there
        tmux.wait(lambda s: "✎" in name_row(s, "img-0"), what="the unsaved mark")
        tmux.keys("F6")
        tmux.wait(lambda s: "✎" not in name_row(s, "img-0"), timeout=20, what="saved")
        tmux.keys("F9")
        tmux.wait(lambda s: not connected(s), timeout=20, what="stop")
        tmux.keys("F8")
        tmux.wait(connected, timeout=30, what="start")
        tmux.keys("M-e")
        time.sleep(1.0)
        tmux.keys("End")
        tmux.keys("Enter")
        tmux.type("E2eCounter new double: 4")
        tmux.keys("C-p")
        tmux.wait(lambda s: "double: 4 8" in s, timeout=15, what="the class after a restart")
        tmux.keys("C-q")
    finally:
        tmux.kill()
