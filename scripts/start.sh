#!/usr/bin/env bash
# Sets everything up, prepares the Squeak template, creates and starts the local demo
# images (demo-1, demo-2) unless they run already, and shows how to use them.
# Idempotent: a second run finds everything in place and only reports.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
STUI=.venv/bin/stui
$STUI image prepare >/dev/null
for name in demo-1 demo-2; do
  $STUI image list --json | grep -q "\"name\": \"$name\"" || $STUI image create "$name"
  $STUI image list --json | grep -q "\"name\": \"$name\".*\"running\": true" || $STUI image start "$name"
done
$STUI image list
cat <<'USAGE'

The demo images are running. Try:
  .venv/bin/stui eval --image demo-1 "3 + 4"
  .venv/bin/stui ping demo-1
  .venv/bin/stui images
  .venv/bin/stui image stop demo-1
USAGE
