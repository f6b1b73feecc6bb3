"""What is wrong with a loss, a gradient, a training run or a prediction: the verdicts and hints
shared by the public checks (`cs231n.checks`, which students run) and the course's grader.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,) labels in [0, C).

Nothing here computes a softmax loss. The expected answer of a problem comes in as numbers, a
`LossParts`: the loss and gradient split into their data and regularization parts,

    loss = data_loss + reg_loss        dW = data_grad + reg_grad,

so that a wrong answer can be matched against the common mistakes (a sum instead of a mean, a
regularization term missing or with the wrong factor, a flipped sign, a gradient not divided by
N, a gradient off by a constant factor). Feedback names the mistake and what was received, never
the expected values.
"""

import math
from dataclasses import dataclass

import numpy as np

LOSS_TOL = {"float32": 1e-4, "float64": 1e-7}
GRAD_TOL = {"float32": 1e-3, "float64": 1e-6}
MATCH_TOL = 1e-3  # how close a wrong answer must be to a known mistake to be called that mistake
TRAIN_FIRST_LOSS_TOL = 0.25
TRAIN_FINAL_FRACTION = 0.5
TRAIN_TAIL = 20


@dataclass(frozen=True)
class LossParts:
    """The expected answer of one loss problem, split into its parts (float64).

    Attributes
    ----------
    num_examples : int
        N, the rows of X.
    reg : float
        The regularization strength of the problem.
    data_loss, reg_loss : float
        The mean cross-entropy and the regularization term of the loss.
    data_grad, reg_grad : ndarray, shape (D, C)
        Their gradients with respect to W.
    """

    num_examples: int
    reg: float
    data_loss: float
    reg_loss: float
    data_grad: np.ndarray
    reg_grad: np.ndarray

    @property
    def loss(self):
        return self.data_loss + self.reg_loss

    @property
    def dW(self):
        return self.data_grad + self.reg_grad  # (D, C)


def tolerances(dtype):
    """(loss, gradient) relative tolerances for results computed in `dtype`."""
    key = "float32" if np.dtype(dtype) == np.float32 else "float64"
    return LOSS_TOL[key], GRAD_TOL[key]


def loss_close(received, expected, tol):
    """|received - expected| <= tol * max(1, |expected|); False for None or non-finite."""
    return (
        received is not None
        and bool(np.isfinite(received))
        and abs(received - expected) <= tol * max(1.0, abs(expected))
    )


def grad_error(received, expected):
    """max |received - expected| relative to max |expected| (inf if received is not finite)."""
    if not np.all(np.isfinite(received)):
        return float("inf")
    return float(np.max(np.abs(received - expected)) / max(np.max(np.abs(expected)), 1e-12))


def loss_ok(parts, received, dtype):
    return loss_close(received, parts.loss, tolerances(dtype)[0])


def grad_ok(parts, received, dtype):
    return received is not None and grad_error(received, parts.dW) <= tolerances(dtype)[1]


def type_name(value):
    if isinstance(value, np.ndarray):
        return f"an ndarray of dtype {value.dtype} and shape {value.shape}"
    return f"a {type(value).__name__}"


