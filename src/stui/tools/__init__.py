"""Dialect-neutral IDE operations on a workbench session handle: the one seam the CLI
and the TUI call for work inside an image."""

from stui.tools.evaluate import assigned_variables, evaluate, interrupt
from stui.tools.outcomes import (
    Evaluated,
    Failed,
    Interrupted,
    Lost,
    Outcome,
    Refused,
    TimedOut,
    summary,
)

__all__ = [
    "Evaluated",
    "Failed",
    "Interrupted",
    "Lost",
    "Outcome",
    "Refused",
    "TimedOut",
    "assigned_variables",
    "evaluate",
    "interrupt",
    "summary",
]
