"""Run tasks in forked worker processes that stop with their parent and report their errors.

`run_tasks(work, tasks, ...)` calls `work(task, report)` for every task, each in its own process,
and returns the results in task order. The processes are forked, so they read the parent's arrays
in place: a task holds no copy of the data, and nothing is pickled on the way in; only results,
progress reports and error texts travel back, through one pipe per worker.

Process hygiene, the point of this module:
- Ctrl-C in the parent (SIGINT, which is also what a Jupyter kernel interrupt sends) raises
  KeyboardInterrupt in the parent within a poll interval (0.1 s); the parent then kills its
  workers and waits for them before the exception propagates. Workers ignore SIGINT themselves,
  so a Ctrl-C in a terminal, which reaches the whole process group, prints one traceback.
- If the parent dies without cleaning up (SIGTERM, SIGKILL, a crash), the kernel sends its
  workers SIGKILL (Linux's prctl PR_SET_PDEATHSIG). A worker also checks, every time it reports
  progress, that its parent is still the process that started it, and exits if not.
- An exception in a worker reaches the parent at once, as a `WorkerError` naming the task and
  carrying the worker's traceback; the other workers are killed. A worker that dies without a
  result (e.g. killed by the out-of-memory killer) raises a `WorkerError` too.

Forking is used on Linux only (Windows has no fork, and on macOS a forked child may hang in the
system's BLAS). Elsewhere, or with `processes=False`, the tasks run one after the other in the
calling process, with the same results and the same WorkerError for a failing task.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
import traceback
from multiprocessing.connection import wait

__all__ = ["WorkerError", "forking_available", "run_tasks"]

POLL_SECONDS = 0.1
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class WorkerError(RuntimeError):
    """A task failed (in a worker process or in the calling process); the message names it."""


def forking_available():
    """True where run_tasks uses worker processes: on Linux."""
    return sys.platform.startswith("linux")


def _die_with_parent(parent_pid):
    """Ask Linux to SIGKILL this process when its parent dies; exit now if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # no prctl: the parent check in `report` still ends an orphan
    if os.getppid() != parent_pid:
        os._exit(1)


def _worker(work, task, conn, parent_pid):
    """The body of a worker process: run one task and send ("done" | "error", payload)."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def report(value):
        if os.getppid() != parent_pid:
            os._exit(1)
        conn.send(("progress", value))

    try:
        conn.send(("done", work(task, report)))  # a result that cannot be pickled is an error too
    except BaseException as err:
        conn.send(("error", f"{type(err).__name__}: {err}\n{traceback.format_exc()}"))
    conn.close()


def _run_here(work, tasks, describe, on_progress):
    results = []
    for i, task in enumerate(tasks):
        try:
            results.append(work(task, lambda value, i=i: on_progress(i, value)))
        except Exception as err:
            raise WorkerError(f"{describe(i)} failed: {type(err).__name__}: {err}") from err
    return results


def _receive(i, conn, process, describe, on_progress):
    """Read worker i's pending messages; return (True, result) once it is done."""
    while conn.poll():
        try:
            kind, value = conn.recv()
        except EOFError:
            break
        if kind == "progress":
            on_progress(i, value)
        elif kind == "done":
            return True, value
        else:
            raise WorkerError(f"{describe(i)} failed in worker process {process.pid}: {value}")
    if not process.is_alive():
        process.join()
        raise WorkerError(
            f"{describe(i)}: worker process {process.pid} ended without a result "
            f"(exit code {process.exitcode})"
        )
    return False, None


def run_tasks(work, tasks, *, describe=str, on_progress=None, processes=True):
    """Return [work(task, report) for task in tasks], each task in its own worker process.

    Parameters
    ----------
    work : callable
        Called as work(task, report) in a worker; `report(value)` sends value to on_progress.
        Its return value must be picklable.
    tasks : list
    describe : callable
        describe(i) names task i in error messages, e.g. "the runs lr=1e-07 reg=10".
    on_progress : callable or None
        Called in the parent as on_progress(i, value) for every report of task i.
    processes : bool
        False runs the tasks one after the other in this process (as off Linux).

    Raises
    ------
    WorkerError
        If a task raises, or its worker dies without a result.
    """
    if on_progress is None:
        def on_progress(i, value):
            return None

    if not (processes and forking_available()):
        return _run_here(work, tasks, describe, on_progress)

    context = multiprocessing.get_context("fork")
    workers, results = [], [None] * len(tasks)
    try:
        for task in tasks:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker, args=(work, task, sender, os.getpid()), daemon=True
            )
            process.start()
            sender.close()  # the worker holds the only write end: its exit means EOF
            workers.append((receiver, process))
        pending = set(range(len(tasks)))
        while pending:
            handles = [h for i in pending for h in (workers[i][0], workers[i][1].sentinel)]
            wait(handles, timeout=POLL_SECONDS)
            for i in sorted(pending):
                done, result = _receive(i, *workers[i], describe, on_progress)
                if done:
                    results[i] = result
                    pending.discard(i)
        return results
    finally:
        for _, process in workers:
            if process.is_alive():
                process.kill()
        for receiver, process in workers:
            process.join()
            receiver.close()
