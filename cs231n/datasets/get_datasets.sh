#!/usr/bin/env bash
# Fetch CIFAR-10 into cs231n/datasets/cifar-10-batches-py (the course's script name).
# All arguments go to the cs231n.datasets command line, e.g. --source /path/to/cifar-10-python.tar.gz
# (or a cifar-10-batches-py folder).
# Python: $PYTHON if set, else the project's .venv if it exists, else python3.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$repo/.venv/bin/python" ]]; then
        PYTHON="$repo/.venv/bin/python"
    else
        PYTHON=python3
    fi
fi
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m cs231n.datasets "$@"
