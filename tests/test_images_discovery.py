"""Discovery that scales: runtime files are read again only when they change.

The processes behind the runtime files are real processes whose command line names
the image file, which is all discovery looks at; no VM is needed to check what it
reads and when.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stui import paths
from stui.images.discovery import LocalDiscovery
from stui.images.endpoints import EndpointBook, RegistryError
from stui.images.registry import ImageRegistry
from stui.launcher.runtime import RuntimeInfo, runtime_path, write_runtime

Starter = Callable[..., RuntimeInfo]


@pytest.fixture
def start_process(stui_home: Path) -> Iterator[Starter]:
    """Start a process whose command line names an image, and write its runtime file."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, port: int = 40000) -> RuntimeInfo:
        image = stui_home / f"{name}.image"
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", str(image)])
        procs.append(proc)
        info = runtime_info(name, proc.pid, str(image), port)
        write_runtime(info)
        return info

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def runtime_info(name: str, pid: int, image: str, port: int) -> RuntimeInfo:
    return RuntimeInfo(
        name=name,
        dialect="squeak",
        address=f"tcp://127.0.0.1:{port}",
        port=port,
        pid=pid,
        token=f"token-{port}",
        image_path=image,
        image_id=f"id-{name}",
        started_at=time.time(),
        log_path="",
    )


def names(discovery: LocalDiscovery) -> list[str]:
    return [e.name for e in discovery.endpoints()]


AGED = time.time_ns() - 60 * 10**9  # one time in the past, the same for every file


def age_runtime_files() -> None:
    """Make the runtime files look a minute old, and the directory as old as a minute
    ago (it still moves forward with each change): a stamp is trusted only once it is
    older than a file system's timestamp tick."""
    directory = paths.runtime_dir()
    for path in directory.iterdir():
        os.utime(path, ns=(AGED, AGED))
    then = time.time_ns() - 60 * 10**9
    os.utime(directory, ns=(then, then))


def test_unchanged_files_are_not_read_again(start_process: Starter) -> None:
    start_process("one")
    start_process("two")
    age_runtime_files()
    discovery = LocalDiscovery()
    assert names(discovery) == ["one", "two"]
    assert discovery.full_reads == 2
    for _ in range(5):
        assert names(discovery) == ["one", "two"]
    assert discovery.full_reads == 2
    start_process("three")
    age_runtime_files()
    assert names(discovery) == ["one", "three", "two"]
    assert discovery.full_reads == 3  # only the new file


def test_a_change_in_the_same_timestamp_tick_is_not_missed(start_process: Starter) -> None:
    start_process("one")
    directory = paths.runtime_dir()
    discovery = LocalDiscovery()
    assert names(discovery) == ["one"]
    looked = directory.stat().st_mtime_ns
    start_process("two")
    os.utime(directory, ns=(looked, looked))  # a coarse clock: the same tick as the look
    assert names(discovery) == ["one", "two"]


def test_a_restarted_image_is_read_again_with_its_new_port(start_process: Starter) -> None:
    first = start_process("one", port=40001)
    discovery = LocalDiscovery()
    assert [e.address for e in discovery.endpoints()] == [first.address]
    start_process("one", port=40002)  # a new process and runtime file under the same name
    (endpoint,) = discovery.endpoints()
    assert endpoint.address == "tcp://127.0.0.1:40002"
    assert endpoint.token == "token-40002"


def test_a_dead_image_is_dropped_and_its_file_removed(start_process: Starter) -> None:
    info = start_process("one")
    start_process("two")
    discovery = LocalDiscovery()
    assert names(discovery) == ["one", "two"]
    os.kill(info.pid, 9)
    deadline = time.monotonic() + 10
    while "one" in names(discovery):
        assert time.monotonic() < deadline, "the dead image is still listed"
        time.sleep(0.05)
    assert not runtime_path("one").exists()
    assert names(discovery) == ["two"]


def test_a_stale_or_corrupt_file_is_removed_and_a_half_written_one_ignored(
    start_process: Starter, stui_home: Path
) -> None:
    start_process("live")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    write_runtime(runtime_info("stale", gone.pid, str(stui_home / "stale.image"), 40003))
    runtime_path("corrupt").write_bytes(b"{not json")
    (paths.runtime_dir() / ".live.json.tmp123").write_bytes(b"{")
    assert names(LocalDiscovery()) == ["live"]
    assert not runtime_path("stale").exists()
    assert not runtime_path("corrupt").exists()


def test_a_new_home_starts_over(
    start_process: Starter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_process("one")
    discovery = LocalDiscovery()
    assert names(discovery) == ["one"]
    monkeypatch.setenv("STUI_HOME", str(tmp_path / "elsewhere"))
    assert names(discovery) == []


def test_the_registry_discovers_through_it(start_process: Starter) -> None:
    start_process("one")
    age_runtime_files()
    registry = ImageRegistry()
    assert [e.name for e in registry.refresh()] == ["one"]
    assert registry.refresh() == []
    assert registry.local.full_reads == 1


# -- endpoints added by hand ----------------------------------------------------------


def test_the_book_is_decoded_again_only_when_it_changed(stui_home: Path) -> None:
    book = EndpointBook()
    book.add("a", "tcp://127.0.0.1:7001", "t")
    first = book.load()
    assert book.load() == first
    assert book._cached is not None and book.load() is not book._cached[1]  # a copy
    other = EndpointBook()  # another process, say, adds one
    other.add("b", "tcp://127.0.0.1:7002", "t")
    assert [e.name for e in book.load()] == ["a", "b"]


def test_a_batch_is_saved_once_and_refused_whole(stui_home: Path) -> None:
    registry = ImageRegistry()
    added = registry.add_many([(f"e{i}", f"tcp://127.0.0.1:{7000 + i}", "t") for i in range(200)])
    assert len(added) == 200
    assert len(EndpointBook().load()) == 200
    stamp = os.stat(registry.book.path).st_ino
    with pytest.raises(RegistryError, match="'e5' is already known"):
        registry.add_many([("new", "tcp://127.0.0.1:7999", "t"), ("e5", "tcp://h:1", "t")])
    with pytest.raises(RegistryError, match="invalid address"):
        registry.add_many([("new", "tcp://127.0.0.1:7999", "t"), ("x", "nope", "t")])
    assert os.stat(registry.book.path).st_ino == stamp  # nothing was written
    assert registry.find("new") is None
