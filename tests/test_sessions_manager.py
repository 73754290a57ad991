"""SessionManager against a real SQLite store in tmp_path: every operation and rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stui.sessions import (
    HistoryEntry,
    InvalidArgument,
    InvalidIdError,
    InvalidSessionId,
    OpenTool,
    Selection,
    SessionClosedError,
    SessionManager,
    SessionNotFound,
    SessionState,
    SessionStore,
)

IMAGE = "0b8e5a2c-6f0e-4b7e-9d55-1f2a3b4c5d6e"
OTHER_IMAGE = "img-2"
CLIENT = "c-3f2a"

pytestmark = pytest.mark.usefixtures("stui_home")


class ManualClock:
    """A clock the test moves by hand, so ages need no waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def store(tmp_path: Path):
    with SessionStore(tmp_path / "sessions.db") as store:
        yield store


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def manager(store: SessionStore, clock: ManualClock) -> SessionManager:
    return SessionManager(store, CLIENT, clock=clock)


def sample_state() -> SessionState:
    return SessionState(
        buffers={"workspace": "3 + 4", "scratch": "Transcript show: 'hi'"},
        history=[
            HistoryEntry("3 + 4", "print", "7", datetime(2026, 1, 1, tzinfo=UTC)),
            HistoryEntry("nil foo", "do", None, datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
        ],
        tools=[OpenTool("browser", "Object>>printOn:"), OpenTool("inspector", "h-12")],
        selections={"workspace": Selection(0, 5)},
    )


# -- create, get, restore -----------------------------------------------------------


def test_create_session_is_active_and_empty(manager: SessionManager, clock: ManualClock) -> None:
    session = manager.create_session(IMAGE, label="ws")
    assert session.status == "active"
    assert session.label == "ws"
    assert session.image_id == IMAGE
    assert session.client_id == CLIENT
    assert session.image_session_id is None
    assert session.state == SessionState()
    assert session.created_at == session.last_seen_at == clock.now
    assert manager.get_session(session.id) == session


def test_create_remembers_the_image(manager: SessionManager) -> None:
    manager.create_session(IMAGE)
    image = manager.get_image(IMAGE)
    assert image is not None
    assert image.status == "unknown"


def test_restore_without_id_picks_the_latest_open_session(
    manager: SessionManager, clock: ManualClock
) -> None:
    first = manager.create_session(IMAGE, "first")
    clock.advance(seconds=1)
    second = manager.create_session(IMAGE, "second")
    clock.advance(seconds=1)
    manager.close_session(second.id)
    manager.create_session(OTHER_IMAGE)
    assert manager.restore_session(IMAGE).id == first.id
    clock.advance(seconds=1)
    third = manager.create_session(IMAGE, "third")
    assert manager.restore_session(IMAGE).id == third.id


def test_restore_by_id_brings_an_orphan_back(manager: SessionManager, clock: ManualClock) -> None:
    session = manager.create_session(IMAGE)
    manager.save_state(session.id, sample_state())
    manager.handle_disconnection(IMAGE, "timeout")
    manager.mark_orphaned(IMAGE)
    clock.advance(hours=1)
    restored = manager.restore_session(IMAGE, session.id)
    assert restored.status == "active"
    assert restored.state == sample_state()
    assert restored.last_seen_at == clock.now


def test_restore_with_nothing_to_restore(manager: SessionManager) -> None:
    with pytest.raises(SessionNotFound, match="no session to restore"):
        manager.restore_session(IMAGE)


def test_restore_refuses_a_session_of_another_image(manager: SessionManager) -> None:
    session = manager.create_session(IMAGE)
    with pytest.raises(SessionNotFound):
        manager.restore_session(OTHER_IMAGE, session.id)


def test_restore_refuses_a_closed_session(manager: SessionManager) -> None:
    session = manager.create_session(IMAGE)
    manager.close_session(session.id)
    with pytest.raises(SessionClosedError):
        manager.restore_session(IMAGE, session.id)


def test_another_client_cannot_see_or_touch_my_sessions(
    store: SessionStore, manager: SessionManager
) -> None:
    mine = manager.create_session(IMAGE)
    theirs = SessionManager(store, "c-other")
    assert theirs.list_sessions() == []
    assert theirs.session_stats(IMAGE).total == 0
    for action in (
        lambda: theirs.get_session(mine.id),
        lambda: theirs.restore_session(IMAGE, mine.id),
        lambda: theirs.save_state(mine.id, SessionState()),
        lambda: theirs.close_session(mine.id),
        lambda: theirs.bind_image_session(mine.id, "s-" + "0" * 32),
    ):
        with pytest.raises(SessionNotFound):
            action()
    theirs.handle_disconnection(IMAGE, "x")
    assert manager.get_session(mine.id).status == "active"


# -- list and stats -----------------------------------------------------------------


def test_list_sessions_filters_and_orders(manager: SessionManager, clock: ManualClock) -> None:
    a = manager.create_session(IMAGE)
    clock.advance(seconds=1)
    b = manager.create_session(IMAGE)
    clock.advance(seconds=1)
    c = manager.create_session(OTHER_IMAGE)
    manager.close_session(a.id)
    assert [s.id for s in manager.list_sessions()] == [c.id, b.id, a.id]
    assert [s.id for s in manager.list_sessions(IMAGE)] == [b.id, a.id]
    assert [s.id for s in manager.list_sessions(IMAGE, ["closed"])] == [a.id]
    assert [s.id for s in manager.list_sessions(statuses=("active",))] == [c.id, b.id]
    assert manager.list_sessions(statuses=[]) == []


def test_list_sessions_rejects_unknown_statuses(manager: SessionManager) -> None:
    with pytest.raises(InvalidArgument, match="unknown session status 'gone'"):
        manager.list_sessions(statuses=["active", "gone"])
    with pytest.raises(InvalidArgument):
        manager.list_sessions(statuses="active")  # type: ignore[arg-type]


def test_session_stats(manager: SessionManager, clock: ManualClock) -> None:
    empty = manager.session_stats(IMAGE)
    assert (empty.total, empty.state_bytes, empty.last_activity) == (0, 0, None)
    sessions = [manager.create_session(IMAGE) for _ in range(4)]
    manager.create_session(OTHER_IMAGE)
    manager.close_session(sessions[0].id)
    manager.handle_disconnection(IMAGE, "gone")
    manager.mark_orphaned(IMAGE)
    manager.restore_session(IMAGE, sessions[1].id)
    clock.advance(minutes=5)
    info = manager.save_state(sessions[2].id, sample_state())
    stats = manager.session_stats(IMAGE)
    assert (stats.total, stats.active, stats.detached, stats.orphaned, stats.closed) == (
        4,
        1,
        0,
        2,
        1,
    )
    assert stats.last_activity == clock.now
    expected = sum(manager.get_session(s.id).state_bytes for s in sessions)
    assert stats.state_bytes == expected
    assert info.state_bytes > sessions[0].state_bytes
    assert manager.session_stats().total == 5


# -- state and binding --------------------------------------------------------------


def test_save_state_round_trips_and_touches(manager: SessionManager, clock: ManualClock) -> None:
    session = manager.create_session(IMAGE)
    clock.advance(seconds=30)
    info = manager.save_state(session.id, sample_state())
    assert info.last_seen_at == info.updated_at == clock.now
    assert manager.get_session(session.id).state == sample_state()


def test_save_state_on_closed_or_unknown_session(manager: SessionManager) -> None:
    session = manager.create_session(IMAGE)
    manager.close_session(session.id)
    with pytest.raises(SessionClosedError):
        manager.save_state(session.id, sample_state())
    with pytest.raises(SessionNotFound):
        manager.save_state("no-such-session", sample_state())


def test_save_state_rejects_non_state(manager: SessionManager) -> None:
    session = manager.create_session(IMAGE)
    with pytest.raises(InvalidArgument):
        manager.save_state(session.id, {"buffers": {}})  # type: ignore[arg-type]


def test_bind_image_session(manager: SessionManager) -> None:
    session = manager.create_session(IMAGE)
    image_session = "s-" + "a" * 32
    assert manager.bind_image_session(session.id, image_session).image_session_id == image_session
    assert manager.get_session(session.id).image_session_id == image_session
    assert manager.bind_image_session(session.id, None).image_session_id is None
    with pytest.raises(InvalidIdError):
        manager.bind_image_session(session.id, "../../etc/passwd")


def test_close_session_is_idempotent(manager: SessionManager, clock: ManualClock) -> None:
    session = manager.create_session(IMAGE)
    first = manager.close_session(session.id)
    clock.advance(seconds=1)
    assert manager.close_session(session.id) == first
    assert first.status == "closed"


# -- connection life cycle ----------------------------------------------------------


def test_disconnection_detaches_only_active_sessions(manager: SessionManager) -> None:
    active = manager.create_session(IMAGE)
    closed = manager.create_session(IMAGE)
    manager.close_session(closed.id)
    other = manager.create_session(OTHER_IMAGE)
    assert manager.handle_disconnection(IMAGE, "3 pings missed") == [active.id]
    assert manager.get_session(active.id).status == "detached"
    assert manager.get_session(closed.id).status == "closed"
    assert manager.get_session(other.id).status == "active"
    image = manager.get_image(IMAGE)
    assert image is not None and image.status == "disconnected"
    event = manager.connection_history(IMAGE)[0]
    assert (event.event, event.reason) == ("disconnected", "3 pings missed")


def test_reconnection_with_the_same_instance_keeps_bindings(
    manager: SessionManager, clock: ManualClock
) -> None:
    first = manager.handle_reconnection(IMAGE, "inst-1")
    assert (first.instance_changed, first.previous_instance_id, first.sessions) == (
        False,
        None,
        [],
    )
    session = manager.create_session(IMAGE)
    manager.bind_image_session(session.id, "s-" + "1" * 32)
    manager.save_state(session.id, sample_state())
    manager.handle_disconnection(IMAGE, "network")
    clock.advance(seconds=10)
    again = manager.handle_reconnection(IMAGE, "inst-1")
    assert not again.instance_changed
    assert [s.id for s in again.sessions] == [session.id]
    back = again.sessions[0]
    assert back.status == "active"
    assert back.image_session_id == "s-" + "1" * 32
    assert back.state == sample_state()
    assert back.last_seen_at == clock.now
    image = manager.get_image(IMAGE)
    assert image is not None
    assert (image.status, image.instance_id, image.last_seen_at) == (
        "connected",
        "inst-1",
        clock.now,
    )


def test_reconnection_to_a_restarted_image_clears_bindings(manager: SessionManager) -> None:
    manager.handle_reconnection(IMAGE, "inst-1")
    detached = manager.create_session(IMAGE)
    orphan = manager.create_session(IMAGE)
    for session in (detached, orphan):
        manager.bind_image_session(session.id, "s-" + "2" * 32)
    manager.handle_disconnection(IMAGE, "killed")
    manager.restore_session(IMAGE, orphan.id)
    manager.handle_disconnection(IMAGE, "killed")
    manager.mark_orphaned(IMAGE)
    manager.restore_session(IMAGE, detached.id)
    manager.handle_disconnection(IMAGE, "killed")
    result = manager.handle_reconnection(IMAGE, "inst-2")
    assert result.instance_changed
    assert result.previous_instance_id == "inst-1"
    assert [s.id for s in result.sessions] == [detached.id]
    assert result.sessions[0].image_session_id is None
    kept_orphan = manager.get_session(orphan.id)
    assert (kept_orphan.status, kept_orphan.image_session_id) == ("orphaned", None)
    event = manager.connection_history(IMAGE)[0]
    assert (event.event, event.instance_id) == ("restarted", "inst-2")


def test_a_status_reported_first_does_not_hide_a_restart(manager: SessionManager) -> None:
    manager.handle_reconnection(IMAGE, "inst-1")
    session = manager.create_session(IMAGE)
    manager.bind_image_session(session.id, "s-" + "3" * 32)
    manager.handle_disconnection(IMAGE, "killed")
    manager.update_connection_status(IMAGE, "connecting", instance_id="inst-2")
    result = manager.handle_reconnection(IMAGE, "inst-2")
    assert result.instance_changed
    assert result.sessions[0].image_session_id is None


def test_reconnection_picks_up_sessions_left_active_by_a_crash(
    store: SessionStore, manager: SessionManager
) -> None:
    session = manager.create_session(IMAGE)
    restarted = SessionManager(store, CLIENT)
    result = restarted.handle_reconnection(IMAGE, "inst-9")
    assert [s.id for s in result.sessions] == [session.id]


def test_mark_orphaned_only_touches_detached(manager: SessionManager) -> None:
    detached = manager.create_session(IMAGE)
    manager.handle_disconnection(IMAGE, "gone")
    active = manager.create_session(IMAGE)
    assert manager.mark_orphaned(IMAGE) == [detached.id]
    assert manager.get_session(active.id).status == "active"
    assert manager.get_image(IMAGE).status == "orphaned"  # type: ignore[union-attr]


def test_update_connection_status_records_events(manager: SessionManager) -> None:
    manager.update_connection_status(IMAGE, "connecting")
    event = manager.update_connection_status(IMAGE, "degraded", "ping 1.4 s late", "inst-1")
    assert (event.image_id, event.event, event.reason, event.instance_id) == (
        IMAGE,
        "degraded",
        "ping 1.4 s late",
        "inst-1",
    )
    history = manager.connection_history(IMAGE)
    assert [e.event for e in history] == ["degraded", "connecting"]
    assert manager.connection_history(IMAGE, limit=1) == [event]
    image = manager.get_image(IMAGE)
    assert image is not None and (image.status, image.instance_id) == ("degraded", None)
    with pytest.raises(InvalidArgument, match="unknown image status"):
        manager.update_connection_status(IMAGE, "exploded")  # type: ignore[arg-type]


# -- cleanup ------------------------------------------------------------------------


def orphan(manager: SessionManager, image_id: str, count: int) -> list[str]:
    ids = [manager.create_session(image_id).id for _ in range(count)]
    manager.handle_disconnection(image_id, "gone")
    manager.mark_orphaned(image_id)
    return ids


def test_cleanup_orphaned_deletes_and_records(manager: SessionManager, clock: ManualClock) -> None:
    ids = orphan(manager, IMAGE, 3)
    keep = manager.create_session(IMAGE)
    other = orphan(manager, OTHER_IMAGE, 2)
    record = manager.cleanup_orphaned(IMAGE)
    assert sorted(record.session_ids) == sorted(ids)
    assert (record.cleaned, record.remaining, record.scope, record.policy) == (
        3,
        1,
        "orphaned",
        False,
    )
    assert (record.image_id, record.at, record.older_than) == (IMAGE, clock.now, None)
    assert [s.id for s in manager.list_sessions(IMAGE)] == [keep.id]
    assert len(manager.list_sessions(OTHER_IMAGE)) == len(other)
    assert manager.cleanup_history(IMAGE) == [record]


def test_cleanup_older_than_spares_recent_orphans(
    manager: SessionManager, clock: ManualClock
) -> None:
    old = orphan(manager, IMAGE, 2)
    clock.advance(hours=30)
    recent = orphan(manager, IMAGE, 1)
    clock.advance(hours=1)
    record = manager.cleanup_orphaned(older_than=timedelta(hours=24), policy=True)
    assert sorted(record.session_ids) == sorted(old)
    assert (record.scope, record.policy, record.image_id) == ("older_than", True, None)
    assert record.older_than == timedelta(hours=24)
    assert [s.id for s in manager.list_sessions()] == recent


def test_cleanup_history_lists_newest_first_with_global_ones(
    manager: SessionManager, clock: ManualClock
) -> None:
    orphan(manager, IMAGE, 1)
    first = manager.cleanup_orphaned(IMAGE)
    clock.advance(seconds=1)
    orphan(manager, OTHER_IMAGE, 1)
    second = manager.cleanup_orphaned(OTHER_IMAGE)
    clock.advance(seconds=1)
    everything = manager.cleanup_orphaned()
    assert (everything.cleaned, everything.session_ids) == (0, [])
    assert manager.cleanup_history() == [everything, second, first]
    assert manager.cleanup_history(IMAGE) == [everything, first]


def test_cleanup_rejects_bad_ages(manager: SessionManager) -> None:
    with pytest.raises(InvalidArgument):
        manager.cleanup_orphaned(older_than=timedelta(hours=-1))
    with pytest.raises(InvalidArgument):
        manager.cleanup_orphaned(older_than=3600)  # type: ignore[arg-type]


# -- images -------------------------------------------------------------------------


def test_save_image_keeps_unspecified_fields(manager: SessionManager) -> None:
    first = manager.save_image(
        IMAGE,
        name="demo-1",
        address="tcp://127.0.0.1:40123",
        dialect="squeak",
        metadata={"pid": 1234, "tags": ["a", "é"]},
    )
    assert first.metadata == {"pid": 1234, "tags": ["a", "é"]}
    second = manager.save_image(IMAGE, address="tcp://127.0.0.1:40124")
    assert (second.name, second.address, second.dialect, second.metadata) == (
        "demo-1",
        "tcp://127.0.0.1:40124",
        "squeak",
        first.metadata,
    )
    assert manager.list_images() == [second]
    assert manager.get_image("img-unknown") is None


def test_forget_image_removes_its_sessions_and_events(manager: SessionManager) -> None:
    session = manager.create_session(IMAGE)
    manager.update_connection_status(IMAGE, "connected", instance_id="inst-1")
    kept = manager.create_session(OTHER_IMAGE)
    assert manager.forget_image(IMAGE)
    assert not manager.forget_image(IMAGE)
    with pytest.raises(SessionNotFound):
        manager.get_session(session.id)
    assert manager.connection_history(IMAGE) == []
    assert manager.get_session(kept.id).status == "active"


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["", "A-UPPER", "../etc", "a/b", "a b", "x" * 65, "naïve", "a\x00", 42, None]
)
def test_invalid_session_ids_are_refused(manager: SessionManager, bad: object) -> None:
    with pytest.raises(InvalidSessionId, match="invalid session id"):
        manager.get_session(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidSessionId):
        manager.close_session(bad)  # type: ignore[arg-type]
    if bad is not None:  # None asks restore for the latest session
        with pytest.raises(InvalidSessionId):
            manager.restore_session(IMAGE, bad)  # type: ignore[arg-type]


