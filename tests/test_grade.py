"""The grader's parts: safe unpacking, the sandbox, the notebook checks, results.json, the CLI.

Submissions here are small hand-made folders and zips; the calibration against real solutions
and mutants is in test_grade_calibration.py.
"""

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cs231n import diagnostics as dg
from cs231n.submission import LINEAR_CLASSIFIER, NOTEBOOK, SOFTMAX
from cs231n_staff.grade import code_tests, grade
from cs231n_staff.grade import problems as pb
from cs231n_staff.grade.notebook import answers, grade_notebook
from cs231n_staff.grade.reference import softmax_loss
from cs231n_staff.grade.results import TestResult as Result
from cs231n_staff.grade.results import results_json, summary
from cs231n_staff.grade.sandbox import Limits, run_task
from cs231n_staff.grade.unpack import SubmissionError, read_submission

ROOT = Path(__file__).resolve().parent.parent
FAST_LIMITS = Limits(cpu_seconds=1, wall_seconds=20, memory_bytes=1 * 2**30, file_bytes=8 * 2**20)

# A tiny correct submission written for these tests (not the repository's solution), so that the
# sandbox tests do not depend on the files under test elsewhere.
TINY_SOFTMAX = """\
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    return softmax_loss_vectorized(W, X, y, reg)


def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / n + 2 * reg * W
"""
TINY_LINEAR_CLASSIFIER = """\
import numpy as np

from .softmax import softmax_loss_vectorized


class LinearClassifier:
    def __init__(self):
        self.W = None

    def predict(self, X):
        return np.argmax(X @ self.W, axis=1)


class Softmax(LinearClassifier):
    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
"""


def write_submission(folder, softmax=TINY_SOFTMAX, linear=TINY_LINEAR_CLASSIFIER):
    for name, text in ((SOFTMAX, softmax), (LINEAR_CLASSIFIER, linear)):
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Path(folder)


