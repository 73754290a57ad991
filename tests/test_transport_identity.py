"""The installation's client id: stable, well-formed, created once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from stui import paths
from stui.identity import client_id, is_client_id


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STUI_HOME", str(tmp_path))
    return tmp_path


def test_created_on_first_use_then_stable(home: Path) -> None:
    first = client_id()
    assert is_client_id(first)
    assert (paths.config_dir() / "client_id").read_text().strip() == first
    assert client_id() == first
    assert not [p for p in paths.config_dir().iterdir() if p.name.startswith(".")]


def test_a_corrupt_file_is_replaced(home: Path) -> None:
    (paths.config_dir() / "client_id").write_text("garbage\n")
    fresh = client_id()
    assert is_client_id(fresh)
    assert client_id() == fresh


def test_format() -> None:
    assert is_client_id("c-" + "0123456789abcdef" * 2)
    assert not is_client_id("c-" + "0" * 31)
    assert not is_client_id("C-" + "0" * 32)
    assert not is_client_id("c-" + "g" * 32)


def _race(_: int) -> str:
    return client_id()


def test_concurrent_first_use_agrees(home: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        ids = pool.map(_race, range(16))
    assert len(set(ids)) == 1
