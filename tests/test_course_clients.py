"""The course's own clients, which nobody on this project wrote, must work unchanged.

- A search loop written the way students fill the official notebook's search cell, over a grid
  that includes pairs where SGD diverges.
- A subclass written the course's way, `def loss(self, X_batch, y_batch, reg)`.
- An autograder that copies softmax.py and linear_classifier.py into a clean copy of the
  official starter package (whose classifiers/__init__.py imports `k_nearest_neighbor` and
  `linear_classifier` with `*`, and has no linear_svm.py or validation.py) and imports them where
  only numpy is installed.
(Integer X, as public test suites pass it, is tested for all four losses in
test_loss_contract.py; `save` / `load` messages in test_linear_classifier.py.)
"""

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from loss_problems import release_stub

import cs231n.classifiers
from cs231n.classifiers import LinearClassifier, Softmax, TrainingDivergedWarning
from cs231n.classifiers.softmax import softmax_loss_vectorized

CLASSIFIERS_DIR = Path(cs231n.classifiers.__file__).parent


def toy_problem(num_train=600, dim=20, num_classes=4, seed=0):
    """Gaussian blobs with a bias column, scaled like centred pixels: X (N, dim + 1), y (N,)."""
    rng = np.random.default_rng(seed)
    centers = 40.0 * rng.standard_normal((num_classes, dim))  # (C, dim)
    y = rng.integers(0, num_classes, num_train)  # (N,)
    X = centers[y] + 60.0 * rng.standard_normal((num_train, dim))  # (N, dim)
    return np.hstack([X, np.ones((num_train, 1))]), y


def test_course_style_search_loop_with_diverging_pairs_completes_and_picks_a_finite_model():
    X, y = toy_problem()
    X_train, y_train, X_val, y_val = X[:500], y[:500], X[500:], y[500:]
    learning_rates = [1e-6, 1e-4, 1e-1]  # 1e-1 with reg 1e4 diverges at once
    regularization_strengths = [1e1, 1e4]

    results = {}
    diverged = []
    best_val = -1
    best_softmax = None
    np.random.seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for lr in learning_rates:
            for reg in regularization_strengths:
                softmax = Softmax()
                softmax.train(X_train, y_train, learning_rate=lr, reg=reg, num_iters=300)
                y_train_pred = softmax.predict(X_train)
                train_accuracy = np.mean(y_train == y_train_pred)
                y_val_pred = softmax.predict(X_val)
                val_accuracy = np.mean(y_val == y_val_pred)
                results[(lr, reg)] = (train_accuracy, val_accuracy)
                diverged.extend([(lr, reg)] if softmax.diverged else [])
                if val_accuracy > best_val:
                    best_val = val_accuracy
                    best_softmax = softmax

    assert (1e-1, 1e4) in diverged
    assert all(results[key][1] <= 0.5 for key in diverged)  # at chance: never the best
    # Each diverged run warns once when training stops and once per predict; numpy's own
    # warnings from the loss (the student's code) are left visible, not counted here.
    ours = [w for w in caught if w.category is TrainingDivergedWarning]
    assert {w.category for w in caught} <= {TrainingDivergedWarning, RuntimeWarning}
    assert len([w for w in ours if "training diverged" in str(w.message)]) == 3 * len(diverged)
    assert len(results) == 6
    assert best_softmax is not None and np.isfinite(best_softmax.W).all()
    assert best_val > 0.8  # the blobs are easy: the search found a real model
    assert np.mean(best_softmax.predict(X_val) == y_val) == best_val


