#!/usr/bin/env bash
# The grader isolates the submitted code with bubblewrap (bwrap) when it runs as root, as CI
# does: install it when missing. Idempotent; a no-op when bwrap is there or apt is not.
set -euo pipefail
if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_sandbox_tools.sh: cannot install bubblewrap here (not root, or no apt-get);" \
        "the grader falls back to weaker isolation" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap >/dev/null
