"""The sessions panel: every session of this client, grouped by image, with its actions.

Restore opens a session's workspaces in its image's context; clone copies a session's
workspaces and history into a new session of another image, and move re-binds the
session itself to another image and opens it there (either way, workspace variables stay
behind: they live in the image, and the dialog and the notice say which). Cleanup deletes orphaned sessions, of one image or by age, after a confirmation,
showing its progress, and each cleanup is recorded in the cleanup history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

from stui.errors import StuiError
from stui.sessions.records import SessionInfo
from stui.sessions.state import TransferKind
from stui.tui import keys
from stui.tui.screens.dialogs import ConfirmScreen, Field, FormScreen, TextScreen
from stui.tui.styles import beside

if TYPE_CHECKING:
    from stui.tui.app import StuiApp

STATUS_STYLE = {"active": "green", "detached": "yellow", "orphaned": "red", "closed": "grey50"}


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "–"
    seconds = max(0, int((now - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def size_text(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB"


class SessionsScreen(Screen[None]):
    DEFAULT_CSS = beside(__file__)
    BINDINGS = keys.bindings("sessions")
    SELECT_RUNS: ClassVar = {"sessions": "restore"}  # Enter on a row (F1 help reads this)

    def __init__(self, *, live: bool = True) -> None:
        super().__init__()
        self.live = live
        self.rows: dict[str, SessionInfo] = {}
        self.group_of_row: dict[str, str] = {}

    @property
    def stui(self) -> StuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("SESSIONS  (grouped by image)", id="title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="sessions")
        with Horizontal(id="progress-row"):
            yield Static("cleaning up ", id="progress-label")
            yield ProgressBar(id="progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        columns = ["image / status", "label", "size"]
        if self.live:
            columns[2:2] = ["session", "age", "last activity"]
        table.add_columns(*columns)
        self.refresh_rows()
        table.focus()

    def refresh_rows(self) -> None:
        """Re-read the sessions from the store and rebuild the table, keeping the cursor."""
        table = self.query_one(DataTable)
        keep = self._cursor_key()
        table.clear()
        self.rows.clear()
        self.group_of_row.clear()
        wb = self.stui.wb
        now = datetime.now(UTC)
        groups: dict[str, list[SessionInfo]] = {}
        for info in wb.sessions.list_sessions():
            groups.setdefault(info.image_id, []).append(info)
        names = {image_id: wb.image_name(image_id) for image_id in groups}
        for image_id in sorted(groups, key=lambda i: names[i]):
            infos = groups[image_id]
            counts = {s: sum(1 for i in infos if i.status == s) for s in STATUS_STYLE}
            summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
            header = Text(f"▾ {names[image_id]}", style="bold")
            cells: list[object] = [header, Text(summary, style="dim"), ""]
            if self.live:
                cells[2:2] = ["", "", ""]
            key = f"image:{image_id}"
            table.add_row(*cells, key=key)
            self.group_of_row[key] = image_id
            for info in infos:
                cells = [
                    Text(f"   {info.status}", style=STATUS_STYLE.get(info.status, "")),
                    info.label or Text("–", style="dim"),
                    size_text(info.state_bytes),
                ]
                if self.live:
                    cells[2:2] = [
                        info.id[:12],
                        ago(info.created_at, now),
                        ago(info.last_seen_at, now),
                    ]
                table.add_row(*cells, key=info.id)
                self.rows[info.id] = info
                self.group_of_row[info.id] = image_id
        if keep is not None and keep in self.group_of_row:
            table.move_cursor(row=table.get_row_index(keep))

    def _cursor_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return key.value

    def _selected(self) -> SessionInfo | None:
        key = self._cursor_key()
        return self.rows.get(key) if key else None

    def _selected_image(self) -> str | None:
        key = self._cursor_key()
        return self.group_of_row.get(key) if key else None

    def _need_session(self) -> SessionInfo | None:
        info = self._selected()
        if info is None:
            self.app.notify("Select a session row first.")
        return info

    # -- actions -------------------------------------------------------------------

    async def action_restore(self) -> None:
        info = self._need_session()
        if info is None:
            return
        if info.status == "closed":
            self.app.notify("A closed session cannot be restored.", severity="warning")
            return
        # On the app: this screen's own tasks end when it is dismissed.
        self.app.run_worker(self.stui.restore_session(info), group="restore")
        self.dismiss(None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.run_worker(self.action_restore())

    def action_rename(self) -> None:
        self.app.notify(
            "Renaming needs the sessions layer to change a label; not available yet.",
            severity="warning",
        )

    def action_close_session(self) -> None:
        info = self._need_session()
        if info is None:
            return

        def closed(yes: bool | None) -> None:
            if yes:
                self._close(info)

        self.app.push_screen(
            ConfirmScreen(
                "Close session",
                f"Close session {info.id[:12]} ({info.label or 'no label'})?",
                "Close",
            ),
            closed,
        )

    def _close(self, info: SessionInfo) -> None:
        try:
            self.stui.wb.close_session(info.id)
        except StuiError as e:
            self.app.notify(str(e), severity="error")
        self.stui.session_closed(info.id)
        self.refresh_rows()

    def action_delete_session(self) -> None:
        self.app.notify(
            "Deleting one session needs the sessions layer; close it (c), and clean up "
            "orphaned sessions (o).",
            severity="warning",
        )

    def action_cleanup_image(self) -> None:
        image_id = self._selected_image()
        if image_id is None:
            self.app.notify("Select an image or one of its sessions first.")
            return
        orphaned = self.stui.wb.sessions.list_sessions(image_id, ["orphaned"])
        name = self.stui.wb.image_name(image_id)
        if not orphaned:
            self.app.notify(f"{name} has no orphaned sessions.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._cleanup([image_id], None))

        self.app.push_screen(
            ConfirmScreen(
                "Clean up orphaned sessions",
                f"Delete {len(orphaned)} orphaned session(s) of {name}? This cannot be undone.",
                "Delete",
            ),
            answered,
        )

    def action_cleanup_age(self) -> None:
        def entered(values: dict[str, str] | None) -> None:
            if not values:
                return
            try:
                days = float(values["days"])
                if days < 0:
                    raise ValueError
            except ValueError:
                self.app.notify(f"{values['days']!r} is not a number of days.", severity="error")
                return
            older = timedelta(days=days)
            cutoff = datetime.now(UTC) - older
            victims = [
                i
                for i in self.stui.wb.sessions.list_sessions(None, ["orphaned"])
                if i.last_seen_at < cutoff
            ]
            if not victims:
                self.app.notify(f"No orphaned session is older than {days:g} days.")
                return
            images = sorted({i.image_id for i in victims})

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_worker(self._cleanup(images, older))

            self.app.push_screen(
                ConfirmScreen(
                    "Clean up by age",
                    f"Delete {len(victims)} orphaned session(s) unused for {days:g} days or more, "
                    f"in {len(images)} image(s)?",
                    "Delete",
                ),
                answered,
            )

        self.app.push_screen(
            FormScreen(
                "Clean up orphaned sessions by age",
                [Field("days", "Unused for at least (days)", "7")],
            ),
            entered,
        )

    async def _cleanup(self, image_ids: list[str], older: timedelta | None) -> None:
        row = self.query_one("#progress-row")
        bar = self.query_one(ProgressBar)
        bar.update(total=len(image_ids), progress=0)
        row.set_class(True, "shown")
        cleaned = 0
        try:
            for image_id in image_ids:
                record = self.stui.wb.cleanup_orphaned(image_id, older)
                cleaned += record.cleaned
                bar.advance(1)
        except StuiError as e:
            self.app.notify(f"Cleanup stopped: {e}", severity="error")
        finally:
            row.set_class(False, "shown")
        self.app.notify(
            f"Cleaned up {cleaned} orphaned session(s); recorded in the cleanup history."
        )
        self.refresh_rows()

    def action_clone(self) -> None:
        self._transfer("clone")

    def action_move(self) -> None:
        self._transfer("move")

    def _transfer(self, kind: TransferKind) -> None:
        """Ask for the target image, saying which workspace variables will stay behind."""
        info = self._need_session()
        if info is None:
            return
        source = self.stui.wb.image_name(info.image_id)
        targets = tuple(v.name for v in self.stui.wb.images() if v.name != source)
        if not targets:
            self.app.notify(f"There is no other image to {kind} to.")
            return
        variables = self.stui.wb.sessions.get_session(info.id).state.variables
        staying = ", ".join(variables) if variables else "none are bound"
        what = "Copies" if kind == "clone" else "Re-binds the session to the image, with"
        hint = (
            f"{what} the workspaces and history. Workspace variables do not travel: "
            f"they stay in {source} ({staying})."
        )

        def chosen(values: dict[str, str] | None) -> None:
            if values:
                self.run_worker(self._run_transfer(kind, info, values["image"]))

        self.app.push_screen(
            FormScreen(
                f"{kind.capitalize()} session {info.id[:12]} of {source}",
                [Field("image", "To image", choices=targets)],
                ok=kind.capitalize(),
                hint=hint,
            ),
            chosen,
        )

    async def _run_transfer(self, kind: TransferKind, info: SessionInfo, target: str) -> None:
        try:
            if kind == "clone":
                session = await self.stui.clone_session(info, target)
            else:
                session = await self.stui.move_session(info, target)
        except StuiError as e:
            self.app.notify(f"{kind.capitalize()} failed: {e}", severity="error")
            return
        transfer = session.state.transfers[-1]
        source = self.stui.wb.image_name(transfer.from_image)
        left = ", ".join(transfer.variables_left)
        said = f"variables {left} stayed in {source}" if left else "no variables were bound"
        done = "Cloned into a new session of" if kind == "clone" else "Moved the session to"
        self.app.notify(f"{done} {target}; {said}.")
        if kind == "move":  # go on working in it, there (on the app: this screen closes)
            self.app.run_worker(self.stui.restore_session(session), group="restore")
            self.dismiss(None)
        elif self.is_attached:
            self.refresh_rows()

    def action_cleanup_history(self) -> None:
        records = self.stui.wb.sessions.cleanup_history()
        table = Table.grid(padding=(0, 2))
        for name in ("when", "image", "scope", "by", "cleaned", "left"):
            table.add_column(name, style="bold" if name == "when" else "")
        table.add_row(
            *(
                Text(h, style="underline")
                for h in ("when", "image", "scope", "by", "cleaned", "left")
            )
        )
        for record in records:
            scope = record.scope if record.older_than is None else f"older than {record.older_than}"
            table.add_row(
                record.at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if self.live else "",
                "all" if record.image_id is None else self.stui.wb.image_name(record.image_id),
                scope,
                "policy" if record.policy else "user",
                str(record.cleaned),
                str(record.remaining),
            )
        if not records:
            table.add_row("no cleanup yet", "", "", "", "", "")
        self.app.push_screen(TextScreen("Cleanup history", table))

    def action_refresh(self) -> None:
        self.refresh_rows()

    def action_back(self) -> None:
        self.dismiss(None)
