"""What an evaluation came to, as one tagged union that every caller matches on."""

from __future__ import annotations

import msgspec


class Evaluated(msgspec.Struct, frozen=True, tag="evaluated"):
    value: str | None
    class_name: str
    truncated: bool
    elapsed_ms: int


class Failed(msgspec.Struct, frozen=True, tag="failed"):
    """The code did not compile (kind "syntax") or raised an error (kind "runtime")."""

    kind: str
    message: str
    position: int | None = None
    error_class: str | None = None
    receiver: str | None = None
    stack: tuple[str, ...] = ()


class TimedOut(msgspec.Struct, frozen=True, tag="timed_out"):
    seconds: float
    interrupted: bool  # whether the interrupt that followed reached the image


class Interrupted(msgspec.Struct, frozen=True, tag="interrupted"):
    """Stopped on request (Ctrl-C, Esc, a signal, `stui interrupt`)."""

    message: str


class Refused(msgspec.Struct, frozen=True, tag="refused"):
    """The image (or this client, before sending) refused the request."""

    code: str
    message: str


class Lost(msgspec.Struct, frozen=True, tag="lost"):
    """The link to the image went away; the evaluation may or may not have run."""

    reason: str


Outcome = Evaluated | Failed | TimedOut | Interrupted | Refused | Lost


def summary(outcome: Outcome) -> str | None:
    """One line for the session's history."""
    match outcome:
        case Evaluated(value=value):
            return value
        case Failed(kind=kind, message=message):
            return f"{kind} error: {message}"
        case TimedOut(seconds=seconds):
            return f"timed out after {seconds:g} s"
        case Interrupted(message=message):
            return f"interrupted: {message}"
        case Refused(code=code, message=message):
            return f"refused ({code}): {message}"
        case Lost(reason=reason):
            return f"connection lost: {reason}"


def timeout_message(outcome: TimedOut) -> str:
    """What the user reads of a timeout: whether the image stopped the evaluation."""
    tail = "; interrupted" if outcome.interrupted else "; the interrupt did not arrive"
    return f"timed out after {outcome.seconds:g} s{tail}"
