"""F1 help: the keys that work right now, read from the screen's active bindings.

The help is built from what Textual would dispatch (the focused widget, its ancestors, the
screen and the app, with config overrides applied and shadowed keys left out), not from a
static list: a key that F1 shows is a key that works. Entries of the key table get their
description and note from it; the widgets' own keys (moving, selecting, editing) follow
under their tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.table import Table
from rich.text import Text
from textual.app import App
from textual.binding import ActiveBinding
from textual.dom import DOMNode
from textual.screen import Screen

from stui.tui import keys
from stui.tui.screens.dialogs import TextScreen

ORDER: dict[str, int] = {f"{spec.scope}.{spec.id}": n for n, spec in enumerate(keys.TABLE)}
SPECS: dict[str, keys.KeySpec] = {f"{spec.scope}.{spec.id}": spec for spec in keys.TABLE}


@dataclass
class HelpRow:
    """One action and every key that runs it now."""

    keys: list[str]
    description: str
    note: str = ""
    order: int = 0
    label: str = ""  # the keys as shown, when several rows were folded into one
    action: str = ""

    @property
    def shown(self) -> str:
        return self.label or keys.display(",".join(self.keys))


@dataclass
class HelpSection:
    title: str
    rows: list[HelpRow] = field(default_factory=list)


SELECTING = frozenset({"select", "select_cursor"})  # a list's own Enter


def help_sections(
    active: dict[str, ActiveBinding], scope: keys.Scope, keymap: dict[str, str]
) -> list[HelpSection]:
    """The active bindings grouped: the focused tool's actions, its widgets' own keys,
    any other table scope in the focus chain, then what works everywhere.

    A list's own Enter (select) shadows its panel's Enter binding, but some panels act
    on the selection (the inspector dives, the results open the method): a panel says
    so in `SELECT_RUNS` (list id -> action), and the key shows with that action.
    """
    groups: dict[tuple[int, str], list[tuple[str, ActiveBinding, keys.KeySpec | None]]] = {}
    for key, active_binding in active.items():
        node, binding = active_binding.node, active_binding.binding
        spec = SPECS.get(binding.id or "")
        if spec is None and binding.action in SELECTING:
            spec = _selection_runs(node, scope)
        if spec is None and binding.system:
            continue  # Textual's own fallbacks (quit hints and the like)
        action = spec.action if spec else binding.action
        groups.setdefault((id(node), action), []).append((key, active_binding, spec))
    sections: dict[str, HelpSection] = {}
    for n, found in enumerate(groups.values()):
        spec = next((spec for _, _, spec in found if spec is not None), None)
        row = _row(found, spec, keymap, 10_000 + n)
        title = _section_title(found[0][1].node, spec, scope)
        sections.setdefault(title, HelpSection(title)).rows.append(row)
    for section in sections.values():
        section.rows.sort(key=lambda r: r.order)
        section.rows = _fold_switches(section.rows)
    return sorted(sections.values(), key=lambda s: _section_rank(s.title, scope))


def _selection_runs(node: DOMNode, scope: keys.Scope) -> keys.KeySpec | None:
    """The table action a list's selection runs, as its panel declares it."""
    for ancestor in node.ancestors:
        action = getattr(ancestor, "SELECT_RUNS", {}).get(node.id or "")
        if action is not None:
            return SPECS.get(f"{scope}.{action}")
    return None


def _row(
    found: list[tuple[str, ActiveBinding, keys.KeySpec | None]],
    spec: keys.KeySpec | None,
    keymap: dict[str, str],
    order: int,
) -> HelpRow:
    """One action's row: the table's words and key order, else the widget's own."""
    row_keys = [key for key, _, _ in found]
    if spec is None:
        binding = found[0][1].binding
        text = binding.description or binding.action.replace("_", " ")
        return HelpRow(row_keys, text[:1].upper() + text[1:], "", order)
    wanted = keymap.get(f"{spec.scope}.{spec.id}", spec.keys).split(",")
    row_keys.sort(key=lambda k: wanted.index(k) if k in wanted else len(wanted))
    rank = ORDER[f"{spec.scope}.{spec.id}"]
    return HelpRow(row_keys, spec.description, spec.note, rank, action=spec.action)


def _fold_switches(rows: list[HelpRow]) -> list[HelpRow]:
    """Switch to image 1..9 as one row, when the rows are contiguous and their keys
    differ only in the number (as they do unless the config changed one)."""
    switches = [r for r in rows if r.action.startswith("switch_image(")]
    numbers = [int(r.action[len("switch_image(") : -1]) for r in switches]
    patterns = {re.sub(r"\d", "N", r.shown) for r in switches}
    if (
        len(switches) < 2
        or len(patterns) != 1
        or numbers != list(range(numbers[0], numbers[-1] + 1))
    ):
        return rows
    span = f"{numbers[0]}..{numbers[-1]}"
    first = switches[0]
    first.label = patterns.pop().replace("N", span)
    first.description = f"Switch to image {span}"
    folded = {id(r) for r in switches[1:]}
    return [r for r in rows if id(r) not in folded]


def _section_title(node: DOMNode, spec: keys.KeySpec | None, scope: keys.Scope) -> str:
    if spec is not None and spec.scope == "workspace" and scope != "workspace":
        return "Smalltalk editor (as in the workspace)"
    if spec is not None:
        return keys.SCOPE_TITLES[spec.scope]
    if isinstance(node, App | Screen):
        return keys.SCOPE_TITLES["app"]
    return f"{keys.SCOPE_TITLES[scope]}: moving and editing"


def _section_rank(title: str, scope: keys.Scope) -> tuple[int, str]:
    own = keys.SCOPE_TITLES[scope]
    if title == own:
        return (0, title)
    if title.startswith(own + ":"):
        return (1, title)
    if title == keys.SCOPE_TITLES["app"]:
        return (3, title)
    return (2, title)


def help_table(sections: list[HelpSection]) -> Table:
    table = Table.grid(padding=(0, 3))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for section in sections:
        table.add_row(Text(section.title, style="bold underline"), "")
        for row in section.rows:
            note = Text(row.description)
            if row.note:
                note.append(f"  ({row.note})", style="dim")
            table.add_row(row.shown, note)
        table.add_row("", "")
    table.add_row(
        Text("Keys", style="bold underline"),
        Text(
            "Override any key in config.toml under [keys], by the action name, "
            'e.g. print_it = "ctrl+p,f12". Every action is also in the palette (F2).',
            style="dim",
        ),
    )
    return table


class HelpScreen(TextScreen):
    """Help for the focused tool: pass the active bindings of the screen F1 came from."""

    def __init__(
        self, scope: keys.Scope, active: dict[str, ActiveBinding], keymap: dict[str, str]
    ) -> None:
        self.sections = help_sections(active, scope, keymap)
        super().__init__(f"Help: {keys.SCOPE_TITLES[scope]}", help_table(self.sections))
