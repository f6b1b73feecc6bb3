"""Adversarial submissions against the grader's operating-system boundary (grade/isolation.py).

Every attack is the same non-solving `softmax.py` (losses 0, gradients 0) with an attack run when
it is imported. Each test asserts that the attack scores no more than that code without it, that
a results.json was written where the CLI is used, and that nothing of the task outlives it: no
process of the student user, no file of it in the shared temporary folders. The isolation needs
root (to run the code as another user), so those tests skip elsewhere; the last tests, on how the
grader fails and refuses, run anywhere.
"""

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cs231n.datasets import CIFAR10_DIR
from cs231n_staff.grade import grade
from cs231n_staff.grade import isolation as iso
from cs231n_staff.grade.sandbox import Limits
from cs231n_staff.grade.weights import load_splits

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "cs231n" / "classifiers" / "softmax.py"
LINEAR = ROOT / "cs231n" / "classifiers" / "linear_classifier.py"
LIMITS = Limits(cpu_seconds=10, wall_seconds=30, memory_bytes=2**30, file_bytes=2**24,
                disk_bytes=64 * 2**20, processes=32)

EXHAUST_LIMITS = dataclasses.replace(LIMITS, cpu_seconds=2, wall_seconds=5)


NOT_SOLVING = """
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)


def softmax_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
"""

# Run at import: the attack first, then (if it found the reference) the reference's functions
# replace the non-solving ones.
USE_IF_FOUND = """
def _use(text):
    namespace = {}
    exec(compile(text, "stolen", "exec"), namespace)
    globals().update({k: v for k, v in namespace.items() if k.startswith("softmax_loss")})
"""


def attack(code):
    """The non-solving softmax.py with `code` run when it is imported (errors swallowed)."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return NOT_SOLVING + USE_IF_FOUND + f"\ntry:\n{body}\nexcept BaseException:\n    pass\n"


@pytest.fixture(scope="module")
def isolation(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("isolating the submitted code needs root (CI runs as root)")
    chosen = iso.choose("auto", tmp_path_factory.mktemp("probe"))
    if not chosen.isolated:
        pytest.skip("no isolation available on this machine")
    return chosen


def write_submission(folder, softmax_text):
    classifiers = folder / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True)
    (classifiers / "softmax.py").write_text(softmax_text)
    shutil.copyfile(LINEAR, classifiers / "linear_classifier.py")
    return folder


def graded(tmp_path, softmax_text, isolation, groups=("losses",), name="sub", **kwargs):
    folder = write_submission(tmp_path / name, softmax_text)
    results, notes = grade(folder, groups=groups, limits=LIMITS, isolation=isolation, **kwargs)
    return sum(r.score for r in results), results, notes


def run_cli(folder, out, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cs231n_staff.grade", str(folder), "--out", str(out),
         "--groups", "losses", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def assert_nothing_left(isolation):
    """No process of the student user, no file of it in the shared temporary folders."""
    assert iso.user_processes(isolation.uid) == []
    for top in iso.SHARED_TMP:
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                try:
                    owner = os.lstat(os.path.join(root, name)).st_uid
                except OSError:
                    continue
                assert owner != isolation.uid, os.path.join(root, name)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, isolation):
    """The score of the non-solving code without any attack (groups: losses)."""
    score, _, _ = graded(tmp_path_factory.mktemp("baseline"), attack("pass"), isolation)
    return score


def test_honest_reference_scores_full_marks_isolated(tmp_path, isolation, baseline):
    """The control: the reference itself, isolated, earns what the attacks want to steal."""
    score, results, notes = graded(tmp_path, REFERENCE.read_text(), isolation)
    assert score == sum(r.max_score for r in results) > baseline
    assert not [note for note in notes if note.startswith("Not isolated")]
    assert_nothing_left(isolation)


def test_reading_the_reference_from_disk(tmp_path, isolation, baseline):
    code = f"""
import sys, glob
candidates = [{str(REFERENCE)!r}]
for base in [sys.prefix, sys.base_prefix, sys.executable, *sys.path]:
    parts = base.split("/")
    for k in range(len(parts), 1, -1):
        candidates.append("/".join(parts[:k]) + "/cs231n/classifiers/softmax.py")
candidates += glob.glob("/*/*/cs231n/classifiers/softmax.py")
candidates += glob.glob("/autograder/source/cs231n/classifiers/softmax.py")
for path in candidates:
    try:
        text = open(path).read()
    except OSError:
        continue
    if "def softmax_loss_vectorized" in text and "np.zeros_like(W)\\n\\n\\ndef" not in text:
        _use(text)
        break
"""
    score, _, _ = graded(tmp_path, attack(code), isolation)
    assert score <= baseline
    assert_nothing_left(isolation)


def test_reading_the_reference_through_proc(tmp_path, isolation, baseline):
    code = """
