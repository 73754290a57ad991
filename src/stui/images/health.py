"""HealthMonitor: one watcher task per image that connects, pings and reconnects.

Each watcher runs the state machine of `status.py`:

- connect: a fresh DEALER, `hello`, then the sessions are brought back (`sync.py`);
- ping every `interval`; an answer later than `late_after` or a missed ping → degraded;
  `miss_limit` missed pings in a row → disconnected (detached sessions);
- reconnect with exponential back-off; a local image's endpoint is re-read each time,
  since a restarted image has a new port and token;
- away longer than `orphan_after` → orphaned (orphaned sessions).

A long evaluation does not look like a dead image: the server answers pings from a
process above the evaluation's priority.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stui.images.registry import ImageEntry, ImageRegistry
from stui.images.status import ConnectionStatus
from stui.images.sync import restore_sessions
from stui.protocol.errors import ProtocolError, RemoteError
from stui.sessions.manager import SessionManager
from stui.transport import ImageClient
from stui.transport.errors import ConnectionClosed, TransportError


@dataclass(frozen=True)
class HealthPolicy:
    interval: float = 1.0
    late_after: float = 0.5
    miss_limit: int = 2
    orphan_after: float = 300.0
    backoff_initial: float = 0.2
    backoff_max: float = 5.0
    connect_timeout: float = 2.0
    discover_every: float = 2.0
    cleanup_orphaned_after: float | None = None  # seconds; None: no automatic cleanup


class HealthMonitor:
    """Watches every image in the registry; `connection(name)` lends a live connection."""

    def __init__(
        self,
        registry: ImageRegistry,
        client_id: str,
        manager: SessionManager | None = None,
        policy: HealthPolicy | None = None,
    ) -> None:
        self.registry = registry
        self.client_id = client_id
        self.manager = manager
        self.policy = policy or HealthPolicy()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._connections: dict[str, ImageClient] = {}
        self._discovery: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        self._watch_new(self.registry.refresh(await asyncio.to_thread(self.registry.discover)))
        for entry in self.registry.entries():
            self._watch(entry)
        self._discovery = asyncio.create_task(self._discover_loop(), name="stui-discovery")

    async def stop(self) -> None:
        tasks = [*self._tasks.values(), *([self._discovery] if self._discovery else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        for conn in list(self._connections.values()):
            await conn.close()
        self._connections.clear()

    async def __aenter__(self) -> HealthMonitor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def connection(self, name: str) -> ImageClient | None:
        """The live connection to an image, if it is up."""
        entry = self.registry.get(name)
        return self._connections.get(name) if entry.status.is_up else None

    async def wait_for(
        self, name: str, *statuses: ConnectionStatus, timeout: float = 10.0
    ) -> ImageEntry:
        """Wait until an image reaches one of statuses; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            entry = self.registry.find(name)
            if entry is not None and entry.status in statuses:
                return entry
            if time.monotonic() > deadline:
                now = entry.status if entry else "unknown"
                wanted = ", ".join(statuses)
                raise TimeoutError(f"{name} is {now}, not {wanted}, after {timeout} s")
            await asyncio.sleep(0.02)

    def is_watching(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def add(self, name: str, address: str, token: str) -> ImageEntry:
        """Register an image by address and token, and watch it at once."""
        entry = self.registry.add(name, address, token)
        self._watch(entry)
        return entry

    async def remove(self, name: str) -> None:
        """Stop watching an image and forget it."""
        task = self._tasks.pop(name, None)
        if task:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        conn = self._connections.pop(name, None)
        if conn is not None:
            await conn.close()
        self.registry.remove(name)

    # -- watching -------------------------------------------------------------------

    def _watch_new(self, entries: list[ImageEntry]) -> None:
        for entry in entries:
            self._watch(entry)

    def _watch(self, entry: ImageEntry) -> None:
        if entry.name in self._tasks or entry.status is ConnectionStatus.REMOVED:
            return
        self._tasks[entry.name] = asyncio.create_task(
            self._run(entry), name=f"stui-health-{entry.name}"
        )

    async def _discover_loop(self) -> None:
        while True:
            await asyncio.sleep(self.policy.discover_every)
            with contextlib.suppress(Exception):
                # Discovery reads files and looks up processes: off the event loop.
                found = await asyncio.to_thread(self.registry.discover)
                self._watch_new(self.registry.refresh(found))
            with contextlib.suppress(Exception):
                self._apply_cleanup_policy()

    async def _run(self, entry: ImageEntry) -> None:
        """Watch one image until it is removed. Nothing that goes wrong ends the watch:
        an unexpected failure (a store error, a broken reply) counts as a lost link."""
        backoff = self.policy.backoff_initial
        if entry.endpoint is None and entry.status is not ConnectionStatus.ORPHANED:
            # Known from an earlier run and not reachable now: its sessions, maybe left
            # active by that run, are detached until it comes back or is orphaned.
            self._guarded(self._disconnected, entry, "not running: no runtime file or address")
        while entry.status is not ConnectionStatus.REMOVED:
            if entry.endpoint is None:  # known from an earlier run, not reachable now
                self._guarded(self._check_orphaned, entry)
                await asyncio.sleep(self.policy.interval)
                continue
            try:
                lost = await self._session(entry)
            except Exception as e:  # the watch must outlive any failure
                reason = f"{type(e).__name__}: {e}"
                if entry.status not in (ConnectionStatus.DISCONNECTED, ConnectionStatus.ORPHANED):
                    self._guarded(self._disconnected, entry, reason)
                entry.last_error = reason
                lost = True
            if lost:
                self._guarded(self._check_orphaned, entry)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.policy.backoff_max)
            else:
                backoff = self.policy.backoff_initial

    async def _session(self, entry: ImageEntry) -> bool:
        """One connection's life: connect, ping until lost. True if it never came up."""
        conn = await self._connect(entry)
        if conn is None:
            return True
        try:
            reason = await self._ping_until_lost(entry, conn)
        except Exception as e:
            reason = f"{type(e).__name__}: {e}"
        finally:
            self._connections.pop(entry.name, None)
            await conn.close()
        self._guarded(self._disconnected, entry, reason)
        return False

    def _guarded(self, step: Callable[..., None], entry: ImageEntry, *args: object) -> None:
        """Run a bookkeeping step; a failure (e.g. a locked store) is noted, not raised."""
        try:
            step(entry, *args)
        except Exception as e:
            entry.last_error = f"{type(e).__name__}: {e}"

    async def _connect(self, entry: ImageEntry) -> ImageClient | None:
        assert entry.endpoint is not None
        if not entry.history or entry.status not in (
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.ORPHANED,
        ):
            self.registry.set_status(entry, ConnectionStatus.CONNECTING, "connecting")
        endpoint = entry.endpoint
        conn = ImageClient(endpoint.address, endpoint.token, self.client_id)
        try:
            welcome = await conn.connect(timeout=self.policy.connect_timeout)
        except (TransportError, RemoteError, ProtocolError, TimeoutError, OSError) as e:
            await conn.close()
            entry.last_error = str(e)
            if entry.status is ConnectionStatus.CONNECTING:
                self._disconnected(entry, f"cannot connect: {e}")
            return None
        try:
            identity = welcome.image
            self.registry.set_identity(entry, identity)
            reason = f"connected to instance {identity.instance_id}"
            if self.manager is not None:
                await restore_sessions(conn, self.manager, identity.image_id, identity.instance_id)
                self.registry.set_status(entry, ConnectionStatus.CONNECTED, reason, record=False)
            else:
                self.registry.set_status(entry, ConnectionStatus.CONNECTED, reason)
        except BaseException:
            await conn.close()
            raise
        entry.away_since = None
        entry.last_error = None
        self._connections[entry.name] = conn
        return conn

    async def _ping_until_lost(self, entry: ImageEntry, conn: ImageClient) -> str:
        """Ping on the timer until the image is lost; answer why it was lost."""
        misses = 0
        policy = self.policy
        while True:
            started = time.monotonic()
            try:
                result = await conn.ping(timeout=policy.interval * 0.8)
            except ConnectionClosed as e:
                return f"connection lost ({e})"
            except TransportError as e:
                misses += 1
                if misses >= policy.miss_limit:
                    return f"{misses} pings missed ({e})"
                self.registry.set_status(entry, ConnectionStatus.DEGRADED, f"ping missed ({e})")
                continue  # ping again at once: detection must not wait a whole interval
            misses = 0
            rtt = result.rtt
            self.registry.seen(entry, rtt, result.pong.busy, result.pong.sessions)
            if rtt > policy.late_after:
                self.registry.set_status(
                    entry, ConnectionStatus.DEGRADED, f"late pong ({rtt:.3f} s)"
                )
            elif entry.status is ConnectionStatus.DEGRADED:
                self.registry.set_status(entry, ConnectionStatus.CONNECTED, "answers in time again")
            pause = max(0.0, policy.interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                # Sleep until the next ping, but wake at once if the link drops.
                await asyncio.wait_for(conn.wait_closed(), pause)
                return "connection lost"

    def _disconnected(self, entry: ImageEntry, reason: str) -> None:
        if entry.away_since is None:
            entry.away_since = time.time()
        record = self.manager is None or entry.image_id is None
        if not record:
            self.manager.handle_disconnection(entry.image_id, reason)
        self.registry.set_status(entry, ConnectionStatus.DISCONNECTED, reason, record=record)

    def _check_orphaned(self, entry: ImageEntry) -> None:
        """An image away for longer than orphan_after: it and its sessions are orphaned."""
        now = time.time()
        if entry.away_since is None:
            entry.away_since = now
        if (
            now - entry.away_since < self.policy.orphan_after
            or entry.status is ConnectionStatus.ORPHANED
        ):
            return
        reason = f"away for more than {self.policy.orphan_after:g} s"
        record = self.manager is None or entry.image_id is None
        if not record:
            self.manager.mark_orphaned(entry.image_id)
        self.registry.set_status(entry, ConnectionStatus.ORPHANED, reason, record=record)

    def _apply_cleanup_policy(self) -> None:
        """Delete orphaned sessions unused for longer than the policy's age, recorded."""
        age = self.policy.cleanup_orphaned_after
        if age is None or self.manager is None:
            return
        cutoff = datetime.now(UTC) - timedelta(seconds=age)
        stale = self.manager.list_sessions(None, ["orphaned"])
        for image_id in sorted({s.image_id for s in stale if s.last_seen_at < cutoff}):
            self.manager.cleanup_orphaned(image_id, older_than=timedelta(seconds=age), policy=True)
