"""The session store: one SQLite file that several STUI processes share.

Safety comes from SQLite itself, used carefully:

- WAL journal, so readers never block the writer and a crash (even SIGKILL mid-write)
  leaves the last committed state; `synchronous=NORMAL` keeps commits cheap and still
  consistent (only an OS crash or power loss can lose the latest commits).
- Every write is one short `BEGIN IMMEDIATE` transaction: the write lock is taken up
  front, so two processes queue on `busy_timeout` instead of failing to upgrade a read.
- The file is checked before anything is written to it: a file that is not SQLite, an
  SQLite database of another program, or a store of a newer STUI is refused with a typed
  `StoreError`, and left exactly as it was.
- The store holds workspace code and results, so its files are private (0600): the
  database is created 0600 before SQLite opens it (SQLite gives `-wal` and `-shm` the
  database's mode), and a wider store of ours is narrowed when it is opened.

All SQL lives here (`StoreTx`); the rules about statuses live in the manager.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from stui import paths
from stui.sessions.errors import (
    CorruptStoreError,
    ForeignDatabaseError,
    NewerSchemaError,
    NotSQLiteError,
    StoreBusyError,
    StoreError,
)
from stui.sessions.records import (
    CleanupRecord,
    ConnectionEvent,
    ImageRecord,
    Session,
    SessionCounts,
    SessionInfo,
)
from stui.sessions.schema import APPLICATION_ID, MIGRATIONS, TABLES, Migration
from stui.sessions.state import decode_state
from stui.sessions.timestamps import from_text, maybe_from_text, to_text

SQLITE_HEADER = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT = 10.0
FILE_NAME = "sessions.db"
PRIVATE_FILE_MODE = 0o600
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")
WAL_SIZE_LIMIT = 64 * 1024 * 1024

_INFO_COLUMNS = (
    "id, image_id, client_id, image_session_id, label, status, created_at, updated_at, "
    "last_seen_at, state_bytes"
)
# One status change for StoreTx.record_statuses: image_id, at, status, reason, instance_id.
StatusRow = tuple[str, str, str, str | None, str | None]
_SEEN_STATUSES = frozenset({"connected", "degraded"})  # statuses that mean "seen now"
_IMAGE_COLUMNS = "image_id, name, address, dialect, instance_id, last_seen_at, status, metadata"
_CLEANUP_COLUMNS = (
    "id, at, image_id, client_id, scope, older_than_s, policy, cleaned, remaining, session_ids"
)
_json = msgspec.json.Encoder()
_ids = msgspec.json.Decoder(list[str])
_metadata = msgspec.json.Decoder(dict[str, Any])


def default_path() -> Path:
    """`sessions.db` in the user data directory (below `STUI_HOME` when it is set)."""
    return paths.data_dir() / FILE_NAME


class SessionStore:
    """An open session store. Thread-safe; one instance per process is enough.

    `migrations` is the schema history (normally `schema.MIGRATIONS`); it is a parameter
    so that the migration machinery itself can be exercised.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.busy_timeout = busy_timeout
        self._migrations = tuple(migrations)
        self._lock = threading.RLock()
        self._in_tx = False
        _check_file(self.path)
        self._conn: sqlite3.Connection | None = self._connect()
        try:
            self._prepare()
            _narrow_modes(self.path)
        except BaseException:
            self._conn.close()
            self._conn = None
            raise

    # -- opening ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(self.path, f"cannot create its directory: {exc}") from exc
        _create_private(self.path)
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open: {exc}") from exc
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        # After a checkpoint, shrink a WAL that a big transaction grew.
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        return conn

    def _prepare(self) -> None:
        """Refuse what is not ours, switch to WAL, then migrate step by step.

        An up-to-date store in WAL mode is opened with reads only, so opening never
        waits for another process's write.
        """
        with self._errors("open"):
            conn = self._conn_or_fail()
            # One read transaction: a consistent snapshot, even while another process
            # is creating the schema (else its tables could be seen before its id).
            conn.execute("BEGIN")
            try:
                version = self._classify(conn)
            finally:
                conn.execute("COMMIT")
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                mode = self._switch_to_wal(conn)
                if str(mode).lower() != "wal":
                    raise StoreError(
                        self.path,
                        f"cannot use WAL journal mode (got {mode!r}); is it on a network "
                        "file system?",
                    )
            conn.execute("PRAGMA synchronous = NORMAL")
            stepped = version < len(self._migrations)
            while stepped:
                stepped = self._migrate_one_step()
            missing = TABLES - self._objects(conn)
            if missing:
                raise CorruptStoreError(
                    self.path, f"tables {', '.join(sorted(missing))} are missing"
                )

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """Switch to WAL, waiting out another process that is doing the same.

        SQLite answers "locked" at once here instead of calling the busy handler when
        another connection holds the file during its own switch, so retry until the
        busy timeout.
        """
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _classify(self, conn: sqlite3.Connection) -> int:
        """The schema version of a store that is ours (0 for an empty file), else raise."""
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == 0:
            objects = self._objects(conn)
            if objects or version:
                names = ", ".join(sorted(objects)[:5]) or f"user_version {version}"
                raise ForeignDatabaseError(
                    self.path,
                    f"an SQLite database of another program ({names}); STUI leaves it "
                    "untouched. Move it away or point STUI_HOME elsewhere.",
                )
            return 0
        if app_id != APPLICATION_ID:
            raise ForeignDatabaseError(
                self.path,
                f"an SQLite database of another program (application id {app_id:#010x}); "
                "STUI leaves it untouched. Move it away or point STUI_HOME elsewhere.",
            )
        if version > len(self._migrations):
            raise NewerSchemaError(self.path, version, len(self._migrations))
        return version

    @staticmethod
    def _objects(conn: sqlite3.Connection) -> set[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
        return {row[0] for row in rows}

    def _migrate_one_step(self) -> bool:
        """Apply the next migration in its own transaction; False when up to date.

        The version is read again under the write lock, so two processes opening an old
        store at once apply each step exactly once.
        """
        conn = self._conn_or_fail()
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._classify(conn)
            if version == len(self._migrations):
                conn.execute("COMMIT")
                return False
            for statement in self._migrations[version]:
                conn.execute(statement)
            if version == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
            return True
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- life cycle ------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        with self._errors("read"):
            return self._conn_or_fail().execute("PRAGMA user_version").fetchone()[0]

    @property
    def closed(self) -> bool:
        return self._conn is None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def integrity_check(self) -> list[str]:
        """SQLite's full integrity check: `["ok"]` when the file is sound."""
        with self._lock, self._errors("check"):
            rows = self._conn_or_fail().execute("PRAGMA integrity_check").fetchall()
            return [row[0] for row in rows]

    # -- transactions ----------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[StoreTx]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT); rolled back on any error."""
        with self._transaction("BEGIN IMMEDIATE", "write") as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[StoreTx]:
        """One consistent snapshot for several reads."""
        with self._transaction("BEGIN", "read") as tx:
            yield tx

    @contextmanager
    def _transaction(self, begin: str, what: str) -> Iterator[StoreTx]:
        with self._lock, self._errors(what):
            if self._in_tx:
                raise RuntimeError("session store transactions do not nest")
            conn = self._conn_or_fail()
            conn.execute(begin)
            self._in_tx = True
            try:
                yield StoreTx(conn, self.path)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._in_tx = False

    def _conn_or_fail(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(self.path, "the store is closed")
        return self._conn

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn sqlite3 errors into typed store errors that name the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(self.path, what, exc) from exc


class StoreTx:
    """The SQL of the store, run inside one transaction of `SessionStore`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    # -- images ----------------------------------------------------------------------

    def ensure_image(self, image_id: str) -> None:
        self._conn.execute("INSERT OR IGNORE INTO images (image_id) VALUES (?)", (image_id,))

    def save_image(
        self,
        image_id: str,
        name: str | None,
        address: str | None,
        dialect: str | None,
        metadata: dict[str, Any] | None,
    ) -> None:
        """Insert or update the descriptive fields; a None field keeps its stored value."""
        self.ensure_image(image_id)
        meta = None if metadata is None else _json.encode(metadata).decode()
        self._conn.execute(
            "UPDATE images SET name = coalesce(?, name), address = coalesce(?, address), "
            "dialect = coalesce(?, dialect), metadata = coalesce(?, metadata) "
            "WHERE image_id = ?",
            (name, address, dialect, meta, image_id),
        )

    def set_image_status(
        self, image_id: str, status: str, instance_id: str | None, seen_at: str | None
    ) -> None:
        self.ensure_image(image_id)
        self._conn.execute(
            "UPDATE images SET status = ?, instance_id = coalesce(?, instance_id), "
            "last_seen_at = coalesce(?, last_seen_at) WHERE image_id = ?",
            (status, instance_id, seen_at, image_id),
        )

    def record_statuses(self, rows: Sequence[StatusRow]) -> None:
        """Several images' new statuses with their events, in order (a watcher's batch
        of one tick): two statements for the lot instead of a transaction each."""
        self._conn.executemany(
            "INSERT OR IGNORE INTO images (image_id) VALUES (?)", ((r[0],) for r in rows)
        )
        self._conn.executemany(
            "UPDATE images SET status = ?, last_seen_at = coalesce(?, last_seen_at) "
            "WHERE image_id = ?",
            ((r[2], r[1] if r[2] in _SEEN_STATUSES else None, r[0]) for r in rows),
        )
        self._conn.executemany(
            "INSERT INTO connection_events (image_id, at, event, reason, instance_id) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    def image(self, image_id: str) -> ImageRecord | None:
        row = self._conn.execute(
            f"SELECT {_IMAGE_COLUMNS} FROM images WHERE image_id = ?", (image_id,)
        ).fetchone()
        return None if row is None else self._image(row)

    def images(self) -> list[ImageRecord]:
        rows = self._conn.execute(f"SELECT {_IMAGE_COLUMNS} FROM images ORDER BY image_id")
        return [self._image(row) for row in rows]

    def delete_image(self, image_id: str) -> bool:
        """Delete an image with its sessions and connection events (foreign-key cascade)."""
        cursor = self._conn.execute("DELETE FROM images WHERE image_id = ?", (image_id,))
        return cursor.rowcount > 0

    def add_event(
        self, image_id: str, at: str, event: str, reason: str | None, instance_id: str | None
    ) -> ConnectionEvent:
        cursor = self._conn.execute(
            "INSERT INTO connection_events (image_id, at, event, reason, instance_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (image_id, at, event, reason, instance_id),
        )
        return ConnectionEvent(
            cursor.lastrowid or 0, image_id, from_text(at), event, reason, instance_id
        )  # type: ignore[arg-type]

    def events(self, image_id: str, limit: int) -> list[ConnectionEvent]:
        rows = self._conn.execute(
            "SELECT id, image_id, at, event, reason, instance_id FROM connection_events "
            "WHERE image_id = ? ORDER BY id DESC LIMIT ?",
            (image_id, limit),
        )
        return [ConnectionEvent(r[0], r[1], from_text(r[2]), r[3], r[4], r[5]) for r in rows]

    # -- sessions --------------------------------------------------------------------

    def insert_sessions(self, rows: Iterable[tuple[Session, str]]) -> None:
        """Insert sessions with their already-encoded state (one statement, bulk-fast)."""
        self._conn.executemany(
            "INSERT INTO sessions (id, image_id, client_id, image_session_id, label, status, "
            "created_at, updated_at, last_seen_at, state, state_bytes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    s.id,
                    s.image_id,
                    s.client_id,
                    s.image_session_id,
                    s.label,
                    s.status,
                    to_text(s.created_at),
                    to_text(s.updated_at),
                    to_text(s.last_seen_at),
                    state,
                    s.state_bytes,
                )
                for s, state in rows
            ),
        )

    def session(self, session_id: str, client_id: str) -> Session | None:
        row = self._conn.execute(
            f"SELECT {_INFO_COLUMNS}, state FROM sessions WHERE id = ? AND client_id = ?",
            (session_id, client_id),
        ).fetchone()
        return None if row is None else self._session(row)

    def session_info(self, session_id: str, client_id: str) -> SessionInfo | None:
        row = self._conn.execute(
            f"SELECT {_INFO_COLUMNS} FROM sessions WHERE id = ? AND client_id = ?",
            (session_id, client_id),
        ).fetchone()
        return None if row is None else _info(row)

    def latest_session_id(
        self, image_id: str, client_id: str, statuses: Sequence[str]
    ) -> str | None:
        marks = ", ".join("?" * len(statuses))
        row = self._conn.execute(
            f"SELECT id FROM sessions WHERE image_id = ? AND client_id = ? "
            f"AND status IN ({marks}) ORDER BY last_seen_at DESC, id LIMIT 1",
            (image_id, client_id, *statuses),
        ).fetchone()
        return None if row is None else row[0]

    def list_sessions(
        self, client_id: str, image_id: str | None, statuses: Sequence[str] | None
    ) -> list[SessionInfo]:
        where, args = _scope(client_id, image_id, statuses)
        rows = self._conn.execute(
            f"SELECT {_INFO_COLUMNS} FROM sessions WHERE {where} ORDER BY last_seen_at DESC, id",
            args,
        )
        return [_info(row) for row in rows]

    def session_ids(
        self,
        client_id: str,
        image_id: str | None,
        statuses: Sequence[str],
        seen_before: str | None = None,
    ) -> list[str]:
        where, args = _scope(client_id, image_id, statuses, seen_before)
        return [r[0] for r in self._conn.execute(f"SELECT id FROM sessions WHERE {where}", args)]

    def move_sessions(
        self,
        client_id: str,
        image_id: str | None,
        from_statuses: Sequence[str],
        to_status: str,
        now: str,
        *,
        seen: bool = False,
    ) -> list[str]:
        """Move every matching session to `to_status`; answer the ids that moved."""
        ids = self.session_ids(client_id, image_id, from_statuses)
        if ids:
            where, args = _scope(client_id, image_id, from_statuses)
            seen_sql, seen_args = (", last_seen_at = ?", (now,)) if seen else ("", ())
            self._conn.execute(
                f"UPDATE sessions SET status = ?, updated_at = ?{seen_sql} WHERE {where}",
                (to_status, now, *seen_args, *args),
            )
        return ids

    def forget_image_sessions(self, client_id: str, image_id: str, now: str) -> int:
        """Clear the image-side session ids of every session of an image (it restarted)."""
        cursor = self._conn.execute(
            "UPDATE sessions SET image_session_id = NULL, updated_at = ? WHERE image_id = ? "
            "AND client_id = ? AND image_session_id IS NOT NULL",
            (now, image_id, client_id),
        )
        return cursor.rowcount

    def update_session(self, session_id: str, **columns: Any) -> None:
        """Set the given columns of one session (column names come from this package)."""
        names = ", ".join(f"{name} = ?" for name in columns)
        self._conn.execute(
            f"UPDATE sessions SET {names} WHERE id = ?", (*columns.values(), session_id)
        )

    def delete_sessions(
        self, client_id: str, image_id: str | None, statuses: Sequence[str], seen_before: str | None
    ) -> None:
        where, args = _scope(client_id, image_id, statuses, seen_before)
        self._conn.execute(f"DELETE FROM sessions WHERE {where}", args)

    def count_sessions(self, client_id: str, image_id: str | None, statuses: Sequence[str]) -> int:
        where, args = _scope(client_id, image_id, statuses)
        return self._conn.execute(f"SELECT count(*) FROM sessions WHERE {where}", args).fetchone()[
            0
        ]

    def stats(self, client_id: str, image_id: str | None) -> SessionCounts:
        where, args = _scope(client_id, image_id, None)
        rows = self._conn.execute(
            f"SELECT status, count(*), total(state_bytes), max(last_seen_at) FROM sessions "
            f"WHERE {where} GROUP BY status",
            args,
        ).fetchall()
        counts = {status: count for status, count, _, _ in rows}
        seen = [last for *_, last in rows if last is not None]
        return SessionCounts(
            image_id=image_id,
            total=sum(counts.values()),
            active=counts.get("active", 0),
            detached=counts.get("detached", 0),
            orphaned=counts.get("orphaned", 0),
            closed=counts.get("closed", 0),
            state_bytes=int(sum(row[2] for row in rows)),
            last_activity=from_text(max(seen)) if seen else None,
        )

    # -- cleanups --------------------------------------------------------------------

    def add_cleanup(
        self,
        at: str,
        image_id: str | None,
        client_id: str,
        scope: str,
        older_than: timedelta | None,
        policy: bool,
        session_ids: list[str],
        remaining: int,
    ) -> CleanupRecord:
        seconds = None if older_than is None else older_than.total_seconds()
        ids_json = _json.encode(session_ids).decode()
        values = (
            at,
            image_id,
            client_id,
            scope,
            seconds,
            int(policy),
            len(session_ids),
            remaining,
            ids_json,
        )
        cursor = self._conn.execute(
            f"INSERT INTO cleanups ({_CLEANUP_COLUMNS.removeprefix('id, ')}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        row = (cursor.lastrowid, *values)
        return self._cleanup(row)

    def cleanups(self, client_id: str, image_id: str | None) -> list[CleanupRecord]:
        """Newest first; for one image, also the cleanups that covered all images."""
        if image_id is None:
            rows = self._conn.execute(
                f"SELECT {_CLEANUP_COLUMNS} FROM cleanups WHERE client_id = ? ORDER BY id DESC",
                (client_id,),
            )
        else:
            rows = self._conn.execute(
                f"SELECT {_CLEANUP_COLUMNS} FROM cleanups WHERE client_id = ? "
                "AND (image_id = ? OR image_id IS NULL) ORDER BY id DESC",
                (client_id, image_id),
            )
        return [self._cleanup(row) for row in rows]

    # -- row decoding ----------------------------------------------------------------

    def _session(self, row: Sequence[Any]) -> Session:
        try:
            state = decode_state(row[10])
        except (msgspec.DecodeError, TypeError) as exc:
            raise CorruptStoreError(
                self._path, f"the saved state of session {row[0]} cannot be read: {exc}"
            ) from exc
        info = _info(row)
        return Session(**{f: getattr(info, f) for f in info.__struct_fields__}, state=state)

    def _image(self, row: Sequence[Any]) -> ImageRecord:
        try:
            metadata = _metadata.decode(row[7])
        except msgspec.DecodeError as exc:
            raise CorruptStoreError(
                self._path, f"the metadata of image {row[0]} cannot be read: {exc}"
            ) from exc
        return ImageRecord(
            row[0], row[1], row[2], row[3], row[4], maybe_from_text(row[5]), row[6], metadata
        )

    def _cleanup(self, row: Sequence[Any]) -> CleanupRecord:
        try:
            ids = _ids.decode(row[9])
        except msgspec.DecodeError as exc:
            raise CorruptStoreError(
                self._path, f"cleanup record {row[0]} cannot be read: {exc}"
            ) from exc
        older = None if row[5] is None else timedelta(seconds=row[5])
        return CleanupRecord(
            row[0],
            from_text(row[1]),
            row[2],
            row[3],
            row[4],
            older,
            bool(row[6]),
            row[7],
            row[8],
            ids,
        )


def _info(row: Sequence[Any]) -> SessionInfo:
    return SessionInfo(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        from_text(row[6]),
        from_text(row[7]),
        from_text(row[8]),
        row[9],
    )


def _scope(
    client_id: str,
    image_id: str | None,
    statuses: Sequence[str] | None,
    seen_before: str | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause and its arguments selecting some of a client's sessions."""
    parts = ["client_id = ?"]
    args: list[Any] = [client_id]
    if image_id is not None:
        parts.append("image_id = ?")
        args.append(image_id)
    if statuses is not None:
        parts.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(statuses)
    if seen_before is not None:
        parts.append("last_seen_at < ?")
        args.append(seen_before)
    return " AND ".join(parts), tuple(args)


def _check_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that cannot be a store."""
    if path.is_dir():
        raise StoreError(path, "is a directory, not a file")
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(path, f"cannot be read: {exc.strerror}") from exc
    if head and head != SQLITE_HEADER:
        raise NotSQLiteError(
            path,
            "is not an SQLite database; STUI leaves it untouched. Move it away or "
            "point STUI_HOME elsewhere.",
        )


def _create_private(path: Path) -> None:
    """Create a missing store file as 0600, so that SQLite's -wal and -shm follow suit."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(path, f"cannot create: {exc.strerror}") from exc
    os.close(fd)


def _narrow_modes(path: Path) -> None:
    """Make the store and its side files 0600 if they are ours and wider (older STUIs)."""
    for file in (path, *(path.with_name(path.name + s) for s in SIDE_FILE_SUFFIXES)):
        try:
            info = file.stat()
            if info.st_mode & 0o077 and info.st_uid == os.getuid():
                os.chmod(file, PRIVATE_FILE_MODE)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(file, f"cannot make it private (0600): {exc.strerror}") from exc


def _translate(path: Path, what: str, exc: sqlite3.Error) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return StoreBusyError(path, f"{what}: still locked by another process ({exc})")
    if name.startswith("SQLITE_NOTADB"):
        return NotSQLiteError(path, f"is not an SQLite database ({exc})")
    if name.startswith("SQLITE_CORRUPT"):
        return CorruptStoreError(path, f"{what}: the file is damaged ({exc})")
    return StoreError(path, f"{what} failed: {exc}")


def encoded_size(text: str) -> int:
    """Bytes that `text` takes as UTF-8 (what the store counts as state size)."""
    return len(text.encode("utf-8"))
