"""Where STUI keeps its files.

Everything lives under the platform's user directories (platformdirs). Setting
``STUI_HOME`` puts data, runtime and config below one directory instead, which is how
tests and parallel installations stay apart.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "stui"


def _home() -> Path | None:
    value = os.environ.get("STUI_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    """Templates, created images and the session store."""
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def runtime_dir() -> Path:
    """Runtime files of running images (address, token, pid), mode 0700."""
    home = _home()
    if home:
        path = home / "run"
    else:
        base = os.environ.get("XDG_RUNTIME_DIR")
        path = Path(base) / APP if base else Path(platformdirs.user_state_dir(APP)) / "run"
    if not path.is_dir() or path.stat().st_mode & 0o077:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
    return path


def config_dir() -> Path:
    home = _home()
    path = home / "config" if home else Path(platformdirs.user_config_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def template_dir() -> Path:
    """Prepared image templates. A cache: derived from Debian's image and our sources.

    Not moved by ``STUI_HOME``, so test runs with a private home share one prepared
    template; ``STUI_TEMPLATE_DIR`` moves it.
    """
    value = os.environ.get("STUI_TEMPLATE_DIR")
    path = Path(value) if value else Path(platformdirs.user_cache_dir(APP)) / "templates"
    path.mkdir(parents=True, exist_ok=True)
    return path
