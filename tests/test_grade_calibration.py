"""Calibration of the grader: this repository's submission gets full marks, and each common
mistake, planted in a copy of the solution, loses points on the test meant to catch it, with a
message that names the mistake.

A course-style solution (tests/course_style.py: the official starter's pre-filled naive loss,
a plain `probs = exp / sum` vectorized answer, the course's train and predict) must score full
marks too, under any secret.

Each mutant is a textual edit of one line (or a few) inside a solution block of softmax.py or
linear_classifier.py. The edit asserts that its target text occurs exactly once, inside a
solution block, so a mutant can never silently be the correct code. Each mutant is graded on the
group of tests that should catch it only, which keeps the whole module to seconds.
"""

import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from course_style import write_course_style

from cs231n.datasets import CIFAR10_DIR
from cs231n.datasets.fetch import missing_files
from cs231n.submission import LINEAR_CLASSIFIER, NOTEBOOK, SOFTMAX, WEIGHTS
from cs231n_staff.grade import GROUPS, POINTS, grade
from cs231n_staff.grade.results import results_json
from cs231n_staff.release import block_lines

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"calibration secret"
HAVE_CIFAR10 = os.path.isdir(CIFAR10_DIR) and not missing_files(CIFAR10_DIR)


def submission_zip(path, code_root=ROOT):
    """a1_code_submission.zip as collectSubmission.sh lays it out, from this repository; the two
    graded code files are taken from `code_root`."""
    members = [NOTEBOOK, *WEIGHTS]
    members += sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "cs231n").rglob("*.py")
        if "__pycache__" not in p.parts and "cifar-10-batches-py" not in p.parts
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in members:
            source = code_root if name in (SOFTMAX, LINEAR_CLASSIFIER) else ROOT
            archive.write(source / name, name)
    return path


@pytest.fixture(scope="module")
def repository_grade(tmp_path_factory):
    """The grade of this repository's own submission zip (the weights only with CIFAR-10)."""
    path = submission_zip(tmp_path_factory.mktemp("submission") / "a1_code_submission.zip")
    groups = [g for g in GROUPS if HAVE_CIFAR10 or g != "weights"]
    results, notes = grade(path, groups=groups, secret=SECRET)
    return results, notes


def full_marks(results):
    for result in results:
        assert result.full, f"{result.name}: {result.lines}"
    expected = sum(POINTS.values()) - (0 if HAVE_CIFAR10 else sum(POINTS[w] for w in WEIGHTS))
    assert sum(r.score for r in results) == expected
    assert sum(POINTS.values()) == 100


def test_repository_submission_scores_full_marks(repository_grade):
    results, notes = repository_grade
    assert notes == []
    full_marks(results)


@pytest.mark.parametrize("secret", [SECRET, b"another secret"])
def test_course_style_solution_scores_full_marks(tmp_path, secret):
    """The official starter's pre-filled naive loss and a plain vectorized answer (both inf on
    huge scores): full marks, and a stability note that is true of that code."""
    code = write_course_style(tmp_path / "course")
    path = submission_zip(tmp_path / "a1_code_submission.zip", code_root=code)
    groups = [g for g in GROUPS if HAVE_CIFAR10 or g != "weights"]
    results, _ = grade(path, groups=groups, secret=secret)
    full_marks(results)
    note = next(r for r in results if r.name.startswith("both losses: very large scores"))
    assert note.max_score == 0
    assert all("underflows to 0 and log(0) = -inf" in line for line in note.lines), note.lines


@pytest.mark.skipif(not HAVE_CIFAR10, reason=f"no CIFAR-10 at {CIFAR10_DIR}")
def test_repository_weights_are_scored_on_validation(repository_grade):
    results, _ = repository_grade
    scored = {r.name: r for r in results if r.name.startswith("cs231n/saved/")}
    assert len(scored) == 2
    for result in scored.values():
        assert result.full and "validation accuracy 0." in result.lines[0]


@dataclass
class Mutant:
    """A common mistake: replace `old` by `new` (once, inside a solution block) in `path`."""

    name: str
    path: str
    old: str
    new: str
    group: str
    test: str
    message: str


