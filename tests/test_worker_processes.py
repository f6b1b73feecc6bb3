"""Tests of cs231n_search/worker_processes.py: results, errors, Ctrl-C and no orphaned workers."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cs231n_search.worker_processes import WorkerError, run_tasks

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc, fork")
REPO = Path(__file__).resolve().parents[1]
# How long a test waits for something that happens at once when the code works: only a guard
# against hanging the suite, long enough for a machine whatever its load.
HANG_SECONDS = 120


def square_and_report(task, report):
    report(task)
    return task * task


def fail_on_three(task, report):
    if task == 3:
        raise KeyError("three")
    return task


def die_on_three(task, report):
    if task == 3:
        os._exit(7)
    return task


@pytest.mark.parametrize("processes", [True, False])
def test_results_come_back_in_task_order_with_their_progress(processes):
    seen = []
    results = run_tasks(
        square_and_report, [4, 2, 3], on_progress=lambda i, value: seen.append((i, value)),
        processes=processes,
    )
    assert results == [16, 4, 9]
    assert sorted(seen) == [(0, 4), (1, 2), (2, 3)]


@pytest.mark.parametrize("processes", [True, False])
def test_an_exception_names_its_task(processes):
    with pytest.raises(WorkerError, match=r"task three failed.*KeyError: 'three'"):
        run_tasks(
            fail_on_three, [1, 3, 2], describe=lambda i: ["task one", "task three", "x"][i],
            processes=processes,
        )


def return_a_lambda(task, report):
    return lambda: task


@linux_only
def test_a_result_that_cannot_be_sent_back_names_its_task():
    with pytest.raises(WorkerError, match=r"task 0 failed in worker process \d+: .*pickle"):
        run_tasks(return_a_lambda, [1], describe=lambda i: f"task {i}")


@linux_only
def test_a_worker_that_dies_without_a_result_is_reported():
    with pytest.raises(WorkerError, match=r"task 1: worker process \d+ ended without a result "
                                          r"\(exit code 7\)"):
        run_tasks(die_on_three, [1, 3], describe=lambda i: f"task {i}")


# ---------------------------------------------------------------- a search in a subprocess

SEARCH = textwrap.dedent(
    """
    import numpy as np
    from cs231n.classifiers import Softmax
    from cs231n_search.hyperparameter_search import grid_search

    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 50))
    y = rng.integers(0, 10, 400)
    grid_search(Softmax, X[:300], y[:300], X[300:], y[300:], [1e-4, 1e-5], [1.0, 10.0],
                num_iters=10**8, n_jobs=2, progress=False)
    """
)


def children_of(pid):
    """PIDs of the live (not zombie) processes whose parent is pid, from /proc/*/stat."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, ppid = text.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def running_search():
    """A subprocess running a long grid search, once its two workers have started."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-c", SEARCH], env=env, stderr=subprocess.PIPE, text=True
    )
    workers = []
    try:
        started = wait_until(lambda: len(children_of(process.pid)) == 2, HANG_SECONDS)
        assert started, "no workers started"
        workers = children_of(process.pid)
        yield process, workers
    finally:
        process.kill()
        process.wait()
        process.stderr.close()
        for pid in workers:  # only if the test failed: never leave a worker behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@linux_only
def test_ctrl_c_stops_the_search_and_its_workers(running_search):
    # The search would run 10**8 steps: ending at all is the interrupt's doing. The timeout only
    # keeps a broken interrupt from hanging the suite; it is no judgment of speed.
    process, workers = running_search
    process.send_signal(signal.SIGINT)
    process.wait(timeout=HANG_SECONDS)
    assert "KeyboardInterrupt" in process.stderr.read()
    assert not any(alive(pid) for pid in workers)  # killed and reaped before the parent exits


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killing_the_parent_leaves_no_worker_alive(running_search, sig):
    process, workers = running_search
    process.send_signal(sig)
    process.wait(timeout=HANG_SECONDS)
    assert wait_until(lambda: not any(alive(pid) for pid in workers), HANG_SECONDS), (
        "orphaned workers"
    )
