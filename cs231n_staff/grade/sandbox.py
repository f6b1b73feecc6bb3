"""Run one task on the submitted code in a separate, limited process.

Every task gets a fresh folder holding a minimal package shaped like the course's starter,

    cs231n/__init__.py                      empty
    cs231n/classifiers/__init__.py          from .linear_classifier import *
    cs231n/classifiers/softmax.py           the submitted file
    cs231n/classifiers/linear_classifier.py the submitted file

and `worker.py` (this package's worker, copied), the task's request and its input arrays. The
process runs `python -I -S worker.py` in that folder: isolated mode ignores PYTHONPATH and the
user's site-packages, and -S skips the site module, so neither this repository's cs231n (nor its
editable install) nor anything else on the grader's path is importable, except the folder holding
numpy, which the worker adds to sys.path. The environment holds only PATH, HOME (the task folder),
a UTF-8 locale and single-threaded BLAS. Limits: CPU seconds and address space (RLIMIT_CPU,
RLIMIT_AS), the size of any file written (RLIMIT_FSIZE, which also bounds printed output), no core
dumps, and a wall-clock timeout after which the whole process group is killed.

The worker answers in two files of the task folder, `reply.json` and `reply.npz` (read with
allow_pickle=False, so they cannot run code here); whatever the submission prints goes to
`stdout.txt` and `stderr.txt` and cannot be mistaken for the reply.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .npyfile import load_npz
from .unpack import LINEAR_CLASSIFIER, SOFTMAX

WORKER = Path(__file__).resolve().parent / "worker.py"
CLASSIFIERS_INIT = "from .linear_classifier import *  # noqa: F401,F403\n"
MAX_REPLY_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Limits:
    """Resource limits of one task's process."""

    cpu_seconds: int = 60
    wall_seconds: float = 180.0
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 64 * 2**20


@dataclass
class Reply:
    """What a task returned: `ok` is True when the worker wrote its reply.

    `problem` says in one line why there is no reply (timeout, crash, exit) when `ok` is False.
    `data` is the reply's JSON object, `arrays` its arrays (name -> ndarray).
    """

    ok: bool
    data: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    problem: str = ""


def numpy_site():
    """The folder holding the numpy package this grader runs with."""
    return str(Path(np.__file__).resolve().parent.parent)


def build_package(task_dir, submission):
    """Write the starter-shaped cs231n package holding the submitted files into `task_dir`."""
    classifiers = Path(task_dir) / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True)
    (classifiers.parent / "__init__.py").write_text("")
    (classifiers / "__init__.py").write_text(CLASSIFIERS_INIT)
    for name in (SOFTMAX, LINEAR_CLASSIFIER):
        source = submission.path(name)
        if source is not None:
            shutil.copyfile(source, Path(task_dir).joinpath(*name.split("/")))


def minimal_env(task_dir):
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(task_dir),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def limit_resources(limits):
    """The preexec_fn of the task's process: apply `limits` in the child before it runs Python."""
    import resource

    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def describe_end(returncode, limits, timed_out):
    """One line saying why a task's process ended without a reply."""
    if timed_out:
        return (
            f"the code did not finish within {limits.wall_seconds:g} s of wall-clock time "
            "(an infinite loop, or far too slow) and was stopped"
        )
    if returncode < 0:
        sig = -returncode
        name = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
        if sig == signal.SIGXCPU:
            return (
                f"the code was stopped: it used more than the CPU-time limit of "
                f"{limits.cpu_seconds} s (an infinite loop, or far too slow)"
            )
        if sig == signal.SIGKILL:
            return "the code was killed (SIGKILL): it probably used too much memory"
        if sig == signal.SIGXFSZ:
            return (
                f"the code was stopped: it printed or wrote more than {limits.file_bytes:,} bytes"
            )
        return f"the code crashed the Python process (signal {name})"
    return (
        f"the Python process ended with exit code {returncode} before the test finished "
        "(does the submitted code call sys.exit, exit() or os._exit?)"
    )


def last_line(path):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 4000))
            tail = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return tail[-1].strip() if tail else ""


def read_reply(task_dir):
    """The reply files of a finished task, or None if they are missing or malformed."""
    reply_json = Path(task_dir) / "reply.json"
    reply_npz = Path(task_dir) / "reply.npz"
    try:
        if reply_json.stat().st_size > MAX_REPLY_BYTES:
            return None
        data = json.loads(reply_json.read_text(encoding="utf-8"))
        arrays = {}
        if reply_npz.exists():
            arrays = load_npz(reply_npz, MAX_REPLY_BYTES)  # headers validated before allocating
    except (OSError, ValueError, UnicodeDecodeError, EOFError, RecursionError):
        return None
    return (data, arrays) if isinstance(data, dict) else None


def kill_group(proc):
    """Kill the task's process group: the process (if still running) and anything it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_task(submission, task, args, arrays, limits):
    """Run `task` of worker.py on the submitted code in a limited process; return its Reply.

    Parameters
    ----------
    submission : unpack.Submission
    task : str
        A task name known to worker.py.
    args : dict
        JSON-serializable arguments of the task.
    arrays : dict of str -> ndarray
        Input arrays of the task (numeric dtypes only).
    limits : Limits
    """
    with tempfile.TemporaryDirectory(prefix="grade-task-") as task_dir:
        build_package(task_dir, submission)
        shutil.copyfile(WORKER, Path(task_dir) / "worker.py")
        request = {"task": task, "args": args, "site": numpy_site()}
        (Path(task_dir) / "request.json").write_text(json.dumps(request))
        np.savez(Path(task_dir) / "inputs.npz", **arrays)
        with (
            open(Path(task_dir) / "stdout.txt", "wb") as out,
            open(Path(task_dir) / "stderr.txt", "wb") as err,
        ):
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "worker.py"],
                cwd=task_dir,
                env=minimal_env(task_dir),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=limit_resources(limits),
                start_new_session=True,
            )
            timed_out = False
            try:
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
            kill_group(proc)
        reply = None if timed_out else read_reply(task_dir)
        if reply is not None and proc.returncode == 0:
            return Reply(ok=True, data=reply[0], arrays=reply[1])
        problem = describe_end(proc.returncode, limits, timed_out)
        detail = last_line(Path(task_dir) / "stderr.txt")
        if detail and not timed_out:
            problem += f"; its last message: {detail[:300]}"
        return Reply(ok=False, problem=problem)
