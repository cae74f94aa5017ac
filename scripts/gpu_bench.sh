#!/usr/bin/env bash
# The GPU figures of the README, in one device call (Keras on JAX; no TensorFlow, no nbgrader):
#
#   run(command='source .carry/device_env.sh || exit; bash scripts/gpu_bench.sh reference limit class',
#       carry=[".carry"], timeout_s=560)
#   run(command='source .carry/device_env.sh || exit; bash scripts/gpu_bench.sh thresholds', ...)
#
# after `bash ../shared/device/make_carry.sh` here. Parts (default: all four): reference (Exercise 3's
# reference, full profile, through the harness), limit (the same training as a hand-written jitted
# JAX/optax loop), class (distinct models at 1, 4, 8, 16 concurrent jobs), thresholds (the reference
# models, seeds 0-2, against the committed full-profile thresholds). JSON in $OUT/gpu_bench.json,
# written after each part. SCALE=tiny runs it all on a CPU in about a minute and a half.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu-bench}"
mkdir -p "$OUT"
export KERAS_BACKEND="${KERAS_BACKEND:-jax}" AUTOGRADER_RETRAIN_SANDBOX="${AUTOGRADER_RETRAIN_SANDBOX:-0}"
export AUTOGRADER_CACHE_DIR="${AUTOGRADER_CACHE_DIR:-$OUT/cache}" XLA_PYTHON_CLIENT_PREALLOCATE=false
parts=()
for part in "$@"; do parts+=(--part "$part"); done
exec python3 -m autograder.tools.gpu_bench --scale "${SCALE:-device}" --deadline-s "${DEADLINE_S:-480}" \
  --out "$OUT/gpu_bench.json" "${parts[@]}"
