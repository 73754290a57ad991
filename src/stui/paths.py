"""Where STUI keeps its files.

Everything lives under the platform's user directories (platformdirs). Setting
``STUI_HOME`` puts data, runtime and config below one directory instead, which is how
tests and parallel installations stay apart.

Every directory STUI owns is private (0700): the session store holds workspace code and
results, and the runtime and config files hold tokens. A directory of ours that is wider
is narrowed when it is next used.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "stui"
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as 0700, or narrow it if it is ours and wider."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def _home() -> Path | None:
    """``STUI_HOME``, created private if missing; an existing one is left as the user made it."""
    value = os.environ.get("STUI_HOME")
    if not value:
        return None
    home = Path(value)
    if not home.is_dir():
        home.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    return home


def data_dir() -> Path:
    """Templates, created images and the session store."""
    home = _home()
    return private_dir(home / "data" if home else Path(platformdirs.user_data_dir(APP)))


def runtime_dir() -> Path:
    """Runtime files of running images (address, token, pid)."""
    home = _home()
    if home:
        return private_dir(home / "run")
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return private_dir(Path(base) / APP)
    return private_dir(private_dir(Path(platformdirs.user_state_dir(APP))) / "run")


def config_dir() -> Path:
    """The client identity and the endpoints added by hand (with their tokens)."""
    home = _home()
    return private_dir(home / "config" if home else Path(platformdirs.user_config_dir(APP)))


def template_dir() -> Path:
    """Prepared image templates. A cache: derived from Debian's image and our sources.

    Not moved by ``STUI_HOME``, so test runs with a private home share one prepared
    template; ``STUI_TEMPLATE_DIR`` moves it.
    """
    value = os.environ.get("STUI_TEMPLATE_DIR")
    if value:
        return private_dir(Path(value))
    return private_dir(private_dir(Path(platformdirs.user_cache_dir(APP))) / "templates")