class CourseStyleSoftmax(LinearClassifier):
    """A subclass written as the course writes them: the loss reads self.W."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)


def test_course_style_subclass_trains_like_softmax():
    X, y = toy_problem()
    ours, theirs = Softmax(), CourseStyleSoftmax()
    history_ours = ours.train(X, y, learning_rate=1e-5, reg=1.0, num_iters=60, seed=3)
    history_theirs = theirs.train(X, y, learning_rate=1e-5, reg=1.0, num_iters=60, seed=3)
    np.testing.assert_array_equal(history_theirs, history_ours)
    np.testing.assert_array_equal(theirs.W, ours.W)
    assert history_theirs[-1] < history_theirs[0]


class NaNLossSoftmax(LinearClassifier):
    """A course-style loss with no checks: it returns NaN losses where ours would raise."""

    def loss(self, X_batch, y_batch, reg):
        scores = X_batch.dot(self.W)
        probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(len(y_batch)), y_batch])) + reg * np.sum(self.W**2)
        probs[np.arange(len(y_batch)), y_batch] -= 1
        return loss, X_batch.T.dot(probs) / len(y_batch) + 2 * reg * self.W


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's, from the course-style loss
def test_an_unchecked_course_style_loss_that_overflows_stops_with_one_warning():
    X, y = toy_problem()
    model = NaNLossSoftmax()
    with pytest.warns(TrainingDivergedWarning) as caught:
        history = model.train(X, y, learning_rate=1.0, reg=1e4, num_iters=100, seed=0)
    assert len([w for w in caught if w.category is TrainingDivergedWarning]) == 1
    assert len(history) < 100 and np.isfinite(history).all()
    assert model.diverged


# The official starter package's shape, as an autograder rebuilds it around a submission.

STARTER_CLASSIFIERS_INIT = """\
from .k_nearest_neighbor import *
from .linear_classifier import *
"""

STARTER_KNN = """\
import numpy as np


class KNearestNeighbor(object):
    def __init__(self):
        pass
"""

# A student's softmax.py as the starter hands it out: ours with its marker blocks removed.
STARTER_SOFTMAX_STUB = release_stub((CLASSIFIERS_DIR / "softmax.py").read_text())

# Run in the starter package, with only numpy importable.
CLIENT = """\
import importlib.util
import sys

assert importlib.util.find_spec("threadpoolctl") is None, "threadpoolctl must not be importable"
assert importlib.util.find_spec("tqdm") is None, "tqdm must not be importable"
import numpy as np
from cs231n.classifiers import *
from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized

rng = np.random.default_rng(0)
X = rng.standard_normal((300, 8))
y = rng.integers(0, 3, 300)
loss, dW = softmax_loss_vectorized(0.01 * rng.standard_normal((8, 3)), X, y, 0.1)
print("loss", float(loss), dW.shape)
np.random.seed(0)
model = Softmax()
history = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=50, batch_size=30)
print("history", len(history), history[0] >= history[-1])
print("predict", model.predict(X).shape)
print("knn", KNearestNeighbor.__name__)
"""

# What our linear_classifier.py adds to the course's, run after CLIENT where it is ours.
CLIENT_OF_OUR_LINEAR_CLASSIFIER = """\
from cs231n.classifiers.linear_classifier import LinearSVM
try:
    LinearSVM().train(X, y)
except NotImplementedError as exc:
    print("svm", str(exc).split(",")[0])

# load reads the course's format, and never runs code from a file.
class Evil:
    def __reduce__(self):
        return (print, ("code from the file ran",))

model.save("good.npy", directory=".")
evil = np.empty((), dtype=object)
evil[()] = {"W": Evil()}
np.save("evil.npy", evil)
print("load", Softmax().load("good.npy", directory="."))
try:
    Softmax().load("evil.npy", directory=".")
except ValueError as exc:
    print("refused", "builtins.print" in str(exc))
