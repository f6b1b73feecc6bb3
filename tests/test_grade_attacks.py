"""The grader against hostile and malformed submissions, in the areas of verdicts and input
robustness: each forgery scores no more than the same code without it, each malformed input gets
0 on the affected tests with a one-line reason (never a traceback), and feedback reveals no
expected value.

The honest baseline is the course-style solution of course_style.py; an attack is that code with
one change. The sandbox is used as it is (no assumption about its internals).
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from course_style import LINEAR_CLASSIFIER, SOFTMAX

from cs231n.submission import NOTEBOOK, WEIGHTS
from cs231n_staff.grade import grade, notebook, npyfile, weights
from cs231n_staff.grade import problems as pb
from cs231n_staff.grade.sandbox import Limits
from cs231n_staff.grade.unpack import SubmissionError, read_submission

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"attack tests"
LIMITS = Limits(cpu_seconds=20, wall_seconds=60, memory_bytes=2 * 2**30, file_bytes=16 * 2**20)


def submission(folder, softmax=SOFTMAX, linear=LINEAR_CLASSIFIER):
    classifiers = folder / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True)
    (classifiers / "softmax.py").write_text(softmax)
    (classifiers / "linear_classifier.py").write_text(linear)
    return folder


def scores(folder, groups, secret=SECRET):
    results, _ = grade(folder, groups=groups, limits=LIMITS, secret=secret)
    return {r.name: r for r in results}


def total(results):
    return sum(r.score for r in results.values())


def replaced(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def one_line_error(tmp_path, source):
    """The SubmissionError message for `source`, checked to be one short line."""
    (tmp_path / "work").mkdir(exist_ok=True)
    with pytest.raises(SubmissionError) as caught:
        read_submission(source, tmp_path / "work")
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400, message
    return message


# --- malformed inputs -------------------------------------------------------------------------


@pytest.mark.parametrize("order", [("zz", "zz/"), ("zz/", "zz")])
def test_zip_with_a_file_and_a_folder_of_one_name(tmp_path, order):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in order:
            if name.endswith("/"):
                archive.writestr(zipfile.ZipInfo(name), "")
                archive.writestr(name + "inner.txt", "x")
            else:
                archive.writestr(name, "x")
    assert "zz" in one_line_error(tmp_path, path)


def test_zip_with_a_300_character_folder_name(tmp_path):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a" * 300 + "/softmax.py", "x")
    assert "longer than 255 bytes" in one_line_error(tmp_path, path)


def test_zip_with_a_2000_deep_path(tmp_path):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("d/" * 2000 + "f.py", "x")
    assert "folders deep" in one_line_error(tmp_path, path)


def test_cli_writes_results_for_a_clashing_zip(tmp_path):
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("zz", "x")
        archive.writestr("zz/a", "y")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "cs231n_staff.grade", str(path), "--out", str(out), "--quick"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr
    assert json.loads(out.read_text())["score"] == 0


def huge_npy_header():
    """A 128-byte .npy file whose header declares 10^13 float64s."""
    text = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000000,), }"
    head = b"\x93NUMPY\x01\x00"
    padded = text.ljust(128 - len(head) - 2 - 1) + "\n"
    return head + len(padded).to_bytes(2, "little") + padded.encode("latin1")


def test_npy_header_declaring_1e13_floats_is_refused_before_allocating(tmp_path):
    data = huge_npy_header()
    assert len(data) == 128
    with pytest.raises(ValueError, match="declares an array of shape"):
        npyfile.read_npy_bytes(data, 2**30)
    path = tmp_path / "softmax.npy"
    path.write_bytes(data)
    result = weights.score(WEIGHTS[0], path, splits=None)
    assert "could not be loaded" in result["error"] and "\n" not in result["error"]


class PickledBigArray:
    """Unpickles as an ndarray whose state declares 10^13 floats but holds 16 bytes."""

    def __reduce__(self):
        function, args, state = np.zeros(2).__reduce__()
        return function, args, (state[0], (10**13,), *state[2:])


def test_pickled_weights_declaring_1e13_floats_are_refused(tmp_path):
    path = tmp_path / "softmax.npy"
    np.save(path, np.array({"W": PickledBigArray()}, dtype=object), allow_pickle=True)
    assert path.stat().st_size < 1000
    result = weights.score(WEIGHTS[0], path, splits=None)
    assert "could not be loaded" in result["error"] and str(tmp_path) not in result["error"]


def test_npz_member_declaring_1e13_floats_is_refused(tmp_path):
    path = tmp_path / "reply.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("dW0.npy", huge_npy_header())
    with pytest.raises(ValueError, match="declares an array of shape"):
        npyfile.load_npz(path, 2**26)
    np.savez(path, a=np.arange(3.0), b=np.eye(2))
    arrays = npyfile.load_npz(path, 2**26)
    assert np.array_equal(arrays["a"], np.arange(3.0)) and arrays["b"].shape == (2, 2)


def test_a_forged_huge_reply_npz_scores_zero_without_crashing(tmp_path):
    """The code rewrites reply.npz at exit with a header declaring 10^13 floats."""
    forged = (
        "import atexit, os, zipfile\n"
        "def _forge():\n"
        "    with zipfile.ZipFile(os.path.join(os.getcwd(), 'reply.npz'), 'w') as z:\n"
        f"        z.writestr('dW0.npy', {huge_npy_header()!r})\n"
        "atexit.register(_forge)\n"
    )
    results = scores(submission(tmp_path / "s", softmax=SOFTMAX + forged), ["losses"])
    naive = results["softmax_loss_naive: loss"]
    assert naive.score == 0 and len(naive.lines) == 1


def write_notebook_text(folder, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOTEBOOK).write_text(text)
    (folder / "work").mkdir()
    return notebook.grade_notebook(
        read_submission(folder, folder / "work"), {"errors": 5, "answers": 5}
    )


def test_notebook_of_100000_brackets(tmp_path):
    results = write_notebook_text(tmp_path / "s", "[" * 100_000)
    assert all(r.score == 0 and "not a readable notebook" in r.lines[0] for r in results)


def test_notebook_whose_source_holds_integers(tmp_path):
    cells = [{"cell_type": "markdown", "source": [1, 2, 3], "metadata": {}}]
    results = write_notebook_text(tmp_path / "s", json.dumps({"cells": cells}))
    assert all(r.score == 0 and "not text" in r.lines[0] for r in results)


def test_notebook_larger_than_the_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook, "MAX_NOTEBOOK_BYTES", 1000)
    results = write_notebook_text(tmp_path / "s", json.dumps({"cells": [], "x": "y" * 2000}))
    assert all(r.score == 0 and "larger than 1,000 bytes" in r.lines[0] for r in results)


@pytest.mark.parametrize(
    ("answer", "filled"),
    [
        (" " * 2**20, False),
        ("$" + " " * 2**20, False),
        ("Your" + " " * 2**20, True),
        ("fill" + " " * 2**20 + "x", True),
        ("$\\color" + " \t" * 2**19, False),
        ("$\\color{blue}{\\textit{" + " " * 2**20, False),
    ],
    ids=["spaces", "dollar", "your", "fill", "color", "open_marker"],
)
def test_a_1mb_inline_answer_is_read_in_linear_time(tmp_path, answer, filled):
    """A 1 MB answer took the old regex past 300 s; the scan is linear (well under a second
    here): a generous 60 s bound in a separate process, so only a super-linear scan fails."""
    text = "**Inline Question 1**\n\n$\\color{blue}{\\textit{Your Answer:}}$" + answer
    code = (
        "import json, sys\n"
        "from cs231n_staff.grade.notebook import answers, grade_answers, MARKER\n"
        "from cs231n_staff.grade.results import TestResult\n"
        "text = json.load(sys.stdin)\n"
        "test = grade_answers(TestResult('a', 5), [{'cell_type': 'markdown', 'source': text}])\n"
        "print(json.dumps([answers(text), len(list(MARKER.finditer(text))), test.score]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(text),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    found, markers, score = json.loads(proc.stdout)
    assert markers == 1 and len(found) == 1
    assert found[0][1] == filled and score == (5.0 if filled else 0.0)


# --- forgeries and oracles ---------------------------------------------------------------------


def test_patching_numpy_in_the_child_does_not_hide_a_mutation(tmp_path):
    mutating = replaced(
        SOFTMAX, "    dW = X.T.dot(dscores)", "    X *= 1.0 + 1e-9\n    dW = X.T.dot(dscores)"
    )
    patched = mutating + (
        "\nnp.array_equal = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
        "import time\ntime.perf_counter = lambda: 0.0\n"
    )
    honest_mutating = scores(submission(tmp_path / "a", softmax=mutating), ["losses"])
    attack = scores(submission(tmp_path / "b", softmax=patched), ["losses"])
    name = "both losses: inputs W, X, y left unchanged"
    assert attack[name].score <= honest_mutating[name].score < attack[name].max_score
    assert total(attack) <= total(honest_mutating)
    assert any("modified its input X" in line for line in attack[name].lines)


def test_train_returning_a_decreasing_list_without_training_scores_zero(tmp_path):
    fake = replaced(
        LINEAR_CLASSIFIER,
        "        return loss_history\n",
        "        return list(np.linspace(1.4, 0.05, num_iters))\n",
    )
    fake = replaced(fake, "            self.W -= learning_rate * grad\n", "")
    honest = scores(submission(tmp_path / "a"), ["train"])
    attack = scores(submission(tmp_path / "b", linear=fake), ["train"])
    assert total(honest) == 20 and total(attack) == 0
    fits = attack["LinearClassifier.train: SGD trains W (scored on held-out data)"]
    assert "held-out" in fits.lines[0]


def test_train_with_a_forged_history_loses_the_history_points(tmp_path):
    """Right SGD, but the history it returns is made up: the W is scored, the history is not."""
    fake = replaced(
        LINEAR_CLASSIFIER,
        "        return loss_history\n",
        "        return list(np.linspace(1.4, 0.9, num_iters))\n",
    )
    attack = scores(submission(tmp_path / "b", linear=fake), ["train"])
    history = attack["LinearClassifier.train: returns the loss history"]
    assert history.score == 0 and "not the losses of this training" in history.lines[0]


def test_naive_as_vectorized_plus_sleep_loses_the_loop_points(tmp_path):
    start = SOFTMAX.index("def softmax_loss_naive")
    end = SOFTMAX.index("def softmax_loss_vectorized")
    fake = (
        SOFTMAX[:start]
        + "def softmax_loss_naive(W, X, y, reg):\n"
        + "    import time\n    time.sleep(0.01)\n"
        + "    return softmax_loss_vectorized(W, X, y, reg)\n\n\n"
        + SOFTMAX[end:]
    )
    honest = scores(submission(tmp_path / "a"), ["losses"])
    attack = scores(submission(tmp_path / "b", softmax=fake), ["losses"])
    loops = "softmax_loss_naive uses explicit loops, softmax_loss_vectorized none"
    assert honest[loops].full and attack[loops].score == attack[loops].max_score / 2
    assert total(attack) < total(honest)


NOTEBOOK_POINTS = {"errors": 5, "answers": 5}
ACCURACIES = {WEIGHTS[0]: {"val": 0.359, "test": 0.326}, WEIGHTS[1]: {"val": 0.434, "test": 0.424}}


def code_cell(count, text=None):
    outputs = [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
    return {"cell_type": "code", "execution_count": count, "outputs": outputs, "source": "x"}


def grade_cells(tmp_path, cells, accuracies=ACCURACIES):
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / NOTEBOOK).write_text(json.dumps({"cells": cells}))
    (folder / "work").mkdir()
    sub = read_submission(folder, folder / "work")
    return notebook.grade_notebook(sub, NOTEBOOK_POINTS, accuracies)[0]


def test_forged_execution_counts_without_a_run_score_zero(tmp_path):
    forged = grade_cells(tmp_path, [code_cell(k) for k in range(1, 30)])
    assert forged.score == 0 and "no accuracy printed" in forged.lines[-1]


def test_forged_outputs_that_disagree_with_the_weights_score_zero(tmp_path):
    cells = [code_cell(1), code_cell(2, "validation accuracy: 0.512000\n")]
    assert grade_cells(tmp_path, cells).score == 0


def test_a_run_whose_printed_accuracy_matches_the_weights_scores(tmp_path):
    cells = [code_cell(1), code_cell(2, "training accuracy: 0.33\nvalidation accuracy: 0.359000\n")]
    run = grade_cells(tmp_path, cells)
    assert run.full and WEIGHTS[0] in run.lines[-1]


def test_without_weights_the_run_cannot_be_verified(tmp_path):
    missing = {name: {"error": "missing"} for name in WEIGHTS}
    cells = [code_cell(1, "validation accuracy: 0.359\n")]
    run = grade_cells(tmp_path, cells, missing)
    assert run.score == 0 and "cannot be verified" in run.lines[-1]


def test_feedback_names_the_mistake_without_expected_values(tmp_path):
    """The loss of a wrong answer and the hidden gradient are never printed, so feedback cannot
    be turned into hard-coded answers; and another submission gets other problems."""
    wrong = replaced(SOFTMAX, "    loss /= num_train\n", "")
    folder = submission(tmp_path / "a", softmax=wrong)
    results = scores(folder, ["losses", "numgrad"])
    text = "\n".join(line for r in results.values() for line in r.lines)
    assert "the data loss is their MEAN" in text
    digest = pb.submission_digest(
        [
            folder / "cs231n/classifiers/softmax.py",
            folder / "cs231n/classifiers/linear_classifier.py",
        ]
    )
    hidden = pb.loss_problems(pb.submission_seed(SECRET, digest))
    for problem in hidden:
        for value in (problem.parts.loss, problem.parts.data_loss):
            assert f"{value:.4g}" not in text and f"{value:.6g}" not in text
    assert "expected loss" not in text and "expected " not in text.split("dW")[0]
    other = pb.loss_problems(pb.submission_seed(SECRET, pb.submission_digest([None, None])))
    assert not np.array_equal(hidden[1].W, other[1].W)


def test_exception_text_is_short_and_holds_no_path_or_grader_data(tmp_path):
    """The code raises with the grader's request (holding the seed) and a path as message."""
    leaking = replaced(
        LINEAR_CLASSIFIER,
        "        num_train, dim = X.shape\n",
        "        num_train, dim = X.shape\n"
        "        import os\n"
        "        raise ValueError(os.getcwd() + ' ' + open('request.json').read() * 50)\n",
    )
    results = scores(submission(tmp_path / "a", linear=leaking), ["train"])
    seed = pb.submission_seed(
        SECRET,
        pb.submission_digest(
            [
                tmp_path / "a/cs231n/classifiers/softmax.py",
                tmp_path / "a/cs231n/classifiers/linear_classifier.py",
            ]
        ),
    )
    for result in results.values():
        assert result.score == 0
        line = result.lines[0]
        assert "ValueError" in line and "/tmp" not in line and "/" not in line.split("(at ")[0]
        assert str(seed % 2**32) not in line and len(line) < 400


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        ("str(__import__('json').load(open('request.json'))['args']['seed'])", "<withheld>"),
        ("[l for l in open('worker.py') if 'def task_train' in l][0]", "message withheld"),
    ],
    ids=["seed", "grader_code"],
)
def test_exception_quoting_the_seed_or_the_grader_is_withheld(tmp_path, raised, shown):
    leaking = replaced(
        LINEAR_CLASSIFIER,
        "        num_train, dim = X.shape\n",
        f"        num_train, dim = X.shape\n        raise ValueError({raised})\n",
    )
    results = scores(submission(tmp_path / "a", linear=leaking), ["train"])
    line = results["LinearClassifier.train: returns the loss history"].lines[0]
    assert shown in line and "def task_train" not in line.split("(at ")[0], line


@pytest.mark.parametrize(
    "reply",
    [
        '{"problems": [{"loss": "x", "error": 5, "problem": [1]}] * 7}',
        '{"problems": 3, "import_error": None}',
        '"[" * 100000',
        '{"problems": [{"loss": float("nan"), "error": None, "problem": None}] * 7}',
    ],
    ids=["wrong_types", "not_a_list", "deep_nesting", "nan"],
)
def test_a_forged_reply_json_of_junk_scores_zero_without_crashing(tmp_path, reply):
    forged = (
        "import atexit, json, os\n"
        "def _forge():\n"
        "    text = " + reply + "\n"
        "    text = text if isinstance(text, str) else json.dumps(text)\n"
        "    with open(os.path.join(os.getcwd(), 'reply.json'), 'w') as f:\n"
        "        f.write(text)\n"
        "atexit.register(_forge)\n"
    )
    results = scores(submission(tmp_path / "s", softmax=SOFTMAX + forged), ["losses", "numgrad"])
    for name in ("softmax_loss_naive: loss", "softmax_loss_vectorized: loss"):
        assert results[name].score == 0 and results[name].lines, results[name]
