"""The Cuis launcher with a real VM and image: the user names them, STUI prepares a
template, creates, starts, lists and stops images, and every failed start is a clear
error rather than a hang."""

from __future__ import annotations

import json
import socket
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cuis_vm import CuisKit
from stui import launcher
from stui.cli.main import cli
from stui.dialects import DialectSource, dialect
from stui.dialects.cuis.launcher import CuisLauncher
from stui.launcher.runtime import RuntimeInfo


def test_the_cli_creates_starts_lists_and_stops_a_cuis_image(
    stui_home: Path, cuis_kit: CuisKit
) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, [
        "image", "create", "mine", "--dialect", "cuis", "--from", str(cuis_kit.image_zip),
        "--vm", str(cuis_kit.vm), "--packages", str(cuis_kit.packages),
    ])  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "(cuis," in created.output
    started = runner.invoke(cli, ["image", "start", "mine"])
    assert started.exit_code == 0, started.output
    rows = json.loads(runner.invoke(cli, ["image", "list", "--json"]).output)
    assert [(r["name"], r["dialect"], r["running"]) for r in rows] == [("mine", "cuis", True)]
    assert runner.invoke(cli, ["image", "stop", "mine"]).exit_code == 0
    assert "stopped" in runner.invoke(cli, ["image", "list"]).output


def test_the_named_vm_is_kept_in_the_image_metadata(
    running_cuis_image: RuntimeInfo, cuis_source: DialectSource
) -> None:
    meta = launcher.images.read_meta(running_cuis_image.name)
    assert meta.dialect == "cuis" and meta.source == cuis_source
    launcher.stop_image(running_cuis_image.name)
    again = launcher.start_image(running_cuis_image.name)
    assert again.image_id == running_cuis_image.image_id


def test_squeak_and_cuis_images_are_listed_side_by_side(
    start_cuis_images: Callable[..., list[RuntimeInfo]],
    start_images: Callable[..., list[RuntimeInfo]],
) -> None:
    start_images(1, prefix="sq")
    start_cuis_images(1, prefix="cu")
    rows = {row.meta.name: (row.meta.dialect, row.running) for row in launcher.list_images()}
    assert rows == {"sq-0": ("squeak", True), "cu-0": ("cuis", True)}


def test_a_stock_image_without_sockets_needs_the_packages(
    stui_home: Path, cuis_kit: CuisKit
) -> None:
    source = DialectSource(str(cuis_kit.vm), str(cuis_kit.image_zip))
    with pytest.raises(launcher.TemplateError, match="--packages"):
        launcher.create_image("nosockets", "cuis", source=source)


def test_missing_vm_and_image_are_named(stui_home: Path, cuis_kit: CuisKit, tmp_path: Path) -> None:
    with pytest.raises(launcher.MissingDependency, match="no Cuis VM was named"):
        CuisLauncher(DialectSource(image=str(cuis_kit.image_zip))).check_dependencies()
    missing = DialectSource(str(cuis_kit.vm), str(tmp_path / "nope.image"))
    with pytest.raises(launcher.MissingDependency, match="does not exist"):
        launcher.create_image("x", "cuis", source=missing)


def test_a_file_that_is_not_a_spur_image_is_refused(stui_home: Path, cuis_kit: CuisKit, tmp_path: Path) -> None:  # fmt: skip
    bogus = tmp_path / "bogus.zip"
    with zipfile.ZipFile(bogus, "w") as z:
        z.writestr("Bogus.image", b"\0" * 2_000_000)
    source = DialectSource(str(cuis_kit.vm), str(bogus), str(cuis_kit.packages))
    with pytest.raises(launcher.TemplateError, match="not a Spur image"):
        launcher.create_image("bogus", "cuis", source=source)


def test_an_image_without_the_server_fails_to_start_with_a_clear_error(
    stui_home: Path, cuis_kit: CuisKit, cuis_source: DialectSource, tmp_path: Path
) -> None:
    meta = launcher.create_image("plain", "cuis", source=cuis_source)
    with zipfile.ZipFile(cuis_kit.image_zip) as z:
        stock = z.read("Cuis5.0-3121-32.image")
    (launcher.images.image_dir(meta.name) / "plain.image").write_bytes(stock)
    with pytest.raises(launcher.StartFailed, match="no STUI server"):
        launcher.start_image("plain")
    assert launcher.list_images()[0].running is False


def test_a_port_in_use_is_reported(stui_home: Path, cuis_source: DialectSource) -> None:
    launcher.create_image("busy", "cuis", source=cuis_source)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(launcher.PortInUse):
            launcher.start_image("busy", port=port)


def test_a_deleted_start_script_is_written_again(
    stui_home: Path, cuis_source: DialectSource
) -> None:
    launcher.create_image("noscript", "cuis", source=cuis_source)
    (launcher.images.image_dir("noscript") / "stui-start.st").unlink()
    assert launcher.start_image("noscript").port > 0


def test_copies_share_nothing_but_the_sources(running_cuis_image: RuntimeInfo) -> None:
    directory = Path(running_cuis_image.image_path).parent
    names = sorted(p.name for p in directory.iterdir())
    assert names == sorted([
        f"{running_cuis_image.name}.image", f"{running_cuis_image.name}.changes",
        "CuisV5.sources", "image.json", "stui-start.st", "vm.log",
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("text", "refused"),
    [("Grüße €", None), ("¤", "¤"), ("ok ☃", "☃"), ("Œuvre", None)],
)
def test_the_cuis_quirk_is_iso_8859_15(text: str, refused: str | None) -> None:
    found = dialect("cuis").check_text(text)  # type: ignore[union-attr]
    assert (found.char if found else None) == refused
    if found:
        assert "ISO 8859-15" in found.describe("code")


def test_the_prepared_template_is_reused(stui_home: Path, cuis_source: DialectSource) -> None:
    first = CuisLauncher(cuis_source).prepare_template()
    assert CuisLauncher(cuis_source).prepared_template() == first


def test_the_raw_eval_floor_is_filed_in_only_when_asked_for(
    stui_home: Path, cuis_source: DialectSource
) -> None:
    meta = launcher.create_image("floor", "cuis", source=cuis_source)
    image = launcher.images.image_dir(meta.name) / "floor.image"
    assert CuisLauncher(cuis_source).evaluate_once(image, "Smalltalk includesKey: #StuiRawEval") == "false"  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        raw_port = s.getsockname()[1]
    launcher.start_image("floor", raw_port=raw_port)
    with socket.create_connection(("127.0.0.1", raw_port), timeout=5) as raw:
        raw.sendall(b"(3/4) class\0")
        reply = b""
        while not reply.endswith(b"\0"):
            reply += raw.recv(100)
    assert reply == b"+Fraction\0"
