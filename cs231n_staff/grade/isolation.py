"""The operating-system boundary around the submitted code: who runs it, what it sees, and cleanup.

The grader decides everything; the submitted code only computes. When the grader runs as root
(Gradescope runs `run_autograder` as root), each task's process runs

- as a dedicated unprivileged user, `STUDENT_USER` (created on first use; uid 65534 `nobody`
  when it cannot be created), with no capabilities, no supplementary groups, no new privileges,
  in its own session;
- in its own PID, network, IPC and UTS namespaces with a private /proc and a minimal filesystem
  view (mode "bwrap", through bubblewrap): the interpreter's prefix, numpy, /usr and the system
  libraries read-only, the task folder (also its /tmp) the only writable place; nothing else of
  the grading machine (the grader's code, the reference solution, the submission's files, the
  results folder, other submissions' task folders) exists in that view. When bubblewrap is
  missing or fails, `unshare` gives the namespaces without the minimal view (mode "unshare"),
  and failing that the user and its session remain (mode "user");
- in a control group of its own when cgroups are writable, which bounds the whole task, not
  each process: memory, number of processes and one CPU core;
- in a task folder that is a size-limited tmpfs when the grader may mount one (the disk limit).

After each task every process of the student user is killed, however it detached (double fork,
setsid), the control group removed, the task folder unmounted and deleted, and the student
user's files left in the shared temporary folders deleted. Tasks of the student user run one
at a time on a machine (a lock), so a concurrent grading never shares a task with another.

A grader that is not root cannot do any of this (mode "none"): it says so, and grades only when
allowed to (`--allow-unisolated`), with the process-group kill and the resource limits of
`sandbox` alone.
"""

import dataclasses
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import task_limits

STUDENT_USER = "cs231n-student"
NOBODY_UID = 65534
LOCK_DIR = Path("/run/cs231n-grade")
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin")
SANDBOX_TASK_DIR = "/task"
MODES = ("bwrap", "unshare", "user", "none")


class IsolationUnavailable(RuntimeError):
    """The requested isolation cannot be had on this machine: the message says why."""


@dataclass(frozen=True)
class Isolation:
    """How tasks are isolated in this grading.

    Attributes
    ----------
    mode : str
        One of MODES, strongest first.
    uid, gid : int or None
        The student user's ids (None in mode "none").
    user : str
        The student user's name ("" in mode "none").
    python : str
        The interpreter the submitted code runs with (the grader's own, resolved).
    numpy_site : str
        The folder holding the numpy package that interpreter imports.
    """

    mode: str
    uid: int = None
    gid: int = None
    user: str = ""
    python: str = ""
    numpy_site: str = ""
    cgroup: bool = False
    tmpfs: bool = False

    @property
    def isolated(self):
        return self.mode != "none"

    def protections(self):
        """What protects the grading in this mode, one short phrase each."""
        if not self.isolated:
            return [
                "NOT ISOLATED: the submitted code ran as the grader's own user and could read "
                "and change the grader's files (run as root to isolate)",
                "a session and process group of its own, killed after each task",
                "per-process CPU, memory and file-size limits",
            ]
        found = [
            f"unprivileged user {self.user} (uid {self.uid}), no capabilities, no new privileges",
            "a session of its own; every process of that user killed after each task",
        ]
        if self.mode in ("bwrap", "unshare"):
            found.append("own PID namespace with a private /proc, no network, own IPC and UTS")
        if self.mode == "bwrap":
            found.append(
                "minimal filesystem view: interpreter, numpy and system libraries read-only, "
                "only the task folder writable (also its /tmp)"
            )
        else:
            found.append("filesystem: file permissions only (the grader's files must not be "
                         "readable by other users)")
        if self.cgroup:
            found.append("a control group per task: memory, processes and one CPU core for the "
                         "whole task")
        else:
            found.append("no control group: memory per process, processes per user (RLIMIT_NPROC)")
        if self.tmpfs:
            found.append("task folder: a size-limited tmpfs, removed after the task")
        else:
            found.append("task folder: a plain folder (only the size of each file is limited)")
        return found


def running_as_root():
    return os.geteuid() == 0


def numpy_site():
    """The folder holding the numpy package this grader runs with."""
    return str(Path(np.__file__).resolve().parent.parent)


