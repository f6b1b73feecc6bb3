"""An autograder for the Softmax exercise: `python -m cs231n_staff.grade SUBMISSION [--out FILE]`.

SUBMISSION is the `a1_code_submission.zip` written by collectSubmission.sh, or a folder laid
out like this repository. The grader

1. copies the files it grades out of the submission safely (`unpack`),
2. scores the exported weights on CIFAR-10 (`weights`) and checks the worksheet (`notebook`),
   before any submitted code runs, so that nothing the code does can change what they score,
3. runs the submitted `softmax.py` and `linear_classifier.py`, one test at a time, in a separate
   process isolated from the grading machine (`isolation`: its own unprivileged user, namespaces,
   a minimal view of the file system) with limits for the whole task (`task_limits`, `sandbox`,
   `worker`), on hidden problems (`problems`), and compares what they return with the reference
   solution, evaluated in the grader's own process (`code_tests`),
4. writes Gradescope's results.json and prints a summary (`results`).

One overall deadline bounds the whole grading (`DEADLINE_SECONDS`, under Gradescope's default
10 minutes): the tests that have not run by then score 0 with a message saying so.

The same submission always gets the same score under the same staff secret (CS231N_GRADER_SECRET),
from which its hidden problems are drawn. POINTS lists what each test is worth, 100 in all;
docs/grading.md describes every test.
"""

import dataclasses
import tempfile
import time

from cs231n.datasets import CIFAR10_DIR
from cs231n.submission import LINEAR_CLASSIFIER, SOFTMAX, WEIGHTS

from . import code_tests, notebook, problems, weights
from . import isolation as iso
from .results import TestResult
from .sandbox import Limits
from .unpack import read_submission

POINTS = {
    "naive_loss": 0,  # the course pre-fills it: checked, but not the student's work
    "naive_grad": 15,
    "numgrad": 5,
    "vec_loss": 10,
    "vec_grad": 15,
    "mutation": 5,
    "loops": 5,
    "large": 0,
    "history": 5,
    "lowers": 15,
    "predict": 5,
    WEIGHTS[0]: 5,
    WEIGHTS[1]: 5,
    "errors": 5,
    "answers": 5,
}
GROUPS = ("losses", "numgrad", "train", "predict", "weights", "notebook")
DATA_GROUPS = ("weights",)
FILE_GROUPS = ("weights", "notebook")  # scored from the submission's files, before any code runs
DEFAULT_LIMITS = Limits()
DEADLINE_SECONDS = 480.0
UNISOLATED_NOTE = (
    "Not isolated: the submitted code ran as the grader's own user (staff: run as root)."
)


class GraderError(RuntimeError):
    """The grader itself failed: `results` holds the tests graded before it did, `notes` too."""

    def __init__(self, message, results, notes):
        super().__init__(message)
        self.results = results
        self.notes = notes


def run_group(group, submission, limits, seed, accuracies):
    """The TestResults of one group of tests (`accuracies`: of the submitted weights, or None)."""
    if group == "losses":
        return code_tests.grade_losses(submission, limits, POINTS, seed)
    if group == "numgrad":
        return [code_tests.grade_numgrad(submission, limits, POINTS["numgrad"], seed)]
    if group == "train":
        return code_tests.grade_train(submission, limits, POINTS, seed)
    if group == "predict":
        return [code_tests.grade_predict(submission, limits, POINTS["predict"], seed)]
    if group == "weights":
        return weights.grade_weights(submission, accuracies, POINTS)
    return notebook.grade_notebook(submission, POINTS, accuracies)


def grade(
    source,
    groups=GROUPS,
    cifar10_dir=CIFAR10_DIR,
    splits=None,
    limits=DEFAULT_LIMITS,
    isolation="auto",
    allow_unisolated=False,
    deadline_seconds=DEADLINE_SECONDS,
    secret=None,
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
        Resource limits of each test's task.
    isolation : str or isolation.Isolation
        "auto" (the strongest isolation this machine offers), a mode of `isolation.MODES`, or an
        Isolation already chosen by `isolation.choose`.
    allow_unisolated : bool
        Grade even when the submitted code cannot be isolated (the grader is not root).
    deadline_seconds : float
        The whole grading's time limit: the tests not run by then score 0.
    secret : bytes or None
        The staff secret the hidden problems derive from (None: $CS231N_GRADER_SECRET).

    Raises
    ------
    unpack.SubmissionError
        If the submission cannot be read safely.
    FileNotFoundError
        If the weights must be scored and CIFAR-10 is not available.
    isolation.IsolationUnavailable
        If the code cannot be isolated and `allow_unisolated` is False.
    GraderError
        If the grader itself fails; it holds the tests graded until then.
    """
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown test groups {sorted(unknown)}; expected some of {GROUPS}")
    start = time.monotonic()
    notes, graded = [], {}
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        if isinstance(isolation, str):
            isolation = iso.choose(isolation, workdir)
        if not isolation.isolated and not allow_unisolated:
            raise iso.IsolationUnavailable(
                "the submitted code cannot be isolated: the grader is not root (it would run "
                "as the grader's own user, with the grader's files in reach); run as root, or "
                "pass allow_unisolated (--allow-unisolated) to grade anyway"
            )
        limits = dataclasses.replace(
            limits,
            deadline=start + deadline_seconds,
            deadline_seconds=deadline_seconds,
            isolation=isolation,
        )
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
        if "weights" in groups and splits is None and any(submission.path(n) for n in WEIGHTS):
            splits = weights.load_splits(cifar10_dir)  # first: without data, fail fast
        order = [g for g in FILE_GROUPS if g in groups] + [
            g for g in groups if g not in FILE_GROUPS
        ]
        group = "weights"
        try:
            # The submitted weights and notebook are read and scored before any code runs.
            accuracies = weights.accuracies(submission, splits) if "weights" in groups else None
            for group in order:
                graded[group] = run_group(group, submission, limits, seed, accuracies)
        except Exception as err:  # noqa: BLE001 - any failure of the grader is reported
            done = [r for g in GROUPS for r in graded.get(g, [])]
            message = f"grader error in the {group!r} tests: {type(err).__name__}: {err}"
            raise GraderError(message, done, notes) from err
    if not isolation.isolated:
        notes.append(UNISOLATED_NOTE)
    return [r for g in GROUPS for r in graded.get(g, [])], notes


def timed_grade(source, **kwargs):
    """grade(...) and its wall-clock time in seconds."""
    start = time.perf_counter()
    results, notes = grade(source, **kwargs)
    return results, notes, time.perf_counter() - start


__all__ = [
    "DEADLINE_SECONDS",
    "GROUPS",
    "GraderError",
    "POINTS",
    "TestResult",
    "grade",
    "timed_grade",
]
