"""Gather each minibatch once for all the worker processes of a stacked search.

The stacked search (`cs231n/hyperparameter_search.py`) deals its configurations to forked worker
processes that draw the same minibatches (the same seed). Copying a minibatch out of X, B random
rows into a (B, D) array, is memory-bound and costs a worker about as much as the two matrix
products of GATHER_COLUMNS weight columns. Instead of every worker copying all B rows, the
workers share one copy: worker w copies rows start_w .. stop_w - 1 of each minibatch into a
buffer in shared memory, tells the others, waits until each of them has copied its rows, and then
reads the whole minibatch. The values are the same bytes whoever copied them, so the results do
not depend on the number of workers.

Shares: a worker with more weight columns (more configurations) has more arithmetic per step, so
it copies fewer rows, chosen so that every worker's products plus copying take about as long
(`row_shares`). For a notebook fine grid of 9 configurations that is 33 rows for the worker with 5
and 167 for the worker with 4, instead of 200 each.

Two buffers alternate between steps. A worker may copy its rows of step t + 1 while another still
reads step t, and can get no further ahead: step t + 2 reuses step t's buffer, and needs everyone's
rows of step t + 1, which each worker copies only after it has finished step t.

Signals: Linux eventfd counters, one for each (sender, receiver) pair; a receiver reads one count
from each sender per step. A worker that stops early (every one of its configurations diverged)
calls `leave`: it marks itself gone and gives every receiver counts it never runs out of, and the
others copy its rows themselves from then on. A worker that fails is killed with the others by
`cs231n.worker_processes`, so nobody waits forever.

Linux only (eventfd; the workers are forked so that they inherit the buffers and the counters).
"""

import mmap
import os
import select
import time

import numpy as np

__all__ = ["GATHER_COLUMNS", "SharedMinibatches", "row_shares"]

# Copying a whole minibatch costs about as much as the products of this many weight columns
# (measured on the notebook's 200 x 3,073 float32 minibatches, one BLAS thread: 0.39 ms against
# 0.026 ms a column). Only the balance between workers depends on it, never the results.
GATHER_COLUMNS = 15.0

# How long a worker waits busy for the others before it sleeps until they signal.
SPIN_SECONDS = 0.0005

# More than any run reads: the counts a leaving worker gives each receiver.
ENDLESS = 2**62


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
                select.select([signal], [], [])


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
        self._memory = mmap.mmap(-1, 2 * batch_size * dim * dtype.itemsize)
        self.buffers = np.frombuffer(self._memory, dtype=dtype).reshape(2, batch_size, dim)
        self._gone_memory = mmap.mmap(-1, self.num_workers)
        self._gone = np.frombuffer(self._gone_memory, dtype=np.uint8)  # (n,), 1 once w has left
        self._signals = [
            [None if sender == receiver else os.eventfd(0, os.EFD_SEMAPHORE | os.EFD_NONBLOCK)
             for receiver in range(self.num_workers)]
            for sender in range(self.num_workers)
        ]
        self.worker = None

    def join(self, worker):
        """Called in worker process `worker` (0 .. n - 1) before its first `gather`."""
        self.worker = worker

    def gather(self, X, idx, it):
        """Return X[idx] (B, D), the minibatch of step it, copied together with the others.

        The array is a shared buffer: it holds step it's minibatch until this worker's call for
        step it + 1.
        """
        me = self.worker
        X_batch = self.buffers[it % 2]  # (B, D)
        self._copy_rows(X, idx, X_batch, me)
        for receiver in range(self.num_workers):
            if receiver != me:
                os.eventfd_write(self._signals[me][receiver], 1)
        for sender in range(self.num_workers):
            if sender != me:
                _wait_for(self._signals[sender][me])  # until sender has copied its rows
                if self._gone[sender]:
                    self._copy_rows(X, idx, X_batch, sender)
        return X_batch

    def leave(self):
        """Stop taking part (this worker will gather no more): the others copy its rows."""
        me = self.worker
        self._gone[me] = 1
        for receiver in range(self.num_workers):
            if receiver != me:
                os.eventfd_write(self._signals[me][receiver], ENDLESS)

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