"""


def numpy_only_path(tmp_path):
    """A folder whose only packages are links to the installed numpy (and its libraries)."""
    site = tmp_path / "site"
    site.mkdir()
    numpy_dir = Path(np.__file__).parent
    for entry in numpy_dir.parent.iterdir():
        if entry.name == "numpy" or entry.name.startswith("numpy.libs"):
            (site / entry.name).symlink_to(entry)
    return site


def run_in_starter(tmp_path, files):
    """Lay out a starter-shaped package with `files` {name: text} in classifiers/, run CLIENT
    (and CLIENT_OF_OUR_LINEAR_CLASSIFIER if linear_classifier.py is ours)."""
    package = tmp_path / "starter" / "cs231n"
    classifiers = package / "classifiers"
    classifiers.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (classifiers / "__init__.py").write_text(STARTER_CLASSIFIERS_INIT)
    (classifiers / "k_nearest_neighbor.py").write_text(STARTER_KNN)
    for name, text in files.items():
        (classifiers / name).write_text(text)
    path = [str(tmp_path / "starter"), str(numpy_only_path(tmp_path))]
    program = f"import sys; sys.path[:0] = {path!r}\n" + CLIENT
    if files["linear_classifier.py"] == (CLASSIFIERS_DIR / "linear_classifier.py").read_text():
        program += CLIENT_OF_OUR_LINEAR_CLASSIFIER
    # -I: isolated (no user site, no PYTHON* variables, no cwd); -S: no site-packages at all.
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", program],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )


def test_our_two_files_work_in_the_starter_package_with_only_numpy(tmp_path):
    files = {
        name: (CLASSIFIERS_DIR / name).read_text()
        for name in ("softmax.py", "linear_classifier.py")
    }
    result = run_in_starter(tmp_path, files)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("loss ") and lines[0].endswith("(8, 3)")
    assert lines[1:] == [
        "history 50 True", "predict (300,)", "knn KNearestNeighbor",
        "svm LinearSVM needs svm_loss_vectorized from cs231n/classifiers/linear_svm.py",
        "good.npy saved.", "good.npy loaded.", "load True", "refused True",
    ]


def test_our_linear_classifier_alone_beside_the_starters_softmax_names_its_todos(tmp_path):
    files = {
        "softmax.py": STARTER_SOFTMAX_STUB,
        "linear_classifier.py": (CLASSIFIERS_DIR / "linear_classifier.py").read_text(),
    }
    result = run_in_starter(tmp_path, files)
    # The starter's vectorized loss returns 0 and a zero gradient: the first step says so.
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "NotImplementedError: Softmax.loss, that is softmax_loss_vectorized in "
        "cs231n/classifiers/softmax.py, returned loss 0.0 and an all-zero gradient at the first "
        "step: fill in its TODOs"
    )


def test_our_softmax_alone_works_beside_the_course_linear_classifier(tmp_path):
    course_linear_classifier = textwrap.dedent("""\
        import numpy as np
        from .softmax import *


        class LinearClassifier(object):
            def __init__(self):
                self.W = None

            def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100,
                      batch_size=200, verbose=False):
                num_train, dim = X.shape
                num_classes = np.max(y) + 1
                if self.W is None:
                    self.W = 0.001 * np.random.randn(dim, num_classes)
                loss_history = []
                for it in range(num_iters):
                    idx = np.random.choice(num_train, batch_size)
                    loss, grad = self.loss(X[idx], y[idx], reg)
                    loss_history.append(loss)
                    self.W -= learning_rate * grad
                return loss_history

            def predict(self, X):
                return np.argmax(X.dot(self.W), axis=1)


        class Softmax(LinearClassifier):
            def loss(self, X_batch, y_batch, reg):
                return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
        """)
    files = {
        "softmax.py": (CLASSIFIERS_DIR / "softmax.py").read_text(),
        "linear_classifier.py": course_linear_classifier,
    }
    result = run_in_starter(tmp_path, files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:4] == ["history 50 True", "predict (300,)",
                                               "knn KNearestNeighbor"]


def test_softmax_py_imports_only_numpy_and_the_standard_library():
    # The sibling files may not be there in a starter package: no relative imports either.
    for name, allowed_relative in [("softmax.py", set()),
                                   ("linear_classifier.py", {".softmax"})]:
        source = (CLASSIFIERS_DIR / name).read_text()
        imports = {
            line.split()[1]
            for line in source.splitlines()
            if line.startswith(("import ", "from "))
        }
        third_party = {module for module in imports if not module.startswith(".")} - set(
            sys.stdlib_module_names
        )
        assert third_party <= {"numpy"}, (name, third_party)
        assert {module for module in imports if module.startswith(".")} <= allowed_relative
