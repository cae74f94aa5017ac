#!/usr/bin/env bash
# Set up everything on a fresh machine with Python 3.11: a virtual environment in .venv with
# the project and its test tools, and (when ../shared is beside the checkout) the offline
# datasets in .data. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
# bubblewrap sandboxes the students' kernels (Debian package `bubblewrap`).
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  if command -v apt-get >/dev/null && { $SUDO apt-get install -y -q bubblewrap >/dev/null 2>&1 ||
       { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q bubblewrap >/dev/null 2>&1; }; }; then
    echo "installed bubblewrap"
  else
    echo "setup: could not install bubblewrap; install it (apt-get install bubblewrap) or grade with --no-sandbox" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
if [ -z "${AUTOGRADER_DATA_DIR:-}" ] && [ -f ../shared/datasets/prepare.py ]; then
  .venv/bin/python ../shared/datasets/prepare.py .data >/dev/null
fi
