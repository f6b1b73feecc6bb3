#!/usr/bin/env bash
# Run the test suite while N processes of this script's own keep N cores busy, to show that no
# test's verdict depends on the machine's load or speed (`make test-busy` runs it with 1, then 2).
#
#   bash tests/run_busy.sh N [pytest arguments...]
#
# Each spinner is a shell loop that spins only while this script lives: they are killed when it
# exits, however it exits (end of the run, failure, Ctrl-C, SIGTERM), and a spinner whose parent
# was killed outright (SIGKILL) notices at its next turn and stops. The suite runs once, with no
# retries; the exit status is pytest's.
set -uo pipefail
cd "$(dirname "$0")/.."

count="${1:-}"
if ! [[ "$count" =~ ^[0-9]+$ ]]; then
    echo "usage: bash tests/run_busy.sh N [pytest arguments...]  (N: how many cores to keep busy)" >&2
    exit 2
fi
shift

harness=$$
spinners=()
tests=""

stop_spinners() {
    if [ "${#spinners[@]}" -gt 0 ]; then
        kill "${spinners[@]}" 2>/dev/null
        wait "${spinners[@]}" 2>/dev/null
    fi
    spinners=()
}
# pytest runs in the background and is waited for, so that a signal is handled at once (bash
# runs a trap only after the foreground command ends); the trap stops pytest, then the spinners.
on_signal() {
    if [ -n "$tests" ]; then
        kill -TERM "$tests" 2>/dev/null
        wait "$tests" 2>/dev/null
    fi
    exit "$1"
}
trap stop_spinners EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

for ((i = 0; i < count; i++)); do
    (while kill -0 "$harness" 2>/dev/null; do :; done) &
    spinners+=("$!")
done

echo "==> the test suite with $count core(s) kept busy by spinning processes ${spinners[*]:-}"
.venv/bin/python -m pytest "$@" &
tests=$!
wait "$tests"
