"""STUI's directories are 0700 and the session store's files 0600, new or inherited."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stui import paths
from stui.sessions import SessionManager, SessionStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common default umask, under which files used to come out 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No STUI_HOME: the platform's user directories, moved below tmp_path."""
    monkeypatch.delenv("STUI_HOME", raising=False)
    monkeypatch.delenv("STUI_TEMPLATE_DIR", raising=False)
    for var, sub in [("XDG_DATA_HOME", "share"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache")]:  # fmt: skip
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    return tmp_path


def test_stui_home_and_its_directories_are_private(stui_home: Path) -> None:
    made = [paths.data_dir(), paths.config_dir(), paths.runtime_dir()]
    assert made == [stui_home / "data", stui_home / "config", stui_home / "run"]
    assert [mode(p) for p in [stui_home, *made]] == [0o700] * 4


def test_wider_directories_of_ours_are_narrowed(stui_home: Path) -> None:
    for sub in ["data", "config", "run"]:
        (stui_home / sub).mkdir(parents=True)
        os.chmod(stui_home / sub, 0o755)
    assert [mode(p) for p in [paths.data_dir(), paths.config_dir(), paths.runtime_dir()]] == [
        0o700
    ] * 3


def test_an_existing_stui_home_is_left_as_the_user_made_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "shared-home"
    home.mkdir(mode=0o755)
    monkeypatch.setenv("STUI_HOME", str(home))
    assert mode(paths.data_dir()) == 0o700
    assert mode(home) == 0o755


def test_platform_directories_are_private(platform_dirs: Path) -> None:
    made = {
        "data": paths.data_dir(),
        "config": paths.config_dir(),
        "run": paths.runtime_dir(),
        "templates": paths.template_dir(),
    }
    assert made == {
        "data": platform_dirs / "share" / "stui",
        "config": platform_dirs / "config" / "stui",
        "run": platform_dirs / "state" / "stui" / "run",
        "templates": platform_dirs / "cache" / "stui" / "templates",
    }
    for path in made.values():
        assert mode(path) == 0o700, path
    assert mode(platform_dirs / "state" / "stui") == 0o700
    assert mode(platform_dirs / "cache" / "stui") == 0o700


def test_the_runtime_dir_under_xdg_runtime_dir_is_private(
    platform_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = platform_dirs / "xdg-run"
    base.mkdir(mode=0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(base))
    assert paths.runtime_dir() == base / "stui"
    assert mode(base / "stui") == 0o700


def store_files(path: Path) -> dict[str, int]:
    return {p.name: mode(p) for p in path.parent.iterdir() if p.name.startswith(path.name)}


def test_a_new_store_and_its_wal_and_shm_are_private(stui_home: Path) -> None:
    with SessionStore() as store:
        SessionManager(store, "c-1").create_session("img-1", "secret workspace")
        files = store_files(store.path)
        assert mode(store.path.parent) == 0o700
    assert files == {"sessions.db": 0o600, "sessions.db-wal": 0o600, "sessions.db-shm": 0o600}


def test_a_wider_store_of_an_older_stui_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionStore(path) as store:
        SessionManager(store, "c-1").create_session("img-1")
        for name in ["sessions.db", "sessions.db-wal", "sessions.db-shm"]:
            os.chmod(tmp_path / name, 0o644)
    os.chmod(path, 0o644)
    with SessionStore(path) as store:
        SessionManager(store, "c-1").create_session("img-1")
        assert set(store_files(path).values()) == {0o600}
    assert mode(path) == 0o600
