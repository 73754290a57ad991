"""Small modal dialogs: confirm, a form of named fields, and a scrolling text view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from stui.tui.styles import beside


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; answers True only for an explicit yes."""

    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: str, yes: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body)
            with Horizontal(classes="dialog-buttons"):
                yield Button("No (n)", id="no")
                yield Button(f"{self.yes} (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


@dataclass(frozen=True)
class Field:
    """One form field: an Input, or a Select when `choices` are given."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    password: bool = False
    choices: tuple[str, ...] = ()


class FormScreen(ModalScreen[dict[str, str] | None]):
    """Ask for a few values; answers them by field name, or None if cancelled."""

    DEFAULT_CSS = beside(__file__)
    AUTO_FOCUS = "Input, Select"  # type at once into the first field
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, fields: list[Field], ok: str = "OK", hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.ok = ok
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            for field in self.fields:
                yield Label(field.label)
                if field.choices:
                    yield Select(
                        [(c, c) for c in field.choices],
                        value=field.value or field.choices[0],
                        allow_blank=False,
                        id=f"field-{field.name}",
                    )
                else:
                    yield Input(
                        field.value,
                        placeholder=field.placeholder,
                        password=field.password,
                        id=f"field-{field.name}",
                    )
            if self.hint:
                yield Static(self.hint, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.ok, id="ok", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._submit()

    def _submit(self) -> None:
        values: dict[str, str] = {}
        for field in self.fields:
            widget = self.query_one(f"#field-{field.name}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            values[field.name] = str(value).strip()
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextScreen(ModalScreen[None]):
    """A read-only page of text (help, an inspected value, a history)."""

    DEFAULT_CSS = beside(__file__)
    BINDINGS: ClassVar = [Binding("escape,q,f1", "close", "Close")]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll():
                yield Static(self.body, id="body")
            yield Static("Esc closes", classes="hint")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
