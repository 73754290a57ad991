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
apt_install() {
  local log="$STAMPS/apt.log"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"; } >"$log" 2>&1; then
    echo "stui setup: installing $* failed; the end of $log says why:" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
}

if ((${#missing[@]})); then
  echo "stui setup: installing system packages: ${missing[*]}"
  apt_install "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "stui setup: creating .venv"
  if ! "$PY" -m venv .venv 2>/dev/null; then
    apt_install python3-venv
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
