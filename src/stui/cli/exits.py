"""Exit codes of every `stui` command, and the one mapper from errors to them.

0  ok
1  the evaluation failed, or a local operation was refused
2  usage: bad arguments or options
3  the image is unreachable, gone, or did not answer in time
4  the image refused the request or broke the protocol
130 interrupted (Ctrl-C, SIGTERM, SIGHUP)
"""

from __future__ import annotations

from stui.errors import InvalidInput, Refused, StuiError, Unreachable

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_REMOTE = 4
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 the evaluation failed or the operation was refused; 2 usage; "
    "3 the image is unreachable or timed out; 4 the image refused the request; "
    "130 interrupted."
)


def classify(error: StuiError) -> tuple[int, str]:
    """The exit code and a short machine-readable kind for a known error."""
    match error:
        case InvalidInput():
            return EXIT_USAGE, "usage"
        case Unreachable() if isinstance(error, TimeoutError):
            return EXIT_CONNECTION, "timeout"
        case Unreachable():
            return EXIT_CONNECTION, "connection"
        case Refused():
            return EXIT_REMOTE, error.code
        case _:
            return EXIT_ERROR, _kind(error)


def _kind(error: StuiError) -> str:
    """snake_case of the error's class name: a stable word for scripts."""
    name = type(error).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
