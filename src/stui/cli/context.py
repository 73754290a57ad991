"""What several command families share: the session manager, image lookup, error exits."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from stui import launcher
from stui.cli.exits import EXIT_CONNECTION, EXIT_ERROR, EXIT_REMOTE
from stui.identity import client_id
from stui.images.endpoints import RegistryError
from stui.images.health import HealthMonitor, HealthPolicy
from stui.images.registry import ImageEntry, ImageRegistry
from stui.launcher import LauncherError
from stui.protocol.errors import ProtocolError, RemoteError
from stui.sessions.errors import SessionsError
from stui.sessions.manager import SessionManager
from stui.sessions.store import SessionStore, default_path
from stui.status import ConnectionStatus
from stui.transport.errors import TransportError


def fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Known failures become one clear line on stderr and a script-friendly exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (TransportError, TimeoutError) as e:
            click.echo(f"stui: {e}", err=True)
            sys.exit(EXIT_CONNECTION)
        except (RemoteError, ProtocolError) as e:
            click.echo(f"stui: {e}", err=True)
            sys.exit(EXIT_REMOTE)
        except (LauncherError, RegistryError, SessionsError) as e:
            click.echo(f"stui: {e}", err=True)
            sys.exit(EXIT_ERROR)

    return wrapper


def open_manager() -> SessionManager:
    return SessionManager(SessionStore(default_path()), client_id())


def image_id_for(manager: SessionManager, name: str) -> str:
    """The image_id behind an image name: from the store, else from a local image."""
    for record in manager.list_images():
        if record.name == name:
            return record.image_id
    with contextlib.suppress(LauncherError):
        return launcher.images.read_meta(name).image_id
    raise RegistryError(f"no image named {name!r} is known; see: stui images")


def image_names(manager: SessionManager) -> dict[str, str]:
    """image_id → name, for display."""
    return {r.image_id: r.name or r.image_id[:8] for r in manager.list_images()}


def _settled(entry: ImageEntry) -> bool:
    """Whether a probe has learnt what it can about an entry in this run."""
    if entry.endpoint is None:
        return True  # known from an earlier run only: nothing to try
    if not entry.history or entry.status is ConnectionStatus.CONNECTING:
        return False
    return not entry.status.is_up or entry.latency.count >= 3


async def probe(
    manager: SessionManager, seconds: float = 3.0, policy: HealthPolicy | None = None
) -> list[ImageEntry]:
    """Connect to every known image for a moment; answer the registry's entries."""
    registry = ImageRegistry(manager)
    monitor = HealthMonitor(
        registry, manager.client_id, manager, policy or HealthPolicy(interval=0.2)
    )
    async with monitor:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline and not all(_settled(e) for e in registry.entries()):
            await asyncio.sleep(0.05)
        return registry.entries()
