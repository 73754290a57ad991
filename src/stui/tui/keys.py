"""Every key binding of the app in one table: the footer, F1 help and the palette read it.

Keys are chosen to arrive intact in a plain xterm and inside tmux:

- Ctrl+I is Tab in most terminals, so inspect-it is Alt+I; Ctrl+I still works where the
  terminal tells it from Tab (the kitty keyboard protocol), handled by the editor itself.
- Alt+digit arrives as ESC+digit, which Textual reads as the character macOS types for
  Option+digit (ESC 1 is "¡"); so Alt+1..9 is bound through those characters as well.
  Ctrl+digit reaches the app only with the kitty protocol, and is bound too.
- Alt+punctuation loses its Alt on the way in, so no binding uses it.
- Ctrl+B is tmux's prefix, and Alt+B and Alt+F arrive as ESC b and ESC f, which Textual
  reads as Ctrl+Left and Ctrl+Right (word moves): browse it is Alt+Shift+B first (Ctrl+B
  second, outside tmux), find a class Ctrl+F.
- Alt+Shift+letter arrives as ESC+capital, which Textual reads as `alt+shift+letter`.
- Ctrl+Space arrives as NUL, which Textual reads as `ctrl+@`.
- Ctrl+P is print-it; the command palette is F2 (and Alt+X).
- Ctrl+Shift+letter arrives as Ctrl+letter, so no binding relies on Shift with Ctrl
  (save image is F6 first; Ctrl+Shift+S only where the terminal tells it apart; debug it
  is Alt+Shift+D first, Ctrl+Shift+D second).
- F6 and F7 are TextArea's select-line and select-all: save image and recover changes
  are priority bindings, so they win when the focus is in an editor.

The first key of each entry is the one the footer shows, so it is always one that arrives.
Config `[keys]` overrides replace an entry's keys by its action name (Textual's keymap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Scope = Literal[
    "app",
    "workspace",
    "images",
    "sessions",
    "transcript",
    "inspector",
    "browser",
    "results",
    "debugger",
    "diff",
]

# What Alt+1..9 (ESC 1..9) arrives as: Textual's names of the Option+digit characters.
ALT_DIGIT: dict[int, str] = dict(
    enumerate(
        (
            "inverted_exclamation_mark",
            "trade_mark_sign",
            "pound_sign",
            "cent_sign",
            "infinity",
            "section_sign",
            "pilcrow_sign",
            "bullet",
            "ª",
        ),
        start=1,
    )
)
ALT_DIGIT_KEYS = frozenset(ALT_DIGIT.values())

SCOPE_TITLES: dict[Scope, str] = {
    "app": "Everywhere",
    "workspace": "Workspace",
    "images": "Images sidebar",
    "sessions": "Sessions panel",
    "transcript": "Transcript",
    "inspector": "Inspector",
    "browser": "Class browser",
    "results": "Senders, implementors, references",
    "debugger": "Debugger",
    "diff": "Diff view",
}


@dataclass(frozen=True)
class KeySpec:
    """One action: its keys (comma-separated, shown first-first), what it does, where."""

    action: str
    keys: str
    description: str
    scope: Scope
    show: bool = False
    priority: bool = False
    note: str = ""
    short: str = ""  # the footer's label, when the description is too long for it

    @property
    def id(self) -> str:
        """The binding id that config `[keys]` overrides name."""
        return self.action.replace("(", "_").replace(")", "")


TABLE: tuple[KeySpec, ...] = (
    # everywhere
    KeySpec("help", "f1", "Help for the focused panel", "app", show=True, short="Help"),
    KeySpec(
        "command_palette",
        "f2,alt+x",
        "Command palette",
        "app",
        show=True,
        priority=True,
        short="Palette",
    ),
    KeySpec("sessions", "f3", "Sessions panel", "app", show=True),
    KeySpec("image_detail", "f4", "Image details", "app", show=True, short="Image"),
    KeySpec("reconnect", "f5", "Reconnect the image", "app"),
    KeySpec("start_image", "f8", "Start the local image", "app"),
    KeySpec("stop_image", "f9", "Stop the local image", "app"),
    KeySpec("create_image", "alt+c", "Create a local image", "app"),
    KeySpec("add_image", "alt+a", "Add a remote image (address and token)", "app"),
    KeySpec("remove_image", "alt+r", "Remove the image from the list", "app"),
    KeySpec("focus_images", "alt+g", "Go to the images sidebar", "app"),
    KeySpec("focus_workspace", "alt+e", "Go to the workspace", "app"),
    KeySpec("show_transcript", "alt+l", "Show the Transcript", "app"),
    KeySpec("show_browser", "alt+o", "Show the class browser", "app"),
    KeySpec("show_inspector", "alt+j", "Show the inspector", "app"),
    KeySpec("show_results", "alt+u", "Show the search results", "app"),
    KeySpec("show_debugger", "alt+z", "Show the debugger", "app"),
    KeySpec("find_class", "ctrl+f", "Find a class and browse it", "app"),
    KeySpec("diff_images", "alt+shift+f", "Compare the code of two images (diff)", "app"),
    KeySpec(
        "save_image",
        "f6,ctrl+shift+s",
        "Save the image",
        "app",
        priority=True,  # an editor would take F6 as select line
        note="Ctrl+Shift+S only where the terminal tells it from Ctrl+S",
    ),
    KeySpec(
        "recover_changes",
        "f7",
        "Recover lost changes (replay after a crash)",
        "app",
        priority=True,
    ),
    KeySpec("toggle_theme", "alt+t", "Light or dark theme", "app"),
    KeySpec("quit", "ctrl+q,f10", "Quit", "app", show=True, priority=True),
    *(
        KeySpec(
            f"switch_image({n})",
            f"alt+{n},{ALT_DIGIT[n]},ctrl+{n}",
            f"Switch to image {n}",
            "app",
            priority=True,
            note="Ctrl+digit only where the terminal sends it",
        )
        for n in range(1, 10)
    ),
    # the workspace editor
    KeySpec("do_it", "ctrl+d,alt+d", "Do it", "workspace", show=True),
    KeySpec("print_it", "ctrl+p,alt+p", "Print it", "workspace", show=True),
    KeySpec(
        "inspect_it",
        "alt+i",
        "Inspect it",
        "workspace",
        show=True,
        note="also Ctrl+I where the terminal tells it from Tab",
    ),
    KeySpec(
        "debug_it",
        "alt+shift+d,ctrl+shift+d",
        "Debug it: stop before the first statement",
        "workspace",
        note="Ctrl+Shift+D only where the terminal tells it from Ctrl+D",
    ),
    KeySpec(
        "broadcast_it",
        "alt+shift+e",
        "Print it in many images (one row per image)",
        "workspace",
    ),
    KeySpec("interrupt", "escape", "Interrupt the running evaluation", "workspace"),
    KeySpec(
        "copy_or_interrupt", "ctrl+c", "Interrupt the running evaluation, else copy", "workspace"
    ),
    KeySpec("history_back", "alt+up", "Previous command from history", "workspace"),
    KeySpec("history_forward", "alt+down", "Next command from history", "workspace"),
    KeySpec(
        "browse_it", "alt+shift+b,ctrl+b", "Browse it: the class, or implementors", "workspace"
    ),
    KeySpec("senders", "alt+n", "Senders of the selector under the cursor", "workspace"),
    KeySpec("implementors", "alt+m", "Implementors of the selector under the cursor", "workspace"),
    KeySpec("references", "alt+shift+n", "References to the name under the cursor", "workspace"),
    KeySpec(
        "complete",
        "ctrl+@,ctrl+space",
        "Complete the word (the popup also opens as you type)",
        "workspace",
        note="Ctrl+Space arrives as Ctrl+@",
    ),
    KeySpec(
        "select_all",
        "ctrl+a",
        "Select all",
        "workspace",
        note="as in Squeak and Pharo; Home goes to the line's start",
    ),
    KeySpec("new_buffer", "ctrl+n", "New workspace buffer", "workspace"),
    KeySpec("close_buffer", "alt+w", "Close this workspace buffer", "workspace"),
    KeySpec("next_buffer", "alt+right,ctrl+pagedown", "Next workspace buffer", "workspace"),
    KeySpec("previous_buffer", "alt+left,ctrl+pageup", "Previous workspace buffer", "workspace"),
    # the images sidebar
    KeySpec("select_image", "enter", "Switch to this image", "images"),
    KeySpec("detail", "i", "Image details", "images"),
    KeySpec("filter", "slash", "Filter: words of the name, s:status, d:dialect", "images"),
    # the sessions panel
    KeySpec("restore", "enter", "Restore: open its workspaces", "sessions", show=True),
    KeySpec("rename", "r", "Rename (label)", "sessions", show=True),
    KeySpec("close_session", "c", "Close", "sessions", show=True),
    KeySpec("delete_session", "delete,d", "Delete (close and clean up)", "sessions", show=True),
    KeySpec("cleanup_image", "o", "Clean up this image's orphaned sessions", "sessions", show=True),
    KeySpec("cleanup_age", "a", "Clean up orphaned sessions by age", "sessions", show=True),
    KeySpec("clone", "k", "Clone the workspace to another image", "sessions", show=True),
    KeySpec("move", "m", "Move the session to another image (variables stay)", "sessions"),
    KeySpec("cleanup_history", "h", "Cleanup history", "sessions", show=True),
    KeySpec("refresh", "f5", "Refresh", "sessions"),
    # the Transcript
    KeySpec("clear", "ctrl+l", "Clear the Transcript", "transcript", show=True),
    KeySpec("filter", "slash", "Filter lines (empty: show all)", "transcript", show=True),
    KeySpec("pause", "space", "Pause or resume following", "transcript", show=True),
    # the inspector
    KeySpec("dive", "enter", "Inspect the selected field (drill down)", "inspector", show=True),
    KeySpec("back", "alt+left,backspace", "Back to the previous object", "inspector", show=True),
    KeySpec("forward", "alt+right", "Forward again", "inspector", show=True),
    KeySpec("focus_pane", "alt+k", "Go to the evaluation pane (self is the object)", "inspector"),
    # the class browser
    KeySpec(
        "accept", "ctrl+s", "Accept (compile the method or the definition)", "browser", show=True
    ),
    KeySpec("toggle_side", "alt+s", "Instance or class side", "browser", show=True),
    KeySpec("hierarchy", "alt+h", "Hierarchy of the class", "browser", show=True),
    KeySpec("new_class", "alt+k", "New class (a definition to fill in)", "browser"),
    KeySpec("new_method", "alt+y", "New method in the protocol", "browser"),
    KeySpec("remove", "delete", "Remove the method or class (asks first)", "browser"),
    KeySpec(
        "copy_to_image",
        "alt+shift+c",
        "Copy to image…: the method, else the class (shows the steps first)",
        "browser",
    ),
    KeySpec(
        "diff_selection",
        "alt+shift+f",
        "Compare the method, else the class, with another image (diff)",
        "browser",
    ),
    # the diff view
    KeySpec(
        "copy_difference",
        "c",
        "Copy to image…: the selected class or method, into the second image",
        "diff",
        show=True,
        short="Copy into the second image",
    ),
    # the debugger
    KeySpec("step_into", "alt+s", "Step into the next send", "debugger", show=True, short="Into"),
    KeySpec("step_over", "alt+v", "Step over the next send", "debugger", show=True, short="Over"),
    KeySpec(
        "step_through",
        "alt+h",
        "Step through: over, but into blocks of this method",
        "debugger",
        show=True,
        short="Through",
    ),
    KeySpec(
        "restart",
        "alt+shift+r",
        "Restart the selected frame",
        "debugger",
        show=True,
        short="Restart",
    ),
    KeySpec(
        "return_value",
        "alt+shift+t",
        "Return a value from the selected frame",
        "debugger",
        short="Return",
    ),
    KeySpec("proceed", "alt+shift+p", "Proceed", "debugger", show=True),
    KeySpec(
        "abandon", "alt+shift+a", "Abandon the evaluation", "debugger", show=True, short="Abandon"
    ),
    KeySpec(
        "accept",
        "ctrl+s",
        "Accept the edited method: the frame restarts",
        "debugger",
        show=True,
        short="Accept",
    ),
    KeySpec("inspect_variable", "enter", "Inspect the selected variable", "debugger"),
    KeySpec("focus_pane", "alt+k", "Go to the evaluate-in-frame pane", "debugger"),
    KeySpec("next_suspension", "alt+q", "Next suspended evaluation of this image", "debugger"),
    # the search results
    KeySpec("open_ref", "enter", "Open the method in the browser", "results", show=True),
    KeySpec("back", "escape,f3", "Back to the workspace", "sessions", show=True),
)

ACTIONS: dict[str, KeySpec] = {spec.id: spec for spec in TABLE}


def bindings(scope: Scope) -> list[Binding]:
    """The Textual bindings of one scope, each with its id so the keymap can change it."""
    return [
        Binding(
            spec.keys,
            spec.action,
            spec.short or spec.description,
            show=spec.show,
            priority=spec.priority,
            id=f"{scope}.{spec.id}",
        )
        for spec in TABLE
        if spec.scope == scope
    ]


def keymap(overrides: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Config overrides as Textual's keymap (binding id -> keys), and what was ignored.

    An override names an action, optionally with its scope: `print_it` or
    `workspace.print_it`.
    """
    result: dict[str, str] = {}
    warnings: list[str] = []
    for name, keys in overrides.items():
        matches = [s for s in TABLE if s.id == name or f"{s.scope}.{s.id}" == name]
        if not matches:
            warnings.append(f"keys.{name}: no such action; see F1 for the names")
            continue
        for spec in matches:
            result[f"{spec.scope}.{spec.id}"] = keys
    return result, warnings


def display(keys: str) -> str:
    """Keys as a person reads them: 'ctrl+d,alt+d' -> 'Ctrl+D  Alt+D'."""
    return "  ".join(_one(key) for key in keys.split(",") if key not in ALT_DIGIT_KEYS)


def _one(key: str) -> str:
    names = {
        "escape": "Esc",
        "delete": "Del",
        "period": ".",
        "comma": ",",
        "slash": "/",
        "pagedown": "PgDn",
        "pageup": "PgUp",
    }
    parts = key.split("+")
    return "+".join(
        names.get(
            p, p.upper() if len(p) == 1 or (p[0] == "f" and p[1:].isdigit()) else p.capitalize()
        )
        for p in parts
    )
