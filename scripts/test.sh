#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
bash "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/env.sh"
# Two workers, a test module per worker (a module's graded class is built once), taken in the
# conftest's order, the longest first (xdist reorders by tests per module unless told not to; and
# its per-test "loadgroup" does not group under pytest 9, whose node ids it can no longer tag).
exec python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=25 "$@"
