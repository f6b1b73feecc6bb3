#!/usr/bin/env bash
# Set up everything the worksheet needs, in .venv beside this script. Safe to run again.
#
#   bash setup_env.sh              # code and CIFAR-10
#   SKIP_DATA=1 bash setup_env.sh  # code only
#   PYTHON=python3.12 bash setup_env.sh
#
# It installs the worksheet's requirements (requirements.txt). In the course's development
# repository, which has a pyproject.toml, it also installs the cs231n package (editable) and the
# developers' tools (pytest, ruff); the student release has no pyproject.toml and gets neither.
# The code setup is recorded in .venv/.setup-stamp. The data is not part of that record: a failed
# download (an offline machine) is tried again by the next fetch.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
MIN_PYTHON="3.9"
FETCH=".venv/bin/python -m cs231n.datasets"

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "setup_env.sh: no '$PYTHON' on PATH; install Python >= $MIN_PYTHON or set PYTHON=/path/to/python" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
    echo "setup_env.sh: Python >= $MIN_PYTHON is required; '$PYTHON' is $("$PYTHON" -c 'import platform; print(platform.python_version())')." >&2
    echo "Install a newer Python and run: PYTHON=python3.11 bash setup_env.sh" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv .venv
fi

if [ -f pyproject.toml ]; then
    # pyproject.toml reads the runtime requirements from requirements.txt: one install.
    echo "==> installing the cs231n package (editable), its requirements and the developers' tools"
    .venv/bin/python -m pip install --quiet -e ".[dev]"
else
    echo "==> installing the requirements (requirements.txt)"
    .venv/bin/python -m pip install --quiet -r requirements.txt
fi
touch .venv/.setup-stamp

if [ "${SKIP_DATA:-0}" = "1" ]; then
    echo "==> SKIP_DATA=1: not fetching CIFAR-10 (later: $FETCH)"
elif ! $FETCH; then
    {
        echo ""
        echo "setup_env.sh: the code is set up, but CIFAR-10 could not be fetched (error above)."
        echo "  Without internet, use a copy you have:"
        echo "    $FETCH --source /path/to/cifar-10-python.tar.gz"
        echo "    $FETCH --source /path/to/cifar-10-batches-py"
        echo "  Or run '$FETCH' again later: it retries the download."
    } >&2
    exit 1
fi
echo "==> done: run '.venv/bin/jupyter notebook softmax.ipynb' (as root: add --allow-root)"