MUTANTS = [
    Mutant(
        "vectorized gradient not divided by N (off by orders of magnitude)",
        SOFTMAX,
        "    dscores /= num_examples\n",
        "",
        "losses",
        "softmax_loss_vectorized: gradient dW",
        "times too large: divide it by N",
    ),
    Mutant(
        "no max-shift before exp (a 0-point note, true of that code)",
        SOFTMAX,
        "    scores -= np.max(scores, axis=1, keepdims=True)",
        "    pass",
        "losses",
        "both losses: very large scores (numerical stability; a note, not graded)",
        "Subtract each row's largest score",
    ),
    Mutant(
        "regularization gradient reg * W",
        SOFTMAX,
        "dW = dW / num_train + 2 * reg * W",
        "dW = dW / num_train + reg * W",
        "losses",
        "softmax_loss_naive: gradient dW",
        "the derivative of reg * sum(W * W) is 2 * reg * W",
    ),
    Mutant(
        "sum instead of mean",
        SOFTMAX,
        "loss = np.sum(np.log(exp_sums) - scores[rows, y]) / num_examples + reg",
        "loss = np.sum(np.log(exp_sums) - scores[rows, y]) + reg",
        "losses",
        "softmax_loss_vectorized: loss",
        "the data loss is their MEAN (divide by N)",
    ),
    Mutant(
        "gradient sign flipped",
        SOFTMAX,
        "dW = X.T.dot(dscores) + 2 * reg * W",
        "dW = -(X.T.dot(dscores) + 2 * reg * W)",
        "losses",
        "softmax_loss_vectorized: gradient dW",
        "dW has the wrong sign",
    ),
    Mutant(
        "W mutated in place",
        SOFTMAX,
        "    dW = X.T.dot(dscores) + 2 * reg * W",
        "    W *= 2 * reg\n    dW = X.T.dot(dscores) + W",
        "losses",
        "both losses: inputs W, X, y left unchanged",
        "modified its input W",
    ),
    Mutant(
        "correct-class term subtracted for the wrong class",
        SOFTMAX,
        "probs[label] -= 1",
        "probs[(label + 1) % num_classes] -= 1",
        "losses",
        "softmax_loss_naive: gradient dW",
        "dW is wrong (relative error",
    ),
    Mutant(
        "/ N forgotten in the gradient only",
        SOFTMAX,
        "dW = dW / num_train + 2 * reg * W",
        "dW = dW + 2 * reg * W",
        "losses",
        "softmax_loss_naive: gradient dW",
        "times too large: divide it by N",
    ),
    Mutant(
        "regularization missing from the vectorized loss",
        SOFTMAX,
        "/ num_examples + reg * np.sum(W * W)",
        "/ num_examples",
        "losses",
        "softmax_loss_vectorized: loss",
        "the regularization term reg * sum(W * W) is missing",
    ),
    Mutant(
        "sampling without the labels following the rows",
        LINEAR_CLASSIFIER,
        "y_batch = y[indices]",
        "y_batch = y[np.random.choice(num_train, batch_size)]",
        "train",
        "LinearClassifier.train: SGD trains W (scored on held-out data)",
        "labels of the SAME rows",
    ),
    Mutant(
        "W -= grad without the learning rate",
        LINEAR_CLASSIFIER,
        "self.W -= learning_rate * grad",
        "self.W -= grad",
        "train",
        "LinearClassifier.train: SGD trains W (scored on held-out data)",
        "W -= learning_rate * grad",
    ),
    Mutant(
        "predict takes the argmax over the wrong axis",
        LINEAR_CLASSIFIER,
        "y_pred = np.argmax(scores, axis=1)",
        "y_pred = np.argmax(scores, axis=0)",
        "predict",
        "LinearClassifier.predict: labels of the highest scores",
        "predict returned shape (5,); expected (37,)",
    ),
    Mutant(
        "vectorized gradient computed by the naive loops",
        SOFTMAX,
        "    dW = X.T.dot(dscores) + 2 * reg * W",
        "    dW = softmax_loss_naive(W, X, y, reg)[1]",
        "losses",
        "softmax_loss_naive uses explicit loops, softmax_loss_vectorized none",
        "softmax_loss_vectorized calls softmax_loss_naive",
    ),
]


def plant(mutant, folder):
    """A submission folder: the solution's two files, with `mutant` planted."""
    for name in (SOFTMAX, LINEAR_CLASSIFIER):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, target)
    path = folder / mutant.path
    text = path.read_text()
    assert text.count(mutant.old) == 1, f"{mutant.name}: target text not found exactly once"
    inside = block_lines(text)
    for line in mutant.old.splitlines():
        assert any(line in block for block in inside), f"{mutant.name}: {line!r} not in a block"
    path.write_text(text.replace(mutant.old, mutant.new))
    return folder


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_loses_points_on_its_test_with_a_helpful_message(mutant, tmp_path):
    results, _ = grade(plant(mutant, tmp_path / "submission"), groups=[mutant.group], secret=SECRET)
    by_name = {r.name: r for r in results}
    caught = by_name[mutant.test]
    if caught.max_score:
        assert caught.score < caught.max_score, f"{mutant.name} kept full marks on {caught.name}"
    else:  # the stability note: no points, and the rest of the tests are full
        assert all(r.full for r in results), [(r.name, r.lines) for r in results if not r.full]
    assert any(mutant.message in line for line in caught.lines), caught.lines


def test_there_are_at_least_ten_distinct_mutants():
    assert len(MUTANTS) >= 10
    assert len({(m.path, m.old, m.new) for m in MUTANTS}) == len(MUTANTS)


def test_same_submission_same_score(tmp_path):
    """Deterministic: grading a partly wrong submission twice gives identical results."""
    folder = plant(MUTANTS[3], tmp_path / "submission")
    runs = [
        results_json(grade(folder, groups=["losses", "numgrad"], secret=SECRET)[0], 0.0)
        for _ in range(2)
    ]
    assert json.dumps(runs[0]) == json.dumps(runs[1])
    assert (
        0
        < runs[0]["score"]
        < sum(
            POINTS[k]
            for k in (
                "naive_loss",
                "naive_grad",
                "vec_loss",
                "vec_grad",
                "loops",
                "mutation",
                "numgrad",
            )
        )
    )
