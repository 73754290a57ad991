"""The config file falls back value by value, and the key table holds together."""

from __future__ import annotations

from pathlib import Path

from stui.tui import keys
from stui.tui.app import StuiApp
from stui.tui.config import TuiConfig, load_config, save_theme, saved_theme
from stui.tui.screens.diff_view import DiffScreen
from stui.tui.screens.sessions import SessionsScreen
from stui.tui.tools.browser import BrowserPanel
from stui.tui.tools.debugger import DebuggerPanel
from stui.tui.tools.inspector import InspectorPanel
from stui.tui.tools.results import ResultsPanel
from stui.tui.tools.transcript import TranscriptPanel
from stui.tui.widgets.editor import SmalltalkEditor
from stui.tui.widgets.images_sidebar import ImagesSidebar


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml")
    assert config.ping_interval == TuiConfig.ping_interval and not config.warnings


def test_bad_values_fall_back_one_by_one_with_a_warning_each(
    tmp_path: Path, stui_home: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "purple"\nping_interval = "fast"\norphan_after = 60\neval_timeout = 0\n'
        '[cleanup]\npolicy = "age"\nmax_age = -1\n[keys]\nprint_it = "f12"\ndo_it = 3\n'
    )
    config = load_config(path)
    assert config.theme == "dark" and config.ping_interval == 1.0
    assert config.orphan_after == 60.0 and config.cleanup_policy == "age"
    assert config.cleanup_max_age == TuiConfig.cleanup_max_age
    assert config.eval_timeout == TuiConfig.eval_timeout
    assert config.keys == {"print_it": "f12"}
    assert len(config.warnings) == 5
    assert all(w.startswith("config.toml: ") for w in config.warnings)


def test_a_file_that_is_not_toml_is_ignored_with_one_warning(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("theme = [unclosed")
    config = load_config(path)
    assert config == TuiConfig(warnings=config.warnings, path=path) and len(config.warnings) == 1


def test_the_theme_chosen_in_the_app_is_remembered(stui_home: Path, tmp_path: Path) -> None:
    save_theme("light")
    assert saved_theme() == "light"
    assert load_config(tmp_path / "none.toml").theme == "light"


def test_key_overrides_name_actions_and_unknown_ones_are_reported() -> None:
    keymap, warnings = keys.keymap({"print_it": "f12", "nonsense": "x"})
    assert keymap == {"workspace.print_it": "f12"}
    assert warnings == ["keys.nonsense: no such action; see F1 for the names"]


def test_every_action_in_the_table_has_a_handler() -> None:
    owners = {
        "app": StuiApp,
        "workspace": SmalltalkEditor,
        "images": ImagesSidebar,
        "sessions": SessionsScreen,
        "transcript": TranscriptPanel,
        "inspector": InspectorPanel,
        "browser": BrowserPanel,
        "results": ResultsPanel,
        "debugger": DebuggerPanel,
        "diff": DiffScreen,
    }
    for spec in keys.TABLE:
        name = spec.action.split("(")[0]
        assert hasattr(owners[spec.scope], f"action_{name}"), spec


def test_the_keys_shown_are_ones_a_plain_terminal_delivers() -> None:
    for spec in keys.TABLE:
        first = spec.keys.split(",")[0]
        # Ctrl+I is Tab, Ctrl+B tmux's prefix, Alt+B and Alt+F arrive as word moves.
        assert first not in ("ctrl+i", "ctrl+b", "alt+b", "alt+f"), spec
        assert not first.startswith("ctrl+shift"), spec
        assert not first.startswith("ctrl+") or not first[5:].isdigit(), spec
    assert "Alt+1" in keys.display("alt+1,inverted_exclamation_mark,ctrl+1")
    assert "exclamation" not in keys.display("alt+1,inverted_exclamation_mark,ctrl+1")
