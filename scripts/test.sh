#!/usr/bin/env bash
# Set up, then run the whole test suite.
set -euo pipefail
bash "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/env.sh"
# Two workers, a test module per worker (a module's graded class is built once): the suite's
# batches each run one sandbox at a time for much of their time, so two keep both cores busy.
exec python -m pytest -q -n 2 --dist loadfile --durations=25 "$@"
