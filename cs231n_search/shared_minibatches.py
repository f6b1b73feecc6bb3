"""Gather each minibatch once for all the worker processes of a stacked search.

The stacked search (`cs231n_search/hyperparameter_search.py`) deals its configurations to forked
worker processes that draw the same minibatches (the same seed). Copying a minibatch out of X,
B random rows into a (B, D) array, is memory-bound and costs a worker about as much as
the two matrix products of GATHER_COLUMNS weight columns. Instead of every worker copying all B
rows, the
workers share one copy: worker w copies rows start_w .. stop_w - 1 of each minibatch into a
buffer in shared memory, tells the others, waits until each of them has copied its rows, and then
reads the whole minibatch. The values are the same bytes whoever copied them, so the results do
not depend on the number of workers. The search shares only when each worker has a free core
(`OtherProcessesCpu` says why); otherwise each worker copies its own minibatches.

Shares: a worker with more weight columns (more configurations) has more arithmetic per step, so
it copies fewer rows, chosen so that every worker's products plus copying take about as long
(`row_shares`). For a notebook fine grid of 9 configurations that is 33 rows for the worker with 5
and 167 for the worker with 4, instead of 200 each.

Each worker copies its rows one step ahead: at step t, once the others' rows of step t are in, it
copies its rows of step t + 1 and only then computes step t. So a worker that is briefly slower
than the others (a scheduler hiccup, a slower step) does not hold them up at once. Three buffers
take turns, so the rows of step t + 1 never overwrite steps t and t - 1, which others may still
be reading (see `SharedMinibatches._copy_and_signal`).

Signals: Linux eventfd counters, one for each (sender, receiver) pair; a receiver reads one count
from each sender per step. A worker that stops early (every one of its configurations diverged)
calls `leave`: it marks itself gone and gives every receiver counts it never runs out of, and the
others copy its rows themselves from then on (each step's, if it left before copying them). A
worker that fails is killed with the others by `cs231n_search.worker_processes`, so nobody waits
forever.

Linux only (eventfd; the workers are forked so that they inherit the buffers and the counters).
"""

import mmap
import os
import select
import time

import numpy as np

__all__ = ["GATHER_COLUMNS", "OtherProcessesCpu", "SharedMinibatches", "row_shares"]

# Copying a whole minibatch costs about as much as the products of this many weight columns
# (measured on the notebook's 200 x 3,073 float32 minibatches, one BLAS thread: 0.39 ms against
# 0.026 ms a column). Only the balance between workers depends on it, never the results.
GATHER_COLUMNS = 15.0

# How long a worker waits busy for the others before it sleeps until they signal.
SPIN_SECONDS = 0.0005

# Minibatch buffers, used in turn: step it's is buffers[it % NUM_BUFFERS]. Three let a worker copy
# step it + 1 while the others still read steps it and it - 1.
NUM_BUFFERS = 3

# More than any run reads: the counts a leaving worker gives each receiver.
ENDLESS = 2**62


class OtherProcessesCpu:
    """How many cores other processes kept busy while a block ran (Linux's /proc/stat).

    Sharing minibatches couples the workers step by step: it pays on free cores, but when another
    process competes for them, a worker that the scheduler pauses holds up the others, and the
    search runs slower than with every worker copying its own minibatches (measured with one core
    kept busy: 20 s against 16 s for the notebook's search). The measurement costs nothing: it
    spans work the caller does anyway (checking its data), and subtracts this process's own CPU
    time.

        with OtherProcessesCpu() as others:
            ...
        others.cores  # e.g. 0.02 on an idle machine, 1.0 with one core kept busy; None if unknown
    """

    def __enter__(self):
        self.cores = None
        self._start = _busy_ticks(), time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        busy, cpu, wall = _busy_ticks(), time.process_time(), time.perf_counter()
        if busy is None or self._start[0] is None or wall <= self._start[2]:
            return False
        # /proc/stat counts in clock ticks, usually 100 a second per core.
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        others = (busy - self._start[0]) / ticks_per_second - (cpu - self._start[1])
        self.cores = max(0.0, others / (wall - self._start[2]))
        return False


