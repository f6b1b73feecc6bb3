"""Tests for the Makefile's data route and setup_env.sh, in a throwaway copy of the project.

The copy has a stand-in ``.venv/bin/python``: a shell script that logs its arguments, one call a
line, and fails the CIFAR-10 fetch (``-m cs231n.datasets``) when FETCH_FAILS=1, printing the
fetch CLI's one-line error. Nothing is installed or downloaded; each test takes well under a
second.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SETUP_FILES = ("Makefile", "setup_env.sh", "requirements.txt", "pyproject.toml")
FETCH_ERROR = "error: Could not download https://example.invalid/cifar-10-python.tar.gz: offline."
ROUTES = (
    "make data SOURCE=/path/to/cifar-10-python.tar.gz",
    "make data SOURCE=/path/to/cifar-10-batches-py",
)
FETCH = "-m|cs231n.datasets"
RECORD_RUN = "benchmarks/record_run.py"
PIP_INSTALL = "-m|pip|install|--quiet|-e|.[dev]"
STUDENT_PIP_INSTALL = "-m|pip|install|--quiet|-r|requirements.txt"
# setup_env.sh ships in the student release, which has no Makefile: its routes are plain commands.
SETUP_ROUTES = (
    ".venv/bin/python -m cs231n.datasets --source /path/to/cifar-10-python.tar.gz",
    ".venv/bin/python -m cs231n.datasets --source /path/to/cifar-10-batches-py",
)

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

STAND_IN_PYTHON = """#!/bin/sh
# Log this call's arguments, joined by |, as one line.
line=""
for arg in "$@"; do line="$line${line:+|}$arg"; done
echo "$line" >> "$CALL_LOG"
if [ "$1 $2" = "-m cs231n.datasets" ] && [ "$FETCH_FAILS" = 1 ]; then
    echo "$FETCH_ERROR" >&2
    exit 1
fi
if [ -n "$FAILING_SCRIPT" ] && [ "$1" = "$FAILING_SCRIPT" ]; then
    exit 1
