"""How a workbench is set up: where its store is, and whether it watches its images."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stui.images.health import HealthPolicy


@dataclass(frozen=True)
class WorkbenchConfig:
    """`watch=False` is for one-shot commands: no health monitor, no background tasks;
    a client is connected when asked for and closed when the workbench closes."""

    health: HealthPolicy = field(default_factory=HealthPolicy)
    store_path: Path | None = None  # None: the user's data dir
    watch: bool = True
    connect_timeout: float = 3.0
    client_id: str | None = None  # None: this installation's id (stui.identity)