def _busy_ticks():
    """Clock ticks all cores have spent busy since boot (/proc/stat), or None off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def row_shares(batch_size, columns):
    """Split the rows 0 .. batch_size - 1 among workers with columns[w] weight columns each.

    Worker w is given about (level - columns[w]) / GATHER_COLUMNS of the rows (none if that is
    negative), with the level that makes the shares add up to all the rows: then columns[w] plus
    GATHER_COLUMNS times w's share, its work per step in columns, is the same for every worker
    that copies anything.

    Returns
    -------
    list of (start, stop), one per worker, covering 0 .. batch_size - 1 in order.
    """
    columns = np.asarray(columns, dtype=np.float64)  # (n,)
    # The level is where the sum of max(0, level - columns) reaches GATHER_COLUMNS (all rows).
    ordered = np.sort(columns)
    for used in range(len(ordered), 0, -1):
        level = (GATHER_COLUMNS + ordered[:used].sum()) / used
        if level >= ordered[used - 1]:
            break
    fractions = np.maximum(level - columns, 0) / GATHER_COLUMNS  # (n,), adding up to 1
    stops = np.rint(np.cumsum(fractions) * batch_size).astype(int)
    stops[-1] = batch_size
    starts = np.concatenate([[0], stops[:-1]])
    return [(int(start), int(stop)) for start, stop in zip(starts, stops)]


def _wait_for(signal):
    """Take one count from the eventfd `signal`, waiting for it: first busy (for SPIN_SECONDS:
    the others are usually that close, and waking a sleeping process takes longer), then asleep.
    """
    deadline = time.perf_counter() + SPIN_SECONDS
    while True:
        try:
            os.eventfd_read(signal)
            return
        except BlockingIOError:
            if time.perf_counter() > deadline:
                readable = select.poll()  # poll, unlike select, takes any file descriptor number
                readable.register(signal, select.POLLIN)
                readable.poll()


class SharedMinibatches:
    """The shared minibatch buffers and signals of n workers; create it before forking them.

    Parameters
    ----------
    batch_size, dim : int
        The minibatch shape (B, D).
    dtype : numpy floating dtype
        The minibatch dtype (X's rows are converted to it if X has another).
    columns : sequence of int, length n
        The number of weight columns each worker trains, for `row_shares`.
    """

    def __init__(self, batch_size, dim, dtype, columns):
        dtype = np.dtype(dtype)
        self.num_workers = len(columns)
        self.rows = row_shares(batch_size, columns)
        # Anonymous shared mappings: forked workers see the same pages.
        self._memory = mmap.mmap(-1, NUM_BUFFERS * batch_size * dim * dtype.itemsize)
        self.buffers = np.frombuffer(self._memory, dtype=dtype).reshape(
            NUM_BUFFERS, batch_size, dim
        )
        self._state_memory = mmap.mmap(-1, 16 * self.num_workers)
        state = np.frombuffer(self._state_memory, dtype=np.int64).reshape(2, self.num_workers)
        self._copied, self._gone = state  # (n,) each: last step whose rows w copied; 1 if w left
        self._copied[:] = -1
        self._signals = [
            [None if sender == receiver else os.eventfd(0, os.EFD_SEMAPHORE | os.EFD_NONBLOCK)
             for receiver in range(self.num_workers)]
            for sender in range(self.num_workers)
        ]
        self.worker, self._others = None, []

    def join(self, worker):
        """Called in worker process `worker` (0 .. n - 1) before its first `gather`."""
        self.worker = worker
        self._others = [w for w in range(self.num_workers) if w != worker]

    def gather(self, X, idx, it, next_idx=None):
        """Return X[idx] (B, D), the minibatch of step it, copied together with the others.

        next_idx, the rows of step it + 1 (None at the last step), lets this worker copy its
        share of the next minibatch ahead, before it computes step it: then a worker that is
        briefly slower than the others does not hold them up. The array returned is a shared
        buffer, left unchanged until this worker's call for step it + 2.
        """
        me = self.worker
        if it == 0:
            self._copy_and_signal(X, idx, 0)
        X_batch = self.buffers[it % NUM_BUFFERS]  # (B, D)
        for sender in self._others:
            _wait_for(self._signals[sender][me])  # sender has copied its rows of step it
            if self._gone[sender] and self._copied[sender] < it:
                self._copy_rows(X, idx, X_batch, sender)  # it left before copying them
        if next_idx is not None:
            self._copy_and_signal(X, next_idx, it + 1)
        return X_batch

    def _copy_and_signal(self, X, idx, it):
        """Copy this worker's rows of step it (and those of workers gone), then tell the others.

        Writing step it's buffer is safe: the buffer was last read at step it - NUM_BUFFERS,
        and every other worker has finished that step. This worker has waited for each other's
        signal of step it - 1, which that worker sends before computing step it - 2, so after
        finishing step it - 3 (or it has left).
        """
        me = self.worker
        X_batch = self.buffers[it % NUM_BUFFERS]
        self._copy_rows(X, idx, X_batch, me)
        for worker in self._others:
            if self._gone[worker]:
                self._copy_rows(X, idx, X_batch, worker)
        self._copied[me] = it
        for receiver in self._others:
            os.eventfd_write(self._signals[me][receiver], 1)

    def leave(self):
        """Stop taking part (this worker will gather no more): the others copy its rows."""
        self._gone[self.worker] = 1
        for receiver in self._others:
            os.eventfd_write(self._signals[self.worker][receiver], ENDLESS)

    def close(self):
        """Close the signals (in the parent, once the workers are done)."""
        for row in self._signals:
            for fd in row:
                if fd is not None:
                    os.close(fd)
        self._signals = []

    def _copy_rows(self, X, idx, X_batch, worker):
        start, stop = self.rows[worker]
        if start == stop:
            return
        if X.dtype == X_batch.dtype:
            np.take(X, idx[start:stop], axis=0, out=X_batch[start:stop], mode="clip")
        else:
            X_batch[start:stop] = X[idx[start:stop]]
