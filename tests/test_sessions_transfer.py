"""Sessions across images (issue 13, part 4): clone and move, with their history.

The rules are tested on a real store first; then `stui sessions clone/move` against two
real images: the client state travels, the workspace variables never do, and both ends
say so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo
from stui.protocol import EvalMode
from stui.sessions import (
    HistoryEntry,
    InvalidArgument,
    SessionClosedError,
    SessionManager,
    SessionState,
    SessionStore,
)
from stui.sessions.state import decode_state
from stui.tools.evaluate import HistoryBatch
from stui.tools.outcomes import Evaluated
from stui.workbench import SessionHandle, Workbench, WorkbenchConfig

pytestmark = pytest.mark.timeout(240)

A, B = "a" * 32, "b" * 32


@pytest.fixture
def manager(tmp_path: Path) -> SessionManager:
    return SessionManager(SessionStore(tmp_path / "sessions.db"), "client-1")


def worked_in(manager: SessionManager) -> str:
    """A session of image A with a workspace, one evaluation and a bound variable."""
    session = manager.create_session(A, "work")
    entry = HistoryEntry("x := 3 + 4", "print", "7", session.created_at)
    state = SessionState(buffers={"main": "x := 3 + 4"}, history=[entry], variables=["x"])
    manager.save_state(session.id, state)
    return session.id


def test_clone_copies_the_client_state_and_records_both_ends(manager: SessionManager) -> None:
    source_id = worked_in(manager)
    clone = manager.transfer_session(source_id, B, "clone", "copy")
    assert clone.id != source_id and clone.image_id == B and clone.label == "copy"
    assert clone.status == "active" and clone.image_session_id is None
    assert clone.state.buffers == {"main": "x := 3 + 4"}
    assert [h.code for h in clone.state.history] == ["x := 3 + 4"]
    assert clone.state.variables == []
    (transfer,) = clone.state.transfers
    assert (transfer.kind, transfer.from_session, transfer.to_session) == (
        "clone",
        source_id,
        clone.id,
    )
    assert (transfer.from_image, transfer.to_image, transfer.variables_left) == (A, B, ["x"])
    source = manager.get_session(source_id)
    assert source.image_id == A and source.state.variables == ["x"]
    assert source.state.transfers == [transfer]


def test_move_rebinds_the_same_session_without_its_variables(manager: SessionManager) -> None:
    session_id = worked_in(manager)
    manager.bind_image_session(session_id, "s-old")
    moved = manager.transfer_session(session_id, B, "move")
    assert moved.id == session_id and moved.image_id == B
    assert moved.image_session_id is None and moved.status == "active"
    assert moved.state.buffers == {"main": "x := 3 + 4"} and moved.state.variables == []
    (transfer,) = moved.state.transfers
    assert (transfer.kind, transfer.from_image, transfer.to_image) == ("move", A, B)
    assert transfer.variables_left == ["x"]
    assert [s.id for s in manager.list_sessions(A)] == []
    assert [s.id for s in manager.list_sessions(B)] == [session_id]


def test_transfers_refused(manager: SessionManager) -> None:
    session_id = worked_in(manager)
    with pytest.raises(InvalidArgument, match="already on that image"):
        manager.transfer_session(session_id, A, "move")
    with pytest.raises(InvalidArgument, match="unknown transfer"):
        manager.transfer_session(session_id, B, "teleport")  # type: ignore[arg-type]
    manager.close_session(session_id)
    with pytest.raises(SessionClosedError):
        manager.transfer_session(session_id, B, "clone")
    assert manager.list_sessions(B) == []


def test_a_state_saved_before_transfers_existed_still_reads() -> None:
    old = b'{"buffers":{"w":"1"},"history":[],"tools":[],"selections":{},"variables":["y"]}'
    state = decode_state(old)
    assert state.transfers == [] and state.variables == ["y"]
    assert msgspec.json.decode(msgspec.json.encode(state), type=SessionState) == state


def stui(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return done.exit_code, done.output


def give_a_workspace(session_id: str) -> None:
    wb = Workbench(WorkbenchConfig(watch=False))
    state = wb.sessions.get_session(session_id).state
    wb.sessions.save_state(session_id, msgspec.structs.replace(state, buffers={"w": "x + 1"}))
    wb.sessions.store.close()


def test_clone_and_move_between_real_images(
    start_images: Callable[..., list[RuntimeInfo]],
) -> None:
    a, b = (info.name for info in start_images(2))
    code, out = stui("sessions", "create", "--image", a, "--label", "work")
    source = out.strip()
    assert stui("eval", "--session", source, "x := 3 + 4") == (0, "7\n")
    give_a_workspace(source)

    code, out = stui("sessions", "clone", "work", "--to", b, "--json")
    assert code == 0, out
    cloned = json.loads(out)
    assert (cloned["kind"], cloned["from_image"], cloned["to_image"]) == ("clone", a, b)
    assert cloned["variables_left"] == ["x"] and cloned["from_session"] == source
    clone = cloned["session"]["id"]
    # the history came along; the variable did not: it is nil in b
    assert stui("eval", "--session", clone, "x") == (0, "nil\n")
    assert stui("eval", "--session", source, "x") == (0, "7\n")
    shown = json.loads(stui("sessions", "show", clone, "--json")[1])
    assert shown["image"] == b and shown["buffers"] == {"w": "x + 1"}
    assert [h["code"] for h in shown["history"]] == ["x := 3 + 4", "x"]
    assert [t["kind"] for t in shown["transfers"]] == ["clone"]
    assert (
        json.loads(stui("sessions", "show", source, "--json")[1])["transfers"]
        == (shown["transfers"])
    )

    code, out = stui("sessions", "move", source, "--to", b)
    assert code == 0, out
    assert f"moved session {source} from {a} to {b}" in out
    assert f"workspace variables do not travel: x stayed in {a}" in out
    assert stui("eval", "--session", source, "x") == (0, "nil\n")
    moved = json.loads(stui("sessions", "show", source, "--json")[1])
    assert moved["image"] == b and moved["variables"] == []
    assert [t["kind"] for t in moved["transfers"]] == ["clone", "move"]
    assert moved["transfers"][-1]["variables_left"] == ["x"]
    code, out = stui("sessions", "show", source)
    assert "moved" in out and f"from {a} to {b}; variables left: x" in out

    code, out = stui("sessions", "move", source, "--to", b)
    assert code == 1 and "already on that image" in out
    code, out = stui("sessions", "clone", clone, "--to", "nowhere")
    assert code == 3 and "nowhere" in out


def test_a_history_batch_writes_the_others_when_one_session_refuses(
    manager: SessionManager,
) -> None:
    """Broadcast rows are recorded together; a session closed meanwhile refuses only its
    own entry (the handles are stand-ins: recording never touches the client)."""
    kept, closed = manager.create_session(A), manager.create_session(B)
    batch = HistoryBatch(manager)
    for session in (kept, closed):
        handle = SessionHandle("x", session.image_id, session.id, "s-1", None, None, manager)  # type: ignore[arg-type]
        batch.add(handle, "y := 7", EvalMode.PRINT, Evaluated("7", "SmallInteger", False, 0))
    manager.close_session(closed.id)
    refused = batch.flush()
    assert list(refused) == [closed.id] and "closed" in refused[closed.id]
    state = manager.get_session(kept.id).state
    assert [h.code for h in state.history] == ["y := 7"] and state.variables == ["y"]
    assert manager.get_session(closed.id).state.history == []
    assert batch.flush() == {}
