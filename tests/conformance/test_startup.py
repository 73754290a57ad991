"""The launcher<->server contract: start options, the READY and ERROR lines, identity.

Each image is started with the argv its dialect's launcher builds (`server_command`), so
this holds for every dialect whatever its VM's own argument syntax.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import zmq

from conformance.wire import Peer, ServerStart
from stui import launcher
from stui.dialects.contract import ServerOptions
from stui.launcher.runtime import RuntimeInfo

Start = Callable[[ServerOptions], ServerStart]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def options(tmp_path: Path, token: str | None = "sesame", **changes: object) -> ServerOptions:
    token_file = tmp_path / "token"
    if token is not None:
        token_file.write_text(token)
    fields: dict = {
        "name": "boot", "port": free_port(), "bind": "127.0.0.1", "token_file": token_file,
        "session_ttl": 60, **changes,
    }  # fmt: skip
    return ServerOptions(**fields)


def refused(start: ServerStart) -> str:
    """The ERROR line's message; the VM must also have quit."""
    assert start.line.startswith("STUI ERROR "), start.line
    assert start.process.wait(timeout=10) is not None
    return start.line.removeprefix("STUI ERROR ")


def test_ready_names_the_port_and_the_token_file_is_trimmed(
    start_server: Start, tmp_path: Path, zctx: zmq.Context
) -> None:
    chosen = options(tmp_path, token="  sesame \n")
    start = start_server(chosen)
    assert start.line == f"STUI READY {chosen.port}"
    peer = Peer(zctx, f"tcp://127.0.0.1:{chosen.port}")
    welcome = peer.hello("sesame")
    assert welcome["type"] == "welcome", welcome
    assert (welcome["image"]["name"], welcome["image"]["port"]) == ("boot", chosen.port)
    assert welcome["image"]["pid"] == start.process.pid
    started = datetime.fromisoformat(welcome["image"]["started_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - started).total_seconds()) < 60


def test_port_zero_listens_on_a_free_port(start_server: Start, tmp_path: Path) -> None:
    line = start_server(options(tmp_path, port=0)).line
    assert line.startswith("STUI READY ") and int(line.split()[2]) > 0


def test_a_port_in_use_is_an_error_naming_it(start_server: Start, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert str(port) in refused(start_server(options(tmp_path, port=port)))


def test_a_missing_or_empty_token_file_is_an_error(start_server: Start, tmp_path: Path) -> None:
    assert "token" in refused(start_server(options(tmp_path, token=None)))
    assert "token" in refused(start_server(options(tmp_path, token=" \n")))


def test_a_bad_bind_address_is_an_error(start_server: Start, tmp_path: Path) -> None:
    refused(start_server(options(tmp_path, bind="not-an-address")))


def test_a_restart_keeps_the_image_id_and_makes_a_new_instance_id(
    running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]
) -> None:
    first = connect(running_image).hello(running_image.token)["image"]
    assert first["image_id"] == running_image.image_id
    launcher.stop_image(running_image.name)
    again = launcher.start_image(running_image.name)
    second = connect(again).hello(again.token)["image"]
    assert second["image_id"] == running_image.image_id
    assert second["instance_id"] != first["instance_id"]
    assert uuid.UUID(second["instance_id"])
