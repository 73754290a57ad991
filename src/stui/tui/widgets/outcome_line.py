"""The line under a tool that says how its last action went; hidden while empty."""

from __future__ import annotations

from textual.widgets import Static


class OutcomeLine(Static):
    """One tool's last word: a hint, or an error in the error colours."""

    DEFAULT_CSS = """
    OutcomeLine {
        display: none;
        height: auto;
        padding: 0 1;
    }
    OutcomeLine.shown {
        display: block;
    }
    OutcomeLine.error {
        color: $text-error;
        background: $error-muted;
    }
    """

    def show(self, text: str, error: bool = False) -> None:
        """Say text ("" hides the line)."""
        self.update(text)
        self.set_class(bool(text), "shown")
        self.set_class(error, "error")
