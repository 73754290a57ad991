"""HealthMonitor: one watcher task per image that connects, pings and reconnects.

Each watcher runs the state machine of `stui.status`:

- connect: a fresh client, `hello`, then the sessions are brought back (`sync.py`);
- ping every `interval`; an answer later than `late_after` or a missed ping → degraded;
  `miss_limit` missed pings in a row → disconnected (detached sessions);
- reconnect with exponential back-off, per image and bounded by `backoff_max`; a local
  image's endpoint is re-read each time, since a restarted image has a new port and
  token;
- away longer than `orphan_after` → orphaned (orphaned sessions).

The monitor is the one writer of connection status to the session store: the
registry keeps the in-memory view, the manager's handle_* operations record the
changes that move sessions, and `_set` the others. Those are batched: queued, and
written once per STORE_TICK in one transaction (a fleet connecting or flapping would
otherwise cost a commit per change); the queue is written first whenever a change that
moves sessions is recorded, so the store sees every change in order.

A long evaluation does not look like a dead image: the server answers pings from a
process above the evaluation's priority.

A fleet is watched without a thundering herd: first connects are spread over up to
`connect_spread` seconds (more images, wider), each image pings at its own random
phase with `jitter` on every pause, and back-off sleeps are jittered too. A pong that
was late only because this client's own loop was stalled (lag.py) is not the image's
fault: the stalls are taken off its round trip before it is judged late, and a ping
that timed out across one long stall is not counted as missed (many short ones do not
excuse it: the reply would have been read between them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stui.images.lag import LoopLag
from stui.images.registry import ImageEntry, ImageRegistry
from stui.images.sync import restore_sessions
from stui.protocol import Event, Unknown
from stui.protocol.errors import ProtocolError, RemoteError
from stui.sessions.manager import SessionManager
from stui.sessions.records import Reconnection
from stui.sessions.store import StatusRow
from stui.sessions.timestamps import to_text, utc_now
from stui.status import ConnectionStatus
from stui.transport import ImageClient, State
from stui.transport.capacity import FleetFull, check_room, ensure_descriptors
from stui.transport.errors import ConnectionClosed, TransportError

log = logging.getLogger(__name__)

STORE_TICK = 0.05  # seconds: queued status changes are written at most this late
SPREAD_PER_IMAGE = 0.0005  # seconds of connect spread per image watched, up to the policy's
# Pings leave on a grid of PING_SLOT: those whose time falls in one slot go out together
# in one turn of the loop. Each send that finds libzmq's I/O thread asleep wakes it
# (tens of microseconds); a slot's pings share the wake-up, and 100 slots a second
# still spread a fleet's pings evenly.
PING_SLOT = 0.05
MAX_REASON = 1000

EventSink = Callable[[str, Event | Unknown], None]
RestartSink = Callable[[str, Reconnection], None]


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
    max_images: int = 4096  # watched at once; the open-file limit is raised to fit
    connect_spread: float = 1.0  # first connects spread over up to this many seconds
    jitter: float = 0.1  # each pause between pings varies by up to this fraction


class HealthMonitor:
    """Watches every image in the registry; `client(name)` lends a live client."""

    def __init__(
        self,
        registry: ImageRegistry,
        manager: SessionManager,
        policy: HealthPolicy | None = None,
        on_event: EventSink | None = None,
        on_restart: RestartSink | None = None,
    ) -> None:
        self.registry = registry
        self.manager = manager
        self.policy = policy or HealthPolicy()
        self._on_event = on_event
        self._on_restart = on_restart
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._clients: dict[str, ImageClient] = {}
        self._discovery: asyncio.Task[None] | None = None
        self._room = ensure_descriptors(self.policy.max_images)
        self._statuses: list[StatusRow] = []
        self._lag = LoopLag()
        self._lag_probe: asyncio.Task[None] | None = None
        self._store_timer: asyncio.TimerHandle | None = None

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        self._lag_probe = asyncio.create_task(self._lag.run(), name="stui-loop-lag")
        self.registry.refresh(await asyncio.to_thread(self.registry.discover))
        for entry in self.registry.entries():
            self._watch(entry)
        self._discovery = asyncio.create_task(self._discover_loop(), name="stui-discovery")

    async def stop(self) -> None:
        tasks = [*self._tasks.values(), *(t for t in (self._discovery, self._lag_probe) if t)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self.flush_statuses()
        for client in list(self._clients.values()):
            await client.close()
        self._clients.clear()

    async def __aenter__(self) -> HealthMonitor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def client(self, name: str) -> ImageClient | None:
        """The live client of an image, if it is up."""
        entry = self.registry.get(name)
        return self._clients.get(name) if entry.status.is_up else None

    def is_watching(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def watch(self, entry: ImageEntry) -> None:
        """Watch an entry (a no-op if it is watched already or removed); FleetFull
        when the configured maximum or the open-file limit is reached."""
        if not self.is_watching(entry.name):
            self.check_room()
        self._watch(entry)

    def check_room(self, more: int = 1) -> None:
        """FleetFull if `more` images would not fit."""
        check_room(len(self._tasks) + more - 1, self.policy.max_images, self._room)

    async def forget(self, name: str) -> None:
        """Stop watching an image and close its client."""
        self.flush_statuses()  # its queued changes go before whatever the caller records
        task = self._tasks.pop(name, None)
        if task:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        client = self._clients.pop(name, None)
        if client is not None:
            await client.close()

    async def reconnect(self, name: str) -> None:
        """Drop an image's link and connect again at once."""
        await self.forget(name)
        entry = self.registry.get(name)
        self._watch(entry)

    # -- watching -------------------------------------------------------------------

    def _watch(self, entry: ImageEntry) -> None:
        if self.is_watching(entry.name) or entry.status is ConnectionStatus.REMOVED:
            return
        try:
            self.check_room()
        except FleetFull as e:  # found by discovery: listed, with the reason, not watched
            entry.last_error = str(e)
            self.registry.set_status(entry, ConnectionStatus.DISCONNECTED, str(e))
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
                for entry in self.registry.refresh(found):
                    self._watch(entry)
            with contextlib.suppress(Exception):
                self._apply_cleanup_policy()

    async def _run(self, entry: ImageEntry) -> None:
        """Watch one image until it is removed. Nothing that goes wrong ends the watch:
        an unexpected failure (a store error, a broken reply) counts as a lost link."""
        backoff = self.policy.backoff_initial
        spread = min(self.policy.connect_spread, len(self._tasks) * SPREAD_PER_IMAGE)
        if spread > 0:
            await asyncio.sleep(random.uniform(0, spread))
        if entry.endpoint is None:
            # Known from an earlier run and not reachable now: its sessions, maybe left
            # active by that run, are detached until it comes back or is orphaned.
            entry.away_since = self._guarded(self._stored_away_since, entry)
            if entry.status is not ConnectionStatus.ORPHANED:
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
                await asyncio.sleep(random.uniform(backoff / 2, backoff))
                backoff = min(backoff * 2, self.policy.backoff_max)
            else:
                backoff = self.policy.backoff_initial

    async def _session(self, entry: ImageEntry) -> bool:
        """One connection's life: connect, ping until lost. True if it never came up."""
        client = await self._connect(entry)
        if client is None:
            return True
        forward = asyncio.create_task(self._forward_events(entry.name, client))
        try:
            reason = await self._ping_until_lost(entry, client)
        except Exception as e:
            reason = f"{type(e).__name__}: {e}"
        finally:
            self._clients.pop(entry.name, None)
            await client.close()
            forward.cancel()
        self._guarded(self._disconnected, entry, reason)
        return False

    async def _forward_events(self, name: str, client: ImageClient) -> None:
        if self._on_event is None:
            return
        async for event in client.events():
            with contextlib.suppress(Exception):
                self._on_event(name, event)

    def _guarded(self, step: Callable[..., object], entry: ImageEntry, *args: object) -> object:
        """Run a bookkeeping step; a failure (e.g. a locked store) is noted, not raised."""
        try:
            return step(entry, *args)
        except Exception as e:
            entry.last_error = f"{type(e).__name__}: {e}"
            return None

    async def _connect(self, entry: ImageEntry) -> ImageClient | None:
        assert entry.endpoint is not None
        if not entry.history or entry.status not in (
            ConnectionStatus.DISCONNECTED,
            ConnectionStatus.ORPHANED,
        ):
            self._set(entry, ConnectionStatus.CONNECTING, "connecting")
        endpoint = entry.endpoint
        client = ImageClient(endpoint.address, endpoint.token, self.manager.client_id)
        try:
            welcome = await client.connect(timeout=self.policy.connect_timeout)
        except (TransportError, RemoteError, ProtocolError, TimeoutError, OSError) as e:
            await client.close()
            entry.last_error = str(e)
            if entry.status is ConnectionStatus.CONNECTING:
                self._disconnected(entry, f"cannot connect: {e}")
            return None
        try:
            identity = welcome.image
            self.registry.set_identity(entry, identity)
            self.flush_statuses()
            self.manager.save_image(
                identity.image_id,
                name=entry.name,
                address=endpoint.address,
                dialect=identity.dialect,
                metadata={"version": identity.version, "image_path": identity.image_path},
            )
            back = await restore_sessions(
                client, self.manager, identity.image_id, identity.instance_id
            )
            if back.instance_changed and self._on_restart is not None:
                self._on_restart(entry.name, back)
            reason = f"connected to instance {identity.instance_id}"
            self.registry.set_status(entry, ConnectionStatus.CONNECTED, reason)
        except BaseException:
            await client.close()
            raise
        entry.away_since = None
        entry.last_error = None
        self._clients[entry.name] = client
        return client

    async def _ping_until_lost(self, entry: ImageEntry, client: ImageClient) -> str:
        """Ping on the timer until the image is lost; answer why it was lost."""
        misses = 0
        policy = self.policy
        lag = self._lag
        # The first pause is a random phase, so that a fleet's pings do not bunch up.
        pause = random.uniform(0, policy.interval)
        while True:
            if await self._nap(client, pause):
                return "connection lost"
            started = lag.now()
            timeout = policy.interval * 0.8
            try:
                result = await client.ping(timeout=timeout)
            except ConnectionClosed as e:
                return f"connection lost ({e})"
            except TransportError as e:
                if lag.longest(started) > timeout / 2:
                    pause = 0.0  # our loop stalled, not the image: ask again at once
                    continue
                misses += 1
                if misses >= policy.miss_limit:
                    return f"{misses} pings missed ({e})"
                self._set(entry, ConnectionStatus.DEGRADED, f"ping missed ({e})")
                pause = 0.0  # ping again at once: detection must not wait an interval
                continue
            misses = 0
            rtt = result.rtt
            pong = result.pong
            self.registry.seen(entry, rtt, pong.busy, pong.sessions, pong.unsaved)
            if rtt > policy.late_after and rtt - lag.since(started) > policy.late_after:
                self._set(entry, ConnectionStatus.DEGRADED, f"late pong ({rtt:.3f} s)")
            elif entry.status is ConnectionStatus.DEGRADED:
                self._set(entry, ConnectionStatus.CONNECTED, "answers in time again")
            spent = lag.now() - started
            jitter = random.uniform(-policy.jitter, policy.jitter)
            pause = max(0.0, policy.interval * (1 + jitter) - spent)

    async def _nap(self, client: ImageClient, pause: float) -> bool:
        """Sleep `pause` seconds; answer True at once if the link drops meanwhile.

        One future and one timer, and no task per nap: a fleet naps a thousand times
        a second."""
        if pause <= 0:
            return client.state is State.CLOSED
        loop = asyncio.get_running_loop()
        waker: asyncio.Future[bool] = loop.create_future()
        wake_at = math.ceil((loop.time() + pause) / PING_SLOT) * PING_SLOT
        timer = loop.call_at(wake_at, _wake, waker, False)
        cancel = client.on_close(lambda: _wake(waker, True))
        try:
            return await waker
        finally:
            timer.cancel()
            cancel()

    # -- the one writer of status -------------------------------------------------

    def _set(self, entry: ImageEntry, status: ConnectionStatus, reason: str) -> None:
        """A change that moves no session: in memory, and queued for the store."""
        if self.registry.set_status(entry, status, reason) and entry.image_id is not None:
            instance = entry.identity.instance_id if entry.identity else None
            at = to_text(utc_now())
            self._statuses.append((entry.image_id, at, str(status), reason[:MAX_REASON], instance))
            if self._store_timer is None:
                loop = asyncio.get_running_loop()
                self._store_timer = loop.call_later(STORE_TICK, self.flush_statuses)

    def flush_statuses(self) -> None:
        """Write the queued status changes in one transaction."""
        if self._store_timer is not None:
            self._store_timer.cancel()
            self._store_timer = None
        rows, self._statuses = self._statuses, []
        if not rows:
            return
        try:
            with self.manager.store.write() as tx:
                tx.record_statuses(rows)
        except Exception as e:  # a locked or closed store: the registry stays right
            log.warning("%d status changes were not recorded: %s", len(rows), e)

    def _disconnected(self, entry: ImageEntry, reason: str) -> None:
        self.flush_statuses()
        if entry.away_since is None:
            entry.away_since = time.time()
        if entry.image_id is not None:
            self.manager.handle_disconnection(entry.image_id, reason)
        self.registry.set_status(entry, ConnectionStatus.DISCONNECTED, reason)

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
        self.flush_statuses()
        if entry.image_id is not None:
            self.manager.mark_orphaned(entry.image_id)
        self.registry.set_status(entry, ConnectionStatus.ORPHANED, reason)

    def _stored_away_since(self, entry: ImageEntry) -> float | None:
        """When an image was last seen going away, from the stored connection events."""
        if entry.image_id is None:
            return None
        for event in self.manager.connection_history(entry.image_id, limit=1):
            if event.event in ("disconnected", "orphaned"):
                return event.at.timestamp()
        return None

    def _apply_cleanup_policy(self) -> None:
        """Delete orphaned sessions unused for longer than the policy's age, recorded."""
        age = self.policy.cleanup_orphaned_after
        if age is None:
            return
        cutoff = datetime.now(UTC) - timedelta(seconds=age)
        stale = self.manager.list_sessions(None, ["orphaned"])
        for image_id in sorted({s.image_id for s in stale if s.last_seen_at < cutoff}):
            self.manager.cleanup_orphaned(image_id, older_than=timedelta(seconds=age), policy=True)


def _wake(waker: asyncio.Future[bool], closed: bool) -> None:
    if not waker.done():
        waker.set_result(closed)
