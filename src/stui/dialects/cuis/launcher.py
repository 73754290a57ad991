"""The Cuis launcher: a 32-bit Spur VM and a Cuis 5 image, both named by the user.

`stui image create NAME --dialect cuis --from IMAGE_OR_ZIP --vm VM [--packages DIR]`:

1. *template* (cached, keyed by the VM, the image, the package and STUI's sources): the
   image is unpacked into a temporary directory; ``prepare.st`` sets the author initials,
   fixes one String primitive fallback, installs Network-Kernel from DIR if the image has
   no ``Socket``, files in the server and saves ``stui.image``. About 2 s.
2. *image*: the template is copied (image, changes, sources, start-up script) and
   ``stamp.st`` stores its image id and saves it.

Cuis swallows errors in a start-up script and runs on, so every script here wraps its
work in a handler that prints ``STUI ERROR <message>`` and quits, the VM runs under a
timeout, and ``stui-start.st`` has a watchdog that quits if the server is not up in 10 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

from stui import paths
from stui.dialects import templates
from stui.dialects.contract import DialectSource, Progress, ServerOptions, no_progress
from stui.dialects.errors import MissingDependency, TemplateError

HEADLESS = ["-vm-display-null", "-vm-sound-null"]
# Filed in in this order; image.st last (it marks the template as saved).
SERVER_SOURCES = (
    "json.st",
    "zmtp.st",
    "server.st",
    "ide.st",
    "inspect.st",
    "browse.st",
    "edit.st",
    "search.st",
    "debug.st",
    "transcript.st",
    "digest.st",
    "image.st",
)
START_SCRIPT = "stui-start.st"
RAW_EVAL_SOURCE = "raweval.st"  # the benchmarks' floor: filed in at start, never shipped
TEMPLATE_IMAGE = "stui.image"
PACKAGE_FILE = "Network-Kernel.pck.st"
# Spur image formats: 6521 (32-bit), 68021 (64-bit); little-endian on every VM we run.
_SPUR_32 = (6521).to_bytes(4, "little")
_IMAGE_MAGICS = {_SPUR_32, (68021).to_bytes(4, "little")}
PREPARE_TIMEOUT = 120.0
HINT = (
    "name them with: stui image create NAME --dialect cuis --from IMAGE_OR_ZIP --vm VM "
    "[--packages DIR] (or set STUI_CUIS_VM, STUI_CUIS_IMAGE, STUI_CUIS_PACKAGES)"
)


def _resource(*parts: str) -> bytes:
    return resources.files("stui.dialects.cuis").joinpath(*parts).read_bytes()


def looks_like_image(path: Path) -> bool:
    """True if path starts with this dialect's image header; guards against corrupt copies."""
    return templates.looks_like_image(path, _IMAGE_MAGICS)


def _link_or_copy(source: Path, dest: Path) -> None:
    """A hard link where it works (sources files are large and only read), else a copy."""
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


