"""Hidden loss problems, their expected answers from the reference solution, and diagnoses.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,) labels in [0, C).

The problems are drawn from `np.random.default_rng(SEED)`, so every run of the grader asks the
same questions and a submission always gets the same score. Expected answers come from this
repository's `softmax_loss_vectorized`, evaluated in the grader's process in float64 on the same
inputs (never in the submission's process). Beside the full answer the grader keeps its two parts,

    loss = data_loss + reg * sum(W * W)        dW = data_grad + 2 * reg * W,

so that a wrong answer can be matched against the common mistakes (`diagnose_loss`,
`diagnose_grad`): a sum instead of a mean, a regularization term missing or with the wrong factor,
a flipped sign, a gradient not divided by N.
"""

from dataclasses import dataclass

import numpy as np

from cs231n.classifiers.softmax import softmax_loss_vectorized

SEED = 231_2025

# (N, D, C, dtype, reg, weight scale); the scale sets how far apart the scores are.
ORDINARY_SHAPES = [
    (1, 4, 3, np.float64, 0.0, 0.5),
    (8, 20, 4, np.float64, 0.0, 0.5),
    (8, 20, 4, np.float64, 0.3, 0.5),
    (40, 3073, 10, np.float64, 2.5e-2, 1e-2),
    (25, 60, 10, np.float32, 0.0, 0.2),
    (25, 60, 10, np.float32, 0.7, 0.2),
]
LARGE_SCORE_SHAPES = [
    (12, 30, 5, np.float64, 0.0, 5000.0),
    (12, 30, 5, np.float32, 1e-4, 500.0),
]
DEV_SHAPE = (500, 3073, 10)
OVERFLOW_HINT = (
    "on large scores exp overflows: subtract each row's largest score from its scores before "
    "exponentiating (it leaves the probabilities unchanged)"
)


@dataclass
class Problem:
    """One loss problem: inputs and the expected answer with its parts."""

    W: np.ndarray
    X: np.ndarray
    y: np.ndarray
    reg: float
    large_scores: bool = False

    def __post_init__(self):
        W64, X64 = self.W.astype(np.float64), self.X.astype(np.float64)
        self.loss, self.dW = softmax_loss_vectorized(W64, X64, self.y, self.reg)
        self.data_loss, self.data_grad = softmax_loss_vectorized(W64, X64, self.y, 0.0)
        self.loss, self.data_loss = float(self.loss), float(self.data_loss)
        self.reg_loss = self.reg * float(np.sum(W64 * W64))

    @property
    def dtype(self):
        return self.X.dtype

    def describe(self):
        N, D = self.X.shape
        kind = ", large scores" if self.large_scores else ""
        return f"N={N}, D={D}, C={self.W.shape[1]}, {self.dtype}, reg={self.reg:g}{kind}"

    def arrays(self, k):
        return {f"W{k}": self.W, f"X{k}": self.X, f"y{k}": self.y, f"reg{k}": np.array(self.reg)}


def random_problem(rng, N, D, C, dtype, reg, scale, large_scores=False):
    X = rng.standard_normal((N, D))  # (N, D)
    if D > 1:
        X[:, -1] = 1.0  # the bias column, as in the worksheet
    W = scale * rng.standard_normal((D, C)) / np.sqrt(D)  # (D, C)
    y = rng.permutation(np.arange(N) % C)  # (N,), every class present when N >= C
    return Problem(W.astype(dtype), X.astype(dtype), y.astype(np.int64), reg, large_scores)


def loss_problems(seed=SEED):
    """The ordinary problems, then the large-score ones; the same list for the same seed."""
    rng = np.random.default_rng(seed)
    problems = [random_problem(rng, *shape) for shape in ORDINARY_SHAPES]
    problems += [random_problem(rng, *shape, large_scores=True) for shape in LARGE_SCORE_SHAPES]
    return problems