def make_zip(path, members):
    """A zip with `members` {name: bytes}; a name may be a ZipInfo for special entries."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# --- unpacking --------------------------------------------------------------------------------


def test_zip_in_a_top_level_folder_is_found(tmp_path):
    source = make_zip(
        tmp_path / "sub.zip",
        {f"assignment1/{SOFTMAX}": "x = 1\n", f"assignment1/{NOTEBOOK}": "{}", "notes.txt": ""},
    )
    (tmp_path / "work").mkdir()
    submission = read_submission(source, tmp_path / "work")
    assert submission.path(SOFTMAX).read_text() == "x = 1\n"
    assert submission.path(NOTEBOOK).read_text() == "{}"
    assert LINEAR_CLASSIFIER in submission.missing


@pytest.mark.parametrize(
    "name, message",
    [
        ("../evil.py", "leaves the submission folder"),
        ("cs231n/../../evil.py", "leaves the submission folder"),
        ("/etc/evil.py", "absolute path"),
        ("C:/evil.py", "absolute path"),
    ],
)
def test_zip_paths_escaping_the_folder_are_refused(tmp_path, name, message):
    source = make_zip(tmp_path / "sub.zip", {SOFTMAX: "x = 1\n", name: "bad"})
    (tmp_path / "work").mkdir()
    with pytest.raises(SubmissionError, match=message):
        read_submission(source, tmp_path / "work")
    assert not (tmp_path / "evil.py").exists()


def test_zip_symlink_member_is_refused(tmp_path):
    link = zipfile.ZipInfo(SOFTMAX)
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    source = make_zip(tmp_path / "sub.zip", {link: "/etc/passwd"})
    (tmp_path / "work").mkdir()
    with pytest.raises(SubmissionError, match="symbolic link"):
        read_submission(source, tmp_path / "work")


def test_zip_bomb_and_too_many_files_are_refused(tmp_path, monkeypatch):
    from cs231n_staff.grade import unpack

    monkeypatch.setattr(unpack, "MAX_TOTAL_BYTES", 10_000)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * 50_000)  # compresses to a few hundred bytes
    (tmp_path / "w1").mkdir()
    with pytest.raises(SubmissionError, match="more than 10,000 bytes"):
        read_submission(bomb, tmp_path / "w1")

    monkeypatch.setattr(unpack, "MAX_FILES", 5)
    many = make_zip(tmp_path / "many.zip", {f"f{k}.txt": "" for k in range(6)})
    (tmp_path / "w2").mkdir()
    with pytest.raises(SubmissionError, match="holds 6 files; at most 5"):
        read_submission(many, tmp_path / "w2")


def test_not_a_zip_and_missing_source_are_clear_errors(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "junk.zip").write_text("not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        read_submission(tmp_path / "junk.zip", tmp_path / "work")
    with pytest.raises(SubmissionError, match="no such file or folder"):
        read_submission(tmp_path / "absent.zip", tmp_path / "work")


def test_folder_with_a_symlinked_file_is_refused(tmp_path):
    folder = write_submission(tmp_path / "sub")
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    os.remove(folder / SOFTMAX)
    os.symlink(secret, folder / SOFTMAX)
    (tmp_path / "work").mkdir()
    with pytest.raises(SubmissionError, match="symbolic link"):
        read_submission(folder, tmp_path / "work")


# --- the sandbox ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_problem():
    return pb.random_problem(np.random.default_rng(0), 5, 7, 3, np.float64, 0.1, 0.5)


def run_loss(tmp_path, softmax_text, problem, limits=FAST_LIMITS, with_submission=False):
    folder = write_submission(tmp_path / "sub", softmax=softmax_text)
    (tmp_path / "work").mkdir()
    submission = read_submission(folder, tmp_path / "work")
    args = {"function": "softmax_loss_vectorized", "count": 1}
    reply = run_task(submission, "loss", args, problem.arrays(0), limits)
    return (reply, submission) if with_submission else reply


def test_sandbox_returns_what_the_submission_computed(tmp_path, tiny_problem):
    reply = run_loss(tmp_path, TINY_SOFTMAX, tiny_problem)
    assert reply.ok, reply.problem
    entry = reply.data["problems"][0]
    assert entry["error"] is None
    assert code_tests.mutated_inputs(tiny_problem, 0, reply.arrays) == []
    assert tiny_problem.loss_ok(entry["loss"])
    assert tiny_problem.grad_ok(reply.arrays["dW0"])


def test_sandbox_cannot_import_the_reference_or_the_grader(tmp_path, tiny_problem):
    probe = TINY_SOFTMAX + (
        "\nimport importlib.util, os\n"
        "assert importlib.util.find_spec('cs231n_staff') is None\n"
        "assert importlib.util.find_spec('cs231n.data_utils') is None\n"
        "assert importlib.util.find_spec('cs231n.classifiers.linear_svm') is None\n"
        "assert set(os.environ) <= {'PATH', 'HOME', 'TMPDIR', 'LANG', 'PYTHONHASHSEED', "
        "'PYTHONDONTWRITEBYTECODE', 'MPLBACKEND', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', "
        "'MKL_NUM_THREADS', 'LC_CTYPE'}, sorted(os.environ)\n"
    )
    reply = run_loss(tmp_path, probe, tiny_problem)
    assert reply.ok, reply.problem
    assert reply.data.get("import_error") is None


@pytest.mark.parametrize(
    "body, expected",
    [
        ("    while True:\n        pass\n", "CPU-time limit of 1 s"),
        ("    import os\n    os._exit(3)\n", "exit code 3 before the test finished"),
        ("    import sys\n    sys.exit(4)\n", "the code called sys.exit(4)"),
        ("    return bytearray(2**33)\n", "MemoryError"),  # 8 GiB: beyond the memory limit
        ("    print('x' * 2**24)\n", "printed or wrote more than the grader's limit"),
        (
            "    raise KeyError('oops')\n",
            "KeyError: 'oops' (at cs231n/classifiers/softmax.py, line 9: raise KeyError('oops'))",
        ),
        ("    return 1.0\n", "returned float; expected a pair (loss, dW)"),
    ],
    ids=["loop", "os_exit", "sys_exit", "allocation", "flood", "exception", "bad_return"],
)
def test_sandbox_turns_misbehaviour_into_a_message(tmp_path, tiny_problem, body, expected):
    text = TINY_SOFTMAX.replace(
        "def softmax_loss_vectorized(W, X, y, reg):\n",
        "def softmax_loss_vectorized(W, X, y, reg):\n" + body,
    )
    assert text != TINY_SOFTMAX
    reply, submission = run_loss(tmp_path, text, tiny_problem, with_submission=True)
    message = code_tests.not_run(reply, submission)
    if message is None:
        entry = reply.data["problems"][0]
        message = code_tests.error_line(entry["error"], submission) if entry["error"] else ""
        message += entry["problem"] or ""
    assert expected in message


def test_printed_noise_and_a_fake_reply_do_not_confuse_the_grader(tmp_path, tiny_problem):
    noisy = TINY_SOFTMAX.replace(
        "    n = X.shape[0]\n",
        "    n = X.shape[0]\n    print('{\"problems\": []}')\n    import sys\n"
        "    print('reply.json', file=sys.stderr)\n",
    )
    reply = run_loss(tmp_path, noisy, tiny_problem)
    assert reply.ok and tiny_problem.loss_ok(reply.data["problems"][0]["loss"])


def test_a_failing_test_costs_only_that_test(tmp_path):
    looping = TINY_SOFTMAX.replace(
        "def softmax_loss_naive(W, X, y, reg):\n",
        "def softmax_loss_naive(W, X, y, reg):\n    while True:\n        pass\n",
    )
    folder = write_submission(tmp_path / "sub", softmax=looping)
    results, _ = grade(folder, groups=["losses", "predict"], limits=FAST_LIMITS)
    scores = {r.name: r for r in results}
    assert scores["softmax_loss_naive: loss"].score == 0
    assert "CPU-time limit" in scores["softmax_loss_naive: loss"].lines[0]
    assert scores["softmax_loss_vectorized: loss"].full
    assert scores["softmax_loss_vectorized: gradient dW"].full
    assert scores["LinearClassifier.predict: labels of the highest scores"].full


def test_import_error_is_reported_on_every_code_test(tmp_path):
    folder = write_submission(tmp_path / "sub", linear="from .validation import check\n")
    results, _ = grade(folder, groups=["losses", "train"], limits=FAST_LIMITS)
    assert all(r.score == 0 for r in results)
    assert "could not be imported: ModuleNotFoundError" in results[0].lines[0]


# --- hidden problems and diagnoses ------------------------------------------------------------


def test_problems_are_the_same_for_a_seed_and_cover_the_cases():
    first, second = pb.loss_problems(7), pb.loss_problems(7)
    for a, b in zip(first, second):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.X, b.X) and a.reg == b.reg
    assert not np.array_equal(first[0].W, pb.loss_problems(8)[0].W)
    assert {p.dtype for p in first} == {np.dtype(np.float64), np.dtype(np.float32)}
    assert {p.reg > 0 for p in first} == {True, False}
    assert any(p.large_scores for p in first)
    for p in first:
        assert np.isfinite(p.parts.loss) and p.parts.loss > 0
        if p.large_scores:  # scores beyond exp's range in the dtype: a max-shift is needed
            limit = np.log(np.finfo(p.dtype).max)
            assert np.abs(p.X.astype(float) @ p.W.astype(float)).max() > limit


def test_seed_depends_on_the_secret_and_the_submission(tmp_path):
    one, two = tmp_path / "a.py", tmp_path / "b.py"
    one.write_text("x = 1\n")
    two.write_text("x = 2\n")
    digest = pb.submission_digest([one, None])
    assert digest == pb.submission_digest([one, None])  # the path does not matter, the bytes do
    assert digest != pb.submission_digest([two, None])
    seeds = {pb.submission_seed(s, d) for s in (b"k1", b"k2") for d in (digest, "0" * 64)}
    assert len(seeds) == 4
    assert pb.grader_secret({"CS231N_GRADER_SECRET": "s3"}) == (b"s3", None)
    assert pb.grader_secret({})[1] == pb.SECRET_NOTE


def test_reference_loss_matches_centered_differences():
    """The grader's own reference, against an independent oracle: numerical derivatives."""
    problem = pb.loss_problems(3)[2]
    W, X, y, reg = problem.W, problem.X, problem.y, problem.reg
    loss, dW = softmax_loss(W, X, y, reg)
    h = 1e-6
    for i, j in [(0, 0), (5, 2), (19, 3)]:
        step = np.zeros_like(W)
        step[i, j] = h
        numerical = softmax_loss(W + step, X, y, reg)[0] - softmax_loss(W - step, X, y, reg)[0]
        assert abs(numerical / (2 * h) - dW[i, j]) < 1e-7
    # and against the definition, row by row, on a tiny case: -log(exp(s_y) / sum exp(s))
    scores = X @ W
    direct = np.mean([np.log(np.exp(s).sum()) - s[c] for s, c in zip(scores, y)])
    assert abs(loss - (direct + reg * np.sum(W * W))) < 1e-12


