"""`stui eval` and `stui ping` against real images, exit codes included."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from stui.cli.main import cli
from stui.launcher.runtime import RuntimeInfo

pytestmark = pytest.mark.timeout(180)


def stui(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_eval_prints_the_result(running_image: RuntimeInfo) -> None:
    done = stui("eval", "--image", running_image.name, "3 + 4")
    assert (done.exit_code, done.stdout) == (0, "7\n")
    assert stui("eval", "(1 to: 3) asArray").stdout == "(1 2 3)\n"  # the only running image
    assert stui("eval", "--do", "3 + 4").stdout == ""
    assert stui("eval", "-", stdin="'from' , ' stdin'").stdout == "'from stdin'\n"


def test_eval_json(running_image: RuntimeInfo) -> None:
    done = stui("eval", "--json", "3 + 4")
    assert done.exit_code == 0
    obj = json.loads(done.stdout)
    assert obj["ok"] is True
    assert (obj["value"], obj["class"], obj["image"]) == ("7", "SmallInteger", running_image.name)


def test_eval_errors_exit_1(running_image: RuntimeInfo) -> None:
    done = stui("eval", "3 + ")
    assert done.exit_code == 1
    assert "syntax error" in done.stderr
    assert "^" in done.stderr
    done = stui("eval", "--json", "nil foo")
    assert done.exit_code == 1
    obj = json.loads(done.stdout)
    assert (obj["ok"], obj["error"], obj["kind"]) == (False, "eval_error", "runtime")
    assert obj["stack"]


def test_eval_in_a_session_keeps_variables(running_image: RuntimeInfo) -> None:
    created = stui("sessions", "create", "--image", running_image.name, "--label", "cli")
    session = created.stdout.strip()
    assert stui("eval", "--session", "cli", "--do", "x := 21").exit_code == 0  # by label
    assert stui("eval", "--session", session[:6], "x * 2").stdout == "42\n"  # by id prefix
    done = stui("eval", "--json", "--session", "nosuch", "1")
    assert done.exit_code == 1
    assert json.loads(done.stdout)["error"] == "session_not_found"


def test_eval_timeout_interrupts_and_exits_3(running_image: RuntimeInfo) -> None:
    done = stui("eval", "--timeout", "0.5", "[true] whileTrue")
    assert done.exit_code == 3
    assert "interrupted" in done.stderr
    obj = json.loads(stui("ping", "--json", "--count", "1").stdout)
    assert obj["busy"] is False


def test_connection_failures_exit_3(stui_home: object) -> None:
    done = stui("eval", "--image", "nosuch", "1")
    assert done.exit_code == 3
    assert "stui image start NAME" in done.stderr
    done = stui("eval", "1")
    assert done.exit_code == 3
    assert "no image is running" in done.stderr
    address = f"tcp://127.0.0.1:{free_port()}"
    assert stui("images", "add", "far", "--address", address, "--token", "t").exit_code == 0
    done = stui("eval", "--json", "--image", "far", "1")
    assert done.exit_code == 3
    obj = json.loads(done.stdout)
    assert obj["error"] == "connection"
    assert "cannot reach an image" in obj["message"]


def test_usage_errors_exit_2(stui_home: object) -> None:
    assert stui("eval", "--address", "tcp://127.0.0.1:1", "1").exit_code == 2
    assert stui("eval", "--timeout", "0", "1").exit_code == 2
    assert stui("eval", "  ").exit_code == 2
    assert stui("eval", "--image", "../x", "1").exit_code == 2
    done = stui("eval", "--json", "--timeout", "0", "1")
    assert done.exit_code == 2
    assert json.loads(done.stdout)["error"] == "usage"


def test_wrong_token_exits_4(running_image: RuntimeInfo) -> None:
    stui("images", "add", "wrong", "--address", running_image.address, "--token", "0" * 32)
    done = stui("eval", "--image", "wrong", "1")
    assert done.exit_code == 4
    assert "unauthorized" in done.stderr


def test_several_images_need_a_choice(start_images: Callable[..., list[RuntimeInfo]]) -> None:
    first, _ = start_images(2)
    assert stui("eval", "1").exit_code == 2
    assert stui("eval", "--image", first.name, "1").stdout == "1\n"


def test_ping(running_image: RuntimeInfo) -> None:
    done = stui("ping", running_image.name, "--count", "3", "--interval", "0")
    assert done.exit_code == 0
    assert done.stdout.count("pong from") == 3
    assert "3 sent, 3 received; p50" in done.stdout
    obj = json.loads(stui("ping", "--json", "-c", "5", "--interval", "0").stdout)
    assert (obj["ok"], obj["sent"], obj["received"]) == (True, 5, 5)
    assert len(obj["rtt_ms"]) == 5
    assert 0 < obj["p50_ms"] < 1000


def test_the_installed_command_exits_with_the_codes(running_image: RuntimeInfo) -> None:
    command = [str(Path(sys.executable).with_name("stui"))]
    ok = subprocess.run([*command, "eval", "6 * 7"], capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stdout) == (0, "42\n")
    bad = subprocess.run([*command, "eval", "nil foo"], capture_output=True, timeout=60)
    assert bad.returncode == 1


def test_a_character_the_image_cannot_hold_is_pointed_at(running_image: RuntimeInfo) -> None:
    assert stui("eval", "'café'").stdout == "'café'\n"  # Latin-1 round-trips
    done = stui("eval", "'price: 5 €'")
    assert done.exit_code == 4
    assert "'€' (U+20AC) at position 11 of the code" in done.stderr