fi
exit 0
"""


@pytest.fixture
def project(tmp_path):
    """A copy of the setup files with a stand-in .venv/bin/python; returns its root."""
    root = tmp_path / "project"
    root.mkdir()
    for name in SETUP_FILES:
        shutil.copy(REPO / name, root / name)
        os.utime(root / name, (1_000_000_000, 1_000_000_000))  # older than the stamp
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(STAND_IN_PYTHON)
    (bin_dir / "python").chmod(0o755)
    return root


def run(root, command, fetch_fails, **env):
    """Run command in root with the stand-in's log; return (result, the logged calls)."""
    log = root / "calls.log"
    log.unlink(missing_ok=True)
    inherited = {"SKIP_DATA", "SOURCE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}  # from a calling make
    environment = {key: value for key, value in os.environ.items() if key not in inherited}
    environment.update(
        CALL_LOG=str(log), FETCH_FAILS="1" if fetch_fails else "0", FETCH_ERROR=FETCH_ERROR
    )
    environment.update(env)
    result = subprocess.run(
        command, cwd=root, env=environment, capture_output=True, text=True, timeout=60
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def stamp(root):
    return root / ".venv" / ".setup-stamp"


def test_run_stops_before_the_notebook_when_the_fetch_fails(project):
    stamp(project).touch()
    result, calls = run(project, ["make", "run"], fetch_fails=True)
    assert result.returncode != 0
    assert calls == [FETCH]
    assert FETCH_ERROR in result.stderr
    for route in ROUTES:
        assert route in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_run_fetches_every_time_then_runs_the_notebook(project):
    stamp(project).touch()
    for _ in range(2):
        result, calls = run(project, ["make", "run"], fetch_fails=False)
        assert result.returncode == 0, result.stderr
        assert calls == [FETCH, RECORD_RUN]  # without --record: the notebook, nothing else


def test_results_runs_the_notebook_and_records_it(project):
    stamp(project).touch()
    result, calls = run(project, ["make", "results"], fetch_fails=False)
    assert result.returncode == 0, result.stderr
    assert calls == [FETCH, f"{RECORD_RUN}|--record"]


BENCHMARKS = ("loss", "sgd", "data", "scaling", "search", "accuracy")


def test_bench_records_every_benchmark_then_the_tables_and_fails_if_one_did(project):
    stamp(project).touch()
    scripts = [f"benchmarks/bench_{name}.py" for name in BENCHMARKS]
    result, calls = run(project, ["make", "bench"], fetch_fails=False)
    assert result.returncode == 0, result.stderr
    assert calls == [*(f"{script}|--record" for script in scripts), "benchmarks/results.py"]
    result, calls = run(project, ["make", "bench"], fetch_fails=False,
                        FAILING_SCRIPT="benchmarks/bench_loss.py")  # fmt: skip
    assert result.returncode != 0
    assert calls == [*(f"{script}|--record" for script in scripts), "benchmarks/results.py"]


def test_test_busy_runs_the_suite_with_one_then_two_cores_busy(project):
    stamp(project).touch()
    (project / "tests").mkdir()
    shutil.copy(REPO / "tests" / "run_busy.sh", project / "tests" / "run_busy.sh")
    result, calls = run(project, ["make", "test-busy"], fetch_fails=False)
    assert result.returncode == 0, result.stderr
    assert calls == ["-m|pytest", "-m|pytest"]
    assert "1 core(s) kept busy" in result.stdout and "2 core(s) kept busy" in result.stdout


@pytest.mark.parametrize(
    "source",
    ["/data/cifar-10-python.tar.gz", "/data/my copy/cifar-10-batches-py"],
)
def test_data_passes_source_as_one_argument(project, source):
    stamp(project).touch()
    result, calls = run(project, ["make", "data", f"SOURCE={source}"], fetch_fails=False)
    assert result.returncode == 0, result.stderr
    assert calls == [f"{FETCH}|--source|{source}"]


def test_setup_fetches_unless_skip_data(project):
    stamp(project).touch()
    result, calls = run(project, ["make", "setup"], fetch_fails=False)
    assert result.returncode == 0, result.stderr
    assert calls == [FETCH]
    result, calls = run(project, ["make", "setup"], fetch_fails=False, SKIP_DATA="1")
    assert result.returncode == 0, result.stderr
    assert calls == []


def test_missing_stamp_sets_up_code_only_then_fetches_once(project):
    result, calls = run(project, ["make", "data"], fetch_fails=False, PYTHON=sys.executable)
    assert result.returncode == 0, result.stderr
    assert calls == [PIP_INSTALL, FETCH]
    assert stamp(project).exists()


def test_setup_env_failed_fetch_exits_nonzero_and_is_retried(project):
    result, calls = run(project, ["bash", "setup_env.sh"], fetch_fails=True, PYTHON=sys.executable)
    assert result.returncode != 0
    assert calls == [PIP_INSTALL, FETCH]
    for route in SETUP_ROUTES:
        assert route in result.stderr
    assert "make" not in result.stderr
    assert "Traceback" not in result.stderr
    # The code setup is recorded, the data is not: the next make run tries the fetch again.
    assert stamp(project).exists()
    result, calls = run(project, ["make", "run"], fetch_fails=False)
    assert result.returncode == 0, result.stderr
    assert calls == [FETCH, RECORD_RUN]


def test_setup_env_skip_data_does_not_fetch(project):
    result, calls = run(
        project, ["bash", "setup_env.sh"], fetch_fails=True, PYTHON=sys.executable, SKIP_DATA="1"
    )
    assert result.returncode == 0, result.stderr
    assert calls == [PIP_INSTALL]
    assert ".venv/bin/python -m cs231n.datasets" in result.stdout and "make" not in result.stdout


def test_setup_env_without_pyproject_installs_the_requirements_only(project):
    """The student release has no pyproject.toml: no editable package, no developers' tools."""
    (project / "pyproject.toml").unlink()
    result, calls = run(
        project, ["bash", "setup_env.sh"], fetch_fails=False, PYTHON=sys.executable
    )
    assert result.returncode == 0, result.stderr
    assert calls == [STUDENT_PIP_INSTALL, FETCH]
    assert "--allow-root" in result.stdout
