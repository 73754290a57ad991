"""The README's main command runs twice in a row: the second run finds everything in place."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from stui import launcher

ROOT = Path(__file__).resolve().parent.parent


def test_start_script_is_idempotent(stui_home: Path, template: Path) -> None:
    env = {**os.environ, "STUI_HOME": str(stui_home), "STUI_NO_APP": "1"}
    for _ in range(2):
        done = subprocess.run(
            ["bash", "scripts/start.sh"], cwd=ROOT, env=env, capture_output=True, timeout=300
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    rows = launcher.list_images()
    assert sorted(r.meta.name for r in rows) == ["demo-1", "demo-2", "demo-3"]
    assert all(r.running for r in rows)
