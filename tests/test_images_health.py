"""Many real images at once: identity, health, reconnection, orphaned sessions."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from stui import launcher, paths, tools
from stui.images.health import HealthPolicy
from stui.protocol.errors import EvaluationFailed
from stui.sessions.manager import SessionManager
from stui.sessions.state import SessionState
from stui.sessions.store import SessionStore
from stui.status import ConnectionStatus as S
from stui.transport import ImageClient
from stui.workbench import Workbench, WorkbenchConfig

FAST = HealthPolicy(interval=0.2, late_after=0.15, miss_limit=2, orphan_after=1.5,
                    backoff_initial=0.05, backoff_max=0.3, discover_every=0.2)  # fmt: skip
CLIENT = "c-" + "a" * 32


def make_manager(home: Path, client: str = CLIENT) -> SessionManager:
    return SessionManager(SessionStore(home / "sessions.db"), client)


class Client:
    """One STUI client process: a workbench watching the images."""

    def __init__(self, home: Path, policy: HealthPolicy = FAST, client: str = CLIENT) -> None:
        config = WorkbenchConfig(health=policy, store_path=home / "sessions.db", client_id=client)
        self.workbench = Workbench(config)
        self.manager = self.workbench.sessions
        self.registry = self.workbench.registry

    def conn(self, name: str) -> ImageClient:
        monitor = self.workbench._monitor
        assert monitor is not None
        conn = monitor.client(name)
        assert conn is not None, f"{name} is not connected"
        return conn

    async def wait(self, name: str, *statuses: S, timeout: float = 10.0):
        await self.workbench.wait_for(name, *statuses, timeout=timeout)
        return self.registry.get(name)

    async def session(self, name: str) -> str:
        """A new client session on an image, with its image-side session made."""
        session = await self.workbench.create_session(name, label=f"ws-{name}")
        await self.value(name, session.id, "nil")
        return session.id

    async def value(self, name: str, session_id: str, code: str) -> str | None:
        handle = await self.workbench.open_session(name, session_id)
        match await tools.evaluate(handle, code):
            case tools.Evaluated(value=value):
                return value
            case tools.Failed(message=message):
                return f"error: {message}"
            case other:
                return f"error: {other}"


@pytest.fixture
async def client(stui_home: Path) -> AsyncIterator[Client]:
    c = Client(stui_home)
    await c.workbench.start()
    yield c
    await c.workbench.stop()


async def test_six_images_connect_with_distinct_identities(start_images, client: Client) -> None:
    infos = start_images(6)
    for info in infos:
        entry = await client.wait(info.name, S.CONNECTED)
        assert entry.identity.image_id == info.image_id
        assert entry.identity.pid == info.pid
    ids = {client.registry.get(i.name).identity.instance_id for i in infos}
    assert len(ids) == 6
    await asyncio.sleep(0.5)
    for info in infos:
        latency = client.registry.get(info.name).latency
        assert latency.count >= 2 and latency.p99 < 0.15


async def test_isolation_between_images_sessions_and_clients(
    start_images, client: Client, stui_home: Path
) -> None:
    a, b = start_images(2)
    await client.wait(a.name, S.CONNECTED)
    await client.wait(b.name, S.CONNECTED)
    s1 = await client.session(a.name)
    s2 = await client.session(a.name)
    sb = await client.session(b.name)
    assert await client.value(a.name, s1, "secret := 42") == "42"
    assert await client.value(a.name, s1, "secret + 1") == "43"
    assert await client.value(a.name, s2, "secret") == "nil"
    assert await client.value(b.name, sb, "secret") == "nil"
    other = Client(stui_home / "other", client="c-" + "b" * 32)
    await other.workbench.start()
    try:
        await other.wait(a.name, S.CONNECTED)
        so = await other.session(a.name)
        assert await other.value(a.name, so, "secret") == "nil"
        stolen = client.manager.get_session(s1).image_session_id
        with pytest.raises(Exception, match="no_session"):
            await other.conn(a.name).evaluate("secret", session=stolen)
    finally:
        await other.workbench.stop()


async def test_kill_disconnects_fast_orphans_then_cleanup(start_images, client: Client) -> None:
    victim, *others = start_images(3)
    for info in (victim, *others):
        await client.wait(info.name, S.CONNECTED)
    doomed = [await client.session(victim.name) for _ in range(2)]
    kept = await client.session(others[0].name)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await client.wait(victim.name, S.DISCONNECTED, S.ORPHANED, timeout=5)
    detected = time.monotonic() - killed_at
    assert detected < 3.0
    for info in others:
        assert client.registry.get(info.name).status is S.CONNECTED
    await client.wait(victim.name, S.ORPHANED, timeout=FAST.orphan_after + 5)
    image_id = client.registry.get(victim.name).image_id
    orphaned = client.manager.list_sessions(image_id, ["orphaned"])
    assert sorted(s.id for s in orphaned) == sorted(doomed)
    record = client.manager.cleanup_orphaned(image_id)
    assert sorted(record.session_ids) == sorted(doomed) and record.cleaned == 2
    assert client.manager.cleanup_history(image_id)[0].id == record.id
    assert client.manager.get_session(kept).status == "active"
    os.waitpid(victim.pid, 0)


async def test_restart_gets_new_instance_and_restores_client_state(
    start_images, client: Client
) -> None:
    (info,) = start_images(1)
    first = await client.wait(info.name, S.CONNECTED)
    old_instance = first.identity.instance_id
    sid = await client.session(info.name)
    assert await client.value(info.name, sid, "kept := 7") == "7"
    state = SessionState(buffers={"workspace": "kept printString\n| é ∑"})
    client.manager.save_state(sid, state)
    old_image_session = client.manager.get_session(sid).image_session_id
    launcher.stop_image(info.name)
    await client.wait(info.name, S.DISCONNECTED)
    launcher.start_image(info.name)
    entry = await client.wait(info.name, S.CONNECTED, timeout=15)
    assert entry.identity.instance_id != old_instance
    assert entry.identity.image_id == info.image_id
    session = client.manager.get_session(sid)
    assert session.status == "active"
    assert session.image_session_id and session.image_session_id != old_image_session
    assert session.state.buffers == state.buffers
    assert await client.value(info.name, sid, "kept") == "nil"  # image-side bindings are gone


async def test_sigstop_degrades_and_sigcont_recovers(start_images, client: Client) -> None:
    (info,) = start_images(1)
    await client.wait(info.name, S.CONNECTED)
    sid = await client.session(info.name)
    assert await client.value(info.name, sid, "v := 5") == "5"
    os.kill(info.pid, signal.SIGSTOP)
    try:
        await client.wait(info.name, S.DEGRADED, S.DISCONNECTED, timeout=5)
        await client.wait(info.name, S.DISCONNECTED, timeout=5)
    finally:
        os.kill(info.pid, signal.SIGCONT)
    entry = await client.wait(info.name, S.CONNECTED, timeout=10)
    events = [h.status for h in entry.history]
    assert S.DEGRADED in events and S.DISCONNECTED in events
    assert await client.value(info.name, sid, "v") == "5"  # same instance: re-attached


async def test_busy_image_stays_connected(start_images, client: Client) -> None:
    (info,) = start_images(1)
    await client.wait(info.name, S.CONNECTED)
    sid = await client.session(info.name)
    conn = client.conn(info.name)
    image_session = client.manager.get_session(sid).image_session_id
    loop = asyncio.create_task(conn.evaluate("[true] whileTrue", session=image_session))
    await asyncio.sleep(2.0)
    entry = client.registry.get(info.name)
    assert entry.status is S.CONNECTED and entry.busy
    await conn.interrupt(session=image_session)
    with pytest.raises(EvaluationFailed, match="interrupted"):
        await loop


async def test_client_restart_restores_sessions_from_store(start_images, stui_home: Path) -> None:
    (info,) = start_images(1)
    first = Client(stui_home)
    await first.workbench.start()
    await first.wait(info.name, S.CONNECTED)
    ids = [await first.session(info.name) for _ in range(3)]
    assert await first.value(info.name, ids[0], "survivor := 99") == "99"
    states = {}
    for n, sid in enumerate(ids):
        states[sid] = SessionState(buffers={"ws": f"buffer {n}"})
        first.manager.save_state(sid, states[sid])
    await first.workbench.stop()
    first.manager.store.close()

    second = Client(stui_home)
    await second.workbench.start()
    try:
        await second.wait(info.name, S.CONNECTED)
        restored = second.manager.list_sessions(info.image_id)
        assert sorted(s.id for s in restored) == sorted(ids)
        for sid in ids:
            session = second.manager.get_session(sid)
            assert session.status == "active"
            assert msgspec.structs.replace(session.state, history=[]) == states[sid]
        assert await second.value(info.name, ids[0], "survivor") == "99"
    finally:
        await second.workbench.stop()


async def test_copied_image_is_flagged_as_duplicate(
    start_images, client: Client, stui_home: Path
) -> None:
    (original,) = start_images(1)
    images = paths.data_dir() / "images"
    copy = images / "copy"
    copy.mkdir()
    for suffix in (".image", ".changes"):
        shutil.copyfile(images / original.name / f"{original.name}{suffix}", copy / f"copy{suffix}")
    meta = launcher.images.read_meta(original.name)
    (copy / "image.json").write_bytes(
        msgspec.json.encode(msgspec.structs.replace(meta, name="copy"))
    )
    launcher.start_image("copy")
    await client.wait(original.name, S.CONNECTED)
    await client.wait("copy", S.CONNECTED)
    assert client.workbench.image("copy").duplicates == (original.name,)
    assert client.workbench.image(original.name).duplicates == ("copy",)


async def test_wrong_token_is_reported_not_retried_silently(start_images, client: Client) -> None:
    (info,) = start_images(1)
    await client.wait(info.name, S.CONNECTED)
    client.workbench.add_image("bad-token", info.address, "0" * 32)
    await client.wait("bad-token", S.DISCONNECTED)
    assert "unauthorized" in (client.registry.get("bad-token").last_error or "")


async def test_cleanup_policy_removes_old_orphans_and_records_it(
    start_images, stui_home: Path
) -> None:
    (info,) = start_images(1)
    policy = dataclasses.replace(FAST, orphan_after=0.3, cleanup_orphaned_after=0.2)
    c = Client(stui_home, policy)
    await c.workbench.start()
    try:
        await c.wait(info.name, S.CONNECTED)
        sid = await c.session(info.name)
        os.kill(info.pid, signal.SIGKILL)
        await c.wait(info.name, S.ORPHANED, timeout=5)
        deadline = time.monotonic() + 5
        while c.manager.list_sessions(info.image_id) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not c.manager.list_sessions(info.image_id)
        (record,) = c.manager.cleanup_history(info.image_id)
        assert record.policy and record.session_ids == [sid]
    finally:
        await c.workbench.stop()
        os.waitpid(info.pid, 0)


async def test_an_image_away_since_an_earlier_run_is_orphaned_by_age(
    start_images, stui_home: Path
) -> None:
    (info,) = start_images(1)
    first = Client(stui_home)
    await first.workbench.start()
    await first.wait(info.name, S.CONNECTED)
    sid = await first.session(info.name)
    os.kill(info.pid, signal.SIGKILL)
    await first.wait(info.name, S.DISCONNECTED)
    await first.workbench.stop()
    os.waitpid(info.pid, 0)
    await asyncio.sleep(0.5)
    later = Client(stui_home, HealthPolicy(orphan_after=0.4, interval=0.1))
    await later.workbench.start()
    try:
        await later.wait(info.name, S.ORPHANED, timeout=3)
        assert later.manager.get_session(sid).status == "orphaned"
    finally:
        await later.workbench.stop()


async def test_a_failing_store_does_not_end_the_watch(start_images, stui_home: Path) -> None:
    (info,) = start_images(1)
    c = Client(stui_home)
    c.manager.store.close()  # every store operation now fails, as a broken disk would
    await c.workbench.start()
    try:
        await asyncio.sleep(1.0)
        entry = c.registry.get(info.name)
        assert entry.status is not S.CONNECTED
        assert "closed" in (entry.last_error or "").lower()
        assert c.workbench._monitor.is_watching(info.name)  # still trying, with back-off
    finally:
        await c.workbench.stop()