def read_loss_result(result, shape):
    """(loss, dW, problem) from what a loss function returned; `problem` is None when the result
    is a pair (number, array of `shape`), else one line saying what is wrong with it."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None, None, f"returned {type_name(result)}; expected a pair (loss, dW)"
    loss, dW = result
    try:
        loss_array = np.asarray(loss)
        valid = loss_array.size == 1 and loss_array.dtype.kind in "iuf"
        loss_value = float(loss_array.reshape(())) if valid else None
    except (TypeError, ValueError, OverflowError):
        loss_value = None
    if loss_value is None:
        return None, None, f"returned a loss that is {type_name(loss)}; expected a number"
    if not isinstance(dW, np.ndarray) or dW.dtype.kind not in "iuf":
        return loss_value, None, f"returned dW as {type_name(dW)}; expected an ndarray of floats"
    if dW.shape != tuple(shape):
        return loss_value, None, f"returned dW of shape {dW.shape}; expected {tuple(shape)}, W's"
    return loss_value, dW.astype(np.float64), None


def diagnose_loss(parts, received):
    """A hint naming the likely mistake behind a wrong loss, or ''."""
    N = parts.num_examples
    if received is None or not np.isfinite(received):
        return "the loss is not a finite number"
    candidates = [
        (0.0, "the loss is 0: is this still the unfinished starter code?"),
        (
            N * parts.data_loss + parts.reg_loss,
            f"it equals the SUM over the N={N} examples: the data loss is their MEAN (divide by N)",
        ),
        (-parts.loss, "the loss has the wrong sign: it is -log of the probabilities, >= 0"),
    ]
    if parts.reg > 0:
        candidates += [
            (parts.data_loss, "the regularization term reg * sum(W * W) is missing"),
            (
                parts.data_loss + 0.5 * parts.reg_loss,
                "the regularization term should be reg * sum(W * W), not 0.5 * reg * sum(W * W)",
            ),
            (
                parts.data_loss + 2 * parts.reg_loss,
                "the regularization term should be reg * sum(W * W), not 2 * reg * sum(W * W)",
            ),
        ]
    for value, hint in candidates:
        if loss_close(received, value, MATCH_TOL) and not loss_close(parts.loss, value, MATCH_TOL):
            return hint
    return ""


def scale_of(received, expected):
    """k if received is close to k * expected for one number k, else None."""
    norm = float(np.sum(expected * expected))
    if norm == 0.0:
        return None
    k = float(np.sum(received * expected)) / norm
    if abs(k - 1.0) <= MATCH_TOL or not grad_error(received, k * expected) < MATCH_TOL:
        return None
    return k


def diagnose_grad(parts, received):
    """A hint naming the likely mistake behind a wrong gradient, or ''."""
    N = parts.num_examples
    if not np.all(np.isfinite(received)):
        return "dW holds NaN or inf"
    candidates = [
        (np.zeros_like(parts.dW), "dW is all zeros: is this still the unfinished starter code?"),
        (-parts.dW, "dW has the wrong sign: return the gradient of the loss, not its negative"),
        (
            N * parts.data_grad + parts.reg_grad,
            f"the data part of dW is N={N} times too large: divide it by N, as the loss is a mean",
        ),
        (parts.data_grad / N + parts.reg_grad, "the data part of dW is divided by N twice"),
    ]
    if parts.reg > 0:
        candidates += [
            (
                parts.data_grad + parts.reg_grad / 2,
                "the regularization gradient is reg * W; the derivative of reg * sum(W * W) is "
                "2 * reg * W",
            ),
            (parts.data_grad, "the regularization gradient 2 * reg * W is missing"),
        ]
    for value, hint in candidates:
        if grad_error(received, value) < MATCH_TOL and grad_error(parts.dW, value) > MATCH_TOL:
            return hint
    k = scale_of(received, parts.dW)
    if k is not None:
        return f"dW points the right way but is {k:.3g} times too large: a constant factor is off"
    return ""


def stability_note(function_name, received_loss, subtracts_max):
    """A note for a loss that is not finite on very large scores, true of the code it describes.

    `subtracts_max` says whether the function's source subtracts a maximum (None: unknown).
    """
    head = f"{function_name}: on scores that differ by thousands the loss is {received_loss}"
    if subtracts_max:
        return (
            f"{head}. Subtracting the row's largest score keeps exp from overflowing, but the "
            "probability of a class far below it still underflows to 0 and log(0) = -inf; "
            "log p can be computed as (s - max s) - log(sum(exp(s - max s))). Not graded."
        )
    return (
        f"{head}. Its source subtracts no maximum: exp overflows. Subtract each row's largest "
        "score from its scores before exponentiating (it leaves the probabilities unchanged). "
        "Not graded."
    )


def mutation_hint(function_name, names):
    return (
        f"{function_name} modified its input {', '.join(names)}: compute on copies "
        "(e.g. `scores = X @ W`), never `W -= ...` or `X *= ...` on the arguments"
    )


def history_problems(history, num_iters, num_classes):
    """Lines saying what is wrong with a loss history of `train` (empty if it looks right)."""
    problems = []
    if len(history) != num_iters:
        problems.append(f"{len(history)} losses for num_iters={num_iters}")
    if not np.all(np.isfinite(history)):
        problems.append("non-finite losses (the steps diverged?)")
    expected_first = math.log(num_classes)
    if not len(history) or not abs(history[0] - expected_first) <= TRAIN_FIRST_LOSS_TOL:
        first = f"{history[0]:.4f}" if len(history) else "missing"
        problems.append(
            f"the first loss is {first}; expected about log({num_classes}) = "
            f"{expected_first:.4f}, the loss of the small random initial W"
        )
    return problems


def training_advice(first_loss, final_loss, diverged):
    """What to check when training did not lower the loss enough."""
    if diverged or not np.isfinite(final_loss):
        return (
            "training diverged although the learning rate is small for this problem: check "
            "that the step is W -= learning_rate * grad (and the gradient check)"
        )
    if final_loss > 1.5 * first_loss:
        return "the loss grew: check that the step is W -= learning_rate * grad"
    return (
        "check that each minibatch takes the labels of the SAME rows "
        "(y_batch = y[idx] with X_batch = X[idx]) and that the step is "
        "W -= learning_rate * grad"
    )


def predict_problems(y_pred, expected):
    """Lines saying what is wrong with predicted labels (empty when right); no expected label is
    printed, only where and what was received."""
    if not isinstance(y_pred, np.ndarray):
        return [f"predict returned {type_name(y_pred)}; expected an integer ndarray"]
    if y_pred.shape != expected.shape:
        return [
            f"predict returned shape {y_pred.shape}; expected {expected.shape}, one label per "
            "row of X (argmax over which axis?)"
        ]
    if y_pred.dtype.kind not in "iuf":
        return [f"predict returned labels of dtype {y_pred.dtype}; expected integers"]
    wrong = np.flatnonzero(y_pred != expected)
    if len(wrong):
        k = int(wrong[0])
        return [
            f"{len(wrong)} of {len(expected)} labels are not the class of the highest score "
            f"X @ W; the first is row {k} (received {y_pred[k]})"
        ]
    if y_pred.dtype.kind != "i" and y_pred.dtype.kind != "u":
        return [f"the labels are right but of dtype {y_pred.dtype}; expected integers"]
    return []
