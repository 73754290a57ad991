"""The Squeak launcher: Debian's squeak-vm with the Squeak image of Debian's scratch package.

Preparing a template happens in two cached steps:

1. *base*: the stock image ignores command-line scripts and starts the Scratch UI. Under
   a private Xvfb display its start-up fails with a notifier (no sound device); we open
   that notifier's debugger, type a file-in of ``bootstrap.st`` and "do it". The filed-in
   code makes the image scriptable at every start and saves it. About 25 s, once.
2. *template*: the base image files in the STUI server sources headless and saves itself
   (a few seconds). This step reruns whenever a ``.st`` file changes.

Each step writes into a temporary directory and renames the result into place, so a
half-written template never exists. A file lock keeps concurrent preparations apart.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from stui import paths
from stui.dialects import templates
from stui.dialects.contract import DialectSource, Progress, ServerOptions, no_progress
from stui.dialects.errors import MissingDependency, TemplateError

STOCK_IMAGE = Path("/usr/share/scratch/Scratch.image")
VM_GLOB = "/usr/lib/squeak/*/squeakvm"
HEADLESS = ["-vm-display-null", "-vm-sound-null"]
BOOTSTRAP_SOURCE = "bootstrap.st"
SERVER_SOURCES = (
    "json.st",
    "zmtp.st",
    "server.st",
    # IDE operations (docs/protocol.md, "IDE operations"); image.st last: it marks the
    # template saved.
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
RAW_EVAL_SOURCE = "raweval.st"  # the benchmarks' floor: filed in at start, never shipped
INSTALL_HINT = (
    "install them with: apt-get install squeak-vm scratch xvfb xdotool (or run scripts/setup.sh)"
)
# Squeak image format numbers (32-bit), in either byte order, for a cheap sanity check.
_IMAGE_MAGICS = {
    int.to_bytes(v, 4, order) for v in (6502, 6504, 6505) for order in ("little", "big")
}
_ATTEMPTS = 3


def _source(name: str) -> bytes:
    return resources.files("stui.dialects.squeak").joinpath("server", name).read_bytes()


def _st_string(text: str) -> str:
    """A Smalltalk string literal."""
    return "'" + text.replace("'", "''") + "'"


def looks_like_image(path: Path) -> bool:
    """True if path starts with this dialect's image header; guards against corrupt copies."""
    return templates.looks_like_image(path, _IMAGE_MAGICS)