def test_valid_session_id_shapes_pass(manager: SessionManager) -> None:
    for good in ("a", "0-0", "x" * 64):
        with pytest.raises(SessionNotFound):
            manager.get_session(good)


@pytest.mark.parametrize("bad", ["", "../x", "a b", "-lead", "x" * 129, None])
def test_invalid_image_and_client_ids_are_refused(store: SessionStore, bad: object) -> None:
    manager = SessionManager(store, CLIENT)
    with pytest.raises(InvalidIdError, match="invalid image id"):
        manager.create_session(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidIdError, match="invalid client id"):
        SessionManager(store, bad)  # type: ignore[arg-type]


def test_bad_labels_and_reasons(manager: SessionManager) -> None:
    with pytest.raises(InvalidArgument, match="label"):
        manager.create_session(IMAGE, label="x" * 201)
    with pytest.raises(InvalidArgument, match="label"):
        manager.create_session(IMAGE, label="\ud800")
    with pytest.raises(InvalidArgument, match="reason"):
        manager.handle_disconnection(IMAGE, 42)  # type: ignore[arg-type]
    manager.handle_disconnection(IMAGE, "x" * 5000 + "\ud800")
    assert manager.connection_history(IMAGE)[0].reason == "x" * 1000


def test_a_naive_clock_is_taken_as_utc(store: SessionStore) -> None:
    manager = SessionManager(store, CLIENT, clock=lambda: datetime(2026, 5, 1, 8, 30))
    session = manager.create_session(IMAGE)
    assert session.created_at == datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    assert manager.get_session(session.id) == session


