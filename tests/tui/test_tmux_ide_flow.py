"""The real `stui` in tmux, used as a Smalltalk IDE with keys only (issue 11's end-to-end
test): define a class and a method with a bug in the browser, call it from the
workspace, fix it in the debugger and proceed, find senders, inspect and drill down,
watch the Transcript, save, stop and start the image: the class is still there."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from tests.tui.test_tmux_end_to_end import Tmux, sidebar_line, stui_in_tmux

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
    pytest.mark.timeout(240),
]

DEFINITION = (
    "Object subclass: #StuiFlow instanceVariableNames: '' classVariableNames: '' "
    "poolDictionaries: '' category: 'StuiFlow'"
)
BUGGY = ("total: aCollection", "^ (aCollection inject: 0 into: [:a :b | a + b]) bogus")
FIXED = ("total: aCollection", "^ aCollection inject: 0 into: [:a :b | a + b]")
REPORT = ("report", "^ self total: #(1 2 3)")


def replace_editor_text(tmux: Tmux, lines: tuple[str, ...]) -> None:
    """Empty the editor (Ctrl+A selects all, as in Squeak) and type the lines."""
    tmux.keys("C-a", "BSpace")
    for i, line in enumerate(lines):
        if i:
            tmux.keys("Enter")
        tmux.type(line)
    tmux.keys("Escape")  # a completion popup that may have opened


def status(screen: str) -> str:
    """img-0's status word in the sidebar."""
    words = sidebar_line(screen, "img-0").split()
    return words[0] if words else ""


def to_workspace(tmux: Tmux) -> None:
    """Alt+E, again if need be: Alt+E travels as ESC e, and on a loaded machine the two
    may reach the app far enough apart to be read as Escape, then e."""
    for _ in range(3):
        tmux.keys("M-e")
        try:
            tmux.wait(lambda s: "▎ Workspace 1" in s, 3, "the workspace")
            return
        except AssertionError:
            pass
    raise AssertionError("Alt+E never brought the workspace")


def new_line(tmux: Tmux, text: str) -> None:
    """In the workspace: a new line at the end, holding text."""
    tmux.keys("End")  # past a printed result, which is selected
    tmux.keys("Enter")
    tmux.type(text)
    tmux.keys("Escape")


@pytest.mark.slow
def test_a_person_uses_stui_as_an_ide_in_tmux(start_images, stui_home: Path) -> None:
    start_images(1)
    with stui_in_tmux(stui_home) as tmux:
        tmux.wait(lambda s: status(s) == "connected" and "Do it" in s, 15, "up")
        time.sleep(0.5)

        # 1. the browser: a new class, then a method with a bug and one that calls it
        tmux.keys("M-o")
        tmux.wait(lambda s: "no class" in s and "╭" in s, what="the browser")
        tmux.keys("M-k")
        tmux.wait(lambda s: "NameOfSubclass" in s, what="the class template")
        replace_editor_text(tmux, (DEFINITION,))
        tmux.keys("C-s")
        tmux.wait(lambda s: "StuiFlow defined" in s, what="the class defined")
        for method in (BUGGY, REPORT):
            tmux.keys("M-y")
            tmux.wait(lambda s: "messageSelectorAndArgumentNames" in s, what="method template")
            replace_editor_text(tmux, method)
            tmux.keys("C-s")
            selector = method[0].split()[0]
            tmux.wait(lambda s, sel=selector: f"StuiFlow >>{sel}" in s, what=f"{selector} accepted")

        # 2. call it from the workspace: the debugger opens on the bug
        to_workspace(tmux)
        tmux.type("StuiFlow new report")
        tmux.keys("Escape")
        tmux.keys("C-p")
        screen = tmux.wait(lambda s: "#bogus" in s and "Stack" in s, 10, "the debugger")
        assert "doesNotUnderstand:" in screen and "StuiFlow>>total:" in screen

        # 3. fix the method in the debugger, accept (the frame restarts), proceed
        tmux.keys("Tab")  # stack -> variables
        tmux.keys("Tab")  # variables -> the frame's source
        replace_editor_text(tmux, FIXED)
        tmux.keys("C-s")
        tmux.wait(
            lambda s: "Stack" in s and "bogus" not in s.split("Stack")[-1], what="the fixed frame"
        )
        tmux.keys("M-P")  # Alt+Shift+P: proceed
        tmux.wait(lambda s: "StuiFlow new report 6" in s, what="the right result")

        # 4. senders of total:, open one
        new_line(tmux, "total:")
        tmux.keys("M-n")
        tmux.wait(lambda s: "Senders of total:" in s, what="the senders")
        tmux.keys("Enter")
        tmux.wait(lambda s: "^ self total: #(1 2 3)" in s, what="report in the browser")

        # 5. inspect a collection, drill into an element
        to_workspace(tmux)
        new_line(tmux, "Array with: 3 @ 4 with: 5 @ 6")
        tmux.keys("M-i")
        tmux.wait(lambda s: "[1]: 3@4" in s, what="the inspector")
        tmux.keys("Down")
        tmux.keys("Enter")
        tmux.wait(lambda s: "Point: 3@4" in s and "x: 3" in s, what="the element inspected")

        # 6. Transcript show: appears in the Transcript
        to_workspace(tmux)
        new_line(tmux, "Transcript show: 'hello from the flow'; cr")
        tmux.keys("C-d")
        tmux.keys("M-l")
        tmux.wait(lambda s: "hello from the flow" in s, what="the Transcript line")

        # 7. save, stop and start: the class and its fixed method are still there
        to_workspace(tmux)
        tmux.keys("F6")
        tmux.wait(lambda s: "img-0 saved" in s, 30, "the save")
        tmux.keys("F9")
        tmux.wait(lambda s: status(s) != "connected", 20, "stopped")
        tmux.keys("F8")
        tmux.wait(lambda s: status(s) == "connected", 40, "started again")
        time.sleep(1.0)
        new_line(tmux, "StuiFlow new report")
        tmux.keys("C-p")
        tmux.wait(lambda s: s.count("StuiFlow new report 6") == 2, 20, "the class kept")


@pytest.mark.slow
def test_browse_it_and_find_a_class_arrive_through_tmux(start_images, stui_home: Path) -> None:
    """Alt+B and Alt+F would arrive as word moves (ESC b, ESC f): browse it is
    Alt+Shift+B and find a class Ctrl+F, and both work in the real terminal."""
    start_images(1)
    with stui_in_tmux(stui_home) as tmux:
        tmux.wait(lambda s: status(s) == "connected" and "Do it" in s, 15, "up")
        time.sleep(0.5)
        tmux.type("Point")
        tmux.keys("Left")  # inside the word
        tmux.keys("M-B")  # Alt+Shift+B arrives as ESC B
        tmux.wait(lambda s: "Graphics-Primitives" in s, what="Point in the browser")
        tmux.keys("C-f")
        tmux.wait(lambda s: "Find a class in img-0" in s, what="the find dialog")
        tmux.type("OrderedCollection")
        tmux.keys("Enter")
        tmux.wait(lambda s: "Collections-Sequenceable" in s, what="the class found")