@pytest.mark.parametrize(
    "mistake, hint",
    [
        (lambda p, n: n * p.data_loss + p.reg_loss, "SUM over the N=8 examples"),
        (lambda p, n: p.data_loss, "reg * sum(W * W) is missing"),
        (lambda p, n: 0.0, "unfinished starter code"),
    ],
)
def test_loss_diagnoses(mistake, hint):
    problem = pb.loss_problems(0)[2]  # N=8, reg 0.3
    assert problem.X.shape[0] == 8 and problem.reg > 0
    assert hint in dg.diagnose_loss(problem.parts, mistake(problem.parts, 8))
    assert dg.diagnose_loss(problem.parts, problem.parts.loss) == ""


@pytest.mark.parametrize(
    "mistake, hint",
    [
        (lambda p, n: -p.dW, "wrong sign"),
        (lambda p, n: n * p.data_grad + p.reg_grad, "N=8 times too large"),
        (lambda p, n: p.data_grad + p.reg_grad / 2, "2 * reg * W"),
        (lambda p, n: p.data_grad, "2 * reg * W is missing"),
        (lambda p, n: 3 * p.dW, "3 times too large"),
    ],
)
def test_gradient_diagnoses(mistake, hint):
    problem = pb.loss_problems(0)[2]
    assert hint in dg.diagnose_grad(problem.parts, mistake(problem.parts, 8))
    assert dg.diagnose_grad(problem.parts, problem.parts.dW) == ""