def student_python():
    """The grader's interpreter, resolved (a virtual environment's python is a link to it)."""
    return os.path.realpath(sys.executable)


def student_ids():
    """(name, uid, gid) of the student user, created if missing; `nobody` if it cannot be."""
    try:
        entry = pwd.getpwnam(STUDENT_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
             "/nonexistent", "--shell", "/usr/sbin/nologin", STUDENT_USER],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        try:
            entry = pwd.getpwnam(STUDENT_USER)
        except KeyError:
            return "nobody", NOBODY_UID, NOBODY_UID
    return entry.pw_name, entry.pw_uid, entry.pw_gid


STUDENT_PACKAGES = ("numpy", "numpy.libs", "past", "future")


def drop_privileges_command(isolation):
    """setpriv: become the student user with no capabilities, no groups, no new privileges."""
    return [
        "setpriv", f"--reuid={isolation.uid}", f"--regid={isolation.gid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
    ]


def bind_targets(isolation):
    """The read-only folders of the sandbox's view: system folders, interpreter, and the
    packages the course's files import (numpy; `past` and `future`, from the course's
    requirement `future`, for the starter's `from past.builtins import xrange`)."""
    prefix = os.path.realpath(sys.base_prefix)
    site = Path(isolation.numpy_site)
    folders = [d for d in SYSTEM_DIRS if os.path.isdir(d)]
    extra = [prefix] + [str(site / name) for name in STUDENT_PACKAGES]
    for folder in extra:
        covered = any(folder == d or folder.startswith(d + "/") for d in folders)
        if os.path.isdir(folder) and not covered:
            folders.append(folder)
    return folders


def parent_dirs(paths):
    """Every ancestor folder of `paths` (not "/"), parents first, each once."""
    ancestors = []
    for path in paths:
        parts = Path(path).parts[1:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:depth])
            if folder not in ancestors and folder not in paths:
                ancestors.append(folder)
    return ancestors


def bwrap_command(isolation, task_dir):
    """The bubblewrap prefix that runs a command in the task's minimal view (see module doc)."""
    binds = bind_targets(isolation)
    command = [
        "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session",
    ]
    mounted = [d for d in binds if d in SYSTEM_DIRS]
    for folder in parent_dirs([d for d in binds if d not in SYSTEM_DIRS]):
        if not any(folder == d or folder.startswith(d + "/") for d in mounted):
            command += ["--perms", "0755", "--dir", folder]
    for folder in binds:
        command += ["--ro-bind", folder, folder]
    command += [
        "--proc", "/proc", "--dev", "/dev",
        "--bind", str(task_dir), SANDBOX_TASK_DIR,
        "--bind", str(Path(task_dir) / "tmp"), "/tmp",
        "--chdir", SANDBOX_TASK_DIR,
    ]
    return command + drop_privileges_command(isolation)


def unshare_command(isolation):
    """The unshare prefix: PID (private /proc), network, IPC, UTS and mount namespaces."""
    return [
        "unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--net", "--ipc", "--uts",
        "--mount",
    ] + drop_privileges_command(isolation)


def exit_status(isolation, returncode):
    """The task's return code as Popen reports it, seen through bubblewrap's init.

    bubblewrap exits with 128 + N when the command it ran was killed by signal N; that is
    turned back into -N, as for a process run directly.
    """
    if isolation.mode == "bwrap" and returncode > 128:
        return -(returncode - 128)
    return returncode


def wrap(isolation, task_dir, command):
    """`command` (run in `task_dir`) prefixed so that it runs isolated; and its working folder.

    Returns (argv, cwd, task_dir_as_seen_by_the_task).
    """
    if isolation.mode == "bwrap":
        return bwrap_command(isolation, task_dir) + command, None, SANDBOX_TASK_DIR
    if isolation.mode == "unshare":
        return unshare_command(isolation) + command, str(task_dir), str(task_dir)
    if isolation.mode == "user":
        return drop_privileges_command(isolation) + command, str(task_dir), str(task_dir)
    return command, str(task_dir), str(task_dir)


PROBE = "import numpy, os; print(os.getuid())"