class CuisLauncher:
    """Prepares, copies and starts Cuis images with the VM and image the user names."""

    dialect = "cuis"

    def __init__(self, source: DialectSource | None = None) -> None:
        source = source or DialectSource()
        env = os.environ
        self.source = DialectSource(
            vm=source.vm or env.get("STUI_CUIS_VM"),
            image=source.image or env.get("STUI_CUIS_IMAGE"),
            packages=source.packages or env.get("STUI_CUIS_PACKAGES"),
        )

    # -- dependencies ---------------------------------------------------------------

    @property
    def vm(self) -> Path:
        if not self.source.vm:
            raise MissingDependency(f"no Cuis VM was named; {HINT}")
        vm = Path(self.source.vm)
        if not vm.is_file() or not os.access(vm, os.X_OK):
            raise MissingDependency(f"the Cuis VM {vm} is not an executable file; {HINT}")
        return vm

    @property
    def stock_image(self) -> Path:
        if not self.source.image:
            raise MissingDependency(f"no Cuis image was named; {HINT}")
        image = Path(self.source.image)
        if not image.is_file():
            raise MissingDependency(f"the Cuis image {image} does not exist; {HINT}")
        return image

    @property
    def package_dir(self) -> Path | None:
        if not self.source.packages:
            return None
        directory = Path(self.source.packages)
        if not directory.is_dir():
            raise MissingDependency(f"the package directory {directory} does not exist")
        return directory

    def check_dependencies(self) -> None:
        self.vm  # noqa: B018 - raises when missing
        self.stock_image  # noqa: B018
        self.package_dir  # noqa: B018

    # -- template -------------------------------------------------------------------

    def _key(self) -> str:
        package = b""
        if self.package_dir is not None and (self.package_dir / PACKAGE_FILE).is_file():
            package = (self.package_dir / PACKAGE_FILE).read_bytes()
        sources = [name.encode() + _resource("server", name) for name in SERVER_SOURCES]
        return templates.digest(
            str(self.vm.resolve()).encode(),
            self.stock_image.read_bytes(),
            package,
            _resource("scripts", "prepare.st"),
            _resource("server", "start.st"),
            *sources,
        )

    def _template_dir(self, key: str) -> Path:
        return paths.template_dir() / f"cuis-{key}"

    def prepared_template(self) -> Path | None:
        self.check_dependencies()
        image = self._template_dir(self._key()) / TEMPLATE_IMAGE
        if not image.exists():
            return None
        if not looks_like_image(image) or not image.with_suffix(".changes").exists():
            raise TemplateError(
                f"the prepared template {image} is corrupt; rebuild it with: "
                "stui image prepare --template cuis --force"
            )
        return image

    def prepare_template(self, progress: Progress = no_progress, force: bool = False) -> Path:
        self.check_dependencies()
        key = self._key()
        directory = self._template_dir(key)
        image = directory / TEMPLATE_IMAGE
        with templates.preparation_lock("cuis"):
            if not force and looks_like_image(image):
                progress(f"template is ready: {image}")
                return image
            progress(f"preparing a Cuis template from {self.stock_image}")
            staging = paths.template_dir() / f".cuis-{key}.{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            try:
                self._build_template(staging, progress)
                shutil.rmtree(directory, ignore_errors=True)
                staging.rename(directory)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            templates.remove_stale("cuis-*", keep=lambda old: old == directory)
            progress(f"template is ready: {image}")
            return image

    def _unpack(self, work: Path) -> Path:
        """The user's image (and its changes and sources) in work; answers the image."""
        stock = self.stock_image
        if zipfile.is_zipfile(stock):
            self._extract(stock, work)
        else:
            shutil.copyfile(stock, work / stock.name)
            for companion in stock.with_suffix(".changes"), *stock.parent.glob("*.sources"):
                if companion.is_file():
                    shutil.copyfile(companion, work / companion.name)
        if not any(work.glob("*.sources")):
            # A release ships its sources beside the image, plain or zipped.
            for found in sorted(stock.parent.glob("*.sources")):
                shutil.copyfile(found, work / found.name)
            for found in sorted(stock.parent.glob("*.sources.zip")):
                self._extract(found, work)
        images = sorted(work.glob("*.image"))
        if len(images) != 1:
            raise TemplateError(f"{stock} holds {len(images)} .image files; name exactly one")
        image = images[0]
        if not looks_like_image(image):
            raise TemplateError(f"{stock} is not a Spur image (Cuis 5 or later)")
        if image.read_bytes()[:4] != _SPUR_32:
            raise TemplateError(f"{image.name} is a 64-bit image; this launcher runs 32-bit Cuis")
        if not image.with_suffix(".changes").exists():
            image.with_suffix(".changes").write_bytes(b"")
        return image

    @staticmethod
    def _extract(archive: Path, work: Path) -> None:
        """Only .image, .changes and .sources members, flattened into work."""
        with zipfile.ZipFile(archive) as z:
            for member in z.infolist():
                name = Path(member.filename).name
                if member.is_dir() or not name.endswith((".image", ".changes", ".sources")):
                    continue
                with z.open(member) as src, (work / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst)

    def _build_template(self, staging: Path, progress: Progress) -> None:
        with tempfile.TemporaryDirectory(prefix="stui-cuis-prepare-") as tmp:
            work = Path(tmp)
            image = self._unpack(work)
            sources = []
            for name in SERVER_SOURCES:
                (work / name).write_bytes(_resource("server", name))
                sources.append(str(work / name))
            (work / "prepare.st").write_bytes(_resource("scripts", "prepare.st"))
            packages = str(self.package_dir) if self.package_dir else "-"
            progress("filing in the STUI server")
            out = self._run(image, ["prepare.st", packages, *sources], PREPARE_TIMEOUT)
            saved = work / TEMPLATE_IMAGE
            if "STUI SAVING" not in out or not looks_like_image(saved):
                raise TemplateError(f"preparing the Cuis template failed: {_why(out)}")
            for path in (saved, saved.with_suffix(".changes"), *work.glob("*.sources")):
                shutil.copyfile(path, staging / path.name)
            (staging / START_SCRIPT).write_bytes(_resource("server", "start.st"))
            progress("checking the template")
            answer = self.evaluate_once(
                staging / TEMPLATE_IMAGE, "(Smalltalk includesKey: #StuiServer) & (3 + 4 = 7)"
            )
            if answer != "true":
                raise TemplateError(f"the template does not hold a working server: {answer!r}")

    # -- images ---------------------------------------------------------------------

    def copy_image(self, template: Path, directory: Path, name: str) -> Path:
        """The image and changes under NAME; the sources file keeps its name (the image
        looks for it by that name) and is linked, not copied, where it can be."""
        image = directory / f"{name}.image"
        shutil.copyfile(template, image)
        shutil.copyfile(template.with_suffix(".changes"), image.with_suffix(".changes"))
        for sources in template.parent.glob("*.sources"):
            _link_or_copy(sources, directory / sources.name)
        shutil.copyfile(template.parent / START_SCRIPT, directory / START_SCRIPT)
        return image

    def stamp_identity(self, image: Path, image_id: str) -> None:
        """Store image_id in the image and save it; then read it back to be sure."""
        with tempfile.TemporaryDirectory(prefix="stui-cuis-stamp-") as tmp:
            script = Path(tmp) / "stamp.st"
            script.write_bytes(_resource("scripts", "stamp.st"))
            out = self._run(image, [str(script), image_id], timeout=60)
        if "STUI STAMPING" not in out or not looks_like_image(image):
            raise TemplateError(f"could not store the image id in {image}: {_why(out)}")
        stored = self.evaluate_once(image, "StuiServer imageId")
        if stored != f"'{image_id}'":
            raise TemplateError(f"{image} did not keep its image id: it reports {stored!r}")

    def server_command(self, image: Path, options: ServerOptions) -> list[str]:
        # Written afresh at every start: without its script, Cuis would start, say
        # nothing and run on, and the start would only end at the launcher's timeout.
        script = image.parent / START_SCRIPT
        script.write_bytes(_resource("server", "start.st"))
        args = [
            str(self.vm), *HEADLESS, str(image), "-s", str(script),
            f"--stui-name={options.name}",
            f"--stui-bind={options.bind}",
            f"--stui-port={options.port}",
            f"--stui-token-file={options.token_file}",
            f"--stui-session-ttl={options.session_ttl}",
        ]  # fmt: skip
        if options.raw_port is not None:
            # The benchmarks' floor stays out of the template: filed in for this run only.
            raw = image.parent / RAW_EVAL_SOURCE
            raw.write_bytes(_resource("server", RAW_EVAL_SOURCE))
            args += [f"--stui-file-in={raw}", f"--stui-raw-port={options.raw_port}"]
        return args

    def evaluate_once(self, image: Path, expression: str, timeout: float = 30) -> str:
        with tempfile.TemporaryDirectory(prefix="stui-cuis-once-") as tmp:
            script = Path(tmp) / "once.st"
            script.write_bytes(_resource("scripts", "once.st"))
            out = self._run(image, [str(script), expression], timeout=timeout)
        for line in out.splitlines():
            if line.startswith("STUI VALUE "):
                return line.removeprefix("STUI VALUE ")
        raise TemplateError(f"evaluating {expression!r} in {image} failed: {_why(out)}")

    def _run(self, image: Path, script_and_args: list[str], timeout: float) -> str:
        """Run a start-up script; its output. A hang (a silent error) ends at timeout."""
        try:
            done = subprocess.run(
                [str(self.vm), *HEADLESS, str(image), "-s", *script_and_args],
                cwd=image.parent, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            raise TemplateError(
                f"the Cuis VM did not finish within {timeout:.0f} s on {image}"
            ) from e
        out = done.stdout.decode("latin-1")
        if done.returncode != 0 and "STUI ERROR" not in out:
            err = done.stderr.decode("latin-1").strip()[-400:]
            out += f"\nSTUI ERROR the VM exited with code {done.returncode}: {err or '(no output)'}"
        return out


def _why(output: str) -> str:
    """The STUI ERROR line of a script's output, else its tail."""
    for line in output.splitlines():
        if line.startswith("STUI ERROR "):
            return line.removeprefix("STUI ERROR ")
    return output.strip()[-400:] or "(no output)"
