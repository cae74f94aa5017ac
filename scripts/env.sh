# Sourced by the scripts: the project's environment.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.venv/bin:$PATH"          # nbgrader runs `alembic` from PATH
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
if [ -z "${AUTOGRADER_DATA_DIR:-}" ] && [ -d .data/fashion-mnist ]; then
  export AUTOGRADER_DATA_DIR="$PWD/.data"   # offline copies; unset, keras.datasets downloads
fi