# --- the notebook -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (r"$\color{blue}{\textit{Your Answer:}}$ *fill this in*", [("Answer", False)]),
        (r"$\color{blue}{\textit Your Answer:}$ *fill this in*", [("Answer", False)]),
        (r"$\color{blue}{\textit{Your Answer:}}$", [("Answer", False)]),
        (r"$\color{blue}{\textit{Your Answer:}}$ True.", [("Answer", True)]),
        (
            "$\\color{blue}{\\textit{Your Answer:}}$ False\n\n"
            "$\\color{blue}{\\textit{Your Explanation:}}$ *fill this in*",
            [("Answer", True), ("Explanation", False)],
        ),
        (
            "$\\color{blue}{\\textit{Your Answer:}}$ *fill this in*\n\n"
            "$\\color{blue}{\\textit{Your Explanation:}}$ *fill this in*",
            [("Answer", False), ("Explanation", False)],
        ),
        ("no marker here", []),
    ],
)
def test_answer_markers(text, expected):
    assert answers(text) == expected


def write_notebook(path, cells):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )


def code_cell(count, outputs=()):
    return {
        "cell_type": "code",
        "execution_count": count,
        "outputs": list(outputs),
        "metadata": {},
        "source": "x = 1",
    }


def markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def grade_notebook_cells(tmp_path, cells):
    write_notebook(tmp_path / "sub" / NOTEBOOK, cells)
    (tmp_path / "work").mkdir()
    submission = read_submission(tmp_path / "sub", tmp_path / "work")
    return grade_notebook(submission, {"errors": 5, "answers": 5})


