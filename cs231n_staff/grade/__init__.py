"""An autograder for the Softmax exercise: `python -m cs231n_staff.grade SUBMISSION [--out FILE]`.

SUBMISSION is the `a1_code_submission.zip` written by collectSubmission.sh, or a folder laid
out like this repository. The grader

1. copies the files it grades out of the submission safely (`unpack`),
2. runs the submitted `softmax.py` and `linear_classifier.py`, one test at a time, in a separate
   process with CPU, memory, output and wall-clock limits (`sandbox`, `worker`), on hidden
   problems drawn from a fixed seed (`problems`), and compares what they return with this
   repository's reference solution, evaluated in the grader's own process (`code_tests`),
3. scores the exported weights on CIFAR-10 (`weights`) and checks the worksheet (`notebook`),
4. writes Gradescope's results.json and prints a summary (`results`).

The same submission always gets the same score, except for the speed test, which times code
and is lenient about it (the best of several measurements, and several attempts). POINTS
lists what each test is worth, 100 in all.
"""

import tempfile
import time

from cs231n.datasets import CIFAR10_DIR

from . import code_tests, notebook, weights
from .results import TestResult
from .sandbox import Limits
from .unpack import SAVED, read_submission

POINTS = {
    "naive_loss": 10,
    "naive_grad": 10,
    "numgrad": 5,
    "vec_loss": 10,
    "vec_grad": 10,
    "large": 5,
    "mutation": 5,
    "speed": 5,
    "history": 5,
    "lowers": 10,
    "predict": 5,
    SAVED[0]: 5,
    SAVED[1]: 5,
    "errors": 5,
    "answers": 5,
}
GROUPS = ("losses", "numgrad", "speed", "train", "predict", "weights", "notebook")
DATA_GROUPS = ("weights",)
DEFAULT_LIMITS = Limits()


def grade(source, groups=GROUPS, cifar10_dir=CIFAR10_DIR, splits=None, limits=DEFAULT_LIMITS):
    """Grade a submission; return (list of TestResult, notes).

    Parameters
    ----------
    source : str or os.PathLike
        The submission: a zip from collectSubmission.sh, or a folder.
    groups : sequence of str
        Which groups of tests to run, from GROUPS (all by default).
    cifar10_dir : str
        CIFAR-10 folder, read when the "weights" group runs and the submission holds weights.
    splits : dict or None
        Already loaded `weights.load_splits(...)`, to share between gradings.
    limits : sandbox.Limits
        Resource limits of each test's process.

    Raises
    ------
    unpack.SubmissionError
        If the submission cannot be read safely.
    FileNotFoundError
        If the weights must be scored and CIFAR-10 is not available.
    """
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown test groups {sorted(unknown)}; expected some of {GROUPS}")
    results, notes = [], []
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        submission = read_submission(source, workdir)
        if submission.missing:
            notes.append("not in the submission: " + ", ".join(submission.missing))
        if "weights" in groups and splits is None and any(submission.path(n) for n in SAVED):
            splits = weights.load_splits(cifar10_dir)  # first: without data, fail fast
        if "losses" in groups:
            results += code_tests.grade_losses(submission, limits, POINTS)
        if "numgrad" in groups:
            results.append(code_tests.grade_numgrad(submission, limits, POINTS["numgrad"]))
        if "speed" in groups:
            results.append(code_tests.grade_speed(submission, limits, POINTS["speed"]))
        if "train" in groups:
            results += code_tests.grade_train(submission, limits, POINTS)
        if "predict" in groups:
            results.append(code_tests.grade_predict(submission, limits, POINTS["predict"]))
        if "weights" in groups:
            results += weights.grade_weights(submission, splits, POINTS)
        if "notebook" in groups:
            results += notebook.grade_notebook(submission, POINTS)
    return results, notes


def timed_grade(source, **kwargs):
    """grade(...) and its wall-clock time in seconds."""
    start = time.perf_counter()
    results, notes = grade(source, **kwargs)
    return results, notes, time.perf_counter() - start


__all__ = ["GROUPS", "POINTS", "TestResult", "grade", "timed_grade"]
