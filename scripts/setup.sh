#!/usr/bin/env bash
# Sets up everything STUI needs on a Debian machine: system packages, a venv with the
# pinned Python dependencies, and the project itself. Idempotent: a second run only
# checks stamps and returns in well under a second.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
APT_PACKAGES=(squeak-vm scratch xvfb xdotool tmux)
STAMPS="$ROOT/.stamps"
mkdir -p "$STAMPS"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "stui setup: installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "stui setup: creating .venv"
  if ! "$PY" -m venv .venv 2>/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    rm -rf .venv; "$PY" -m venv .venv
  fi
fi

want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$STAMPS/venv" 2>/dev/null)" != "$want" ]; then
  echo "stui setup: installing Python dependencies"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$STAMPS/venv"
fi
