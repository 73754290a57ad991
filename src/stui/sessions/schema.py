"""The store's schema as a list of migrations.

Migration N (1-based) takes a store from schema version N-1 to N. Each one is a list of
SQL statements that runs in one transaction together with the version bump, so a crash
leaves either the old version or the new one. The version is `PRAGMA user_version`; the
file is marked as ours by `PRAGMA application_id`. Never edit a released migration:
append a new one. The SQL avoids features newer than SQLite 3.31 (no STRICT, no
RETURNING), so the store works with the SQLite of older distributions too.
"""

from __future__ import annotations

from collections.abc import Sequence

Migration = Sequence[str]

APPLICATION_ID = 0x53545549  # "STUI"

V1: Migration = (
    """
    CREATE TABLE images (
        image_id     TEXT PRIMARY KEY,
        name         TEXT,
        address      TEXT,
        dialect      TEXT,
        instance_id  TEXT,
        last_seen_at TEXT,
        status       TEXT NOT NULL DEFAULT 'unknown' CHECK (status IN (
                         'unknown', 'connecting', 'connected', 'degraded',
                         'disconnected', 'orphaned', 'removed')),
        metadata     TEXT NOT NULL DEFAULT '{}'
    )
    """,
    """
    CREATE TABLE sessions (
        id               TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
        image_id         TEXT NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
        client_id        TEXT NOT NULL,
        image_session_id TEXT,
        label            TEXT,
        status           TEXT NOT NULL CHECK (status IN (
                             'active', 'detached', 'orphaned', 'closed')),
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        last_seen_at     TEXT NOT NULL,
        state            TEXT NOT NULL,
        state_bytes      INTEGER NOT NULL
    )
    """,
    # Restore the latest, list, stats and transitions of one image for one client.
    "CREATE INDEX sessions_by_image ON sessions (image_id, client_id, status, last_seen_at)",
    # Cleanup and listing across all images.
    "CREATE INDEX sessions_by_status ON sessions (client_id, status, last_seen_at)",
    """
    CREATE TABLE connection_events (
        id          INTEGER PRIMARY KEY,
        image_id    TEXT NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
        at          TEXT NOT NULL,
        event       TEXT NOT NULL,
        reason      TEXT,
        instance_id TEXT
    )
    """,
    "CREATE INDEX connection_events_by_image ON connection_events (image_id, id)",
    """
    CREATE TABLE cleanups (
        id           INTEGER PRIMARY KEY,
        at           TEXT NOT NULL,
        image_id     TEXT,
        client_id    TEXT NOT NULL,
        scope        TEXT NOT NULL CHECK (scope IN ('orphaned', 'older_than')),
        older_than_s REAL,
        policy       INTEGER NOT NULL CHECK (policy IN (0, 1)),
        cleaned      INTEGER NOT NULL,
        remaining    INTEGER NOT NULL,
        session_ids  TEXT NOT NULL
    )
    """,
    "CREATE INDEX cleanups_by_image ON cleanups (image_id, id)",
)

MIGRATIONS: tuple[Migration, ...] = (V1,)

TABLES: frozenset[str] = frozenset({"images", "sessions", "connection_events", "cleanups"})
