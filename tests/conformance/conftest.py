"""The conformance suite: every server test runs once per dialect in CONFORMANCE_DIALECTS.

A dialect joins by adding its name below and `expectations/<name>.toml` (docs/conformance.md).
Tests never branch on the dialect's name: where dialects legitimately differ (print
strings, stack frame names, which characters an image can hold) the test reads the
dialect's expectations, or asks the dialect package (`stui.dialects`).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zmq

from conformance.expected import Expectations
from conformance.wire import Peer, ServerStart
from stui import launcher
from stui.dialects import DialectSource, launcher_class
from stui.dialects.contract import ServerOptions
from stui.dialects.errors import MissingDependency
from stui.launcher.images import image_dir
from stui.launcher.runtime import RuntimeInfo

# One entry per dialect: its name, and the name of the fixture (in tests/conftest.py)
# that gives the DialectSource its launcher needs, or None when the launcher finds its VM
# and image by itself.
CONFORMANCE_DIALECTS: dict[str, str | None] = {"squeak": None, "cuis": "cuis_source"}


@pytest.fixture(scope="session", params=sorted(CONFORMANCE_DIALECTS))
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def dialect_source(dialect: str, request: pytest.FixtureRequest) -> DialectSource | None:
    """The VM, image and packages the dialect's launcher needs, if it cannot find them."""
    fixture = CONFORMANCE_DIALECTS[dialect]
    return None if fixture is None else request.getfixturevalue(fixture)


@pytest.fixture(scope="session")
def expect(dialect: str) -> Expectations:
    return Expectations.load(dialect)


@pytest.fixture(scope="session")
def dialect_template(dialect: str, dialect_source: DialectSource | None) -> Path:
    """The dialect's prepared template (prepared once, cached across runs)."""
    try:
        return launcher_class(dialect, dialect_source).prepare_template()
    except MissingDependency as e:
        pytest.skip(f"{dialect}: {e}")


@pytest.fixture
def start_images(
    stui_home: Path, dialect: str, dialect_source: DialectSource | None, dialect_template: Path
) -> Callable[..., list[RuntimeInfo]]:
    """Create and start n images of the dialect, named img-0 … (or with a given prefix)."""
    counter = iter(range(10_000))

    def start(n: int, prefix: str = "img", **options: object) -> list[RuntimeInfo]:
        infos = []
        for _ in range(n):
            name = f"{prefix}-{next(counter)}"
            launcher.create_image(name, dialect, source=dialect_source)
            infos.append(launcher.start_image(name, **options))
        return infos

    return start


@pytest.fixture
def running_image(start_images: Callable[..., list[RuntimeInfo]]) -> RuntimeInfo:
    """One created and started image of the dialect, in a private STUI_HOME."""
    return start_images(1)[0]


@pytest.fixture
def zctx() -> Iterator[zmq.Context]:
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@pytest.fixture
def connect(zctx: zmq.Context) -> Iterator[Callable[[RuntimeInfo], Peer]]:
    """Open a DEALER to an image (not yet said hello)."""

    def open_peer(info: RuntimeInfo) -> Peer:
        peer = Peer(zctx, info.address)
        opened.append(peer)
        return peer

    opened: list[Peer] = []
    yield open_peer
    for peer in opened:
        peer.close()


@pytest.fixture
def client(running_image: RuntimeInfo, connect: Callable[[RuntimeInfo], Peer]) -> Peer:
    """A DEALER to a fresh image, past hello."""
    peer = connect(running_image)
    assert peer.hello(running_image.token)["type"] == "welcome"
    return peer


@pytest.fixture
def start_server(
    stui_home: Path,
    dialect: str,
    dialect_source: DialectSource | None,
    dialect_template: Path,
    tmp_path: Path,
) -> Iterator[Callable[[ServerOptions], ServerStart]]:
    """Start a created image with the launcher's server argv and chosen options (the
    launcher<->server contract); answer its first `STUI ` line."""
    launcher.create_image("boot", dialect, source=dialect_source)
    image = image_dir("boot") / "boot.image"
    started: list[subprocess.Popen] = []

    def start(options: ServerOptions, timeout: float = 20) -> ServerStart:
        argv = launcher_class(dialect, dialect_source).server_command(image, options)
        out = tmp_path / f"stdout-{len(started)}"
        with out.open("wb") as f:
            proc = subprocess.Popen(argv, cwd=image.parent, stdout=f, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)  # fmt: skip
        started.append(proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [x for x in out.read_text("latin-1").splitlines() if x.startswith("STUI ")]
            if lines:
                return ServerStart(lines[0], proc)
            if proc.poll() is not None:
                return ServerStart("", proc)
            time.sleep(0.02)
        raise AssertionError(f"no STUI line within {timeout} s: {out.read_text('latin-1')!r}")

    yield start
    for proc in started:
        proc.kill()
        proc.wait()
