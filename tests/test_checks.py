"""The public checks students run (cs231n.checks): full marks for right code, this repository's
and a course-style solution, the grader's diagnostics for the common mistakes, no answer in the
shipped files, and a public problems file that its staff script regenerates identically.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from course_style import LINEAR_CLASSIFIER, SOFTMAX, write_course_style

from cs231n import checks
from cs231n_staff import public_problems

ROOT = Path(__file__).resolve().parent.parent
COURSE_CLASSIFIERS_INIT = "from .linear_classifier import *\nfrom .softmax import *\n"
SHIPPED = ("cs231n/checks.py", "cs231n/diagnostics.py")


def student_package(folder, softmax=SOFTMAX, linear=LINEAR_CLASSIFIER):
    """A copy of the course package with the given student files, as a student has it."""
    shutil.copytree(
        ROOT / "cs231n",
        folder / "cs231n",
        ignore=shutil.ignore_patterns("cifar-10-batches-py", "__pycache__", "saved"),
    )
    write_course_style(folder)
    (folder / "cs231n" / "classifiers" / "__init__.py").write_text(COURSE_CLASSIFIERS_INIT)
    (folder / "cs231n" / "classifiers" / "softmax.py").write_text(softmax)
    (folder / "cs231n" / "classifiers" / "linear_classifier.py").write_text(linear)
    return folder


def run_checks(folder, *names):
    """(exit status, output) of `python -m cs231n.checks NAMES` run in `folder` (its copy first)."""
    proc = subprocess.run(
        [sys.executable, "-E", "-m", "cs231n.checks", *names],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_repository_solution_passes_every_check():
    for name in checks.NAMES:
        verdict = checks.run_check(name)
        assert verdict.passed, str(verdict)


def test_train_check_leaves_the_notebooks_random_state_as_it_found_it():
    np.random.seed(1234)
    expected = np.random.rand(3)
    np.random.seed(1234)
    assert checks.run_check("train").passed
    assert np.array_equal(np.random.rand(3), expected)


def test_course_style_solution_passes_every_check_in_a_plain_copy(tmp_path):
    status, output = run_checks(student_package(tmp_path))
    assert status == 0, output
    assert output.count("PASSED") == 4
    # the course's naive loss gives inf on huge scores: a note, true of that code, not a failure
    assert "underflows to 0 and log(0) = -inf" in output


@pytest.mark.parametrize(
    ("old", "new", "name", "message"),
    [
        (
            "dW = X.T.dot(dscores) / num_train + 2 * reg * W",
            "dW = X.T.dot(dscores) + 2 * reg * W",
            "softmax_loss_vectorized",
            "times too large: divide it by N",
        ),
        (
            "    dW += 2 * reg * W\n",
            "    dW += reg * W\n",
            "softmax_loss_naive",
            "the derivative of reg * sum(W * W) is 2 * reg * W",
        ),
        (
            "dW = X.T.dot(dscores) / num_train + 2 * reg * W",
            "dW = -(X.T.dot(dscores) / num_train + 2 * reg * W)",
            "softmax_loss_vectorized",
            "dW has the wrong sign",
        ),
        (
            "loss = -np.sum(np.log(probs[np.arange(num_train), y])) / num_train",
            "loss = -np.sum(np.log(probs[np.arange(num_train), y]))",
            "softmax_loss_vectorized",
            "the data loss is their MEAN (divide by N)",
        ),
        (
            "    loss += reg * np.sum(W * W)\n    dW /= num_train",
            "    dW /= num_train",
            "softmax_loss_naive",
            "the regularization term reg * sum(W * W) is missing",
        ),
    ],
)
def test_loss_mistakes_fail_with_the_graders_diagnosis(tmp_path, old, new, name, message):
    assert SOFTMAX.count(old) == 1
    status, output = run_checks(student_package(tmp_path, softmax=SOFTMAX.replace(old, new)), name)
    assert status == 1 and "FAILED" in output and message in output, output


@pytest.mark.parametrize(
    ("old", "new", "name", "message"),
    [
        ("self.W -= learning_rate * grad", "self.W += learning_rate * grad", "train", "W -="),
        ("y_batch = y[idx]", "y_batch = y[:batch_size]", "train", "labels of the SAME rows"),
        ("axis=1)\n        return y_pred", "axis=0)\n        return y_pred", "predict", "shape"),
    ],
)
def test_classifier_mistakes_fail_with_a_hint(tmp_path, old, new, name, message):
    assert LINEAR_CLASSIFIER.count(old) == 1
    linear = LINEAR_CLASSIFIER.replace(old, new)
    status, output = run_checks(student_package(tmp_path, linear=linear), name)
    assert status == 1 and "FAILED" in output and message in output, output


def test_mutating_the_inputs_fails_the_check():
    def mutating(W, X, y, reg):
        from cs231n.classifiers.softmax import softmax_loss_vectorized

        result = softmax_loss_vectorized(W, X, y, reg)
        X *= 2
        return result

    verdict = checks.run_check("softmax_loss_vectorized", mutating)
    assert not verdict.passed and any("modified its input X" in line for line in verdict.lines)


def test_public_problems_file_regenerates_identically():
    stored = checks.load_problems()
    built = public_problems.build()
    assert sorted(stored) == sorted(built)
    for name, array in built.items():
        assert stored[name].dtype == array.dtype, name
        np.testing.assert_allclose(stored[name], array, rtol=1e-12, atol=0, err_msg=name)


def test_public_problems_hold_only_numbers():
    with np.load(checks.PUBLIC_PROBLEMS, allow_pickle=False) as npz:
        kinds = {npz[name].dtype.kind for name in npz.files}
    assert kinds <= set("biuf")


def test_public_problems_are_not_the_hidden_ones():
    from cs231n_staff.grade import problems as pb

    hidden = pb.loss_problems(pb.submission_seed(b"any secret", "0" * 64))
    public = checks.loss_problems(checks.load_problems())
    for W, *_ in public:
        assert all(W.shape != p.W.shape or not np.array_equal(W, p.W) for p in hidden)


@pytest.mark.parametrize("path", SHIPPED)
def test_shipped_check_files_hold_no_answer(path):
    """No exponential, logarithm, transpose product or argmax: nothing that computes a softmax
    loss, its gradient or a prediction."""
    tree = ast.parse((ROOT / path).read_text())
    numpy_names = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "np"
    }
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not numpy_names & {"exp", "log", "logaddexp", "argmax", "dot", "matmul", "einsum"}
    assert not attributes & {"T", "dot", "transpose", "softmax"}
    assert not any(
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) for node in ast.walk(tree)
    )


def test_unknown_check_is_a_clear_error():
    with pytest.raises(ValueError, match="expected one of softmax_loss_naive"):
        checks.run_check("softmax")


@pytest.mark.parametrize("path", SHIPPED)
def test_shipped_check_files_import_only_numpy_and_the_standard_library(path):
    """They ship to students: no grader, Jupyter or network library."""
    tree = ast.parse((ROOT / path).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"numpy"}, imported
