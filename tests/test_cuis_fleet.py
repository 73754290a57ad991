"""Squeak and Cuis images side by side under one workbench: identities with their
dialect, evaluation in each, and a Cuis VM killed with SIGKILL seen as fast as a Squeak one."""

from __future__ import annotations

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


@pytest.fixture
async def workbench(stui_home: Path) -> AsyncIterator[Workbench]:
    config = WorkbenchConfig(health=FAST, store_path=stui_home / "sessions.db", client_id=CLIENT)
    wb = Workbench(config)
    await wb.start()
    yield wb
    await wb.stop()


async def value(workbench: Workbench, name: str, code: str) -> str | None:
    session = await workbench.create_session(name, label=f"ws-{name}")
    handle = await workbench.open_session(name, session.id)
    match await tools.evaluate(handle, code):
        case tools.Evaluated(value=found):
            return found
        case other:
            raise AssertionError(f"{code!r} in {name}: {other}")


async def test_three_squeak_and_two_cuis_images_run_under_one_workbench(
    start_images: Callable[..., list[RuntimeInfo]],
    start_cuis_images: Callable[..., list[RuntimeInfo]],
    workbench: Workbench,
) -> None:
    squeaks = start_images(3, prefix="sq")
    cuises = start_cuis_images(2, prefix="cu")
    for info in (*squeaks, *cuises):
        await workbench.wait_for(info.name, S.CONNECTED, timeout=10)
        entry = workbench.registry.get(info.name)
        assert entry.image_id == info.image_id
        assert entry.identity.dialect == info.dialect
    assert await value(workbench, cuises[0].name, "(3/4) class") == "Fraction"
    assert await value(workbench, squeaks[0].name, "(3/4) class") == "Float"
    listing = CliRunner().invoke(cli, ["image", "list"]).output
    for info in (*squeaks, *cuises):
        line = next(row for row in listing.splitlines() if row.startswith(info.name))
        assert line.split()[-1] == info.dialect and "running" in line


async def test_kill_9_of_a_cuis_image_is_detected(
    start_cuis_images: Callable[..., list[RuntimeInfo]], workbench: Workbench
) -> None:
    victim, other = start_cuis_images(2)
    for info in (victim, other):
        await workbench.wait_for(info.name, S.CONNECTED, timeout=10)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await workbench.wait_for(victim.name, S.DISCONNECTED, S.ORPHANED, timeout=5)
    assert time.monotonic() - killed_at < 3.0
    assert workbench.registry.get(other.name).status is S.CONNECTED
    os.waitpid(victim.pid, 0)
