"""The local-image launcher against real Squeak VMs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from stui import launcher, paths
from stui.cli.main import cli
from stui.dialects.squeak.launcher import _xvfb
from stui.launcher.names import validate_name
from stui.launcher.runtime import runtime_path

ZMTP_SIGNATURE_START = b"\xff"


def greets(port: int) -> bool:
    """True if something on port speaks ZMTP: its greeting starts with 0xFF … 0x7F."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"\xff" + b"\0" * 8 + b"\x7f")
        data = b""
        while len(data) < 10:
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        return data[:1] == ZMTP_SIGNATURE_START and data[9:10] == b"\x7f"


@pytest.mark.parametrize(
    "name", ["", "../evil", "a/b", "a\\b", "x" * 65, ".hidden", "a..b", "sp ace", "ünï"]
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(launcher.InvalidImageName):
        validate_name(name)


@pytest.mark.parametrize("name", ["demo", "demo-1", "Project_2.dev", "x" * 64])
def test_good_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


def test_create_refuses_bad_name_and_duplicate(stui_home: Path, template: Path) -> None:
    with pytest.raises(launcher.InvalidImageName):
        launcher.create_image("../escape")
    meta = launcher.create_image("one")
    assert meta.dialect == "squeak" and len(meta.image_id) == 36
    with pytest.raises(launcher.ImageExists):
        launcher.create_image("one")
    assert not list(paths.data_dir().joinpath("images").glob(".*"))


def test_missing_stock_image_is_a_clear_error(
    stui_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUI_TEMPLATE_DIR", str(tmp_path / "no-templates"))
    monkeypatch.setenv("STUI_SQUEAK_STOCK_IMAGE", str(tmp_path / "missing.image"))
    with pytest.raises(launcher.MissingDependency, match="apt-get install"):
        launcher.create_image("one")


def test_corrupt_template_is_a_clear_error(
    stui_home: Path, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = tmp_path / "templates"
    copies.mkdir()
    shutil.copyfile(
        template.with_suffix(".changes"), copies / template.with_suffix(".changes").name
    )
    (copies / template.name).write_bytes(os.urandom(2_000_000))
    monkeypatch.setenv("STUI_TEMPLATE_DIR", str(copies))
    with pytest.raises(launcher.TemplateError, match="corrupt"):
        launcher.create_image("one")
    assert not (paths.data_dir() / "images" / "one").exists()


def test_stop_or_start_unknown_and_stopped_images(stui_home: Path, template: Path) -> None:
    with pytest.raises(launcher.ImageNotFound):
        launcher.start_image("nope")
    launcher.create_image("idle")
    with pytest.raises(launcher.ImageNotRunning):
        launcher.stop_image("idle")


def test_five_images_start_serve_and_stop_cleanly(start_images) -> None:
    infos = start_images(5)
    assert len({i.port for i in infos}) == 5
    for info in infos:
        assert psutil.pid_exists(info.pid)
        assert greets(info.port)
        mode = stat.S_IMODE(runtime_path(info.name).stat().st_mode)
        assert mode == 0o600
        assert info.address == f"tcp://127.0.0.1:{info.port}"
    listed = {row.meta.name: row for row in launcher.list_images()}
    assert all(listed[i.name].running for i in infos)
    for info in infos:
        launcher.stop_image(info.name)
    for info in infos:
        assert not launcher.runtime.is_vm_alive(info.pid, info.image_path)
        assert not runtime_path(info.name).exists()
    assert not list(paths.runtime_dir().iterdir())
    assert not any(row.running for row in launcher.list_images())


def test_server_listens_on_loopback_only(running_image) -> None:
    conns = psutil.Process(running_image.pid).net_connections(kind="tcp")
    listening = [c.laddr for c in conns if c.status == psutil.CONN_LISTEN]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening)


def test_double_start_is_refused(running_image) -> None:
    with pytest.raises(launcher.ImageAlreadyRunning, match=str(running_image.pid)):
        launcher.start_image(running_image.name)


def test_port_in_use_is_reported(stui_home: Path, template: Path) -> None:
    launcher.create_image("busy")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(launcher.PortInUse, match=str(s.getsockname()[1])):
            launcher.start_image("busy", port=s.getsockname()[1])
    assert not runtime_path("busy").exists()


def test_explicit_free_port_is_used(stui_home: Path, template: Path) -> None:
    launcher.create_image("fixed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    info = launcher.start_image("fixed", port=port)
    assert info.port == port and greets(port)


def test_stale_runtime_file_is_noticed_and_removed(running_image) -> None:
    os.kill(running_image.pid, signal.SIGKILL)
    os.waitpid(running_image.pid, 0)
    rows = {row.meta.name: row for row in launcher.list_images()}
    assert not rows[running_image.name].running
    assert not runtime_path(running_image.name).exists()
    with pytest.raises(launcher.ImageNotRunning):
        launcher.stop_image(running_image.name)


def test_corrupt_runtime_file_is_treated_as_stale(running_image) -> None:
    runtime_path(running_image.name).write_text("{not json")
    assert launcher.runtime.load_runtime(running_image.name) is None
    os.kill(running_image.pid, signal.SIGKILL)
    os.waitpid(running_image.pid, 0)


def test_stop_forces_a_vm_that_ignores_sigterm(running_image) -> None:
    os.kill(running_image.pid, signal.SIGSTOP)  # a stopped VM cannot act on SIGTERM
    started = time.monotonic()
    launcher.stop_image(running_image.name, timeout=0.5)
    assert time.monotonic() - started < 5
    assert not launcher.runtime.is_vm_alive(running_image.pid, running_image.image_path)


def test_two_prepare_displays_never_collide() -> None:
    with _xvfb() as first, _xvfb() as second:
        assert first != second


def test_cli_lifecycle(stui_home: Path, template: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["image", "create", "cli-img"]).exit_code == 0
    again = runner.invoke(cli, ["image", "create", "cli-img"])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(cli, ["image", "create", "../x"])
    assert bad.exit_code == 2 and "invalid image name" in bad.output
    started = runner.invoke(cli, ["image", "start", "cli-img"])
    assert started.exit_code == 0, started.output
    listing = runner.invoke(cli, ["image", "list"])
    assert "cli-img" in listing.output and "running" in listing.output
    (row,) = json.loads(runner.invoke(cli, ["image", "list", "--json"]).output)
    assert (row["name"], row["running"]) == ("cli-img", True)
    assert "already running" in runner.invoke(cli, ["image", "start", "cli-img"]).output
    assert runner.invoke(cli, ["image", "stop", "cli-img"]).exit_code == 0
    not_running = runner.invoke(cli, ["image", "stop", "cli-img"])
    assert not_running.exit_code == 1 and "not running" in not_running.output
    assert runner.invoke(cli, ["image", "delete", "cli-img", "--yes"]).exit_code == 0
    assert "no images" in runner.invoke(cli, ["image", "list"]).output
