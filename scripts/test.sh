#!/usr/bin/env bash
# Sets everything up, then runs lint, format check and the whole test suite against
# real Squeak images. Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
.venv/bin/stui image prepare
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
exec .venv/bin/python -m pytest "$@"
