"""Workbench: the one composition root, as jupyter_client's MultiKernelManager is.

It owns the session store, the image registry, the health monitor and endpoint
discovery. It is the only place that resolves an image name (local runtime files,
added endpoints and images remembered from earlier runs alike), it lends a typed
client per image and a handle per session, and it publishes what changes to its
subscribers. The CLI, the TUI and the tests get everything from it.

Changes of images reach subscribers coalesced: an image that changed any number of
times within PUBLISH_TICK is published once, with its latest view. A fleet of a
thousand images pongs a thousand times a second, and a view per pong per subscriber
would cost the event loop more than the pings do. Notices are said at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import Callable
from datetime import timedelta

import msgspec

from stui.identity import client_id
from stui.images.endpoints import Endpoint, RegistryError
from stui.images.health import HealthMonitor
from stui.images.registry import ImageEntry, ImageRegistry
from stui.images.sync import ensure_image_session
from stui.protocol import Event, ProtocolError, RemoteError, Unknown
from stui.sessions.manager import SessionManager
from stui.sessions.records import CleanupRecord, Reconnection, Session, SessionInfo
from stui.sessions.state import TransferKind
from stui.sessions.store import SessionStore, default_path
from stui.status import ConnectionStatus
from stui.transport import ImageClient, TransportError
from stui.transport.capacity import FleetFull, check_room, ensure_descriptors
from stui.workbench.config import WorkbenchConfig
from stui.workbench.errors import ImageUnavailable, SessionOfAnotherImage, UnknownImage
from stui.workbench.events import (
    ImageChanged,
    ImagePushed,
    Notice,
    SessionsChanged,
    WorkbenchEvent,
)
from stui.workbench.handles import RestartNotice, SessionHandle
from stui.workbench.local import LocalImages
from stui.workbench.views import ImageView, view_of

Listener = Callable[[WorkbenchEvent], None]
PROBE_PINGS = 3
PUBLISH_TICK = 0.05  # seconds: how late an image's change may reach subscribers


class Workbench:
    """Everything above the core goes through one of these."""

    def __init__(self, config: WorkbenchConfig | None = None) -> None:
        self.config = config or WorkbenchConfig()
        self.sessions = SessionManager(
            SessionStore(self.config.store_path or default_path()),
            self.config.client_id or client_id(),
        )
        self.local = LocalImages()
        self.registry = ImageRegistry(self.sessions.list_images())
        self.registry.subscribe(self._on_entry)
        self._monitor: HealthMonitor | None = None
        self._clients: dict[str, ImageClient] = {}  # one-shot mode: opened on demand
        self._connecting: dict[str, asyncio.Future[ImageClient]] = {}
        self._listeners: list[Listener] = []
        self._pending_restarts: dict[str, RestartNotice] = {}
        self._was_up: dict[str, bool] = {}
        self._changed: dict[str, ImageEntry] = {}  # to publish at the next tick, in order
        self._publish_timer: asyncio.TimerHandle | None = None
        self._started = False
        # Per live connection: its reconnection was handled, these sessions are attached.
        self._brought_back: weakref.WeakSet[ImageClient] = weakref.WeakSet()
        self._attached: weakref.WeakKeyDictionary[ImageClient, set[str]] = (
            weakref.WeakKeyDictionary()
        )

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Discover endpoints; with `watch`, start the health monitor (never waits on
        an image: they connect in the background)."""
        if self._started:
            return
        self._started = True
        found = await asyncio.to_thread(self._discover_quietly)
        self.registry.refresh(found)
        if self.config.watch:
            self._monitor = HealthMonitor(
                self.registry,
                self.sessions,
                self.config.health,
                on_event=self._on_pushed,
                on_restart=self._on_restart,
            )
            await self._monitor.start()

    async def stop(self) -> None:
        if self._monitor is not None:
            await self._monitor.stop()
            self._monitor = None
        self._publish_changes()
        for client in list(self._clients.values()):
            await client.close()
        self._clients.clear()
        self.sessions.store.close()

    async def __aenter__(self) -> Workbench:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- events ---------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call listener with every WorkbenchEvent; answer a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _publish(self, event: WorkbenchEvent) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):
                listener(event)

    def _on_entry(self, entry: ImageEntry) -> None:
        up = entry.status.is_up
        if self._was_up.get(entry.name) and entry.status is ConnectionStatus.DISCONNECTED:
            reason = entry.history[-1].reason if entry.history else "gone"
            self._publish(Notice(entry.name, f"{entry.name} went away: {reason}", "warning"))
        self._was_up[entry.name] = up
        self._changed[entry.name] = entry
        if self._publish_timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop: nothing to coalesce with
                self._publish_changes()
                return
            self._publish_timer = loop.call_later(PUBLISH_TICK, self._publish_changes)

    def _publish_changes(self) -> None:
        """One ImageChanged per image that changed since the last tick."""
        if self._publish_timer is not None:
            self._publish_timer.cancel()
            self._publish_timer = None
        changed, self._changed = self._changed, {}
        if not self._listeners:
            return  # nobody listens: no view is built
        for name, entry in changed.items():
            self._publish(ImageChanged(name, self._view(entry)))

    def _on_pushed(self, name: str, event: Event | Unknown) -> None:
        self._publish(ImagePushed(name, event))

    def _on_restart(self, name: str, back: Reconnection) -> None:
        lost: list[str] = []
        for session in back.sessions:
            notice = self._restart_notice(name, back, session)
            if notice is not None:
                self._pending_restarts[session.id] = notice
                lost += [v for v in notice.lost_variables if v not in lost]
        said = f"; workspace variables lost: {', '.join(lost)}" if lost else ""
        self._publish(Notice(name, f"{name} restarted (a new instance){said}", "warning"))
        self._publish(SessionsChanged(back.image_id))

    # -- images ---------------------------------------------------------------------

    def images(self) -> list[ImageView]:
        return [self._view(entry) for entry in self.registry.entries()]

    def image(self, name: str) -> ImageView:
        return self._view(self._entry(name))

    def _view(self, entry: ImageEntry) -> ImageView:
        return view_of(entry, self.registry.duplicates(entry))

    def _entry(self, name: str) -> ImageEntry:
        """Resolve an image name: the one place that does."""
        self.local.check_name(name)
        entry = self.registry.find(name)
        if entry is None or (entry.endpoint is None and not self.config.watch):
            self.registry.refresh(self._discover_quietly())  # started or added meanwhile
            entry = self.registry.find(name)
        if entry is None:
            known = ", ".join(e.name for e in self.registry.entries()) or "none"
            raise UnknownImage(
                f"no image named {name!r} is known (known: {known}); "
                "start one (stui image start NAME) or add one (stui images add)"
            )
        return entry

    def _discover_quietly(self) -> list[Endpoint]:
        """Discovery that survives a corrupt list of added images (noted, not raised)."""
        try:
            return self.registry.discover()
        except RegistryError as e:
            self._publish(Notice("", str(e), "error"))
            return []

    async def wait_for(
        self, name: str, *statuses: ConnectionStatus, timeout: float = 10.0
    ) -> ImageView:
        """Wait until an image reaches one of statuses; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            entry = self.registry.find(name)
            if entry is not None and entry.status in statuses:
                return self._view(entry)
            if time.monotonic() > deadline:
                now = entry.status if entry else "unknown"
                raise TimeoutError(
                    f"{name} is {now}, not {', '.join(statuses)}, after {timeout:g} s"
                )
            await asyncio.sleep(0.02)

    async def client(self, name: str) -> ImageClient:
        """A connected client of the named image; ImageUnavailable if it is not up."""
        entry = self._entry(name)
        if self._monitor is not None:
            self._monitor.watch(entry)
            client = self._monitor.client(name)
            if client is None:
                raise ImageUnavailable(
                    f"{name} is {entry.status}"
                    + (f": {entry.last_error}" if entry.last_error else "")
                )
            return client
        client = self._clients.get(name)
        if client is not None and client.state.value == "ready":
            return client
        # Callers asking at once (a diff of an image with itself) share one connection:
        # each making its own would leave all but the last open and unowned.
        pending = self._connecting.get(name)
        if pending is None:
            pending = asyncio.ensure_future(self._connect_and_keep(entry, client))
            self._connecting[name] = pending
            pending.add_done_callback(lambda _: self._connecting.pop(name, None))
        return await asyncio.shield(pending)

    async def _connect_and_keep(self, entry: ImageEntry, old: ImageClient | None) -> ImageClient:
        if old is not None:
            await old.close()  # gone or closing: replaced, never left open
        client = await self._connect(entry)
        self._clients[entry.name] = client
        identity = client.welcome.image  # type: ignore[union-attr]
        self.sessions.save_image(
            identity.image_id,
            name=entry.name,
            address=client.address,
            dialect=identity.dialect,
            metadata={"version": identity.version, "image_path": identity.image_path},
        )
        return client

    async def _connect(self, entry: ImageEntry) -> ImageClient:
        if entry.endpoint is None:
            raise ImageUnavailable(
                f"{entry.name} is not running here (no runtime file or address); "
                f"start it with: stui image start {entry.name}"
            )
        endpoint = entry.endpoint
        client = ImageClient(endpoint.address, endpoint.token, self.sessions.client_id)
        try:
            welcome = await client.connect(timeout=self.config.connect_timeout)
        except BaseException:
            await client.close()
            raise
        self.registry.set_identity(entry, welcome.image)
        self.registry.set_status(entry, ConnectionStatus.CONNECTED, "connected")
        return client

    def add_image(self, name: str, address: str, token: str) -> ImageView:
        return self.add_images([(name, address, token)])[0]

    def add_images(self, wanted: list[tuple[str, str, str]]) -> list[ImageView]:
        """Add endpoints by (name, address, token), saved in one write and watched."""
        if self._monitor is not None:
            self._monitor.check_room(len(wanted))  # before they are saved: FleetFull
        entries = self.registry.add_many(wanted)
        if self._monitor is not None:
            for entry in entries:
                self._monitor.watch(entry)
        return [self._view(entry) for entry in entries]

    async def remove_image(self, name: str) -> ImageView:
        """Forget an image: no longer listed or watched; its stored sessions stay."""
        entry = self._entry(name)
        if self._monitor is not None:
            await self._monitor.forget(name)
        client = self._clients.pop(name, None)
        if client is not None:
            await client.close()
        self.registry.remove(name)
        if entry.image_id is not None:
            self.sessions.update_connection_status(
                entry.image_id, ConnectionStatus.REMOVED, "removed by the user"
            )
        return self._view(entry)

    async def reconnect(self, name: str) -> None:
        self._entry(name)
        if self._monitor is not None:
            await self._monitor.reconnect(name)

    async def probe(self, seconds: float = 3.0) -> list[ImageView]:
        """Reach every image once, for a listing: identity and latency, and no writes.

        All at once, so the open-file limit is raised to fit them first; images past
        what fits (or past the policy's max_images) are listed with FleetFull's reason,
        which names the limit, instead of failing to connect for a reason that is not
        theirs."""
        entries = [e for e in self.registry.entries() if e.endpoint is not None]
        room = ensure_descriptors(len(entries) + len(self._clients))
        reachable = []
        for entry in entries:
            try:
                check_room(len(reachable) + len(self._clients), self.config.health.max_images, room)
            except FleetFull as e:
                entry.last_error = str(e)
                self.registry.set_status(entry, ConnectionStatus.DISCONNECTED, str(e))
                continue
            reachable.append(entry)
        await asyncio.gather(*(self._probe(e, seconds) for e in reachable))
        return self.images()

    async def _probe(self, entry: ImageEntry, seconds: float) -> None:
        try:
            client = await asyncio.wait_for(self._connect(entry), seconds)
        except (TransportError, RemoteError, ProtocolError, TimeoutError, OSError) as e:
            entry.last_error = str(e) or type(e).__name__
            self.registry.set_status(entry, ConnectionStatus.DISCONNECTED, entry.last_error)
            return
        try:
            for _ in range(PROBE_PINGS):
                result = await client.ping()
                pong = result.pong
                self.registry.seen(entry, result.rtt, pong.busy, pong.sessions, pong.unsaved)
        except (TransportError, RemoteError, ProtocolError) as e:
            entry.last_error = str(e)
        finally:
            await client.close()

    # -- sessions -------------------------------------------------------------------

    async def image_id(self, name: str) -> str:
        """The image_id behind a name; connects once when no run has seen it yet."""
        entry = self._entry(name)
        if entry.image_id is None:
            await self.client(name)
        assert entry.image_id is not None
        return entry.image_id

    def image_name(self, image_id: str) -> str:
        """A display name for an image_id (the first 8 characters if it has none)."""
        for entry in self.registry.entries():
            if entry.image_id == image_id:
                return entry.name
        record = self.sessions.get_image(image_id)
        return (record.name if record and record.name else None) or image_id[:8]

    async def create_session(self, image: str, label: str | None = None) -> Session:
        session = self.sessions.create_session(await self.image_id(image), label)
        self._publish(SessionsChanged(session.image_id))
        return session

    def close_session(self, ref: str) -> SessionInfo:
        info = self.sessions.close_session(self.sessions.find_session(ref).id)
        self._publish(SessionsChanged(info.image_id))
        return info

    async def clone_session(self, ref: str, to_image: str, label: str | None = None) -> Session:
        """A new session on `to_image` with the client state of session `ref`
        (workspaces, history); its workspace variables stay in the source's image."""
        return await self._transfer(ref, to_image, "clone", label)

    async def move_session(self, ref: str, to_image: str) -> Session:
        """Re-bind session `ref` to `to_image`, explicitly: its workspace variables do not
        travel (the answer's last transfer names them); its old image-side session is
        left to expire in the source image."""
        return await self._transfer(ref, to_image, "move", None)

    async def _transfer(
        self, ref: str, to_image: str, kind: TransferKind, label: str | None
    ) -> Session:
        info = self.sessions.find_session(ref)
        target = await self.image_id(to_image)
        session = self.sessions.transfer_session(info.id, target, kind, label)
        self._pending_restarts.pop(info.id, None)  # a restart of the source is moot now
        self._publish(SessionsChanged(info.image_id))
        self._publish(SessionsChanged(target))
        return session

    def cleanup_orphaned(
        self, image_id: str | None = None, older_than: timedelta | None = None
    ) -> CleanupRecord:
        record = self.sessions.cleanup_orphaned(image_id, older_than)
        self._publish(SessionsChanged(image_id))
        return record

    async def open_session(
        self, image: str | None, ref: str | None = None, label: str | None = None
    ) -> SessionHandle:
        """A handle on a session, its image-side session made or found.

        `ref` names a session by id, label or unique id prefix; without it, the image's
        most recently used open session, or a new one. `image` may be None with a `ref`:
        the session's own image is used. A session never moves to another image here:
        only `move_session` re-binds one, explicitly.
        """
        info = self.sessions.find_session(ref) if ref is not None else None
        if image is None:
            if info is None:
                raise UnknownImage("name an image, or a session that belongs to one")
            image = self.image_name(info.image_id)
        client = await self.client(image)
        identity = client.welcome.image  # type: ignore[union-attr]
        if info is not None and info.image_id != identity.image_id:
            raise SessionOfAnotherImage(
                f"session {ref} belongs to image {self.image_name(info.image_id)}, not {image}; "
                "its variables live there (clone or move it explicitly)"
            )
        back = None
        if client not in self._brought_back:  # once per connection, not per session
            back = self.sessions.handle_reconnection(
                identity.image_id, identity.instance_id, activate=False
            )
            self._brought_back.add(client)
        session = self._pick_session(identity.image_id, info, label)
        notice = self._pending_restarts.pop(session.id, None)
        if back is not None and back.instance_changed:
            notice = self._restart_notice(image, back, session)
        if notice is not None:
            session = self.sessions.get_session(session.id)
        image_session = await self._attach(client, session)
        return SessionHandle(
            image=image,
            image_id=identity.image_id,
            session_id=session.id,
            image_session_id=image_session,
            dialect=identity.dialect,
            client=client,
            sessions=self.sessions,
            restarted=notice,
        )

    async def _attach(self, client: ImageClient, session: Session) -> str:
        """The session's image-side session, attached on this connection: the attach
        round trip is made once per connection (one that expired meanwhile is made
        again by the evaluation that finds it gone)."""
        attached = self._attached.setdefault(client, set())
        if session.image_session_id is not None and session.image_session_id in attached:
            return session.image_session_id
        image_session = await ensure_image_session(client, self.sessions, session)
        attached.add(image_session)
        return image_session

    def _pick_session(self, image_id: str, info: SessionInfo | None, label: str | None) -> Session:
        if info is not None:
            return self.sessions.get_session(info.id)
        with contextlib.suppress(LookupError):
            return self.sessions.restore_session(image_id)
        session = self.sessions.create_session(image_id, label)
        self._publish(SessionsChanged(image_id))
        return session

    def _restart_notice(
        self, image: str, back: Reconnection, session: Session
    ) -> RestartNotice | None:
        """Which of a session's workspace variables a restart lost, said once: the
        recorded names are cleared as they are reported."""
        session = self.sessions.get_session(session.id)
        lost = tuple(session.state.variables)
        if not lost:
            return None
        self.sessions.save_state(session.id, msgspec.structs.replace(session.state, variables=[]))
        return RestartNotice(image, back.instance_id, back.previous_instance_id, lost)
