"""ImageRegistry: which images STUI knows, their identity, status and history.

An entry is keyed by its display name. Local images come from runtime files, others
were added by address and token (see `endpoints.py`); images seen in earlier runs come
back from the session store, so their sessions stay listed even while they are away.
Two live entries that report the same image_id (a copied image file) are both kept and
both flagged.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from stui.images.endpoints import Endpoint, EndpointBook, RegistryError, discover_local
from stui.images.latency import LatencyStats
from stui.images.status import ConnectionStatus
from stui.launcher.names import validate_name
from stui.protocol.messages import ImageInfo
from stui.sessions.manager import SessionManager

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class HistoryEntry:
    at: float
    status: ConnectionStatus
    reason: str
    instance_id: str | None


@dataclass
class ImageEntry:
    name: str
    endpoint: Endpoint | None
    status: ConnectionStatus = ConnectionStatus.CONNECTING
    identity: ImageInfo | None = None
    image_id: str | None = None
    last_seen: float | None = None
    since: float = field(default_factory=time.time)
    latency: LatencyStats = field(default_factory=LatencyStats)
    history: deque[HistoryEntry] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    duplicates: tuple[str, ...] = ()
    sessions: int | None = None
    busy: bool = False
    last_error: str | None = None
    away_since: float | None = None  # wall clock; None while up


Listener = Callable[[ImageEntry], None]


class ImageRegistry:
    def __init__(self, manager: SessionManager | None = None, book: EndpointBook | None = None):
        self.manager = manager
        self.book = book or EndpointBook()
        self._entries: dict[str, ImageEntry] = {}
        self._listeners: list[Listener] = []
        self._load_known()

    # -- queries ----------------------------------------------------------------

    def entries(self) -> list[ImageEntry]:
        return sorted(self._entries.values(), key=lambda e: e.name)

    def get(self, name: str) -> ImageEntry:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise RegistryError(f"no image named {name!r} is known (known: {known})") from None

    def find(self, name: str) -> ImageEntry | None:
        return self._entries.get(name)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- membership ---------------------------------------------------------------

    def discover(self) -> list[Endpoint]:
        """Every reachable endpoint: file and process look-ups, so callers on an event
        loop run it in a thread and hand the result to `refresh`."""
        return [*discover_local(), *self.book.load()]

    def refresh(self, endpoints: list[Endpoint] | None = None) -> list[ImageEntry]:
        """Apply discovered endpoints (discovering now if not given); answer new entries."""
        new = []
        for endpoint in self.discover() if endpoints is None else endpoints:
            entry = self._entries.get(endpoint.name)
            if entry is None:
                entry = self._entries[endpoint.name] = ImageEntry(endpoint.name, endpoint)
                new.append(entry)
            elif entry.status is not ConnectionStatus.REMOVED:
                entry.endpoint = endpoint  # a restarted local image has a new port and token
        return new

    def add(self, name: str, address: str, token: str) -> ImageEntry:
        validate_name(name)
        if name in self._entries and self._entries[name].endpoint is not None:
            raise RegistryError(f"an image named {name!r} is already known")
        endpoint = self.book.add(name, address, token)
        entry = self._entries[name] = ImageEntry(name, endpoint)
        return entry

    def remove(self, name: str) -> ImageEntry:
        """Forget an image: it is no longer watched; its stored sessions stay listed."""
        entry = self.get(name)
        self.book.remove(name)
        self.set_status(entry, ConnectionStatus.REMOVED, "removed by the user")
        del self._entries[name]
        self._update_duplicates()
        return entry

    # -- state changes ------------------------------------------------------------

    def set_status(
        self, entry: ImageEntry, status: ConnectionStatus, reason: str, record: bool = True
    ) -> None:
        """Change an entry's status. `record=False` when the caller records the event in
        the session store itself (the manager's handle_* operations do)."""
        if entry.status is status and entry.history:
            return
        entry.status = status
        entry.since = time.time()
        instance = entry.identity.instance_id if entry.identity else None
        entry.history.append(HistoryEntry(entry.since, status, reason, instance))
        self._update_duplicates()
        if record and self.manager is not None and entry.image_id is not None:
            self.manager.update_connection_status(entry.image_id, status.value, reason, instance)
        self._notify(entry)

    def set_identity(self, entry: ImageEntry, identity: ImageInfo) -> None:
        entry.identity = identity
        entry.image_id = identity.image_id
        entry.last_seen = time.time()
        if self.manager is not None:
            self.manager.save_image(
                identity.image_id,
                name=entry.name,
                address=entry.endpoint.address if entry.endpoint else None,
                dialect=identity.dialect,
                metadata={"version": identity.version, "image_path": identity.image_path},
            )
        self._update_duplicates()

    def seen(self, entry: ImageEntry, rtt: float, busy: bool, sessions: int) -> None:
        entry.last_seen = time.time()
        entry.latency.add(rtt)
        entry.busy = busy
        entry.sessions = sessions
        self._notify(entry)

    def _update_duplicates(self) -> None:
        by_id: dict[str, list[str]] = {}
        for entry in self._entries.values():
            if entry.image_id and entry.status.is_up:
                by_id.setdefault(entry.image_id, []).append(entry.name)
        for entry in self._entries.values():
            names = by_id.get(entry.image_id or "", [])
            entry.duplicates = tuple(n for n in names if n != entry.name) if len(names) > 1 else ()

    def _notify(self, entry: ImageEntry) -> None:
        for listener in self._listeners:
            listener(entry)

    def _away_since(self, image_id: str) -> float | None:
        """When an image was last seen going away, from the stored connection events."""
        assert self.manager is not None
        for event in self.manager.connection_history(image_id, limit=1):
            if event.event in ("disconnected", "orphaned"):
                return event.at.timestamp()
        return None

    def _load_known(self) -> None:
        """Images seen in earlier runs: listed (as away) until they are found again."""
        if self.manager is None:
            return
        for record in self.manager.list_images():
            if not record.name or record.status == "removed" or record.name in self._entries:
                continue
            status = (
                ConnectionStatus.ORPHANED
                if record.status == "orphaned"
                else ConnectionStatus.DISCONNECTED
            )
            entry = ImageEntry(record.name, None, status=status, image_id=record.image_id)
            entry.away_since = self._away_since(record.image_id)
            self._entries[record.name] = entry
