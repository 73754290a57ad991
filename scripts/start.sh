#!/usr/bin/env bash
# The main command: sets everything up, prepares the Squeak template, creates and starts
# the local demo images (demo-1, demo-2, demo-3) unless they exist or run already, then
# opens the app on them. Idempotent: a second run finds everything in place.
# STUI_NO_APP=1 stops before opening the app (for scripts and CI).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh
STUI=.venv/bin/stui
PY=.venv/bin/python
DEMOS=(demo-1 demo-2 demo-3)
$STUI image prepare >/dev/null

# The names of the local images that are created, or running, one a line.
names() {
  $STUI image list --json | $PY -c '
import json, sys
want = sys.argv[1]
for row in json.load(sys.stdin):
    if want == "created" or row["running"]:
        print(row["name"])
' "$1"
}

created=$(names created)
for name in "${DEMOS[@]}"; do
  grep -qxF "$name" <<<"$created" || $STUI image create "$name" >/dev/null
done
running=$(names running)
for name in "${DEMOS[@]}"; do
  grep -qxF "$name" <<<"$running" || $STUI image start "$name" >/dev/null
done
$STUI image list
if [ "${STUI_NO_APP:-}" = 1 ]; then
  exit 0
fi
exec "$STUI"
