"""F1 help: the bindings of the focused panel, then those that work everywhere."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from stui.tui import keys
from stui.tui.screens.dialogs import TextScreen


def help_table(scope: keys.Scope, keymap: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 3))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    scopes: list[keys.Scope] = [scope, "app"] if scope != "app" else ["app"]
    for part in scopes:
        table.add_row(Text(keys.SCOPE_TITLES[part], style="bold underline"), "")
        for shown, spec in keys.for_scope(part, keymap):
            note = Text(spec.description)
            if spec.note:
                note.append(f"  ({spec.note})", style="dim")
            table.add_row(shown, note)
        table.add_row("", "")
    table.add_row(
        Text("Keys", style="bold underline"),
        Text(
            "Override any key in config.toml under [keys], by the action name, "
            'e.g. print_it = "ctrl+p,f12".',
            style="dim",
        ),
    )
    return table


class HelpScreen(TextScreen):
    def __init__(self, scope: keys.Scope, keymap: dict[str, str]) -> None:
        super().__init__(f"Help: {keys.SCOPE_TITLES[scope]}", help_table(scope, keymap))
