"""Squeak-only start-up: StuiServer options as image arguments, read by StuiBoot (see
tests/conformance/test_startup.py for the contract every dialect keeps)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path


def start_line(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("STUI ")]


def test_ready_names_the_port_it_listens_on(run_squeak: Callable[..., str], tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("  sesame\n")
    out = run_squeak(
        "--stui-port=0", f"--stui-token-file={token}", "--eval=StuiServer startUp",
        "--eval=StuiServer current port > 0",
    )  # fmt: skip
    (line,) = start_line(out)
    assert line.startswith("STUI READY ")
    assert int(line.split()[2]) > 0
    assert out.strip().endswith("true")


def test_a_port_in_use_is_an_error(run_squeak: Callable[..., str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run_squeak(f"--stui-port={port}", "--eval=StuiServer startUp")
    (line,) = start_line(out)
    assert line.startswith("STUI ERROR ") and str(port) in line


def test_an_unreadable_token_file_is_an_error(
    run_squeak: Callable[..., str], tmp_path: Path
) -> None:
    out = run_squeak(
        "--stui-port=0", f"--stui-token-file={tmp_path / 'missing'}", "--eval=StuiServer startUp"
    )
    (line,) = start_line(out)
    assert line.startswith("STUI ERROR ") and "token" in line


def test_bad_options_are_errors(run_squeak: Callable[..., str]) -> None:
    for options in (["--stui-port=x"], ["--stui-port=0", "--stui-bind=not-an-address"]):
        out = run_squeak(*options, "--eval=StuiServer startUp")
        (line,) = start_line(out)
        assert line.startswith("STUI ERROR "), out


def test_without_a_port_nothing_starts(run_squeak: Callable[..., str]) -> None:
    out = run_squeak("--eval=StuiServer startUp", "--eval=StuiServer current isNil")
    assert start_line(out) == []
    assert out.strip().endswith("true")


def test_the_image_id_is_kept_and_can_be_set(run_squeak: Callable[..., str]) -> None:
    out = run_squeak(
        "--stui-image-id=11111111-2222-4333-8444-555555555555", "--stui-port=0",
        "--eval=StuiServer startUp", "--eval=StuiServer imageId",
    )  # fmt: skip
    assert out.strip().endswith("'11111111-2222-4333-8444-555555555555'")


def test_options_survive_a_file_in_after_them(
    run_squeak: Callable[..., str], tmp_path: Path
) -> None:
    """A file-in writes the changes file, which clears SystemDictionary's StartupStamp."""
    source = tmp_path / "probe.st"
    source.write_text(
        "Object subclass: #StuiTestProbe\n\tinstanceVariableNames: ''\n"
        "\tclassVariableNames: ''\n\tpoolDictionaries: ''\n\tcategory: 'StuiTest'!\n"
    )
    out = run_squeak("--stui-name=kept", str(source), "--eval=StuiServer optionAt: 'name'")
    assert out.strip().endswith("'kept'")