class SqueakLauncher:
    """Prepares, copies and starts Squeak images. One instance per process is enough."""

    dialect = "squeak"

    def __init__(self, source: DialectSource | None = None) -> None:
        self._source = source or DialectSource()
        self._vm: Path | None = Path(self._source.vm) if self._source.vm else None

    # -- dependencies ---------------------------------------------------------------

    @property
    def vm(self) -> Path:
        if self._vm is None:
            override = os.environ.get("STUI_SQUEAK_VM")
            found = [override] if override else sorted(glob.glob(VM_GLOB))
            if not found or not Path(found[-1]).is_file():
                raise MissingDependency(f"the Squeak VM is not installed; {INSTALL_HINT}")
            self._vm = Path(found[-1])
        return self._vm

    @property
    def stock_image(self) -> Path:
        if self._source.image:
            return Path(self._source.image)
        return Path(os.environ.get("STUI_SQUEAK_STOCK_IMAGE", STOCK_IMAGE))

    def check_dependencies(self, need_x: bool = False) -> None:
        self.vm  # noqa: B018 - raises when missing
        if not self.stock_image.is_file():
            raise MissingDependency(
                f"Debian's Squeak image {self.stock_image} is missing; {INSTALL_HINT}"
            )
        if need_x:
            for tool in ("Xvfb", "xdotool"):
                if shutil.which(tool) is None:
                    raise MissingDependency(
                        f"{tool} is needed to prepare a template; {INSTALL_HINT}"
                    )

    # -- template -------------------------------------------------------------------

    def _keys(self) -> tuple[str, str]:
        try:
            bootstrap = _source(BOOTSTRAP_SOURCE)
            servers = [name.encode() + _source(name) for name in SERVER_SOURCES]
        except FileNotFoundError as e:
            raise TemplateError(f"STUI's Smalltalk sources are incomplete: {e}") from e
        stock = self.stock_image.read_bytes() if self.stock_image.is_file() else b""
        base_key = templates.digest(str(self.vm).encode(), stock, bootstrap)
        return base_key, templates.digest(base_key.encode(), *servers)

    def _base_path(self, key: str) -> Path:
        return paths.template_dir() / f"squeak-base-{key}.image"

    def _template_path(self, key: str) -> Path:
        return paths.template_dir() / f"squeak-{key}.image"

    def prepared_template(self) -> Path | None:
        self.check_dependencies()
        path = self._template_path(self._keys()[1])
        if not path.exists():
            return None
        if not looks_like_image(path) or not path.with_suffix(".changes").exists():
            raise TemplateError(
                f"the prepared template {path} is corrupt; rebuild it with: stui image prepare --force"
            )
        return path

    def prepare_template(self, progress: Progress = no_progress, force: bool = False) -> Path:
        self.check_dependencies()
        base_key, key = self._keys()
        with templates.preparation_lock("squeak"):
            template = self._template_path(key)
            if not force and template.exists() and looks_like_image(template):
                progress(f"template is ready: {template}")
                return template
            base = self._base_path(base_key)
            if force or not looks_like_image(base):
                self.check_dependencies(need_x=True)
                self._retry(
                    lambda: self._build_base(base, progress), "prepare the base image", progress
                )
            progress("filing in the STUI server")
            self._retry(
                lambda: self._build_template(base, template), "file in the server", progress
            )
            templates.remove_stale(
                "squeak-*", keep=lambda old: old.with_suffix(".image") in {base, template}
            )
            progress(f"template is ready: {template}")
            return template

    def _retry(self, step, what: str, progress: Progress) -> None:
        errors = []
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                step()
                return
            except TemplateError as e:
                errors.append(str(e))
                progress(f"attempt {attempt} to {what} failed: {e}")
        raise TemplateError(f"could not {what} after {_ATTEMPTS} attempts: {errors[-1]}")

    def _build_base(self, dest: Path, progress: Progress = no_progress) -> None:
        with tempfile.TemporaryDirectory(prefix="stui-prepare-") as tmp:
            work = Path(tmp)
            shutil.copyfile(self.stock_image, work / "boot.image")
            (work / "bootstrap.st").write_bytes(_source(BOOTSTRAP_SOURCE))
            (work / "boot.st").write_text(self._boot_script(work))
            progress("starting Debian's Squeak image on a private X display (about 25 s, once)")
            with _xvfb() as display:
                self._drive_notifier(work, display, progress)
            base = work / "base.image"
            if not looks_like_image(base):
                raise TemplateError("the image did not save itself after the bootstrap file-in")
            (work / "base.changes").write_bytes(b"")
            progress("checking the base image headless")
            answer = self.evaluate_once(base, "3 + 4")
            if answer != "7":
                raise TemplateError(f"the base image does not evaluate: 3 + 4 gave {answer!r}")
            _install_pair(base, dest)

    @staticmethod
    def _boot_script(work: Path) -> str:
        save_to = _st_string(str(work / "base.image"))
        return (
            f"(FileStream oldFileNamed: {_st_string(str(work / 'bootstrap.st'))}) fileIn!\n"
            "StuiBoot detachSourceFiles!\n"
            "[(Delay forMilliseconds: 1500) wait.\n"
            " World submorphs copy do: [:m | [World privateRemoveMorph: m] ifError: [:e :r | nil]].\n"
            f" StuiBoot saveImageAs: {save_to}] forkAt: Processor userSchedulingPriority!\n"
        )

    def _drive_notifier(self, work: Path, display: str, progress: Progress) -> None:
        """Open the start-up notifier's debugger and 'do it' a file-in of boot.st."""
        env = {**os.environ, "DISPLAY": display}
        log = (work / "boot-vm.log").open("wb")
        vm = subprocess.Popen(
            [str(self.vm), "-vm-display-x11", "-vm-sound-null", "-plugins", f"{self.vm.parent}/",
             str(work / "boot.image")],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:

            def xdo(*args: str, pause: float) -> None:
                subprocess.run(["xdotool", *args], env=env, check=False, timeout=30)
                time.sleep(pause)

            time.sleep(10)
            progress("opening the start-up notifier's debugger")
            xdo("mousemove", "504", "29", "click", "1", pause=4)  # the notifier's "Debug"
            xdo("mousemove", "710", "300", "click", "1", pause=1)  # the debugger's code pane
            xdo("key", "alt+a", pause=0.5)
            xdo("key", "BackSpace", pause=0.5)
            xdo("type", "--delay", "40", f"(FileStream oldFileNamed: {_st_string(str(work / 'boot.st'))}) fileIn", pause=1)  # fmt: skip
            xdo("key", "alt+a", pause=0.5)
            progress("filing in the bootstrap and saving")
            xdo("key", "alt+d", pause=0)  # do it
            try:
                vm.wait(timeout=90)
            except subprocess.TimeoutExpired as e:
                raise TemplateError(
                    "the Squeak VM did not save and quit within 90 s of the bootstrap file-in"
                ) from e
        finally:
            if vm.poll() is None:
                vm.kill()
                vm.wait()
            log.close()

    def _build_template(self, base: Path, dest: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="stui-template-") as tmp:
            work = Path(tmp)
            _copy_pair(base, work / "work.image")
            sources = []
            for name in SERVER_SOURCES:
                (work / name).write_bytes(_source(name))
                sources.append(str(work / name))
            out = self._run(work / "work.image", [*sources, f"--save-as={work / 'template.image'}"])
            errors = [line for line in out.splitlines() if "ERROR" in line]
            if errors:
                raise TemplateError("filing in the server failed:\n  " + "\n  ".join(errors[:10]))
            template = work / "template.image"
            if not looks_like_image(template):
                raise TemplateError(
                    f"the image did not save the template; its output was: {out[-500:]!r}"
                )
            shutil.copyfile(work / "work.changes", work / "template.changes")
            answer = self.evaluate_once(
                template, "(Smalltalk includesKey: #StuiServer) & (3 + 4 = 7)"
            )
            if answer != "true":
                raise TemplateError(f"the template does not hold a working server: {answer!r}")
            _install_pair(template, dest)

    # -- images ---------------------------------------------------------------------

    def copy_image(self, template: Path, directory: Path, name: str) -> Path:
        image = directory / f"{name}.image"
        _copy_pair(template, image)
        return image

    def stamp_identity(self, image: Path, image_id: str) -> None:
        """Store image_id in the image and save it; then read it back to be sure."""
        literal = _st_string(image_id)
        out = self._run(image, [f"--eval=StuiServer imageId: {literal}", f"--save-as={image}"])
        if "ERROR" in out or not looks_like_image(image):
            raise TemplateError(f"could not store the image id in {image}: {out.strip()[-500:]}")
        stored = self.evaluate_once(image, "StuiServer imageId")
        if stored != literal:
            raise TemplateError(f"{image} did not keep its image id: it reports {stored!r}")

    def server_command(self, image: Path, options: ServerOptions) -> list[str]:
        # File-ins come first: the image processes its arguments in order.
        files = [] if options.raw_port is None else [str(self._raw_eval_source(image.parent))]
        args = [
            str(self.vm), *HEADLESS, str(image), *files,
            f"--stui-name={options.name}",
            f"--stui-bind={options.bind}",
            f"--stui-port={options.port}",
            f"--stui-token-file={options.token_file}",
            f"--stui-session-ttl={options.session_ttl}",
        ]  # fmt: skip
        if options.raw_port is not None:
            args.append(f"--stui-raw-port={options.raw_port}")
        return args

    @staticmethod
    def _raw_eval_source(directory: Path) -> Path:
        """The raw eval floor's source, written beside the image for the VM to file in.

        It stays out of the template: only an image started with a raw port (the
        benchmarks, a test of the floor) compiles it, at start, and only for that run.
        """
        path = directory / RAW_EVAL_SOURCE
        path.write_bytes(_source(RAW_EVAL_SOURCE))
        return path

    def evaluate_once(self, image: Path, expression: str, timeout: float = 30) -> str:
        out = self._run(image, [f"--eval={expression}", "--quit"], timeout=timeout)
        lines = out.strip().splitlines()
        return lines[-1] if lines else ""

    def _run(self, image: Path, args: list[str], timeout: float = 120) -> str:
        try:
            done = subprocess.run(
                [str(self.vm), *HEADLESS, str(image), *args],
                cwd=image.parent, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            raise TemplateError(
                f"the Squeak VM did not finish within {timeout} s on {image}"
            ) from e
        return done.stdout.decode("latin-1")


@contextlib.contextmanager
def _xvfb() -> Iterator[str]:
    """A private Xvfb on a display it picks itself, so preparations never collide."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as f:
            number = f.readline().strip()
        if not number:
            raise TemplateError("Xvfb did not start; is the xvfb package installed?")
        yield f":{number.decode()}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _copy_pair(image: Path, dest: Path) -> None:
    shutil.copyfile(image, dest)
    shutil.copyfile(image.with_suffix(".changes"), dest.with_suffix(".changes"))


def _install_pair(image: Path, dest: Path) -> None:
    """Move image and changes into place; the image is renamed last, since it marks 'ready'."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp_changes = dest.with_suffix(f".changes.tmp{os.getpid()}")
    tmp_image = dest.with_suffix(f".image.tmp{os.getpid()}")
    shutil.copyfile(image.with_suffix(".changes"), tmp_changes)
    shutil.copyfile(image, tmp_image)
    os.replace(tmp_changes, dest.with_suffix(".changes"))
    os.replace(tmp_image, dest)
