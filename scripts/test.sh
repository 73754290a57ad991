#!/usr/bin/env bash
# Sets everything up, then runs lint, format check and the whole test suite against
# real Squeak images. Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
.venv/bin/stui image prepare
# The Cuis VM is built from ../shared/cuis once and cached; if it cannot be built, the
# Cuis tests fail with the reason (they are never skipped).
.venv/bin/python tests/cuis_vm.py || echo "test.sh: the Cuis VM could not be built; the Cuis tests will fail" >&2
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
exec .venv/bin/python -m pytest "$@"
