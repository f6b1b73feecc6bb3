"""Hidden problems and their expected answers, drawn per submission from a staff secret.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,) labels in [0, C).

The problems of a grading are drawn from `np.random.default_rng(seed)` with
`seed = submission_seed(secret, digest)`: an HMAC of the submission's digest (the SHA-256 of its
graded code files) under the staff secret `CS231N_GRADER_SECRET`. The same submission always
gets the same questions and the same score; another submission, or the same code graded under
another secret, gets other questions, so what one grading's feedback reveals is of no use to
another. Expected answers come from the grader's own reference (`reference.py`), in float64, in
the grader's process. The public problems of `cs231n.checks` come from `public_problems.py`, with
their own public seed.
"""

import hashlib
import hmac
import os
from dataclasses import dataclass

import numpy as np

from cs231n.diagnostics import grad_ok, loss_ok

from .reference import loss_parts

SECRET_ENV = "CS231N_GRADER_SECRET"
DEFAULT_SECRET = "cs231n-softmax-public-default"  # for development only: announced in the notes
SECRET_NOTE = (
    f"{SECRET_ENV} is not set: the hidden problems derive from a public default secret; set it "
    "on Gradescope"
)

# (N, D, C, dtype, reg, weight scale); the scale sets how far apart the scores are.
ORDINARY_SHAPES = [
    (1, 4, 3, np.float64, 0.0, 0.5),
    (8, 20, 4, np.float64, 0.0, 0.5),
    (8, 20, 4, np.float64, 0.3, 0.5),
    (10, 3073, 10, np.float64, 2.5e-2, 1e-2),
    (25, 60, 10, np.float32, 0.0, 0.2),
    (25, 60, 10, np.float32, 0.7, 0.2),
]
LARGE_SCORE_SHAPES = [
    (12, 30, 5, np.float64, 0.0, 5000.0),
]
TRAIN_SHAPE = (400, 12, 4)  # N, D (before the bias column), C
HELDOUT_SIZE = 400


@dataclass
class Problem:
    """One loss problem: its inputs and the expected answer's `LossParts` (`parts`)."""

    W: np.ndarray
    X: np.ndarray
    y: np.ndarray
    reg: float
    large_scores: bool = False

    def __post_init__(self):
        self.parts = loss_parts(self.W, self.X, self.y, self.reg)

    @property
    def dtype(self):
        return self.X.dtype

    def describe(self):
        N, D = self.X.shape
        kind = ", large scores" if self.large_scores else ""
        return f"N={N}, D={D}, C={self.W.shape[1]}, {self.dtype}, reg={self.reg:g}{kind}"

    def arrays(self, k):
        return {f"W{k}": self.W, f"X{k}": self.X, f"y{k}": self.y, f"reg{k}": np.array(self.reg)}

    def loss_ok(self, received):
        return loss_ok(self.parts, received, self.dtype)

    def grad_ok(self, received):
        return grad_ok(self.parts, received, self.dtype)


def grader_secret(environ=os.environ):
    """(secret bytes, note): the staff secret, or the public default and a note saying so."""
    secret = environ.get(SECRET_ENV, "")
    if secret:
        return secret.encode("utf-8"), None
    return DEFAULT_SECRET.encode("utf-8"), SECRET_NOTE


def submission_digest(paths):
    """SHA-256 (hex) of the given files' contents, in order; a missing file (None) counts empty."""
    digest = hashlib.sha256()
    for path in paths:
        data = b""
        if path is not None:
            with open(path, "rb") as f:
                data = f.read()
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def submission_seed(secret, digest):
    """A 64-bit seed: HMAC-SHA256 of the submission's digest under the staff secret."""
    mac = hmac.new(secret, digest.encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big")


def draw_arrays(rng, N, D, C, dtype, reg, scale):
    """(W, X, y, reg) of a random problem with a bias column and every class present."""
    X = rng.standard_normal((N, D))  # (N, D)
    if D > 1:
        X[:, -1] = 1.0  # the bias column, as in the worksheet
    W = scale * rng.standard_normal((D, C)) / np.sqrt(D)  # (D, C)
    y = rng.permutation(np.arange(N) % C)  # (N,), every class present when N >= C
    return W.astype(dtype), X.astype(dtype), y.astype(np.int64), float(reg)


def random_problem(rng, N, D, C, dtype, reg, scale, large_scores=False):
    return Problem(*draw_arrays(rng, N, D, C, dtype, reg, scale), large_scores=large_scores)


def loss_problems(seed):
    """The ordinary problems, then the large-score ones; the same list for the same seed."""
    rng = np.random.default_rng([seed, 1])
    problems = [random_problem(rng, *shape) for shape in ORDINARY_SHAPES]
    problems += [random_problem(rng, *shape, large_scores=True) for shape in LARGE_SCORE_SHAPES]
    return problems


def numgrad_problem(seed):
    return random_problem(np.random.default_rng([seed, 2]), 6, 15, 4, np.float64, 0.2, 0.5)


def separable_data(rng, num_train, num_heldout, dim, num_classes):
    """(X, y, X_heldout, y_heldout): well-separated Gaussian classes, features on the scale of
    pixels, with a bias column; the held-out rows come from the same classes."""
    centers = 30 * rng.standard_normal((num_classes, dim))  # (C, D)

    def draw(n):
        y = rng.permutation(np.arange(n) % num_classes)  # (n,)
        X = centers[y] + 30 * rng.standard_normal((n, dim))  # (n, D)
        return np.hstack([X, np.ones((n, 1))]), y

    return (*draw(num_train), *draw(num_heldout))


def train_problem(seed):
    N, D, C = TRAIN_SHAPE
    return separable_data(np.random.default_rng([seed, 3]), N, HELDOUT_SIZE, D, C)


def predict_problem(seed):
    """(W, X, labels): the labels are each row's highest-scoring class."""
    rng = np.random.default_rng([seed, 4])
    W = rng.standard_normal((13, 5))  # (D, C)
    X = rng.standard_normal((37, 13))  # (N, D)
    return W, X, np.argmax(X @ W, axis=1)  # (N,)
