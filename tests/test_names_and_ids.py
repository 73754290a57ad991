"""Every name and id check matches the whole string: a final newline is not let through."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from stui import launcher
from stui.cli.main import cli
from stui.errors import StuiError
from stui.identity import is_client_id, new_client_id
from stui.launcher.names import validate_name
from stui.sessions.errors import SessionsError
from stui.sessions.ids import check_external_id, check_session_id, new_session_id


def accepts(check: Callable[[str], object], value: str) -> bool:
    try:
        result = check(value)
    except (StuiError, SessionsError):
        return False
    return result is not False


CHECKS: dict[str, tuple[Callable[[str], object], str]] = {
    "image name": (validate_name, "demo-1"),
    "session id": (check_session_id, new_session_id()),
    "external id": (lambda v: check_external_id("image id", v), "4f0c1e7a-image:1"),
    "client id": (is_client_id, new_client_id()),
}


@pytest.mark.parametrize("kind", CHECKS)
@pytest.mark.parametrize("wrap", ["{}\n", "{}\r\n", "\n{}", "{}\x00", "{} "])
def test_surrounding_whitespace_and_newlines_are_refused(kind: str, wrap: str) -> None:
    check, good = CHECKS[kind]
    assert accepts(check, good)
    assert not accepts(check, wrap.format(good))


def test_cli_refuses_an_image_name_with_a_final_newline(stui_home: Path) -> None:
    result = CliRunner().invoke(cli, ["image", "create", "x\n"])
    assert result.exit_code == 2  # a usage error
    assert "invalid image name" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (stui_home / "data" / "images" / "x\n").exists()


@pytest.mark.parametrize(
    ("name", "complaint", "code"),
    [
        ("x\n", "invalid image name", 2),
        ("../up", "invalid image name", 2),
        ("absent", "no image named", 1),
    ],
)
def test_image_delete_checks_the_name_before_asking(
    stui_home: Path, name: str, complaint: str, code: int
) -> None:
    result = CliRunner().invoke(cli, ["image", "delete", name], input="y\n")
    assert result.exit_code == code
    assert complaint in result.output
    assert "Delete image" not in result.output


def test_image_delete_still_asks_for_an_existing_image(stui_home: Path, template: Path) -> None:
    launcher.create_image("kept")
    result = CliRunner().invoke(cli, ["image", "delete", "kept"], input="n\n")
    assert "Delete image kept" in result.output
    assert result.exit_code == 1  # declined: click aborts
    assert [row.meta.name for row in launcher.list_images()] == ["kept"]


@pytest.mark.parametrize("port", ["²", "٨٠", "80x", ""])
def test_an_address_port_must_be_ascii_digits(port: str) -> None:
    from stui.images.endpoints import RegistryError, _check_address

    with pytest.raises(RegistryError):
        _check_address(f"tcp://127.0.0.1:{port}")


def test_a_protocol_version_must_be_ascii_digits() -> None:
    from stui.protocol.limits import parse_version

    with pytest.raises(ValueError):
        parse_version("١.٠")
