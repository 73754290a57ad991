"""Where images can be reached: local ones from runtime files, others added by hand.

Added endpoints persist in `<config>/images.json` (mode 0600, since it holds tokens).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Literal

import msgspec

from stui import launcher, paths
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


def discover_local() -> list[Endpoint]:
    """Running local images, from their runtime files (stale files are cleaned up)."""
    return [
        Endpoint(info.name, info.address, info.token, "local") for info in launcher.running_images()
    ]


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

    def load(self) -> list[Endpoint]:
        try:
            return msgspec.json.decode(self.path.read_bytes(), type=list[Endpoint])
        except FileNotFoundError:
            return []
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise RegistryError(
                f"the list of added images {self.path} is corrupt ({e}); fix or remove it"
            ) from e

    def add(self, name: str, address: str, token: str) -> Endpoint:
        validate_name(name)
        endpoint = Endpoint(name, _check_address(address), token, "added")
        current = self.load()
        if any(e.name == name for e in current):
            raise RegistryError(f"an image named {name!r} is already registered")
        self._save([*current, endpoint])
        return endpoint

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
