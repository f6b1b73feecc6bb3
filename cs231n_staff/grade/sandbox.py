"""Run one task on the submitted code in a separate, limited, isolated process.

Every task gets a fresh folder holding a minimal package shaped like the course's starter,

    cs231n/__init__.py                      empty
    cs231n/classifiers/__init__.py          from .linear_classifier import *
    cs231n/classifiers/softmax.py           the submitted file
    cs231n/classifiers/linear_classifier.py the submitted file

and `worker.py` (this package's worker, copied), the task's request and its input arrays. The
process runs `python -I -S worker.py` in that folder: isolated mode ignores PYTHONPATH and the
user's site-packages, and -S skips the site module, so neither this repository's cs231n (nor its
editable install) nor anything else on the grader's path is importable, except the folder holding
numpy, which the worker adds to sys.path. The environment holds only PATH, HOME and TMPDIR (the
task folder), a UTF-8 locale and single-threaded BLAS.

`Limits.isolation` says how the process is isolated from the grading machine (`isolation`: its
own unprivileged user, namespaces, a minimal view of the file system) and `task_limits` bounds
the task as a whole (a control group: memory, processes, one CPU core; a tmpfs task folder: the
disk). Each process also gets CPU seconds and address space (RLIMIT_CPU, RLIMIT_AS), a cap on
the size of any file written (RLIMIT_FSIZE, which also bounds printed output), a number of
processes of the student user (RLIMIT_NPROC), no core dumps, and a wall-clock timeout, cut short
by the grading's overall deadline (`Limits.deadline`). When the task ends, however it ends,
every process it started is killed and its folder removed (`finish`) before its reply is read.

The worker answers in two files of the task folder, `reply.json` and `reply.npz`. They are read
without following links and only if they are regular files of bounded size; the arrays of
`reply.npz` are read with allow_pickle=False after their headers are checked (numeric dtype,
bounded size), so a reply can neither run code here nor make the grader allocate more than
`MAX_REPLY_BYTES`. Whatever the submission prints goes to `stdout.txt` and `stderr.txt`, kept
outside the task folder, and cannot be mistaken for the reply.
"""

import io
import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cs231n.submission import LINEAR_CLASSIFIER, SOFTMAX

from . import isolation as iso
from .npyfile import load_npz
from .task_limits import TaskCgroup, mount_tmpfs, unmount

WORKER = Path(__file__).resolve().parent / "worker.py"
CLASSIFIERS_INIT = "from .linear_classifier import *  # noqa: F401,F403\n"
MAX_REPLY_BYTES = 64 * 2**20
DEADLINE_PROBLEM = (
    "not run: the grading's overall time limit of {seconds:g} s was reached before this test "
    "(earlier tests used it up: is some code far too slow, or sleeping?)"
)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one task, and how it is isolated.

    Attributes
    ----------
    cpu_seconds : int
        CPU time of each process (RLIMIT_CPU).
    wall_seconds : float
        Wall-clock time of the task.
    memory_bytes : int
        Address space of each process (RLIMIT_AS), and memory of the whole task when a control
        group can be made.
    file_bytes : int
        Largest file a process may write (RLIMIT_FSIZE): printed output and the reply too.
    disk_bytes : int
        Size of the task folder (a tmpfs) when the grader can mount one.
    processes : int
        Processes of the task (a control group) and of the student user (RLIMIT_NPROC).
    deadline : float or None
        `time.monotonic()` after which no task runs: the grading's overall deadline.
    deadline_seconds : float
        The overall time limit that deadline stands for, for messages.
    isolation : isolation.Isolation or None
        How the process is isolated; None runs it as the grader's own user (mode "none").
    """

    cpu_seconds: int = 60
    wall_seconds: float = 180.0
    memory_bytes: int = 2 * 2**30
    file_bytes: int = 64 * 2**20
    disk_bytes: int = 256 * 2**20
    processes: int = 64
    deadline: float = None
    deadline_seconds: float = 0.0
    isolation: iso.Isolation = None


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
    return iso.numpy_site()


def isolation_of(limits):
    """The task's Isolation: `limits.isolation`, or none (the grader's own user)."""
    if limits.isolation is not None:
        return limits.isolation
    return iso.Isolation("none", python=sys.executable, numpy_site=numpy_site())


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
    return iso.minimal_env(task_dir)


def limit_command(limits, cgroup=None):
    """The prefix that puts the task in its control group and applies `limits` to it.

    A shell writes its own pid into the group's `cgroup.procs` and execs `prlimit`, which sets
    the resource limits and execs the rest: no Python runs between fork and exec (no
    preexec_fn), so starting a task is safe from a grader with several threads.
    """
    command = []
    if cgroup is not None and cgroup.active:
        writes = "".join(f"echo $$ > {shlex.quote(str(f))} || exit 125; " for f in cgroup.procs())
        command += ["/bin/sh", "-c", writes + 'exec "$@"', "sh"]
    cpu = limits.cpu_seconds
    command += [
        "prlimit",
        f"--cpu={cpu}:{cpu + 5}",
        f"--as={limits.memory_bytes}",
        f"--fsize={limits.file_bytes}",
        "--core=0",
    ]
    if limits.isolation is not None and limits.isolation.isolated:
        command.append(f"--nproc={limits.processes}")
    return command + ["--"]


def describe_end(returncode, limits, timed_out, wall_seconds=None):
    """One line saying why a task's process ended without a reply."""
    if timed_out:
        seconds = limits.wall_seconds if wall_seconds is None else wall_seconds
        if seconds < limits.wall_seconds:
            return (
                f"the code was stopped after {seconds:.0f} s: the grading's overall time limit "
                f"of {limits.deadline_seconds:g} s was reached (an infinite loop, far too slow, "
                "or sleeping?)"
            )
        return (
            f"the code did not finish within {seconds:g} s of wall-clock time "
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


def read_regular_file(path, max_bytes):
    """The bytes of `path` if it is a regular file (not a link, FIFO, ...) of <= max_bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        data = f.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def read_reply(task_dir):
    """The reply files of a finished task, or None if they are missing or malformed."""
    text = read_regular_file(Path(task_dir) / "reply.json", MAX_REPLY_BYTES)
    if text is None:
        return None
    try:
        data = json.loads(text.decode("utf-8"))
        arrays = {}
        npz = Path(task_dir) / "reply.npz"
        if os.path.lexists(npz):
            raw = read_regular_file(npz, MAX_REPLY_BYTES)
            if raw is None:
                return None
            arrays = load_npz(io.BytesIO(raw), MAX_REPLY_BYTES)  # headers checked first
    except (OSError, ValueError, UnicodeDecodeError, EOFError, zipfile.BadZipFile,
            RecursionError):
        return None
    return (data, arrays) if isinstance(data, dict) else None


def kill_group(proc):
    """Kill the task's process group: the process (if still running) and anything it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def finish(proc, isolation, cgroup):
    """Kill everything the task started, however it detached; True when nothing is left."""
    kill_group(proc)
    if cgroup is not None and cgroup.active:
        cgroup.kill()
    return iso.kill_user_processes(isolation.uid) if isolation.isolated else True


def make_task_dir(scratch, isolation, limits):
    """The task folder inside `scratch`: a tmpfs owned by the student user when possible.

    Returns (task_dir, mounted).
    """
    task_dir = Path(scratch) / "task"
    task_dir.mkdir()
    mounted = False
    if isolation.isolated:
        mounted = mount_tmpfs(task_dir, limits.disk_bytes, isolation.uid, isolation.gid)
        os.chown(task_dir, isolation.uid, isolation.gid)
        os.chmod(task_dir, 0o700)
    (task_dir / "tmp").mkdir()
    return task_dir, mounted


def give_to_student(task_dir, isolation):
    """Hand the task folder's content to the student user (it runs there)."""
    if not isolation.isolated:
        return
    for root, dirs, files in os.walk(task_dir):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), isolation.uid, isolation.gid)


