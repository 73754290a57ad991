"""Opening the SQLite session store: setup, refusals, migrations, damage."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import pytest

from stui import paths
from stui.sessions import (
    CorruptStoreError,
    ForeignDatabaseError,
    NewerSchemaError,
    NotSQLiteError,
    SessionManager,
    SessionState,
    SessionStore,
    StoreBusyError,
    StoreError,
)
from stui.sessions.schema import APPLICATION_ID, MIGRATIONS, TABLES

pytestmark = pytest.mark.usefixtures("stui_home")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_default_path_is_in_the_data_dir() -> None:
    with SessionStore() as store:
        assert store.path == paths.data_dir() / "sessions.db"
        assert store.path.exists()


def test_a_new_store_is_set_up(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "sessions.db"
    with SessionStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.integrity_check() == ["ok"]
        conn = store._conn
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert pragma(path, "application_id") == APPLICATION_ID
    assert pragma(path, "user_version") == len(MIGRATIONS)
    names = {
        r[0]
        for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert names >= TABLES


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore(path) as store:
        session = SessionManager(store, "c-1").create_session("img-1", "keep me")
    with SessionStore(path) as store:
        assert SessionManager(store, "c-1").get_session(session.id) == session


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    path.touch()
    with SessionStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)


def test_an_empty_sqlite_database_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size = 8192")
    conn.execute("VACUUM")
    conn.close()
    with SessionStore(path) as store:
        assert store.schema_version == len(MIGRATIONS)


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(4096),
        b"just some text\n",
        b"SQLite",  # shorter than the header
        b"SQLite format 2\x00" + bytes(100),
    ],
    ids=["random", "text", "short", "other-header"],
)
def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "sessions.db"
    path.write_bytes(content)
    with pytest.raises(NotSQLiteError, match="not an SQLite database") as caught:
        SessionStore(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions.db"]


def test_random_bytes_behind_a_valid_header_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    content = b"SQLite format 3\x00" + os.urandom(8192)
    path.write_bytes(content)
    with pytest.raises(StoreError):
        SessionStore(path)
    assert path.read_bytes() == content


def foreign_database(path: Path, app_id: int = 0, version: int = 0, table: bool = True) -> None:
    conn = sqlite3.connect(path)
    if table:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.execute(f"PRAGMA application_id = {app_id}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("app_id", "version", "table", "says"),
    [
        (0, 0, True, "invoices"),
        (0, 3, False, "user_version 3"),
        (0x12345678, 0, False, "0x12345678"),
        (0x12345678, 1, True, "0x12345678"),
    ],
    ids=["foreign-tables", "foreign-version", "foreign-app-id", "foreign-both"],
)
def test_a_foreign_sqlite_database_is_refused_and_left_alone(
    tmp_path: Path, app_id: int, version: int, table: bool, says: str
) -> None:
    path = tmp_path / "sessions.db"
    foreign_database(path, app_id, version, table)
    before = digest(path)
    with pytest.raises(ForeignDatabaseError, match="another program") as caught:
        SessionStore(path)
    assert says in str(caught.value)
    assert digest(path) == before
    assert pragma(path, "journal_mode") == "delete"


def test_a_foreign_database_in_wal_mode_is_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    foreign_database(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    before = digest(path)
    with pytest.raises(ForeignDatabaseError):
        SessionStore(path)
    assert digest(path) == before


def test_a_store_of_a_newer_stui_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SessionStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    before = digest(path)
    with pytest.raises(NewerSchemaError, match="newer STUI") as caught:
        SessionStore(path)
    assert caught.value.found == len(MIGRATIONS) + 1
    assert caught.value.known == len(MIGRATIONS)
    assert digest(path) == before


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        SessionStore(tmp_path)


def test_an_unreadable_location_gives_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        SessionStore(blocker / "sessions.db")


def test_a_store_missing_its_tables_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SessionStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE cleanups")
    conn.commit()
    conn.close()
    with pytest.raises(CorruptStoreError, match="cleanups"):
        SessionStore(path)


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.db")
    manager = SessionManager(store, "c-1")
    store.close()
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        manager.list_sessions()


def test_damaged_pages_are_reported_as_corruption(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore(path) as store:
        manager = SessionManager(store, "c-1")
        for i in range(300):
            session = manager.create_session(f"img-{i % 7}")
            manager.save_state(session.id, SessionState(buffers={"w": f"{i}" * 500}))
        conn = store._conn
        assert conn is not None
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with path.open("r+b") as handle:  # overwrite every page after the first two
        handle.seek(8192)
        handle.write(os.urandom(size - 8192))
    with pytest.raises(StoreError), SessionStore(path) as store:
        SessionManager(store, "c-1").list_sessions()
        assert store.integrity_check() == ["ok"]


def test_transactions_roll_back_on_error(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "sessions.db") as store:
        with pytest.raises(RuntimeError, match="boom"), store.write() as tx:
            tx.ensure_image("img-1")
            raise RuntimeError("boom")
        with store.read() as tx:
            assert tx.image("img-1") is None


def test_transactions_do_not_nest(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.db")
    with store, store.write(), pytest.raises(RuntimeError, match="do not nest"), store.read():
        pass


def test_a_writer_held_too_long_gives_a_busy_error(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    SessionStore(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SessionStore(path, busy_timeout=0.2) as store:
            with pytest.raises(StoreBusyError, match="locked by another process"):
                SessionManager(store, "c-1").create_session("img-1")
            # reads still work while another process writes (WAL)
            assert SessionManager(store, "c-1").list_sessions() == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_one_store_is_safe_across_threads(tmp_path: Path) -> None:
    with SessionStore(tmp_path / "sessions.db") as store:
        manager = SessionManager(store, "c-1")
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for _ in range(50):
                    session = manager.create_session(f"img-{n}")
                    manager.save_state(session.id, SessionState(buffers={"n": str(n)}))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert manager.session_stats().total == 200


# -- migrations ---------------------------------------------------------------------

V2_TEST = (
    "ALTER TABLE sessions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX sessions_pinned ON sessions (pinned)",
)


def test_a_v1_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore(path, migrations=MIGRATIONS[:1]) as store:
        session = SessionManager(store, "c-1").create_session("img-1", "old")
        assert store.schema_version == 1
    with SessionStore(path, migrations=(*MIGRATIONS[:1], V2_TEST)) as store:
        assert store.schema_version == 2
        assert SessionManager(store, "c-1").get_session(session.id) == session
        conn = store._conn
        assert conn is not None
        assert conn.execute("SELECT pinned FROM sessions").fetchall() == [(0,)]
    with pytest.raises(NewerSchemaError):
        SessionStore(path, migrations=MIGRATIONS[:1])


def test_a_failing_migration_leaves_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore(path, migrations=MIGRATIONS[:1]) as store:
        session = SessionManager(store, "c-1").create_session("img-1")
    broken = ("CREATE TABLE extra (x)", "THIS IS NOT SQL")
    with pytest.raises(StoreError, match="syntax error"):
        SessionStore(path, migrations=(*MIGRATIONS[:1], broken))
    assert pragma(path, "user_version") == 1
    with SessionStore(path, migrations=MIGRATIONS[:1]) as store:
        conn = store._conn
        assert conn is not None
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall() == []
        assert SessionManager(store, "c-1").get_session(session.id) == session
