#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
bash "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/env.sh"
exec python -m pytest -q --durations=15 "$@"
