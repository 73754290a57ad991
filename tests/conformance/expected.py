"""A dialect's expectations: what its server answers where dialects may differ.

Read from `expectations/<dialect>.toml`; the conformance tests take them from the
`expect` fixture and never branch on a dialect's name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPECTATIONS = Path(__file__).parent / "expectations"


@dataclass(frozen=True)
class Expectations:
    """What one dialect's server answers where dialects may differ (see squeak.toml)."""

    dialect: str
    prints: list[tuple[str, str, str]]
    line_end: int
    syntax_message_contains: str
    dnu: dict[str, Any]
    block_error: dict[str, Any]
    error_classes: list[tuple[str, str]]
    unprintable: str
    census: str
    handshake_seconds: str
    ide: dict[str, Any] = field(default_factory=dict)
    # The debugger's test class and how to count parked processes; absent for a dialect
    # whose image does not offer the debugger yet (test_debug.py then needs it once it does).
    debug: dict[str, Any] | None = None

    @classmethod
    def load(cls, dialect: str) -> Expectations:
        data = tomllib.loads((EXPECTATIONS / f"{dialect}.toml").read_text())
        data["prints"] = [tuple(row) for row in data["prints"]]
        data["error_classes"] = [tuple(row) for row in data["error_classes"]]
        return cls(**data)