def test_record_evaluations_writes_many_sessions_in_one_transaction(store) -> None:
    """A broadcast's history: every session's entry, bounded, with its new variables."""
    manager = SessionManager(store, CLIENT)
    first = manager.create_session(IMAGE)
    second = manager.create_session(OTHER_IMAGE)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    manager.record_evaluations(
        [
            (first.id, HistoryEntry("a := 1", "print", "1", at), {"a"}),
            (second.id, HistoryEntry("3 + 4", "print", "7", at), set()),
            (first.id, HistoryEntry("b := 2", "do", None, at), {"b"}),
        ],
        limit=2,
    )
    one = manager.get_session(first.id).state
    assert [h.code for h in one.history] == ["a := 1", "b := 2"]
    assert one.variables == ["a", "b"]
    assert [h.result for h in manager.get_session(second.id).state.history] == ["7"]
    manager.record_evaluations([(first.id, HistoryEntry("c", "print", "nil", at), ())], limit=2)
    assert [h.code for h in manager.get_session(first.id).state.history] == ["b := 2", "c"]

    manager.close_session(second.id)
    with pytest.raises(SessionClosedError):
        manager.record_evaluations(
            [
                (first.id, HistoryEntry("d", "print", "nil", at), ()),
                (second.id, HistoryEntry("e", "print", "nil", at), ()),
            ],
            limit=10,
        )
    assert [h.code for h in manager.get_session(first.id).state.history] == ["b := 2", "c"]
