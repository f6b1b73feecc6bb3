#!/usr/bin/env bash
# Set up everything the worksheet needs, in .venv beside this script. Safe to run again.
#
#   bash setup_env.sh              # code, tools and CIFAR-10
#   SKIP_DATA=1 bash setup_env.sh  # code and tools only
#   PYTHON=python3.12 bash setup_env.sh
#
# The code setup is recorded in .venv/.setup-stamp (make reruns this script when requirements.txt,
# pyproject.toml or this script change). The data is not part of that record: `make data` and
# `make run` fetch CIFAR-10 whenever it is missing, so a failed download (an offline machine) is
# tried again next time. Without internet, point the fetch at a copy you have (see the message).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
MIN_PYTHON="3.9"

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

# One install: pyproject.toml reads the runtime requirements from requirements.txt.
echo "==> installing the cs231n package (editable), its requirements and the dev tools"
.venv/bin/python -m pip install --quiet -e ".[dev]"
touch .venv/.setup-stamp

if [ "${SKIP_DATA:-0}" = "1" ]; then
    echo "==> SKIP_DATA=1: not fetching CIFAR-10 (later: make data)"
elif ! .venv/bin/python -m cs231n.datasets; then
    {
        echo ""
        echo "setup_env.sh: the code is set up, but CIFAR-10 could not be fetched (error above)."
        echo "  Without internet, use a copy you have:"
        echo "    make data SOURCE=/path/to/cifar-10-python.tar.gz"
        echo "    make data SOURCE=/path/to/cifar-10-batches-py"
        echo "  Or just run 'make data' (or 'make run') again later: it retries the download."
    } >&2
    exit 1
fi
echo "==> done: run 'make run' and 'make test', or 'source .venv/bin/activate' to work by hand"
