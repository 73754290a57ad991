"""Session state is restored exactly as it was saved, through a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stui.sessions import (
    HistoryEntry,
    InvalidStateError,
    OpenTool,
    Selection,
    SessionManager,
    SessionState,
    SessionStore,
)
from stui.sessions.state import decode_state, encode_state

pytestmark = pytest.mark.usefixtures("stui_home")

TRICKY_TEXT = [
    "",
    "plain ascii",
    "héllo wörld — “quotes” «guillemets»",
    "日本語のテキスト 中文 한국어",
    "emoji 🦜🐍 and ZWJ 👩‍💻 and flags 🇫🇷",
    "combining e\u0301 vs é, RTL \u05e9\u05dc\u05d5\u05dd",
    "controls \x00 \x01 \x1f \x7f and \t tabs",
    "line ends \n \r \r\n \u2028 \u2029 \x85",
    'json-ish "quotes" \\ backslashes \\u0000 {"a": [1]}',
    "\ufeff BOM and \uffff noncharacter and \U0010ffff last plane",
]


@pytest.fixture
def manager(tmp_path: Path):
    with SessionStore(tmp_path / "sessions.db") as store:
        yield SessionManager(store, "c-state")


def round_trip(manager: SessionManager, state: SessionState) -> SessionState:
    session = manager.create_session("img-state")
    manager.save_state(session.id, state)
    return manager.get_session(session.id).state


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_unicode_round_trips_exactly(manager: SessionManager, text: str) -> None:
    state = SessionState(
        buffers={text: text, "w": text},
        history=[HistoryEntry(text, "print", text, datetime(2026, 1, 1, tzinfo=UTC))],
        tools=[OpenTool(text, text)],
        selections={text: Selection(0, len(text))},
    )
    restored = round_trip(manager, state)
    assert restored == state
    assert restored.buffers[text] == text


def test_large_buffers_round_trip(manager: SessionManager) -> None:
    big = ("Transcript show: 'é🦜'; cr.\n" * 400_000)[: 10 * 1024 * 1024]
    state = SessionState(
        buffers={"big": big, "other": "x" * 3_000_000},
        history=[
            HistoryEntry(f"{i} factorial", "print", str(i) * 50, datetime(2026, 1, 1, tzinfo=UTC))
            for i in range(20_000)
        ],
    )
    session = manager.create_session("img-state")
    info = manager.save_state(session.id, state)
    assert info.state_bytes == len(encode_state(state).encode())
    assert info.state_bytes > 13_000_000
    restored = manager.restore_session("img-state", session.id).state
    assert restored == state


def test_timestamps_in_history_keep_microseconds_and_offsets(manager: SessionManager) -> None:
    moments = [
        datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1999, 12, 31, 23, 59, 59, 999999),
    ]
    state = SessionState(history=[HistoryEntry("x", "do", None, m) for m in moments])
    restored = round_trip(manager, state)
    assert [h.at for h in restored.history] == moments
    assert [h.at.utcoffset() for h in restored.history] == [m.utcoffset() for m in moments]


def test_lone_surrogates_are_refused_with_a_clear_error(manager: SessionManager) -> None:
    session = manager.create_session("img-state")
    with pytest.raises(InvalidStateError, match="cannot be stored"):
        manager.save_state(session.id, SessionState(buffers={"w": "bad \ud800 text"}))
    assert manager.get_session(session.id).state == SessionState()


def test_unknown_fields_from_a_newer_state_are_ignored() -> None:
    text = '{"buffers": {"w": "x"}, "future": 1, "history": [], "tools": [], "selections": {}}'
    assert decode_state(text) == SessionState(buffers={"w": "x"})


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)
states = st.builds(
    SessionState,
    buffers=st.dictionaries(texts, texts, max_size=5),
    history=st.lists(
        st.builds(
            HistoryEntry,
            code=texts,
            mode=st.sampled_from(["do", "print", "inspect"]),
            result=st.none() | texts,
            at=st.datetimes(timezones=st.just(UTC)),
        ),
        max_size=5,
    ),
    tools=st.lists(st.builds(OpenTool, kind=texts, target=texts), max_size=4),
    selections=st.dictionaries(
        texts,
        st.builds(Selection, start=st.integers(-(2**63), 2**63 - 1), end=st.integers(0, 2**31)),
        max_size=4,
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=states)
def test_any_state_round_trips_through_the_store(tmp_path_factory, state: SessionState) -> None:
    path = tmp_path_factory.mktemp("prop") / "sessions.db"
    with SessionStore(path) as store:
        manager = SessionManager(store, "c-prop")
        assert round_trip(manager, state) == state
    assert decode_state(encode_state(state)) == state
