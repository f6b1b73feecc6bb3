"""Tests of cs231n_search/shared_minibatches.py: the row shares, and workers copying minibatches."""

import subprocess
import sys
import time

import numpy as np
import pytest

import cs231n_search.hyperparameter_search as search_module
from cs231n.classifiers import Softmax
from cs231n_search.hyperparameter_search import grid_search
from cs231n_search.shared_minibatches import (
    GATHER_COLUMNS,
    OtherProcessesCpu,
    SharedMinibatches,
    row_shares,
)
from cs231n_search.worker_processes import forking_available, run_tasks

linux_only = pytest.mark.skipif(not forking_available(), reason="eventfd and fork: Linux only")


def cover_all_rows_in_order(shares, batch_size):
    starts, stops = zip(*shares)
    return starts[0] == 0 and stops[-1] == batch_size and list(starts[1:]) == list(stops[:-1])


@pytest.mark.parametrize(
    "columns, expected",
    [
        ([80, 80], [(0, 100), (100, 200)]),
        # 5 configurations against 4: work (columns + 15 x share) 52.5 for both.
        ([50, 40], [(0, 33), (33, 200)]),
        ([40, 50], [(0, 167), (167, 200)]),
        # 10 columns more than a whole copy costs: the busier worker copies nothing.
        ([100, 10], [(0, 0), (0, 200)]),
        ([30], [(0, 200)]),
    ],
)
def test_row_shares_balance_copying_against_arithmetic(columns, expected):
    shares = row_shares(200, columns)
    assert shares == expected
    assert cover_all_rows_in_order(shares, 200)


@pytest.mark.parametrize("seed", range(5))
def test_row_shares_cover_every_row_once(seed):
    rng = np.random.default_rng(seed)
    columns = rng.integers(1, 100, rng.integers(1, 6))
    batch_size = int(rng.integers(1, 300))
    shares = row_shares(batch_size, columns)
    assert len(shares) == len(columns)
    assert cover_all_rows_in_order(shares, batch_size)
    work = [c + GATHER_COLUMNS * (stop - start) / batch_size
            for c, (start, stop) in zip(columns, shares)]
    copying = [w for w, (start, stop) in zip(work, shares) if stop > start]
    # Every worker that copies has about the same work; one that does not has at least as much.
    assert max(copying) - min(copying) <= 2 * GATHER_COLUMNS / batch_size + 1e-9
    assert all(w >= min(copying) - 1e-9 for w in work)


def batches_seen(shared, X, num_steps, leave_after):
    """The work of one test worker: gather num_steps minibatches, then leave."""

    def work(task, report):
        worker, dtype = task
        shared.join(worker)
        rng, pauses = np.random.RandomState(0), np.random.RandomState(100 + worker)
        batches = [rng.choice(len(X), shared.buffers.shape[1]) for _ in range(num_steps + 1)]
        seen = []
        for it in range(num_steps if leave_after[worker] is None else leave_after[worker]):
            next_idx = batches[it + 1] if it + 1 < num_steps else None
            X_batch = shared.gather(X, batches[it], it, next_idx)
            # Dawdle at random, as the workers' steps do, before reading the minibatch: a worker
            # running ahead must not have overwritten it meanwhile. Now and then long enough for
            # the others to stop spinning and sleep until this one signals.
            time.sleep(2e-3 if pauses.rand() < 0.05 else pauses.uniform(0, 1e-4))
            seen.append(bool(np.array_equal(X_batch, X[batches[it]].astype(dtype))))
        shared.leave()
        return seen

    return work


@linux_only
@pytest.mark.parametrize("num_workers", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_worker_sees_the_whole_minibatch_of_every_step(num_workers, dtype):
    X = np.random.default_rng(1).standard_normal((500, 7))  # float64: float32 workers convert
    shared = SharedMinibatches(40, 7, dtype, [10 * (w + 1) for w in range(num_workers)])
    try:
        seen = run_tasks(
            batches_seen(shared, X, 300, [None] * num_workers),
            [(w, dtype) for w in range(num_workers)],
        )
    finally:
        shared.close()
    assert seen == [[True] * 300] * num_workers


@linux_only
def test_a_worker_that_leaves_early_has_its_rows_copied_by_the_others():
    X = np.random.default_rng(2).standard_normal((500, 5))
    shared = SharedMinibatches(40, 5, np.float64, [10, 20, 30])
    try:
        seen = run_tasks(batches_seen(shared, X, 200, [None, 17, None]),
                         [(w, np.float64) for w in range(3)])
    finally:
        shared.close()
    assert seen == [[True] * 200, [True] * 17, [True] * 200]


def split_blobs():
    rng = np.random.default_rng(3)
    centers = 2.0 * rng.standard_normal((3, 6))
    y = rng.integers(0, 3, 600)
    X = np.hstack([centers[y] + rng.standard_normal((600, 6)), np.ones((600, 1))])
    return X[:500], y[:500], X[500:], y[500:]


OPTIONS = dict(num_iters=150, batch_size=32, seed=4, progress=False)


@linux_only
def test_a_search_whose_other_worker_diverges_at_once_matches_the_serial_search(machine_load):
    args = (Softmax, *split_blobs(), [1e-2], [1e-3, 1e9])
    options = OPTIONS
    together = grid_search(*args, n_jobs=2, **options)  # worker 1 has only the diverging run
    serial = grid_search(*args, n_jobs=1, **options)
    assert together.diverged == serial.diverged == [(1e-2, 1e9)]
    assert together.results == serial.results
    np.testing.assert_array_equal(together.best_model.W, serial.best_model.W)


@linux_only
def test_other_processes_cpu_counts_others_and_not_this_process():
    with OtherProcessesCpu() as alone:
        end = time.perf_counter() + 0.3
        while time.perf_counter() < end:  # this process busy: not counted
            pass
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        with OtherProcessesCpu() as beside:
            time.sleep(0.3)  # another process busy: counted
    finally:
        spinner.kill()
        spinner.wait()
    assert alone.cores < 0.5
    assert beside.cores > 0.5


@pytest.mark.parametrize(
    "num_workers, others, spare",
    [(2, 0.0, True), (2, 0.3, True), (2, 1.0, False), (1, 0.0, False), (2, None, False)],
)
def test_workers_share_the_copying_only_with_a_core_each(num_workers, others, spare, monkeypatch):
    monkeypatch.setattr(search_module.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert search_module._cores_to_spare(num_workers, others) is spare


@linux_only
def test_a_busy_machine_makes_each_worker_copy_its_own_minibatches(machine_load, monkeypatch):
    made = []

    class Recorded(SharedMinibatches):
        def __init__(self, *args):
            made.append(args)
            super().__init__(*args)

    monkeypatch.setattr(search_module, "SharedMinibatches", Recorded)
    args = (Softmax, *split_blobs(), [1e-3, 1e-1], [1e-3, 1.0])
    found = grid_search(*args, n_jobs=2, **OPTIONS)
    serial = grid_search(*args, n_jobs=1, **OPTIONS)
    assert bool(made) is (machine_load == "cores free")
    assert found.results == serial.results
