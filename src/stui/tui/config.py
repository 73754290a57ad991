"""The TUI's settings: a TOML file in the user config dir.

Every setting has a default. A value of the wrong type or out of range falls back to its
default and is reported as a warning (shown once as a notification); a file that is not
valid TOML is ignored as a whole, with one warning. Nothing here ever stops start-up.

    # config.toml
    theme = "dark"                 # "dark" or "light"
    ping_interval = 1.0            # seconds between pings
    orphan_after = 300             # seconds away before an image's sessions are orphaned
    eval_timeout = 60              # seconds a do-it, print-it, inspect-it or debugger step may run
    [cleanup]
    policy = "manual"              # "manual", or "age": drop orphaned sessions older than max_age
    max_age = 604800               # seconds
    [keys]
    print_it = "ctrl+p,alt+p"      # action name -> comma-separated keys
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from stui import paths

CONFIG_FILE = "config.toml"
THEME_FILE = "theme"
THEMES: dict[str, str] = {"dark": "textual-dark", "light": "textual-light"}

CleanupPolicy = Literal["manual", "age"]


@dataclass(frozen=True)
class TuiConfig:
    """The settings after validation; `warnings` says which values fell back and why."""

    theme: str = "dark"
    ping_interval: float = 1.0
    orphan_after: float = 300.0
    eval_timeout: float = 60.0
    cleanup_policy: CleanupPolicy = "manual"
    cleanup_max_age: float = 7 * 24 * 3600.0
    keys: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    path: Path | None = None


def config_path() -> Path:
    return paths.config_dir() / CONFIG_FILE


def load_config(path: Path | None = None) -> TuiConfig:
    """Read and validate the config file; a missing file gives the defaults."""
    path = path or config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raw = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return TuiConfig(warnings=(f"{path.name}: ignored, it cannot be read: {exc}",), path=path)
    warnings: list[str] = []
    cleanup = _table(raw, "cleanup", warnings)
    theme = _choice(raw, "theme", tuple(THEMES), TuiConfig.theme, warnings)
    saved = saved_theme()
    return TuiConfig(
        theme=saved if saved and "theme" not in raw else theme,
        ping_interval=_number(raw, "ping_interval", 0.05, 60.0, TuiConfig.ping_interval, warnings),
        orphan_after=_number(
            raw, "orphan_after", 1.0, 30 * 86400.0, TuiConfig.orphan_after, warnings
        ),
        eval_timeout=_number(
            raw, "eval_timeout", 1.0, 7 * 86400.0, TuiConfig.eval_timeout, warnings
        ),
        cleanup_policy=_choice(  # type: ignore[arg-type]
            cleanup, "policy", ("manual", "age"), TuiConfig.cleanup_policy, warnings, "cleanup."
        ),
        cleanup_max_age=_number(
            cleanup,
            "max_age",
            60.0,
            3650 * 86400.0,
            TuiConfig.cleanup_max_age,
            warnings,
            "cleanup.",
        ),
        keys=_keys(raw, warnings),
        warnings=tuple(f"{path.name}: {w}" for w in warnings),
        path=path,
    )


def saved_theme() -> str | None:
    """The theme last chosen in the app (it wins unless config.toml names one)."""
    try:
        value = (paths.config_dir() / THEME_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value if value in THEMES else None


def save_theme(theme: str) -> None:
    """Remember the theme chosen in the app; a failure to write only loses the choice."""
    if theme not in THEMES:
        return
    with contextlib.suppress(OSError):
        (paths.config_dir() / THEME_FILE).write_text(theme + "\n", encoding="utf-8")


def _table(raw: dict[str, Any], key: str, warnings: list[str]) -> dict[str, Any]:
    value = raw.get(key, {})
    if isinstance(value, dict):
        return value
    warnings.append(f"[{key}] must be a table; using the defaults")
    return {}


def _choice(
    raw: dict[str, Any],
    key: str,
    allowed: tuple[str, ...],
    default: str,
    warnings: list[str],
    prefix: str = "",
) -> str:
    value = raw.get(key, default)
    if value in allowed:
        return value
    warnings.append(
        f"{prefix}{key} = {value!r} is not one of {', '.join(allowed)}; using {default!r}"
    )
    return default


def _number(
    raw: dict[str, Any],
    key: str,
    low: float,
    high: float,
    default: float,
    warnings: list[str],
    prefix: str = "",
) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        warnings.append(
            f"{prefix}{key} = {value!r} must be a number from {low:g} to {high:g}; using {default:g}"
        )
        return default
    return float(value)


def _keys(raw: dict[str, Any], warnings: list[str]) -> dict[str, str]:
    """Key overrides: action -> keys. Unknown actions are checked later, against the table."""
    table = _table(raw, "keys", warnings)
    keys: dict[str, str] = {}
    for action, value in table.items():
        if isinstance(value, str) and value.strip():
            keys[action] = value.replace(" ", "")
        else:
            warnings.append(f"keys.{action} = {value!r} must be a string of keys; ignored")
    return keys
