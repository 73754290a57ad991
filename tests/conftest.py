"""Shared fixtures: a prepared template, a private STUI_HOME, real running images."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from cuis_vm import CuisKit, CuisVmUnavailable, kit
from stui import launcher
from stui.dialects import DialectSource
from stui.dialects.squeak.launcher import HEADLESS, SqueakLauncher
from stui.launcher.runtime import RuntimeInfo


@pytest.fixture(scope="session")
def template() -> Path:
    """The prepared STUI template (prepared once, cached across runs)."""
    return SqueakLauncher().prepare_template()


@pytest.fixture(scope="session")
def cuis_kit() -> CuisKit:
    """The Cuis VM (built once from ../shared/cuis, cached by hash), stock image and packages.

    A VM that cannot be built fails every Cuis test with the build's message."""
    try:
        return kit()
    except CuisVmUnavailable as e:
        pytest.fail(f"Cuis tests need the Cuis VM: {e}", pytrace=False)


@pytest.fixture(scope="session")
def cuis_source(cuis_kit: CuisKit) -> DialectSource:
    """The VM, stock image and packages a Cuis user would name at `stui image create`."""
    return DialectSource(str(cuis_kit.vm), str(cuis_kit.image_zip), str(cuis_kit.packages))


@pytest.fixture
def start_cuis_images(
    stui_home: Path, cuis_source: DialectSource
) -> Callable[..., list[RuntimeInfo]]:
    """Create and start n Cuis images named cuis-0 … (or with a given prefix)."""
    counter = iter(range(10_000))

    def start(n: int, prefix: str = "cuis", **options: object) -> list[RuntimeInfo]:
        infos = []
        for _ in range(n):
            name = f"{prefix}-{next(counter)}"
            launcher.create_image(name, "cuis", source=cuis_source)
            infos.append(launcher.start_image(name, **options))
        return infos

    return start


@pytest.fixture
def running_cuis_image(start_cuis_images: Callable[..., list[RuntimeInfo]]) -> RuntimeInfo:
    """One created and started Cuis image in a private STUI_HOME."""
    return start_cuis_images(1)[0]


@pytest.fixture
def run_squeak(template: Path, tmp_path: Path) -> Callable[..., str]:
    """Run a private copy of the template with image arguments, then quit; answer stdout."""
    image = tmp_path / "once.image"
    shutil.copyfile(template, image)
    shutil.copyfile(template.with_suffix(".changes"), image.with_suffix(".changes"))
    vm = SqueakLauncher().vm

    def run(*args: str, timeout: float = 30) -> str:
        done = subprocess.run(
            [str(vm), *HEADLESS, str(image), *args, "--quit"],
            cwd=tmp_path, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return done.stdout.decode("latin-1")

    return run


@pytest.fixture
def stui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private STUI_HOME; every image still running in it at the end is stopped."""
    home = tmp_path / "stui-home"
    monkeypatch.setenv("STUI_HOME", str(home))
    yield home
    for row in launcher.list_images():
        if row.running:
            launcher.stop_image(row.meta.name, timeout=2)


@pytest.fixture
def start_images(stui_home: Path, template: Path) -> Callable[..., list[RuntimeInfo]]:
    """Create and start n images named img-0 … img-(n-1) (or with a given prefix)."""
    counter = iter(range(10_000))

    def start(n: int, prefix: str = "img", **options: object) -> list[RuntimeInfo]:
        infos = []
        for _ in range(n):
            name = f"{prefix}-{next(counter)}"
            launcher.create_image(name)
            infos.append(launcher.start_image(name, **options))
        return infos

    return start


@pytest.fixture
def running_image(start_images: Callable[..., list[RuntimeInfo]]) -> RuntimeInfo:
    """One created and started image in a private STUI_HOME."""
    return start_images(1)[0]


VM_NAMES = {"squeakvm", "squeak"}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A safety net: no VM started below this run's temporary directory outlives it."""
    base = str(session.config._tmp_path_factory.getbasetemp())  # type: ignore[attr-defined]
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] in VM_NAMES and any(arg.startswith(base) for arg in cmdline):
            with contextlib.suppress(psutil.Error):
                proc.kill()
