"""The cross-image keys in the real `stui` in tmux: Alt+Shift+E (print it in many images)
and Alt+Shift+F (the diff view) arrive intact and do their work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.tui.test_tmux_end_to_end import pytestmark, sidebar_line, stui_in_tmux

__all__ = ["pytestmark"]


@pytest.mark.slow
def test_cross_image_keys_arrive_through_tmux(start_images, stui_home: Path) -> None:
    start_images(2)
    with stui_in_tmux(stui_home) as tmux:
        tmux.wait(
            lambda s: (
                "connected" in sidebar_line(s, "img-0")
                and "connected" in sidebar_line(s, "img-1")
                and "Do it" in s
            ),
            what="start-up",
        )
        time.sleep(0.5)
        tmux.type("3 + 4")
        tmux.keys("M-E")  # Alt+Shift+E arrives as ESC E
        tmux.wait(lambda s: "Print it in many images" in s, what="the images dialog")
        tmux.keys("Enter")
        screen = tmux.wait(lambda s: "PRINT IT IN 2 IMAGES" in s, what="the rows")
        rows = [line.split() for line in screen.splitlines() if " ms " in line]
        assert [(row[0], row[-1]) for row in rows] == [("img-0", "7"), ("img-1", "7")]
        tmux.keys("Escape")
        tmux.wait(lambda s: "PRINT IT IN" not in s, what="back to the workspace")
        tmux.keys("M-F")  # Alt+Shift+F
        tmux.wait(lambda s: "Compare the code of two images" in s, what="the diff dialog")
        tmux.keys("Escape")
