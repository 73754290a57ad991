"""Each widget's TCSS lives in a file beside its module, with the same name."""

from __future__ import annotations

from pathlib import Path


def beside(module_file: str) -> str:
    """The text of `<module>.tcss` next to `module_file`."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")
