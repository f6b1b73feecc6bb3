"""Limits for a whole task, not each of its processes: a control group and a tmpfs task folder.

A control group holds the task's first process, so every process it starts, detached or not,
stays in it: the group bounds their memory together (`memory.limit_in_bytes` in cgroup v1,
`memory.max` in v2; a tmpfs's pages count too), their number (`pids.max`) and their CPU (one
core, `cpu.cfs_quota_us` / `cpu.max`), and lists them for the final kill. The task folder is a
tmpfs of `Limits.disk_bytes` mounted by the grader, owned by the student user; it is unmounted,
and its files are gone, when the task ends. Each is used only when the machine allows it (root
with cgroups mounted writable; root allowed to mount), and `TaskSpace.protections` says which.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "cs231n-grade"
CPU_PERIOD_US = 100_000
KILL_ROUNDS = 50


def cgroup_version():
    """2 for a unified hierarchy, 1 for v1 controllers, 0 when there is no writable cgroupfs."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return 2 if os.access(CGROUP_ROOT, os.W_OK) else 0
    if (CGROUP_ROOT / "memory").is_dir() and (CGROUP_ROOT / "pids").is_dir():
        return 1 if os.access(CGROUP_ROOT / "memory", os.W_OK) else 0
    return 0


def write(path, value):
    Path(path).write_text(str(value))


class TaskCgroup:
    """The control group(s) of one task; `folders` is empty when none could be made."""

    def __init__(self, name, limits):
        self.folders = []
        self.version = cgroup_version()
        try:
            if self.version == 2:
                self._make_v2(name, limits)
            elif self.version == 1:
                self._make_v1(name, limits)
        except OSError:
            self.remove()
            self.folders = []

    def _make_v1(self, name, limits):
        settings = {
            "memory": {"memory.limit_in_bytes": limits.memory_bytes},
            "pids": {"pids.max": limits.processes},
            "cpu": {"cpu.cfs_period_us": CPU_PERIOD_US, "cpu.cfs_quota_us": CPU_PERIOD_US},
        }
        for controller, values in settings.items():
            folder = CGROUP_ROOT / controller / CGROUP_NAME / name
            folder.mkdir(parents=True, exist_ok=True)
            self.folders.append(folder)
            for key, value in values.items():
                write(folder / key, value)

    def _make_v2(self, name, limits):
        parent = CGROUP_ROOT / CGROUP_NAME
        parent.mkdir(exist_ok=True)
        write(parent / "cgroup.subtree_control", "+memory +pids +cpu")
        folder = parent / name
        folder.mkdir(exist_ok=True)
        self.folders.append(folder)
        write(folder / "memory.max", limits.memory_bytes)
        write(folder / "memory.swap.max", 0)
        write(folder / "pids.max", limits.processes)
        write(folder / "cpu.max", f"{CPU_PERIOD_US} {CPU_PERIOD_US}")

    @property
    def active(self):
        return bool(self.folders)

    def procs(self):
        """The `cgroup.procs` files a process writes its pid into to join the group."""
        return [folder / "cgroup.procs" for folder in self.folders]

    def pids(self):
        found = set()
        for folder in self.folders:
            try:
                found.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return found

    def kill(self):
        """SIGKILL every process in the group until it is empty."""
        kill_until_gone(self.pids)

    def remove(self):
        self.kill()
        for folder in reversed(self.folders):
            for _ in range(KILL_ROUNDS):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def mount_tmpfs(folder, size_bytes, uid, gid):
    """Mount a tmpfs of `size_bytes` on `folder`, owned by uid:gid; True if it was mounted."""
    options = f"size={size_bytes},mode=0700,uid={uid},gid={gid},nosuid,nodev,noexec"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "cs231n-task", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
    return done.returncode == 0


def unmount(folder):
    subprocess.run(
        ["umount", "--lazy", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )


def can_mount_tmpfs(scratch, uid, gid):
    """True if a tmpfs can be mounted (and unmounted) in the folder `scratch`."""
    folder = Path(scratch) / "tmpfs-probe"
    folder.mkdir()
    try:
        if not mount_tmpfs(folder, 2**20, uid, gid):
            return False
        unmount(folder)
        return True
    finally:
        folder.rmdir()


def kill_until_gone(list_pids, kill_round=None):
    """SIGKILL the processes `list_pids()` names, round after round, until it names none.

    `kill_round`, if given, runs first in each round (e.g. kill -1 as the student user, which also
    reaches processes forked since the list was read). True when none is left.
    """
    for _ in range(KILL_ROUNDS):
        pids = list_pids()
        if not pids:
            return True
        if kill_round is not None:
            kill_round()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    return not list_pids()
