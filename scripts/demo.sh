#!/usr/bin/env bash
# The main job: set up, then grade the bundled sample class with nbgrader and print the scores.
set -euo pipefail
bash "$(dirname "$0")/setup.sh"
source "$(dirname "$0")/env.sh"
exec autograder demo "$@"
