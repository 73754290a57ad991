"""Local images: prepare a template, create private images, start and stop headless VMs."""

from stui.launcher.errors import (
    ImageAlreadyRunning,
    ImageExists,
    ImageNotFound,
    ImageNotRunning,
    InvalidImageName,
    LauncherError,
    MissingDependency,
    PortInUse,
    StartFailed,
    TemplateError,
)
from stui.launcher.images import (
    LocalImage,
    create_image,
    delete_image,
    launcher_for,
    list_images,
    start_image,
    stop_image,
)
from stui.launcher.names import validate_name
from stui.launcher.runtime import RuntimeInfo, read_runtime, running_images

__all__ = [
    "ImageAlreadyRunning",
    "ImageExists",
    "ImageNotFound",
    "ImageNotRunning",
    "InvalidImageName",
    "LauncherError",
    "LocalImage",
    "MissingDependency",
    "PortInUse",
    "RuntimeInfo",
    "StartFailed",
    "TemplateError",
    "create_image",
    "delete_image",
    "launcher_for",
    "list_images",
    "read_runtime",
    "running_images",
    "start_image",
    "stop_image",
    "validate_name",
]
