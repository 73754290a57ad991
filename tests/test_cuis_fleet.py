"""Squeak and Cuis images side by side under one client: identities with their dialect,
sessions in each, and a Cuis VM killed with SIGKILL seen as fast as a Squeak one."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from stui import tools
from stui.cli.main import cli
from stui.images.health import HealthPolicy
from stui.launcher.runtime import RuntimeInfo
from stui.status import ConnectionStatus as S
from stui.workbench import Workbench, WorkbenchConfig

FAST = HealthPolicy(interval=0.2, late_after=0.15, miss_limit=2, orphan_after=1.5,
                    backoff_initial=0.05, backoff_max=0.3, discover_every=0.2)  # fmt: skip
CLIENT = "c-" + "c" * 32


class Fleet:
    """One client watching every local image, Squeak and Cuis alike."""

    def __init__(self, home: Path) -> None:
        config = WorkbenchConfig(health=FAST, store_path=home / "sessions.db", client_id=CLIENT)
        self.workbench = Workbench(config)

    async def value(self, name: str, code: str) -> str | None:
        handle = await self.workbench.open_session(name)
        outcome = await tools.evaluate(handle, code)
        assert isinstance(outcome, tools.Evaluated), outcome
        return outcome.value


@pytest.fixture
async def fleet(stui_home: Path) -> AsyncIterator[Fleet]:
    f = Fleet(stui_home)
    await f.workbench.start()
    yield f
    await f.workbench.stop()


async def test_three_squeak_and_two_cuis_images_run_under_one_client(
    start_images: Callable[..., list[RuntimeInfo]],
    start_cuis_images: Callable[..., list[RuntimeInfo]],
    fleet: Fleet,
) -> None:
    squeaks = start_images(3, prefix="sq")
    cuises = start_cuis_images(2, prefix="cu")
    for info in (*squeaks, *cuises):
        view = await fleet.workbench.wait_for(info.name, S.CONNECTED, timeout=10)
        assert view.image_id == info.image_id
        assert view.dialect == info.dialect
    assert await fleet.value(cuises[0].name, "(3/4) class") == "Fraction"
    assert await fleet.value(squeaks[0].name, "(3/4) class") == "Float"
    listing = CliRunner().invoke(cli, ["image", "list"]).output
    for info in (*squeaks, *cuises):
        line = next(row for row in listing.splitlines() if row.startswith(info.name))
        assert line.split()[-1] == info.dialect and "running" in line
    images = (await asyncio.to_thread(CliRunner().invoke, cli, ["images"])).output
    for info in (*squeaks, *cuises):
        line = next(row for row in images.splitlines() if row.startswith(info.name))
        assert line.split()[1:3] == ["connected", info.dialect]


async def test_kill_9_of_a_cuis_image_is_detected(
    start_cuis_images: Callable[..., list[RuntimeInfo]], fleet: Fleet
) -> None:
    victim, other = start_cuis_images(2)
    for info in (victim, other):
        await fleet.workbench.wait_for(info.name, S.CONNECTED, timeout=10)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await fleet.workbench.wait_for(victim.name, S.DISCONNECTED, S.ORPHANED, timeout=5)
    assert time.monotonic() - killed_at < 3.0
    assert fleet.workbench.image(other.name).status is S.CONNECTED
    os.waitpid(victim.pid, 0)
