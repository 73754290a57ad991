"""ImageRegistry: which images STUI knows, their identity, status and history, in memory.

An entry is keyed by its display name. Local images come from runtime files, others
were added by address and token (see `endpoints.py`); images seen in earlier runs come
back from the stored image records, so their sessions stay listed while they are away.
Two live entries that report the same image_id (a copied image file) are both kept and
both flagged; an index by image_id keeps that check O(1) per change.

The registry writes nothing to the session store: the health monitor is the one
writer of connection status there.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from stui.images.discovery import LocalDiscovery
from stui.images.endpoints import Endpoint, EndpointBook, RegistryError
from stui.images.latency import LatencyStats
from stui.launcher.names import validate_name
from stui.protocol.messages import ImageInfo
from stui.sessions.records import ImageRecord
from stui.status import ConnectionStatus

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class StatusChange:
    """One change of an image's connection status in this run."""

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
    record: ImageRecord | None = None  # what an earlier run stored, for images not yet seen
    latency: LatencyStats = field(default_factory=LatencyStats)
    history: deque[StatusChange] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    sessions: int | None = None
    busy: bool = False
    unsaved: bool | None = None
    last_error: str | None = None
    away_since: float | None = None  # wall clock; None while up

    @property
    def image_id(self) -> str | None:
        if self.identity is not None:
            return self.identity.image_id
        return self.record.image_id if self.record is not None else None

    @property
    def since(self) -> float | None:
        return self.history[-1].at if self.history else None


Listener = Callable[[ImageEntry], None]


class ImageRegistry:
    def __init__(
        self,
        known: Iterable[ImageRecord] = (),
        book: EndpointBook | None = None,
        local: LocalDiscovery | None = None,
    ) -> None:
        self.book = book or EndpointBook()
        self.local = local or LocalDiscovery()
        self._entries: dict[str, ImageEntry] = {}
        self._up_by_id: dict[str, set[str]] = {}
        self._listeners: list[Listener] = []
        self._load_known(known)

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

    def duplicates(self, entry: ImageEntry) -> tuple[str, ...]:
        """Other live entries that report this entry's image_id (a copied image?)."""
        if not entry.status.is_up or entry.image_id is None:
            return ()
        names = self._up_by_id.get(entry.image_id, set())
        return tuple(sorted(n for n in names if n != entry.name))

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- membership ---------------------------------------------------------------

    def discover(self) -> list[Endpoint]:
        """Every reachable endpoint: file and process look-ups (only of what changed
        since the last call), so callers on an event loop run it in a thread and hand
        the result to `refresh`."""
        return [*self.local.endpoints(), *self.book.load()]

    def refresh(self, endpoints: list[Endpoint] | None = None) -> list[ImageEntry]:
        """Apply discovered endpoints (discovering now if not given); answer new entries.

        A known image found again keeps its entry (and stored record) and becomes
        reachable: it is answered as new, so a watcher picks it up.
        """
        new = []
        for endpoint in self.discover() if endpoints is None else endpoints:
            entry = self._entries.get(endpoint.name)
            if entry is None:
                entry = self._entries[endpoint.name] = ImageEntry(endpoint.name, endpoint)
                new.append(entry)
            elif entry.status is not ConnectionStatus.REMOVED:
                if entry.endpoint is None:
                    new.append(entry)
                entry.endpoint = endpoint  # a restarted local image has a new port and token
        return new

    def add(self, name: str, address: str, token: str) -> ImageEntry:
        return self.add_many([(name, address, token)])[0]

    def add_many(self, wanted: Iterable[tuple[str, str, str]]) -> list[ImageEntry]:
        """Add endpoints by (name, address, token), all or none; the book is saved once
        (registering a fleet one by one rewrote it each time)."""
        wanted = list(wanted)
        for name, _, _ in wanted:
            validate_name(name)
            if name in self._entries and self._entries[name].endpoint is not None:
                raise RegistryError(f"an image named {name!r} is already known")
        added = []
        for endpoint in self.book.add_many(wanted):
            known = self._entries.get(endpoint.name)
            entry = self._entries[endpoint.name] = ImageEntry(endpoint.name, endpoint)
            if known is not None:
                entry.record = known.record
            added.append(entry)
        return added

    def remove(self, name: str) -> ImageEntry:
        """Forget an image: it is no longer watched; its stored sessions stay listed."""
        entry = self.get(name)
        self.book.remove(name)
        self.set_status(entry, ConnectionStatus.REMOVED, "removed by the user")
        del self._entries[name]
        return entry

    # -- state changes ------------------------------------------------------------

    def set_status(self, entry: ImageEntry, status: ConnectionStatus, reason: str) -> bool:
        """Change an entry's status; answer whether it changed."""
        if entry.status is status and entry.history:
            return False
        self._index(entry, up=False)
        entry.status = status
        instance = entry.identity.instance_id if entry.identity else None
        entry.history.append(StatusChange(time.time(), status, reason, instance))
        self._index(entry, up=status.is_up)
        self._notify(entry)
        return True

    def set_identity(self, entry: ImageEntry, identity: ImageInfo) -> None:
        self._index(entry, up=False)
        entry.identity = identity
        self._index(entry, up=entry.status.is_up)

    def seen(
        self, entry: ImageEntry, rtt: float, busy: bool, sessions: int, unsaved: bool | None
    ) -> None:
        entry.latency.add(rtt)
        entry.busy = busy
        entry.sessions = sessions
        entry.unsaved = unsaved
        self._notify(entry)

    def _index(self, entry: ImageEntry, up: bool) -> None:
        image_id = entry.image_id
        if image_id is None:
            return
        names = self._up_by_id.setdefault(image_id, set())
        if up:
            names.add(entry.name)
        else:
            names.discard(entry.name)
            if not names:
                del self._up_by_id[image_id]

    def _notify(self, entry: ImageEntry) -> None:
        for listener in self._listeners:
            listener(entry)

    def _load_known(self, known: Iterable[ImageRecord]) -> None:
        """Images seen in earlier runs: listed (as away) until they are found again."""
        for record in known:
            if not record.name or record.status == "removed" or record.name in self._entries:
                continue
            status = (
                ConnectionStatus.ORPHANED
                if record.status == "orphaned"
                else ConnectionStatus.DISCONNECTED
            )
            entry = ImageEntry(record.name, None, status=status, record=record)
            self._entries[record.name] = entry