def probe(isolation, scratch):
    """True if a trivial task runs in `isolation` and imports numpy as the student user."""
    task_dir = Path(scratch) / "probe"
    (task_dir / "tmp").mkdir(parents=True)
    os.chown(task_dir, isolation.uid, isolation.gid)
    code = f"import sys; sys.path.append({isolation.numpy_site!r}); {PROBE}"
    argv, cwd, _ = wrap(isolation, task_dir, [isolation.python, "-I", "-S", "-c", code])
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=minimal_env("/tmp"), stdin=subprocess.DEVNULL,
            capture_output=True, timeout=60, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        kill_user_processes(isolation.uid)
        shutil.rmtree(task_dir, ignore_errors=True)
    return done.returncode == 0 and done.stdout.decode(errors="replace").strip() == str(
        isolation.uid
    )


def choose(requested="auto", scratch=None):
    """The Isolation to grade with: `requested` mode, or the strongest that works ("auto").

    Raises
    ------
    IsolationUnavailable
        If `requested` names a mode this machine cannot provide.
    """
    if requested not in ("auto", *MODES):
        raise ValueError(f"unknown isolation {requested!r}; expected 'auto' or one of {MODES}")
    python, site = student_python(), numpy_site()
    if requested == "none":
        return Isolation("none", python=python, numpy_site=site)
    if not running_as_root():
        if requested == "auto":
            return Isolation("none", python=python, numpy_site=site)
        raise IsolationUnavailable(
            f"isolation {requested!r} needs root (to run the submitted code as another user); "
            f"this grader runs as uid {os.geteuid()}"
        )
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="grade-probe-") as folder:
            return choose(requested, folder)
    user, uid, gid = student_ids()
    candidates = MODES[:-1] if requested == "auto" else (requested,)
    tools = {"bwrap": "bwrap", "unshare": "unshare", "user": "setpriv"}
    tried = []
    for mode in candidates:
        isolation = Isolation(mode, uid, gid, user, python, site)
        if shutil.which(tools[mode]) and probe(isolation, scratch):
            return dataclasses.replace(
                isolation,
                cgroup=task_limits.cgroup_version() > 0,
                tmpfs=task_limits.can_mount_tmpfs(scratch, uid, gid),
            )
        tried.append(mode)
    raise IsolationUnavailable(
        f"no isolation works on this machine (tried {', '.join(tried)}): the student user "
        f"{user} cannot run {python} with numpy from {site}; install bubblewrap "
        "(apt-get install bubblewrap), or put the interpreter and numpy where other users can "
        "read them"
    )


def minimal_env(task_dir):
    """The environment of a task's process: nothing of the grader's."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(task_dir),
        "TMPDIR": str(task_dir),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


@contextmanager
def user_lock(isolation):
    """Hold the machine-wide lock of the student user: its tasks run one at a time."""
    if not isolation.isolated:
        yield
        return
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(LOCK_DIR / f"{isolation.uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def user_processes(uid):
    """Pids of the processes whose real, effective or saved uid is `uid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        except (OSError, StopIteration):
            continue
        if str(uid) in uids:
            found.append(int(entry))
    return found


def kill_all_as(uid):
    """kill(-1, SIGKILL) as `uid`: every process that user owns, in one system call."""
    try:
        subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={NOBODY_UID}", "--clear-groups", "kill",
             "-KILL", "-1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
    except OSError:
        pass  # no kill(1) here: kill_user_processes signals each process found instead


def kill_user_processes(uid):
    """Kill every process of `uid` until none is left; True when none is (never root's)."""
    if uid in (None, 0):
        return True
    return task_limits.kill_until_gone(lambda: user_processes(uid), lambda: kill_all_as(uid))


def remove_user_files(uid, folders=SHARED_TMP):
    """Delete what `uid` left in the shared temporary folders (never following a link)."""
    if uid in (None, 0):
        return
    for top in folders:
        if not os.path.isdir(top):
            continue
        for root, dirs, files in os.walk(top, topdown=False):
            for name in files + dirs:
                path = os.path.join(root, name)
                try:
                    info = os.lstat(path)
                    if info.st_uid != uid:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.unlink(path)
                except OSError:
                    continue


__all__ = ["Isolation", "IsolationUnavailable", "MODES", "choose", "minimal_env", "wrap"]