import os
pids = [os.getppid(), 1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]
for pid in pids:
    for what in ("cwd", "root"):
        path = f"/proc/{pid}/{what}/cs231n/classifiers/softmax.py"
        try:
            _use(open(path).read())
            raise SystemExit
        except OSError:
            pass
    for what in ("cmdline", "environ"):
        try:
            text = open(f"/proc/{pid}/{what}", "rb").read().decode(errors="replace")
        except OSError:
            continue
        for word in text.replace("\\0", " ").split():
            for suffix in ("", "/cs231n/classifiers/softmax.py"):
                try:
                    _use(open(word.split("=")[-1] + suffix).read())
                    raise SystemExit
                except (OSError, SyntaxError, UnicodeDecodeError, IsADirectoryError):
                    pass
    try:
        with open(f"/proc/{pid}/mem", "rb") as mem:
            mem.read(1)
        raise RuntimeError("readable memory")
    except OSError:
        pass
"""
    score, _, _ = graded(tmp_path, attack(code), isolation)
    assert score <= baseline
    assert_nothing_left(isolation)


def test_forged_results_json_and_killing_the_grader(tmp_path, isolation, baseline):
    out = tmp_path / "results.json"
    forged = json.dumps({"score": 100, "tests": []})
    code = f"""
import os, signal
for path in ({str(out)!r}, "/autograder/results/results.json"):
    try:
        open(path, "w").write({forged!r})
    except OSError:
        pass
open("reply.json", "w").write('{{"problems": []}}')
for pid in [os.getppid(), *[int(p) for p in os.listdir("/proc") if p.isdigit()]]:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
"""
    folder = write_submission(tmp_path / "sub", attack(code))
    proc = run_cli(folder, out)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["score"] <= baseline and data["tests"]
    assert data["extra_data"]["isolation"]["mode"] == isolation.mode
    assert_nothing_left(isolation)


def test_a_detached_daemon_does_not_outlive_the_task(tmp_path, isolation, baseline):
    out = tmp_path / "results.json"
    marker = tmp_path / "daemon-was-here"
    code = f"""
import os, time
for _ in range(5):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(2)
            for path in ({str(out)!r}, {str(marker)!r}, "/tmp/daemon-was-here"):
                try:
                    open(path, "w").write('{{"score": 100, "tests": []}}')
                except OSError:
                    pass
            os._exit(0)
        os._exit(0)
"""
    folder = write_submission(tmp_path / "sub", attack(code))
    proc = run_cli(folder, out)
    assert proc.returncode == 0, proc.stderr
    assert_nothing_left(isolation)
    time.sleep(2.5)
    assert json.loads(out.read_text())["score"] <= baseline
    assert not marker.exists() and not os.path.exists("/tmp/daemon-was-here")


def test_the_grader_files_cannot_be_changed(tmp_path, isolation, baseline):
    grader_files = sorted((ROOT / "cs231n_staff" / "grade").glob("*.py"))
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in grader_files}
    targets = [str(p) for p in grader_files] + [str(REFERENCE)]
    code = f"""
for path in {targets!r}:
    try:
        with open(path, "a") as f:
            f.write("\\nraise SystemExit('patched by a submission')\\n")
    except OSError:
        pass
"""
    score, _, _ = graded(tmp_path, attack(code), isolation)
    assert score <= baseline
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in grader_files} == before
    assert_nothing_left(isolation)


def test_swapping_the_scored_files_after_they_are_read(tmp_path, isolation):
    """Zero weights and an unrun notebook stay scored as such, whatever the code overwrites."""
    good = ROOT / "cs231n" / "saved" / "best_softmax.npy"
    if not good.exists() or not (Path(CIFAR10_DIR) / "test_batch").exists():
        pytest.skip("needs the repository's cs231n/saved/best_softmax.npy and CIFAR-10")
    folder = tmp_path / "sub"
    code = f"""
import glob, shutil
targets = glob.glob("/tmp/grade-*/**/saved/*.npy", recursive=True)
targets += glob.glob({str(folder)!r} + "/cs231n/saved/*.npy")
for path in targets:
    try:
        shutil.copyfile({str(good)!r}, path)
    except OSError:
        pass
"""
    for text, name in ((attack("pass"), "honest"), (attack(code), "sub")):
        target = write_submission(tmp_path / name, text)
        (target / "cs231n" / "saved").mkdir()
        for saved in ("softmax.npy", "best_softmax.npy"):
            np.save(target / "cs231n" / "saved" / saved, {"W": np.zeros((3073, 10))})
    groups = ("weights", "losses")
    splits = load_splits(CIFAR10_DIR)
    honest, _ = grade(
        tmp_path / "honest", groups=groups, limits=LIMITS, isolation=isolation, splits=splits
    )
    attacked, _ = grade(folder, groups=groups, limits=LIMITS, isolation=isolation, splits=splits)
    assert sum(r.score for r in attacked) <= sum(r.score for r in honest)
    assert_nothing_left(isolation)


def test_reading_a_concurrent_submission(tmp_path, isolation, baseline):
    """A submission graded at the same time cannot copy the other's files."""
    victim_text = REFERENCE.read_text() + "\nMARKER = 'victim'\n"
    code = """
import glob, time
end = time.time() + 2
while time.time() < end:
    for pattern in ("/tmp/grade-*/**/softmax.py", "/tmp/*/**/softmax.py", "/task/../*/softmax.py"):
        for path in glob.glob(pattern, recursive=True):
            try:
                text = open(path).read()
            except OSError:
                continue
            if "MARKER = 'victim'" in text:
                _use(text)
                raise SystemExit
    time.sleep(0.05)
"""
    scores = {}

    def victim():
        scores["victim"] = graded(tmp_path, victim_text, isolation, name="victim")[0]

    thread = threading.Thread(target=victim)
    thread.start()
    scores["attacker"] = graded(tmp_path, attack(code), isolation, name="attacker")[0]
    thread.join()
    assert scores["attacker"] <= baseline < scores["victim"]
    assert_nothing_left(isolation)


