"""An autograder for the Softmax exercise: `python -m cs231n_staff.grade SUBMISSION [--out FILE]`.

SUBMISSION is the `a1_code_submission.zip` written by collectSubmission.sh, or a folder laid
out like this repository. The grader

1. copies the files it grades out of the submission safely (`unpack`),
2. runs the submitted `softmax.py` and `linear_classifier.py`, one test at a time, in a separate
   process with CPU, memory, output and wall-clock limits (`sandbox`, `worker`), on hidden
   problems drawn per submission from the staff secret CS231N_GRADER_SECRET (`problems`), and
   judges the values they return against the grader's own reference, in the grader's own
   process (`code_tests`, `reference`),
3. scores the exported weights on CIFAR-10 (`weights`) and checks the worksheet (`notebook`),
   whose printed accuracies must agree with those weights,
4. writes Gradescope's results.json and prints a summary (`results`).

The same submission always gets the same score under the same secret. POINTS lists what each
test is worth, 100 in all; docs/grading.md describes every test.
"""

import tempfile
import time

from cs231n.datasets import CIFAR10_DIR

from . import code_tests, notebook, problems, weights
from .results import TestResult
from .sandbox import Limits
from .unpack import LINEAR_CLASSIFIER, SAVED, SOFTMAX, read_submission

POINTS = {
    "naive_loss": 10,
    "naive_grad": 10,
    "numgrad": 5,
    "vec_loss": 10,
    "vec_grad": 10,
    "mutation": 5,
    "loops": 5,
    "large": 0,
    "history": 5,
    "lowers": 15,
    "predict": 5,
    SAVED[0]: 5,
    SAVED[1]: 5,
    "errors": 5,
    "answers": 5,
}
GROUPS = ("losses", "numgrad", "train", "predict", "weights", "notebook")
DATA_GROUPS = ("weights",)
DEFAULT_LIMITS = Limits()


def grade(
    source, groups=GROUPS, cifar10_dir=CIFAR10_DIR, splits=None, limits=DEFAULT_LIMITS, secret=None
):
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
    secret : bytes or None
        The staff secret the hidden problems derive from (None: $CS231N_GRADER_SECRET).

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
        if secret is None:
            secret, note = problems.grader_secret()
            notes += [note] if note else []
        digest = problems.submission_digest(
            submission.path(n) for n in (SOFTMAX, LINEAR_CLASSIFIER)
        )
        seed = problems.submission_seed(secret, digest)
        if "weights" in groups and splits is None and any(submission.path(n) for n in SAVED):
            splits = weights.load_splits(cifar10_dir)  # first: without data, fail fast
        # The submitted weights and notebook are read and scored before any submitted code runs.
        accuracies = weights.accuracies(submission, splits) if "weights" in groups else None
        worksheet = []
        if "notebook" in groups:
            worksheet = notebook.grade_notebook(submission, POINTS, accuracies)
        if "losses" in groups:
            results += code_tests.grade_losses(submission, limits, POINTS, seed)
        if "numgrad" in groups:
            results.append(code_tests.grade_numgrad(submission, limits, POINTS["numgrad"], seed))
        if "train" in groups:
            results += code_tests.grade_train(submission, limits, POINTS, seed)
        if "predict" in groups:
            results.append(code_tests.grade_predict(submission, limits, POINTS["predict"], seed))
        if "weights" in groups:
            results += weights.grade_weights(submission, accuracies, POINTS)
        results += worksheet
    return results, notes


def timed_grade(source, **kwargs):
    """grade(...) and its wall-clock time in seconds."""
    start = time.perf_counter()
    results, notes = grade(source, **kwargs)
    return results, notes, time.perf_counter() - start


__all__ = ["GROUPS", "POINTS", "TestResult", "grade", "timed_grade"]