def test_notebook_with_an_error_and_a_blank_answer_loses_both(tmp_path):
    error = {
        "output_type": "error",
        "ename": "NameError",
        "evalue": "name 'W' is not defined",
        "traceback": [],
    }
    errors, answered = grade_notebook_cells(
        tmp_path,
        [
            code_cell(1),
            code_cell(2, [error]),
            markdown(
                "**Inline Question 1**\n\nWhy?\n\n$\\color{blue}{\\textit{Your Answer:}}$ Because."
            ),
            markdown(
                "**Inline Question 2**\n\n$\\color{blue}{\\textit{Your Answer:}}$ *fill this in*"
            ),
        ],
    )
    assert errors.score == 0 and "cell 2: NameError: name 'W' is not defined" in errors.lines
    assert answered.score == 2.5
    assert "Inline Question 2: 'Your Answer:' is empty" in answered.lines


def test_unexecuted_notebook_and_missing_notebook(tmp_path):
    errors, _ = grade_notebook_cells(tmp_path, [code_cell(None)])
    assert errors.score == 0 and "was not run" in errors.lines[0]
    (tmp_path / "work2").mkdir()
    missing = read_submission(write_submission(tmp_path / "code_only"), tmp_path / "work2")
    results = grade_notebook(missing, {"errors": 5, "answers": 5})
    assert all(r.score == 0 and "not in the submission" in r.lines[0] for r in results)


# --- results.json and the command line --------------------------------------------------------


def test_results_json_has_gradescope_fields():
    results = [Result("a", 5).award(1, "fine"), Result("b", 10).award(0.25, "x", "y")]
    data = results_json(results, 3.14159, ["note"])
    assert data["score"] == 7.5 and data["execution_time"] == 3.1
    assert data["tests"][1] == {"name": "b", "score": 2.5, "max_score": 10, "output": "x\ny"}
    text = summary(results)
    assert "  7.50 / 15  total" in text and "x" in text


def run_cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cs231n_staff.grade", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_unreadable_submission_writes_a_zero_result(tmp_path):
    (tmp_path / "junk.zip").write_text("no zip")
    out = tmp_path / "results.json"
    proc = run_cli(tmp_path / "junk.zip", "--out", out)
    assert proc.returncode == 1 and "not a readable zip" in proc.stderr
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["tests"] == [] and "not a readable zip" in data["output"]


def test_cli_refuses_to_score_weights_without_cifar10(tmp_path):
    folder = write_submission(tmp_path / "sub")
    (folder / "cs231n" / "saved").mkdir()
    np.save(folder / "cs231n" / "saved" / "softmax.npy", {"W": np.zeros((3073, 10))})
    out = tmp_path / "results.json"
    proc = run_cli(folder, "--out", out, "--data", tmp_path / "nowhere")
    assert proc.returncode == 2 and "--quick" in proc.stderr
    data = json.loads(out.read_text())
    assert data["extra_data"]["grader_status"].startswith("grader error") and data["tests"] == []


def test_train_problem_separates_good_sgd_from_common_mistakes():
    """The training test's thresholds, checked with plain numpy SGD (the grader's settings):
    right SGD fits the held-out data, the two common mistakes do not."""
    X, y, X_heldout, y_heldout = pb.train_problem(11)
    settings = code_tests.TRAIN
    target = dg.TRAIN_FINAL_FRACTION * np.log(4)

    def sgd(step_scale, labels_follow):
        rng = np.random.RandomState(5)
        W = 0.001 * rng.randn(X.shape[1], 4)
        for _ in range(settings["num_iters"]):
            idx = rng.choice(len(X), settings["batch_size"])
            labels = y[idx] if labels_follow else y[rng.choice(len(X), settings["batch_size"])]
            with np.errstate(all="ignore"):
                W = W - step_scale * softmax_loss(W, X[idx], labels, settings["reg"])[1]
        with np.errstate(all="ignore"):
            return softmax_loss(W, X_heldout, y_heldout, 0.0)[0], code_tests.accuracy(
                W, X_heldout, y_heldout
            )

    loss, acc = sgd(settings["learning_rate"], True)
    assert loss < target / 2 and acc >= code_tests.TRAIN_MIN_ACCURACY
    loss, acc = sgd(settings["learning_rate"], False)
    assert loss > target and acc < code_tests.TRAIN_MIN_ACCURACY
    loss, acc = sgd(1.0, True)  # no learning rate
    assert not loss < target