@pytest.mark.parametrize(
    "code",
    [
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "import os\nfor _ in range(8):\n    os.fork()\n"
        "blocks = [bytearray(2**27) for _ in range(64)]",
        "import os\nfor folder in ('/tmp', '.', os.environ.get('TMPDIR', '.')):\n"
        "    for k in range(64):\n"
        "        with open(f'{folder}/fill{k}', 'wb') as f:\n"
        "            f.write(bytes(2**23))",
        "while True:\n    pass",
    ],
    ids=["fork_bomb", "memory", "disk_fill", "cpu_loop"],
)
def test_resource_exhaustion_ends_with_the_task(tmp_path, isolation, baseline, code):
    folder = write_submission(tmp_path / "sub", attack(code))
    results, _ = grade(folder, groups=("losses",), limits=EXHAUST_LIMITS, isolation=isolation)
    assert sum(r.score for r in results) <= baseline and results
    assert_nothing_left(isolation)


def test_sleeping_past_the_deadline_still_writes_results(tmp_path, isolation, baseline):
    out = tmp_path / "results.json"
    folder = write_submission(tmp_path / "sub", attack("import time\ntime.sleep(600)"))
    proc = run_cli(folder, out, "--deadline", "4")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["score"] <= baseline and data["tests"]
    assert any("overall time limit" in t["output"] for t in data["tests"])
    assert_nothing_left(isolation)


def test_results_json_says_grader_error_and_keeps_graded_tests(tmp_path, monkeypatch):
    """An unexpected failure of the grader still writes results.json, with the tests done."""
    from cs231n_staff.grade import __main__ as cli
    from cs231n_staff.grade import code_tests

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the grader")

    monkeypatch.setattr(code_tests, "grade_predict", broken)
    folder = write_submission(tmp_path / "sub", REFERENCE.read_text())
    out = tmp_path / "results.json"
    argv = [str(folder), "--out", str(out), "--groups", "losses,predict", "--allow-unisolated"]
    status = cli.main(argv)
    data = json.loads(out.read_text())
    assert status == 3
    assert data["extra_data"]["grader_status"].startswith("grader error")
    assert "Grader error" in data["output"]
    assert data["tests"] and data["score"] == sum(t["max_score"] for t in data["tests"])


def test_unisolated_grading_is_refused_without_the_flag(tmp_path):
    from cs231n_staff.grade import __main__ as cli

    folder = write_submission(tmp_path / "sub", REFERENCE.read_text())
    with pytest.raises(iso.IsolationUnavailable, match="allow-unisolated"):
        grade(folder, groups=("losses",), limits=LIMITS, isolation="none")
    out = tmp_path / "results.json"
    assert cli.main([str(folder), "--out", str(out), "--isolation", "none"]) == 4
    data = json.loads(out.read_text())
    assert data["tests"] == [] and "cannot be isolated" in data["extra_data"]["grader_status"]
    results, notes = grade(
        folder, groups=("losses",), limits=LIMITS, isolation="none", allow_unisolated=True
    )
    assert results and any(note.startswith("Not isolated") for note in notes)


@pytest.mark.parametrize("link", [False, True], ids=["huge_npy_header", "reply_is_a_link"])
def test_a_forged_reply_is_refused_without_crashing(tmp_path, isolation, baseline, link):
    """A reply written by the code itself: an .npy header declaring 10^13 floats, or reply.json
    linking to a file of the grading machine (the reference), which must never be read."""
    entry = '{"error": null, "mutated": [], "loss": 1.0, "problem": null}'
    code = f"""
import io, os, struct, zipfile
header = "{{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000,), }}"
header = header.encode() + b" " * (63 - len(header) % 64) + b"\\n"
npy = b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", len(header)) + header + bytes(128)
with zipfile.ZipFile("reply.npz", "w") as archive:
    archive.writestr("dW0.npy", npy)
if {link!r}:
    os.symlink({str(REFERENCE)!r}, "reply.json")
else:
    with open("reply.json", "w") as f:
        f.write('{{"problems": [' + ", ".join([{entry!r}] * 8) + ']}}')
os._exit(0)
"""
    score, results, _ = graded(tmp_path, attack(code), isolation)
    assert score <= baseline and results
    reference_line = "def softmax_loss_vectorized"
    assert not [r for r in results if reference_line in "\n".join(r.lines)]
    assert_nothing_left(isolation)