def remaining_seconds(limits):
    """Wall-clock seconds this task may use: its own limit, cut by the overall deadline."""
    if limits.deadline is None:
        return limits.wall_seconds
    return min(limits.wall_seconds, limits.deadline - time.monotonic())


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
    wall = remaining_seconds(limits)
    if wall <= 0:
        return Reply(ok=False, problem=DEADLINE_PROBLEM.format(seconds=limits.deadline_seconds))
    isolation = isolation_of(limits)
    with iso.user_lock(isolation), tempfile.TemporaryDirectory(prefix="grade-task-") as scratch:
        os.chmod(scratch, 0o711)
        task_dir, mounted = make_task_dir(scratch, isolation, limits)
        cgroup = TaskCgroup(Path(scratch).name, limits) if isolation.isolated else None
        try:
            return run_in(task_dir, scratch, submission, task, args, arrays, limits, wall,
                          isolation, cgroup)
        finally:
            if cgroup is not None:
                cgroup.remove()
            if mounted:
                unmount(task_dir)
            shutil.rmtree(task_dir, ignore_errors=True)
            if isolation.mode in ("user", "unshare"):
                iso.remove_user_files(isolation.uid)


def run_in(task_dir, scratch, submission, task, args, arrays, limits, wall, isolation, cgroup):
    """Write the task into `task_dir`, run it, clean up its processes, read its reply."""
    build_package(task_dir, submission)
    shutil.copyfile(WORKER, task_dir / "worker.py")
    request = {"task": task, "args": args, "site": isolation.numpy_site}
    (task_dir / "request.json").write_text(json.dumps(request))
    np.savez(task_dir / "inputs.npz", **arrays)
    give_to_student(task_dir, isolation)
    command = [isolation.python, "-I", "-S", "worker.py"]
    argv, cwd, seen_dir = iso.wrap(isolation, task_dir, command)
    argv = limit_command(limits, cgroup) + argv
    stdout, stderr = Path(scratch) / "stdout.txt", Path(scratch) / "stderr.txt"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=minimal_env(seen_dir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        timed_out = False
        try:
            proc.wait(timeout=wall)
        except subprocess.TimeoutExpired:
            timed_out = True
        finish(proc, isolation, cgroup)
    returncode = iso.exit_status(isolation, proc.returncode)
    reply = None if timed_out else read_reply(task_dir)
    if reply is not None and returncode == 0:
        return Reply(ok=True, data=reply[0], arrays=reply[1])
    problem = describe_end(returncode, limits, timed_out, wall)
    detail = last_line(stderr)
    if detail and not timed_out:
        problem += f"; its last message: {detail[:300]}"
    return Reply(ok=False, problem=problem)