def dev_problem(seed=SEED):
    """A problem of the worksheet's dev-batch shape, to time the two losses on."""
    rng = np.random.default_rng(seed + 1)
    N, D, C = DEV_SHAPE
    X = (rng.standard_normal((N, D)) * 60).astype(np.float32)  # (N, D), like centred pixels
    X[:, -1] = 1.0
    W = (1e-4 * rng.standard_normal((D, C))).astype(np.float32)  # (D, C)
    y = rng.integers(0, C, size=N)  # (N,)
    return Problem(W, X, y, 2.5e4 * 1e-4)


def tolerances(dtype):
    """(loss, gradient) relative tolerances for results computed in `dtype`."""
    return (1e-4, 1e-3) if np.dtype(dtype) == np.float32 else (1e-7, 1e-6)


def loss_close(received, expected, tol):
    return received is not None and abs(received - expected) <= tol * max(1.0, abs(expected))


def grad_error(received, expected):
    """max |received - expected| relative to max |expected|."""
    return float(np.max(np.abs(received - expected)) / max(np.max(np.abs(expected)), 1e-12))


def loss_ok(problem, received):
    return loss_close(received, problem.loss, tolerances(problem.dtype)[0])


def grad_ok(problem, received):
    return received is not None and bool(
        np.all(np.isfinite(received))
        and grad_error(received, problem.dW) <= tolerances(problem.dtype)[1]
    )


def diagnose_loss(problem, received):
    """A hint naming the likely mistake behind a wrong loss, or ''."""
    N = problem.X.shape[0]
    tol = 1e-3
    if received is None or not np.isfinite(received):
        return OVERFLOW_HINT if problem.large_scores else "the loss is not a finite number"
    candidates = [
        (0.0, "the loss is 0: is this still the starter's unfinished stub?"),
        (
            N * problem.data_loss + problem.reg_loss,
            f"it equals the SUM over the N={N} examples: the data loss is their MEAN (divide by N)",
        ),
    ]
    if problem.reg > 0:
        candidates += [
            (problem.data_loss, "the regularization term reg * sum(W * W) is missing"),
            (
                problem.data_loss + 0.5 * problem.reg_loss,
                "the regularization term should be reg * sum(W * W), not 0.5 * reg * sum(W * W)",
            ),
            (
                problem.data_loss + 2 * problem.reg_loss,
                "the regularization term should be reg * sum(W * W), not 2 * reg * sum(W * W)",
            ),
        ]
    for value, hint in candidates:
        if loss_close(received, value, tol) and not loss_close(problem.loss, value, tol):
            return hint
    return ""


def diagnose_grad(problem, received):
    """A hint naming the likely mistake behind a wrong gradient, or ''."""
    N = problem.X.shape[0]
    reg_grad = 2 * problem.reg * problem.W.astype(np.float64)  # (D, C)
    if not np.all(np.isfinite(received)):
        return OVERFLOW_HINT if problem.large_scores else "dW holds NaN or inf"
    candidates = [
        (np.zeros_like(problem.dW), "dW is all zeros: is this still the starter's stub?"),
        (-problem.dW, "dW has the wrong sign: return the gradient of the loss, not its negative"),
        (
            N * problem.data_grad + reg_grad,
            f"the data part of dW is N={N} times too large: divide it by N, as the loss is a mean",
        ),
        (problem.data_grad / N + reg_grad, "the data part of dW is divided by N twice"),
    ]
    if problem.reg > 0:
        candidates += [
            (
                problem.data_grad + reg_grad / 2,
                "the regularization gradient is reg * W; the derivative of reg * sum(W * W) is "
                "2 * reg * W",
            ),
            (problem.data_grad, "the regularization gradient 2 * reg * W is missing"),
        ]
    for value, hint in candidates:
        if grad_error(received, value) < 1e-3 and grad_error(problem.dW, value) > 1e-3:
            return hint
    return ""


def largest_difference(problem, received):
    """'largest difference at dW[i, j]: expected e, received r'."""
    diff = np.abs(received - problem.dW)
    i, j = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return (
        f"largest difference at dW[{i}, {j}]: expected {problem.dW[i, j]:.6g}, "
        f"received {received[i, j]:.6g} (relative error {grad_error(received, problem.dW):.2g})"
    )
