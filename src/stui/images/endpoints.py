"""Where images can be reached: local ones from runtime files, others added by hand.

Added endpoints persist in `<config>/images.json` (mode 0600, since it holds tokens).
Discovery reads that list every couple of seconds; it is decoded again only when the
file's stamp (mtime, size, inode) changed, and a batch of endpoints is saved once.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec

from stui import paths
from stui.errors import StuiError
from stui.launcher.names import validate_name
from stui.launcher.runtime import write_private


class RegistryError(StuiError):
    """A registry operation that cannot be done, with the reason."""


class Endpoint(msgspec.Struct, frozen=True):
    """An address and token under a display name that is unique in the registry."""

    name: str
    address: str
    token: str
    source: Literal["local", "added"]


def _check_address(address: str) -> str:
    if not address.startswith("tcp://") or ":" not in address.removeprefix("tcp://"):
        raise RegistryError(f"invalid address {address!r}: expected tcp://HOST:PORT")
    port = address.rsplit(":", 1)[1]
    if not re.fullmatch(r"[0-9]{1,5}", port) or not 0 < int(port) < 65536:
        raise RegistryError(f"invalid port in address {address!r}")
    return address


class EndpointBook:
    """The persistent list of endpoints added by hand."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / "images.json"
        self._cached: tuple[tuple[int, int, int], list[Endpoint]] | None = None

    def load(self) -> list[Endpoint]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._cached is not None and self._cached[0] == stamp:
            return list(self._cached[1])
        try:
            endpoints = msgspec.json.decode(self.path.read_bytes(), type=list[Endpoint])
        except FileNotFoundError:
            return []
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise RegistryError(
                f"the list of added images {self.path} is corrupt ({e}); fix or remove it"
            ) from e
        self._cached = (stamp, endpoints)
        return list(endpoints)

    def add(self, name: str, address: str, token: str) -> Endpoint:
        return self.add_many([(name, address, token)])[0]

    def add_many(self, wanted: Iterable[tuple[str, str, str]]) -> list[Endpoint]:
        """Add (name, address, token) triples, all checked first, saved once."""
        current = self.load()
        taken = {e.name for e in current}
        added = []
        for name, address, token in wanted:
            validate_name(name)
            if name in taken:
                raise RegistryError(f"an image named {name!r} is already registered")
            taken.add(name)
            added.append(Endpoint(name, _check_address(address), token, "added"))
        self._save([*current, *added])
        return added

    def remove(self, name: str) -> bool:
        current = self.load()
        kept = [e for e in current if e.name != name]
        if len(kept) != len(current):
            self._save(kept)
        return len(kept) != len(current)

    def _save(self, endpoints: list[Endpoint]) -> None:
        with contextlib.suppress(FileExistsError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, msgspec.json.encode(endpoints))
        self._cached = None
