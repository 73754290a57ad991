"""Running a command's async body on a workbench, with signals that interrupt cleanly.

SIGINT, SIGTERM and SIGHUP cancel the body; an evaluation that is cancelled interrupts
itself in the image first (tools.evaluate), so no evaluation is left running.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from stui.workbench import Workbench, WorkbenchConfig

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(Exception):
    """The command was stopped by a signal; main exits 130."""


def run(body: Callable[[Workbench], Awaitable[T]], config: WorkbenchConfig | None = None) -> T:
    return asyncio.run(_main(body, config or WorkbenchConfig(watch=False)))


def open_workbench() -> Workbench:
    """A workbench for synchronous commands that only read or write the store."""
    return Workbench(WorkbenchConfig(watch=False))


async def _main(body: Callable[[Workbench], Awaitable[T]], config: WorkbenchConfig) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    signalled: list[int] = []

    def cancel(sig: int) -> None:
        signalled.append(sig)
        task.cancel()

    # Signal handlers can only be set from the main thread (a test may run a command
    # in another); there a signal keeps Python's default behaviour.
    handled = SIGNALS if threading.current_thread() is threading.main_thread() else ()
    for sig in handled:
        loop.add_signal_handler(sig, cancel, sig)
    try:
        async with Workbench(config) as workbench:
            return await body(workbench)
    except asyncio.CancelledError:
        if signalled:
            raise Interrupted(signal.Signals(signalled[0]).name) from None
        raise
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
