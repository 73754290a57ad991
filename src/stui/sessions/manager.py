"""Client-side session bookkeeping: statuses, transitions, cleanups and their history.

The manager never talks to an image. The images layer calls it when something happens
(a connection came up, went down, an image stayed away too long) and acts on what it
answers (re-attach or re-create image-side sessions). Every operation is one short
store transaction, so two STUI processes sharing a store see each other's changes whole.

Status transitions (anything else is refused or a no-op):

    create                      -> active
    active    --disconnection-> detached
    detached  --reconnection--> active
    detached  --mark_orphaned-> orphaned
    detached | orphaned --restore--> active
    any but closed --close--> closed        (kept, listed, never used again)
    open --transfer(move)-> active          (same session, on another image)
    open --transfer(clone)-> unchanged      (plus a new active session on the target)
    orphaned  --cleanup-------> deleted     (recorded in the cleanup history)

All operations see only the sessions of this manager's `client_id`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from stui.sessions.errors import (
    AmbiguousSession,
    InvalidArgument,
    SessionClosedError,
    SessionNotFound,
)
from stui.sessions.ids import check_external_id, check_session_id, new_session_id
from stui.sessions.records import (
    SESSION_STATUSES,
    CleanupRecord,
    ConnectionEvent,
    ImageRecord,
    Reconnection,
    Session,
    SessionCounts,
    SessionInfo,
    SessionStatus,
)
from stui.sessions.state import (
    HistoryEntry,
    SessionState,
    Transfer,
    TransferKind,
    encode_state,
)
from stui.sessions.store import SessionStore, StoreTx, encoded_size
from stui.sessions.timestamps import Clock, from_text, to_text, utc_now
from stui.status import ConnectionStatus

# One evaluation to record: the session id, its history entry, the variables it bound.
Evaluation = tuple[str, HistoryEntry, Iterable[str]]
OPEN_STATUSES: tuple[SessionStatus, ...] = ("active", "detached", "orphaned")
MAX_LABEL = 200
MAX_REASON = 1000


class SessionManager:
    """The client's sessions in one store, for one `client_id`.

    `clock` gives the current time (UTC); it is a parameter so that ages can be tested
    without waiting.
    """

    def __init__(self, store: SessionStore, client_id: str, *, clock: Clock = utc_now) -> None:
        self.store = store
        self.client_id = check_external_id("client id", client_id)
        self._clock = clock

    # -- sessions --------------------------------------------------------------------

    def create_session(self, image_id: str, label: str | None = None) -> Session:
        """A new active session for an image, with an empty state."""
        image_id = _image_id(image_id)
        label = _text("label", label, MAX_LABEL)
        now = self._now()
        state = SessionState()
        text = encode_state(state)
        session = Session(
            id=new_session_id(),
            image_id=image_id,
            client_id=self.client_id,
            image_session_id=None,
            label=label,
            status="active",
            created_at=now,
            updated_at=now,
            last_seen_at=now,
            state_bytes=encoded_size(text),
            state=state,
        )
        with self.store.write() as tx:
            tx.ensure_image(image_id)
            tx.insert_sessions([(session, text)])
        return session

    def restore_session(self, image_id: str, session_id: str | None = None) -> Session:
        """Make a session of `image_id` active again and answer it with its state.

        Without `session_id`, the most recently used session that is not closed.
        Raises `SessionNotFound` when there is none (or the id is of another image or
        client) and `SessionClosedError` for a closed one.
        """
        image_id = _image_id(image_id)
        if session_id is not None:
            session_id = check_session_id(session_id)
        now = self._now()
        with self.store.write() as tx:
            if session_id is None:
                session_id = tx.latest_session_id(image_id, self.client_id, OPEN_STATUSES)
                if session_id is None:
                    raise SessionNotFound(f"no session to restore for image {image_id}")
            info = tx.session_info(session_id, self.client_id)
            if info is None or info.image_id != image_id:
                raise SessionNotFound(f"no session {session_id} for image {image_id}")
            _not_closed(info)
            tx.update_session(
                session_id, status="active", updated_at=to_text(now), last_seen_at=to_text(now)
            )
            return self._load(tx, session_id)

    def get_session(self, session_id: str) -> Session:
        """One session with its state, whatever its status."""
        session_id = check_session_id(session_id)
        with self.store.read() as tx:
            return self._load(tx, session_id)

    def find_session(self, ref: str, image_id: str | None = None) -> SessionInfo:
        """A session named by its id, its label, or a unique id prefix (as git does)."""
        if not isinstance(ref, str) or not ref:
            raise SessionNotFound("no session named by an empty reference")
        rows = self.list_sessions(image_id)
        for matches in (
            [r for r in rows if r.id == ref],
            [r for r in rows if r.label == ref],
            [r for r in rows if r.id.startswith(ref)],
        ):
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                ids = ", ".join(r.id[:12] for r in matches[:5])
                raise AmbiguousSession(f"{ref!r} names {len(matches)} sessions ({ids}…)")
        raise SessionNotFound(f"no session {ref!r}; see: stui sessions list")

    def list_sessions(
        self, image_id: str | None = None, statuses: Iterable[SessionStatus] | None = None
    ) -> list[SessionInfo]:
        """Sessions (without state), most recently used first."""
        if image_id is not None:
            image_id = _image_id(image_id)
        wanted = None if statuses is None else _statuses(statuses)
        with self.store.read() as tx:
            return tx.list_sessions(self.client_id, image_id, wanted)

    def session_stats(self, image_id: str | None = None) -> SessionCounts:
        """Counts by status, stored state size and last use, for one image or all."""
        if image_id is not None:
            image_id = _image_id(image_id)
        with self.store.read() as tx:
            return tx.stats(self.client_id, image_id)

    def save_state(self, session_id: str, state: SessionState) -> SessionInfo:
        """Replace the saved client-side state of a session that is not closed."""
        session_id = check_session_id(session_id)
        text = encode_state(state)
        now = to_text(self._now())
        with self.store.write() as tx:
            _not_closed(self._info(tx, session_id))
            tx.update_session(
                session_id,
                state=text,
                state_bytes=encoded_size(text),
                updated_at=now,
                last_seen_at=now,
            )
            return self._info(tx, session_id)

    def record_evaluations(self, entries: Sequence[Evaluation], limit: int) -> None:
        """Append evaluations to their sessions' histories (each kept to its last `limit`
        entries) and add the workspace variables they bound, all in one transaction: a
        broadcast to fifty images writes once, not fifty times.

        A closed or unknown session refuses the whole batch, and nothing is written.
        """
        with self.store.write() as tx:
            states: dict[str, SessionState] = {}
            for session_id, entry, bound in entries:
                if session_id not in states:
                    session = self._load(tx, check_session_id(session_id))
                    _not_closed(session)
                    states[session_id] = session.state
                state = states[session_id]
                variables = sorted({*state.variables, *bound}) if bound else state.variables
                states[session_id] = msgspec.structs.replace(
                    state, history=[*state.history, entry][-limit:], variables=variables
                )
            now = to_text(self._now())
            for session_id, state in states.items():
                text = encode_state(state)
                tx.update_session(
                    session_id, state=text, state_bytes=encoded_size(text),
                    updated_at=now, last_seen_at=now,
                )  # fmt: skip

    def bind_image_session(self, session_id: str, image_session_id: str | None) -> SessionInfo:
        """Record the image-side session (`s-…`) that serves this session (None: none)."""
        session_id = check_session_id(session_id)
        if image_session_id is not None:
            image_session_id = check_external_id("image session id", image_session_id)
        with self.store.write() as tx:
            _not_closed(self._info(tx, session_id))
            tx.update_session(
                session_id, image_session_id=image_session_id, updated_at=to_text(self._now())
            )
            return self._info(tx, session_id)

    def close_session(self, session_id: str) -> SessionInfo:
        """Close a session for good; closing a closed session changes nothing."""
        session_id = check_session_id(session_id)
        with self.store.write() as tx:
            if self._info(tx, session_id).status != "closed":
                tx.update_session(session_id, status="closed", updated_at=to_text(self._now()))
            return self._info(tx, session_id)

    def transfer_session(
        self, session_id: str, to_image_id: str, kind: TransferKind, label: str | None = None
    ) -> Session:
        """Clone or move an open session to another image; answer the session there.

        A clone is a new active session on `to_image_id` with the source's client state
        (workspaces, history, tools, selections); the source is left as it was. A move
        re-binds the same session to `to_image_id`, active, with no image-side session
        yet. Neither carries workspace variables: they live in the image they were bound
        in, so the new end starts with none and the `Transfer` names those left behind.
        Both ends record the transfer, in one transaction.
        """
        session_id = check_session_id(session_id)
        to_image_id = _image_id(to_image_id)
        label = _text("label", label, MAX_LABEL)
        if kind not in ("clone", "move"):
            raise InvalidArgument(f"unknown transfer {kind!r}: expected clone or move")
        now = self._now()
        with self.store.write() as tx:
            source = self._load(tx, session_id)
            _not_closed(source)
            if kind == "move" and source.image_id == to_image_id:
                raise InvalidArgument(f"session {session_id} is already on that image")
            tx.ensure_image(to_image_id)
            target_id = session_id if kind == "move" else new_session_id()
            transfer = Transfer(
                kind, session_id, source.image_id, target_id, to_image_id, now,
                list(source.state.variables),
            )  # fmt: skip
            carried = msgspec.structs.replace(
                source.state, variables=[], transfers=[*source.state.transfers, transfer]
            )
            if kind == "move":
                self._move(tx, source, to_image_id, carried, now)
            else:
                self._clone(tx, source, target_id, to_image_id, carried, label, now)
            return self._load(tx, target_id)

    def _move(
        self, tx: StoreTx, source: Session, to_image_id: str, state: SessionState, now: datetime
    ) -> None:
        text = encode_state(state)
        at = to_text(now)
        tx.update_session(
            source.id, image_id=to_image_id, image_session_id=None, status="active",
            state=text, state_bytes=encoded_size(text), updated_at=at, last_seen_at=at,
        )  # fmt: skip

    def _clone(
        self,
        tx: StoreTx,
        source: Session,
        target_id: str,
        to_image_id: str,
        state: SessionState,
        label: str | None,
        now: datetime,
    ) -> None:
        text = encode_state(state)
        clone = Session(
            id=target_id, image_id=to_image_id, client_id=self.client_id,
            image_session_id=None, label=label, status="active", created_at=now,
            updated_at=now, last_seen_at=now, state_bytes=encoded_size(text), state=state,
        )  # fmt: skip
        tx.insert_sessions([(clone, text)])
        kept = msgspec.structs.replace(
            source.state, transfers=[*source.state.transfers, state.transfers[-1]]
        )
        kept_text = encode_state(kept)
        tx.update_session(
            source.id, state=kept_text, state_bytes=encoded_size(kept_text),
            updated_at=to_text(now),
        )  # fmt: skip

    # -- connection life cycle -------------------------------------------------------

    def update_connection_status(
        self,
        image_id: str,
        status: ConnectionStatus | str,
        reason: str | None = None,
        instance_id: str | None = None,
    ) -> ConnectionEvent:
        """Record an image's new connection status; sessions are not touched.

        `instance_id` goes into the event only: the image's recorded instance is the one
        its sessions were last brought back on, and only `handle_reconnection` moves it,
        so that reporting a status first can never hide a restart from it.
        `handle_disconnection`, `handle_reconnection` and `mark_orphaned` record their
        own event, so call those instead of this for those three changes.
        """
        image_id = _image_id(image_id)
        if status not in set(ConnectionStatus):
            known = ", ".join(ConnectionStatus)
            raise InvalidArgument(f"unknown image status {status!r}: expected one of {known}")
        if instance_id is not None:
            instance_id = check_external_id("instance id", instance_id)
        reason = _reason(reason)
        now = to_text(self._now())
        seen = now if status in ("connected", "degraded") else None
        with self.store.write() as tx:
            tx.set_image_status(image_id, status, None, seen)
            return tx.add_event(image_id, now, status, reason, instance_id)

    def handle_disconnection(self, image_id: str, reason: str) -> list[str]:
        """The image went away: its active sessions become detached; answers their ids."""
        image_id = _image_id(image_id)
        reason = _reason(reason)
        now = to_text(self._now())
        with self.store.write() as tx:
            tx.set_image_status(image_id, "disconnected", None, None)
            tx.add_event(image_id, now, "disconnected", reason, None)
            return tx.move_sessions(self.client_id, image_id, ("active",), "detached", now)

    def handle_reconnection(
        self, image_id: str, instance_id: str, *, activate: bool = True
    ) -> Reconnection:
        """The image is (back) up: its active and detached sessions become active.

        With `activate=False` (a one-shot command that connects for a moment) statuses
        stay as they are; only the instance is recorded, and a restart is handled.

        Call it after every successful handshake, the first one included: sessions left
        `active` by a STUI that crashed are picked up too. If the image reports another
        `instance_id` than last time, it restarted: the image-side session ids of all its
        sessions are cleared and `instance_changed` is true. With no instance on record
        (first connection) the bindings are kept; an attach that fails tells the caller
        to re-create.
        """
        image_id = _image_id(image_id)
        instance_id = check_external_id("instance id", instance_id)
        now = to_text(self._now())
        with self.store.write() as tx:
            image = tx.image(image_id)
            previous = None if image is None else image.instance_id
            changed = previous is not None and previous != instance_id
            if changed:
                tx.forget_image_sessions(self.client_id, image_id, now)
            if activate:
                ids = tx.move_sessions(
                    self.client_id, image_id, ("active", "detached"), "active", now, seen=True
                )
            else:
                ids = tx.session_ids(self.client_id, image_id, ("active", "detached"), None)
            if changed or activate or previous is None:
                tx.set_image_status(image_id, "connected", instance_id, now)
                event, reason = (
                    ("restarted", f"new instance; was {previous}")
                    if changed
                    else (
                        "connected",
                        None,
                    )
                )
                tx.add_event(image_id, now, event, reason, instance_id)
            sessions = [self._load(tx, session_id) for session_id in ids]
        return Reconnection(image_id, instance_id, previous, changed, sessions)

    def mark_orphaned(self, image_id: str) -> list[str]:
        """The image stayed away too long: detached sessions become orphaned."""
        image_id = _image_id(image_id)
        now = to_text(self._now())
        with self.store.write() as tx:
            tx.set_image_status(image_id, "orphaned", None, None)
            tx.add_event(image_id, now, "orphaned", None, None)
            return tx.move_sessions(self.client_id, image_id, ("detached",), "orphaned", now)

    def connection_history(self, image_id: str, limit: int = 100) -> list[ConnectionEvent]:
        """The latest connection events of an image, newest first."""
        image_id = _image_id(image_id)
        with self.store.read() as tx:
            return tx.events(image_id, max(0, int(limit)))

    # -- cleanup ---------------------------------------------------------------------

    def cleanup_orphaned(
        self,
        image_id: str | None = None,
        older_than: timedelta | None = None,
        policy: bool = False,
    ) -> CleanupRecord:
        """Delete orphaned sessions (of one image or all), optionally only those unused
        for longer than `older_than`, and record the cleanup. `policy` says whether a
        policy (age) or a person (explicit, confirmed) asked for it."""
        if image_id is not None:
            image_id = _image_id(image_id)
        if older_than is not None and (
            not isinstance(older_than, timedelta) or older_than < timedelta(0)
        ):
            raise InvalidArgument(f"older_than must be a timedelta >= 0, not {older_than!r}")
        now = self._now()
        cutoff = None if older_than is None else to_text(now - older_than)
        with self.store.write() as tx:
            ids = tx.session_ids(self.client_id, image_id, ("orphaned",), cutoff)
            tx.delete_sessions(self.client_id, image_id, ("orphaned",), cutoff)
            remaining = tx.count_sessions(self.client_id, image_id, OPEN_STATUSES)
            return tx.add_cleanup(
                to_text(now),
                image_id,
                self.client_id,
                "orphaned" if older_than is None else "older_than",
                older_than,
                bool(policy),
                ids,
                remaining,
            )

    def cleanup_history(self, image_id: str | None = None) -> list[CleanupRecord]:
        """Recorded cleanups, newest first (for one image: with those of all images)."""
        if image_id is not None:
            image_id = _image_id(image_id)
        with self.store.read() as tx:
            return tx.cleanups(self.client_id, image_id)

    # -- images ----------------------------------------------------------------------

    def save_image(
        self,
        image_id: str,
        *,
        name: str | None = None,
        address: str | None = None,
        dialect: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ImageRecord:
        """Remember what the registry knows about an image; None keeps a stored field."""
        image_id = _image_id(image_id)
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidArgument(f"metadata must be a dict, not {type(metadata).__name__}")
        with self.store.write() as tx:
            tx.save_image(image_id, name, address, dialect, metadata)
            image = tx.image(image_id)
        assert image is not None
        return image

    def get_image(self, image_id: str) -> ImageRecord | None:
        image_id = _image_id(image_id)
        with self.store.read() as tx:
            return tx.image(image_id)

    def list_images(self) -> list[ImageRecord]:
        with self.store.read() as tx:
            return tx.images()

    def forget_image(self, image_id: str) -> bool:
        """Delete an image with all its sessions (of every client) and events."""
        image_id = _image_id(image_id)
        with self.store.write() as tx:
            return tx.delete_image(image_id)

    # -- helpers ---------------------------------------------------------------------

    def _now(self) -> datetime:
        """The clock's time, as it will read back from the store (UTC, microseconds)."""
        return from_text(to_text(self._clock()))

    def _info(self, tx: StoreTx, session_id: str) -> SessionInfo:
        info = tx.session_info(session_id, self.client_id)
        if info is None:
            raise SessionNotFound(f"no session {session_id}")
        return info

    def _load(self, tx: StoreTx, session_id: str) -> Session:
        session = tx.session(session_id, self.client_id)
        if session is None:
            raise SessionNotFound(f"no session {session_id}")
        return session


def _image_id(value: str) -> str:
    return check_external_id("image id", value)


def _text(what: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidArgument(f"{what} must be a string of at most {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgument(f"{what} is not valid text: {exc}") from exc
    return value


def _reason(value: str | None) -> str | None:
    """A reason is informative only: cut it to size and mend bad text, never refuse it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"reason must be a string, not {type(value).__name__}")
    value = value[:MAX_REASON]
    return value.encode("utf-8", "replace").decode("utf-8")


def _statuses(statuses: Iterable[str]) -> list[str]:
    if isinstance(statuses, str):
        raise InvalidArgument(f"statuses must be a collection of statuses, not {statuses!r}")
    wanted = list(dict.fromkeys(statuses))
    unknown = [s for s in wanted if s not in SESSION_STATUSES]
    if unknown:
        raise InvalidArgument(
            f"unknown session status {unknown[0]!r}: expected some of {', '.join(SESSION_STATUSES)}"
        )
    return wanted


def _not_closed(info: SessionInfo) -> None:
    if info.status == "closed":
        raise SessionClosedError(f"session {info.id} is closed")
