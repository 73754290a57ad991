"""What several command families share: the session manager, image lookup, error exits."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from stui import launcher
from stui.identity import client_id
from stui.images.endpoints import RegistryError
from stui.images.health import HealthMonitor, HealthPolicy
from stui.images.registry import ImageEntry, ImageRegistry
from stui.images.status import ConnectionStatus
from stui.launcher import LauncherError
from stui.protocol.errors import ProtocolError, RemoteError
from stui.sessions.errors import SessionsError
from stui.sessions.manager import SessionManager
from stui.sessions.store import SessionStore, default_path
from stui.transport.errors import TransportError

EXIT_ERROR = 1
EXIT_CONNECTION = 3


def fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Known failures become one clear line on stderr and a script-friendly exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (TransportError, TimeoutError) as e:
            click.echo(f"stui: {e}", err=True)
            sys.exit(EXIT_CONNECTION)
        except (LauncherError, RegistryError, SessionsError, RemoteError, ProtocolError) as e:
            click.echo(f"stui: {e}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper


def open_manager() -> SessionManager:
    return SessionManager(SessionStore(default_path()), client_id())


def image_id_for(manager: SessionManager, name: str) -> str:
    """The image_id behind an image name: from the store, else from a running local image."""
    for record in manager.list_images():
        if record.name == name:
            return record.image_id
    try:
        return launcher.read_runtime(name).image_id
    except LauncherError:
        pass
    raise RegistryError(f"no image named {name!r} is known; see: stui images")


def image_names(manager: SessionManager) -> dict[str, str]:
    """image_id → name, for display."""
    return {r.image_id: r.name or r.image_id[:8] for r in manager.list_images()}


async def probe(
    manager: SessionManager, seconds: float = 1.5, policy: HealthPolicy | None = None
) -> list[ImageEntry]:
    """Connect to every known image for a moment; answer the registry's entries."""
    registry = ImageRegistry(manager)
    monitor = HealthMonitor(registry, manager.client_id, manager, policy)
    async with monitor:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            entries = registry.entries()
            settled = all(
                e.status is not ConnectionStatus.CONNECTING
                and (not e.status.is_up or e.latency.count >= 3)
                for e in entries
            )
            if entries and settled:
                break
            await asyncio.sleep(0.05)
        return registry.entries()
