"""The benchmarks' raw eval floor: filed in at start only when asked for, never shipped."""

from __future__ import annotations

import socket
from collections.abc import Callable

from stui.launcher.runtime import RuntimeInfo


def test_the_raw_eval_floor_answers_nul_framed_requests(
    start_images: Callable[..., list[RuntimeInfo]],
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        raw_port = s.getsockname()[1]
    start_images(1, raw_port=raw_port)
    with socket.create_connection(("127.0.0.1", raw_port), timeout=5) as sock:
        for source, answer in [(b"3 + 4", b"+7"), (b"nil foo", b"-")]:
            sock.sendall(source + b"\0")
            data = b""
            while not data.endswith(b"\0"):
                data += sock.recv(4096)
            assert data.startswith(answer)


def test_the_shipped_template_has_no_raw_eval_floor(run_squeak: Callable[..., str]) -> None:
    out = run_squeak(
        "--eval=Smalltalk includesKey: #StuiRawEval",
        "--eval=StuiServer capabilities includes: 'evaluate'",
    )
    lines = out.strip().splitlines()
    assert lines[-2] == "false"
    assert lines[-1] == "true"
