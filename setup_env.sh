#!/usr/bin/env bash
# Set up everything the worksheet needs, in .venv beside this script. Safe to run again.
#
#   bash setup_env.sh              # code, tools and CIFAR-10
#   SKIP_DATA=1 bash setup_env.sh  # code and tools only
#   PYTHON=python3.12 bash setup_env.sh
#
# A failed CIFAR-10 download (an offline machine) is reported with what to do next; the code
# setup it follows stays in place.
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

echo "==> installing requirements, the cs231n package (editable) and the dev tools"
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet -e ".[dev]"
touch .venv/.setup-stamp

if [ "${SKIP_DATA:-0}" = "1" ]; then
    echo "==> SKIP_DATA=1: not fetching CIFAR-10"
elif ! .venv/bin/python -m cs231n.datasets; then
    echo "" >&2
    echo "setup_env.sh: the code is set up, but CIFAR-10 could not be fetched (message above)." >&2
    echo "  With a local copy of cifar-10-python.tar.gz: .venv/bin/python -m cs231n.datasets --source PATH" >&2
    echo "  Then run the worksheet with: make run" >&2
fi
echo "==> done: activate with 'source .venv/bin/activate', or use 'make run' and 'make test'"
