"""The workbench: the one composition root under the CLI and the TUI.

See docs/architecture.md. Nothing above this package builds a store, a registry, a
health monitor or a connection by hand.
"""

from stui.images.health import HealthPolicy
from stui.status import ConnectionStatus
from stui.workbench.config import WorkbenchConfig
from stui.workbench.errors import (
    ImageUnavailable,
    InvalidImageName,
    SessionOfAnotherImage,
    UnknownImage,
    WorkbenchError,
)
from stui.workbench.events import (
    ImageChanged,
    ImagePushed,
    Notice,
    SessionsChanged,
    WorkbenchEvent,
)
from stui.workbench.handles import RestartNotice, SessionHandle
from stui.workbench.local import DIALECT_NAMES, DialectSource, LocalImages
from stui.workbench.views import ImageView, Latency
from stui.workbench.workbench import Workbench

__all__ = [
    "DIALECT_NAMES",
    "ConnectionStatus",
    "DialectSource",
    "HealthPolicy",
    "ImageChanged",
    "ImagePushed",
    "ImageUnavailable",
    "ImageView",
    "InvalidImageName",
    "Latency",
    "LocalImages",
    "Notice",
    "RestartNotice",
    "SessionHandle",
    "SessionOfAnotherImage",
    "SessionsChanged",
    "UnknownImage",
    "Workbench",
    "WorkbenchConfig",
    "WorkbenchError",
    "WorkbenchEvent",
]
