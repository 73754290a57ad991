"""Evaluating one piece of code in many images at once (docs/cross-image.md).

Each image runs the code in its own session (the image's latest, as a single `stui eval`
would), concurrently with the others. An image that cannot be reached, fails or times
out gets a row that says so; it never stops the other rows. The rows' history entries
are written together, in one store transaction, once every row is in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec

from stui.errors import InvalidInput, StuiError
from stui.protocol import EvalMode
from stui.tools.evaluate import DEFAULT_TIMEOUT, HistoryBatch, evaluate
from stui.tools.outcomes import Evaluated, Outcome, TimedOut
from stui.workbench import Workbench


class Unreached(msgspec.Struct, frozen=True, tag="unreached"):
    """The image could not be reached, or its session not opened: nothing ran there."""

    reason: str


RowOutcome = Outcome | Unreached


@dataclass(frozen=True)
class BroadcastRow:
    """One image's answer: its outcome and the wall time it took, connecting included."""

    image: str
    outcome: RowOutcome
    seconds: float
    session_id: str | None = None

    @property
    def ok(self) -> bool:
        return isinstance(self.outcome, Evaluated)


async def broadcast(
    wb: Workbench,
    images: Sequence[str],
    code: str,
    mode: EvalMode | str = EvalMode.PRINT,
    timeout: float | None = None,
) -> list[BroadcastRow]:
    """Evaluate code in every named image concurrently; one row per image, in order.

    `timeout` bounds each image's whole row (connecting, opening its session and the
    evaluation, which is interrupted in the image when the time runs out).
    """
    names = image_names(images)
    seconds = timeout or DEFAULT_TIMEOUT
    history = HistoryBatch(wb.sessions)
    try:
        rows = await asyncio.gather(
            *(_row(wb, name, code, EvalMode(mode), seconds, history) for name in names)
        )
    except BaseException:  # cancelled, say: what ran (or was interrupted) is recorded
        history.flush()
        raise
    refused = history.flush()
    return [_unrecorded(row, refused) for row in rows]


def _unrecorded(row: BroadcastRow, refused: dict[str, str]) -> BroadcastRow:
    """A row whose history entry the store refused says so, as a lone `stui eval` does."""
    reason = refused.get(row.session_id or "")
    if reason is None:
        return row
    return BroadcastRow(row.image, Unreached(reason), row.seconds, row.session_id)


def image_names(images: Iterable[str]) -> list[str]:
    """Names without blanks and repeats, in order; InvalidInput when none is left."""
    names = list(dict.fromkeys(n.strip() for n in images if n.strip()))
    if not names:
        raise InvalidInput("name at least one image")
    return names


def reachable_images(wb: Workbench) -> list[str]:
    """Every image this workbench can reach now: running locally or added by address
    (images only remembered from earlier runs are not)."""
    return sorted(v.name for v in wb.images() if v.source != "known" and v.address)


async def _row(
    wb: Workbench, name: str, code: str, mode: EvalMode, seconds: float, history: HistoryBatch
) -> BroadcastRow:
    started = time.perf_counter()
    try:
        handle = await asyncio.wait_for(wb.open_session(name), seconds)
    except TimeoutError:
        reason = f"no answer within {seconds:g} s while connecting"
        return BroadcastRow(name, Unreached(reason), time.perf_counter() - started)
    except StuiError as e:
        return BroadcastRow(name, Unreached(str(e)), time.perf_counter() - started)
    left = max(seconds - (time.perf_counter() - started), 0.001)
    outcome: RowOutcome = await evaluate(handle, code, mode, left, history=history)
    if isinstance(outcome, TimedOut):
        outcome = TimedOut(seconds, outcome.interrupted)
    return BroadcastRow(name, outcome, time.perf_counter() - started, handle.session_id)
