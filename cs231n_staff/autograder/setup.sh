#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04), with
# the bundle unpacked in /autograder/source. It installs what the grader needs (Python, numpy,
# bubblewrap), CIFAR-10, and the unprivileged user that runs the students' code, then makes the
# grader's files unreadable to other users.
#
#   AUTOGRADER_ROOT   where the /autograder tree is (default /autograder; the tests move it)
#   SOURCE            a cifar-10-python.tar.gz or cifar-10-batches-py folder to install CIFAR-10
#                     from, instead of downloading it (offline builds)
#   GRADER_PYTHON     an interpreter that already has numpy and tqdm: use it instead of
#                     installing Python and creating /opt/cs231n-grader (the tests use this)
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SRC="$ROOT/source"
VENV=/opt/cs231n-grader

# The tools the isolation uses: bwrap, and setpriv, prlimit, unshare, mount, kill, useradd.
PACKAGES=""
for pair in bwrap:bubblewrap setpriv:util-linux prlimit:util-linux unshare:util-linux \
    mount:mount kill:procps useradd:passwd; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || PACKAGES="$PACKAGES ${pair#*:}"
done
[ -n "${GRADER_PYTHON:-}" ] || PACKAGES="$PACKAGES python3 python3-venv python3-pip"
if [ -n "$PACKAGES" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $PACKAGES
fi

if [ -z "${GRADER_PYTHON:-}" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "numpy>=1.26.1" "tqdm>=4.64" "threadpoolctl>=3.1"
    GRADER_PYTHON="$VENV/bin/python"
fi
echo "$GRADER_PYTHON" > "$SRC/.grader_python"

# CIFAR-10 beside the grader's code; SOURCE for an offline build.
(cd "$SRC" && PYTHONPATH="$SRC" "$GRADER_PYTHON" -m cs231n.datasets ${SOURCE:+--source "$SOURCE"})

# The user the students' code runs as (the grader also creates it when missing).
id -u cs231n-student >/dev/null 2>&1 || useradd --system --user-group --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin cs231n-student

# The grader's code, the reference solution, CIFAR-10 and the staff secret: root only.
chown -R root:root "$SRC"
chmod -R go-rwx "$SRC"
chmod 600 "$SRC/grader_secret"
echo "setup.sh: autograder ready (python: $GRADER_PYTHON)"
