"""The tests of the exported weights: loaded safely, scored on CIFAR-10 as the worksheet asks.

The worksheet exports `cs231n/saved/softmax.npy` (its first model) and
`cs231n/saved/best_softmax.npy` (the model its search picked), each as `np.save(path, {"W": W})`.
They are read with `load_weights` (a restricted unpickler: nothing in the file is executed) and
scored with the course's preprocessing (`preprocess_CIFAR10`: the training mean subtracted and a
bias column appended) on the validation split, images 49,000 to 49,999 of the training set; the
accuracy on the first 1,000 test images is reported too. The thresholds are the worksheet's:
validation accuracy above 0.33 for softmax.npy and above 0.36 for best_softmax.npy.

Each file's .npy header is validated (`npyfile`: dtype, shape, size against the bytes present)
before anything is allocated or unpickled. The accuracies are computed once (`accuracies`) and
also serve the notebook test, which checks that the worksheet printed them.

CIFAR-10 must be available to the grader: `load_splits` raises FileNotFoundError without it, and
the command line refuses to grade (or, with --quick, leaves these tests out) rather than give a
score that is not the student's.
"""

import numpy as np

from cs231n.classifiers.linear_classifier import load_weights
from cs231n.data_utils import load_CIFAR10, preprocess_CIFAR10
from cs231n.datasets.fetch import missing_files
from cs231n.submission import WEIGHTS

from . import npyfile
from .results import TestResult
from .unpack import MAX_FILE_BYTES

THRESHOLDS = {WEIGHTS[0]: 0.33, WEIGHTS[1]: 0.36}


def load_splits(cifar10_dir):
    """{"X_val", "y_val", "X_test", "y_test"} of the course's preprocessing of CIFAR-10."""
    missing = missing_files(cifar10_dir)
    if missing:
        raise FileNotFoundError(f"CIFAR-10 at {cifar10_dir} lacks {', '.join(missing)}")
    data = preprocess_CIFAR10(*load_CIFAR10(cifar10_dir, dtype=np.uint8), num_dev=0)
    return {name: data[name] for name in ("X_val", "y_val", "X_test", "y_test")}


def accuracy(W, X, y):
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def read_weights(path):
    """W from a submitted weights file, its header validated first; ValueError says what is
    wrong."""
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    npyfile.read_npy_bytes(data, MAX_FILE_BYTES, allow_object=True)
    return load_weights(path)


def score(name, path, splits):
    """{"val", "test"} accuracies of the weights file at `path`, or {"error": one line}."""
    if path is None:
        return {
            "error": f"{name} is not in the submission: run the worksheet's cell that "
            "saves it, then collect the submission again"
        }
    try:
        W = read_weights(path)
    except (ValueError, OSError, RecursionError, MemoryError) as err:
        reason = str(err).replace(str(path), name)[:200]  # the grader's own paths stay private
        return {"error": f"{name} could not be loaded: {reason}"}
    expected = (splits["X_val"].shape[1], 10)
    if W.shape != expected:
        return {
            "error": f"{name} holds W of shape {W.shape}; expected {expected} "
            "(3072 pixels and the bias, 10 classes)"
        }
    if not np.all(np.isfinite(W)):
        return {"error": f"{name} holds NaN or inf weights: that training run diverged"}
    return {
        "val": accuracy(W, splits["X_val"], splits["y_val"]),
        "test": accuracy(W, splits["X_test"], splits["y_test"]),
    }


def accuracies(submission, splits):
    """{name: {"val", "test"} or {"error"}} for each weights file of WEIGHTS."""
    return {name: score(name, submission.path(name), splits) for name in WEIGHTS}


def grade_weights(submission, scores, points):
    """One test per saved file: validation accuracy above the worksheet's threshold.

    `scores` is `accuracies(submission, splits)`.
    """
    tests = []
    for name, threshold in THRESHOLDS.items():
        test = TestResult(f"{name}: validation accuracy > {threshold:g}", points[name])
        tests.append(test)
        result = scores[name]
        if "error" in result:
            test.award(0, result["error"])
            continue
        line = (
            f"validation accuracy {result['val']:.3f} (expected > {threshold:g}); "
            f"test accuracy {result['test']:.3f}"
        )
        test.award(1.0 if result["val"] > threshold else 0.0, line)
    return tests
