"""The ``stui`` command: one click group, one module per command family, and the one
place where errors become a line on stderr (or one JSON document) and an exit code."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from stui.cli import (
    browse_commands,
    changes_commands,
    cross_commands,
    debug_commands,
    edit_commands,
    eval_commands,
    image_commands,
    images_commands,
    inspect_commands,
    session_commands,
    transcript_commands,
)
from stui.cli.exits import (
    EXIT_CODES_HELP,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    classify,
)
from stui.cli.output import emit_json
from stui.cli.running import Interrupted
from stui.errors import StuiError


class StuiGroup(click.Group):
    """The root group: maps every known error to one line (or one JSON document) and
    an exit code, for the installed command and for click's test runner alike."""

    def main(  # type: ignore[override]
        self, args: list[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        args = sys.argv[1:] if args is None else list(args)
        extra.pop("standalone_mode", None)
        as_json = "--json" in args
        try:
            _check_utf8(args)
            super().main(args, prog_name or "stui", standalone_mode=False, **extra)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            _fail(as_json, EXIT_ERROR, "aborted", "aborted")
        except click.ClickException as e:
            code = EXIT_USAGE if isinstance(e, click.UsageError) else EXIT_ERROR
            _fail(as_json, code, "usage" if code == EXIT_USAGE else "error", e.format_message())
        except Interrupted as e:
            _fail(as_json, EXIT_INTERRUPTED, "interrupted", f"interrupted by {e}")
        except KeyboardInterrupt:
            _fail(as_json, EXIT_INTERRUPTED, "interrupted", "interrupted")
        except UnicodeDecodeError as e:
            reason = f"the input is not valid UTF-8 ({e.reason} at byte {e.start})"
            _fail(as_json, EXIT_USAGE, "usage", reason)
        except StuiError as e:
            code, kind = classify(e)
            _fail(as_json, code, kind, str(e))
        sys.exit(0)


@click.group(cls=StuiGroup, epilog=EXIT_CODES_HELP, invoke_without_command=True)
@click.version_option(package_name="stui")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """STUI: a terminal IDE for live Smalltalk images. With no command, opens the app.

    STUI_HOME, when set, holds all of STUI's files (data, config, cache, runtime).
    """
    if ctx.invoked_subcommand is None:
        from stui.tui.app import StuiApp  # the app loads Textual: only when it is wanted

        StuiApp().run()


cli.add_command(image_commands.image)
cli.add_command(eval_commands.eval_command)
cli.add_command(eval_commands.ping)
cli.add_command(eval_commands.interrupt)
cli.add_command(debug_commands.debug_command)
cli.add_command(images_commands.images)
cli.add_command(session_commands.sessions)
# IDE operations (issue 8)
cli.add_command(browse_commands.browse)
cli.add_command(browse_commands.senders)
cli.add_command(browse_commands.implementors)
cli.add_command(browse_commands.references)
cli.add_command(inspect_commands.inspect)
cli.add_command(edit_commands.compile_command)
cli.add_command(transcript_commands.transcript_command)
cli.add_command(changes_commands.changes)
image_commands.image.add_command(changes_commands.save)
# across images (issue 13)
cli.add_command(cross_commands.diff_command)
cli.add_command(cross_commands.copy_command)


def main() -> None:
    cli()


def _check_utf8(args: list[str]) -> None:
    """Python smuggles undecodable argv bytes in as surrogates; refuse them plainly."""
    for position, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise click.UsageError(f"argument {position} is not valid UTF-8") from None


def _fail(as_json: bool, code: int, kind: str, message: str) -> NoReturn:
    if as_json:
        emit_json({"ok": False, "error": kind, "message": message})
    else:
        click.echo(f"stui: {message}", err=True)
    sys.exit(code)
