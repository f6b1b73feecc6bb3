"""Tests of tests/run_busy.sh, the harness that runs the suite with N cores kept busy.

The harness runs in a throwaway copy of the project whose ``.venv/bin/python`` is a stand-in for
pytest: it writes its process id and arguments, then waits until the test writes an exit status
into the file GO. While it waits, the test looks at the harness's other children (the spinners)
in /proc. Nothing here judges time: every wait is for an event, with a limit that only guards
against a hang.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HANG_GUARD_SECONDS = 120

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads processes from /proc (Linux)"
)

STAND_IN_PYTEST = """#!/bin/sh
echo "$$" > "$STAND_IN_DIR/pid.tmp" && mv "$STAND_IN_DIR/pid.tmp" "$STAND_IN_DIR/pid"
echo "$*" > "$STAND_IN_DIR/args"
while [ ! -s "$STAND_IN_DIR/go" ]; do sleep 0.02; done
exit "$(cat "$STAND_IN_DIR/go")"
"""


@pytest.fixture
def harness(tmp_path):
    """Start-able harness in a project copy; returns a function that starts it with arguments."""
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "run_busy.sh", root / "tests" / "run_busy.sh")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(STAND_IN_PYTEST)
    (bin_dir / "python").chmod(0o755)
    started = []

    def start(*args):
        env = dict(os.environ, STAND_IN_DIR=str(tmp_path))
        process = subprocess.Popen(
            ["bash", "tests/run_busy.sh", *args], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start, tmp_path
    (tmp_path / "go").write_text("0")  # a stand-in left waiting ends
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_until(condition, what):
    end = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < end, f"{what}: not within {HANG_GUARD_SECONDS} s"
        time.sleep(0.02)


def stat_fields(pid):
    """Fields of /proc/pid/stat after the command name (state first), or None if pid is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def children(pid):
    """The ids of the live processes whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(entry.name)
            if fields is not None and fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def cpu_ticks(pid):
    fields = stat_fields(pid)
    return None if fields is None else int(fields[11]) + int(fields[12])  # utime + stime


def gone(pid):
    fields = stat_fields(pid)
    return fields is None or fields[0] == "Z"


def spinners_of(process, stand_in_dir, count):
    """The harness's spinners, once its stand-in pytest runs; checks that they use the CPU."""
    wait_until(lambda: (stand_in_dir / "pid").exists(), "the stand-in pytest starts")
    stand_in = int((stand_in_dir / "pid").read_text())
    spinners = [pid for pid in children(process.pid) if pid != stand_in]
    assert len(spinners) == count
    for pid in spinners:
        first = cpu_ticks(pid)
        wait_until(lambda pid=pid, first=first: cpu_ticks(pid) > first, f"spinner {pid} spins")
    return stand_in, spinners


@pytest.mark.parametrize("count", [1, 2])
def test_the_suite_runs_once_beside_n_spinners_that_stop_with_it(harness, count):
    start, stand_in_dir = harness
    process = start(str(count), "-q", "-k", "name with spaces")
    stand_in, spinners = spinners_of(process, stand_in_dir, count)
    (stand_in_dir / "go").write_text("3")  # the suite fails: its status is the harness's
    out, err = process.communicate(timeout=HANG_GUARD_SECONDS)
    assert process.returncode == 3, err
    assert f"{count} core(s) kept busy" in out
    assert (stand_in_dir / "args").read_text() == "-m pytest -q -k name with spaces\n"
    assert all(gone(pid) for pid in [stand_in, *spinners])


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_suite_and_the_spinners(harness, sig, status):
    start, stand_in_dir = harness
    process = start("2")
    stand_in, spinners = spinners_of(process, stand_in_dir, 2)
    process.send_signal(sig)
    process.communicate(timeout=HANG_GUARD_SECONDS)
    assert process.returncode == status
    assert all(gone(pid) for pid in [stand_in, *spinners])


def test_spinners_stop_when_the_harness_is_killed_outright(harness):
    start, stand_in_dir = harness
    process = start("2")
    _, spinners = spinners_of(process, stand_in_dir, 2)
    process.kill()  # SIGKILL: no trap runs; the stand-in, orphaned, waits on (as pytest runs on)
    process.wait()
    for pid in spinners:
        wait_until(lambda pid=pid: gone(pid), f"spinner {pid} stops")


@pytest.mark.parametrize("args", [[], ["two"], ["-1"]])
def test_a_missing_or_bad_count_is_a_usage_error(harness, args):
    start, stand_in_dir = harness
    process = start(*args)
    _, err = process.communicate(timeout=HANG_GUARD_SECONDS)
    assert process.returncode == 2
    assert err.startswith("usage: bash tests/run_busy.sh N")
    assert not (stand_in_dir / "pid").exists()
