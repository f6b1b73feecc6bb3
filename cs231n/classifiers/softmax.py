"""Softmax (cross-entropy) loss of a linear classifier and its gradient.

Shapes: N examples, D features per example, C classes.
    W (D, C) weights, X (N, D) one example per row, y (N,) integer labels in [0, C).

With scores s = X W, shape (N, C), and class probabilities

    p[i, c] = exp(s[i, c]) / sum_k exp(s[i, k]),

the loss is the mean cross-entropy plus L2 regularization,

    L = (1/N) sum_i -log p[i, y[i]]  +  reg * sum_{d, c} W[d, c]^2,

and its gradient is

    dL/dW = (1/N) X^T (P - Y)  +  2 * reg * W,

where P is the (N, C) matrix of probabilities and Y the (N, C) one-hot matrix of the labels.

Numerics: subtracting a row's largest score from all its scores leaves p unchanged and makes every
exponent <= 0, so exp cannot overflow and each row's sum of exponentials is at least 1. The loss of
example i is then log(sum_k exp(s[i, k] - m_i)) - (s[i, y[i]] - m_i) with m_i = max_k s[i, k]
(the log-sum-exp trick), exact even when scores differ by 1e5.

The code of each function between the course's TODO blocks is what a student writes. The
machinery that students don't write sits apart, before the exercise: the decorator
`checked_loss`, which checks the inputs (with clear messages) before a loss runs, and that its
result is finite after. This file imports only numpy, so it works
when copied alone into the course's starter package.

Dtypes: integer X (such as raw pixels) is computed in float64, as the course's code does; two
float32 arrays are computed in float32. The loss is returned as a numpy floating scalar of that
dtype, dW as an array of that dtype and of W's shape. Nothing passed in is modified.
"""

import functools
import numbers

import numpy as np

__all__ = ["softmax_loss_naive", "softmax_loss_vectorized"]


# ------------------------------------------------------------------------------------------------
# Machinery, not part of the exercise: input checks and the result check, applied to each loss
# function by the decorator `checked_loss`. Every error says what was expected and what was
# received. The checks cost a few microseconds: finiteness is not tested up front (that would
# read all of X) but on the result, and only a non-finite result makes them look for its cause.
# ------------------------------------------------------------------------------------------------


def as_number_matrix(A, name, shape_text):
    """Return A as a 2-D floating ndarray, integer arrays converted to float64."""
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape {shape_text}; "
            f"got a {A.ndim}-D array of shape {A.shape}"
        )
    if A.dtype.kind in "iu":
        return A.astype(np.float64)
    if A.dtype.kind != "f":
        raise ValueError(
            f"{name} must be an array of real numbers (float or integer); got dtype {A.dtype}"
        )
    return A


def check_labels(y, num_examples, num_classes=None):
    """Return the labels y as an integer ndarray after checking shape and range.

    With num_classes None the labels need only be non-negative.
    """
    y = np.asarray(y)
    if y.shape != (num_examples,):
        raise ValueError(
            f"y must be a 1-D array of N = {num_examples} labels, one per row of X; "
            f"got shape {y.shape}"
        )
    if y.dtype.kind not in "iu":
        raise ValueError(
            f"y must hold integer class labels; got dtype {y.dtype}. "
            "Convert it first, e.g. y.astype(np.int64)"
        )
    if num_classes is None:
        in_range = y.min() >= 0
    else:
        # Read as unsigned numbers, negative labels are huge: one maximum checks both ends.
        in_range = y.view(np.dtype(f"u{y.itemsize}")).max() < num_classes
    if not in_range:
        expected = "[0, C)" if num_classes is None else f"[0, C) = [0, {num_classes})"
        raise ValueError(
            f"labels y must lie in {expected}; got labels from {y.min()} to {y.max()}"
        )
    return y


def check_number(value, name, low=0.0, low_inclusive=True):
    """Return value as a float after checking that it is a finite real number above low.

    Accepts Python and numpy numbers and 0-d arrays; rejects booleans.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    value = float(value)
    above = value >= low if low_inclusive else value > low
    if not (np.isfinite(value) and above):
        bound = f">= {low:g}" if low_inclusive else f"> {low:g}"
        raise ValueError(f"{name} must be a finite number {bound}; got {value}")
    return value


def check_loss_inputs(W, X, y, reg):
    """Check the inputs of a loss function; return them as arrays of one floating dtype.

    The dtype is np.result_type of W and X, an integer array counting as float64. Arrays
    already of that dtype are returned uncopied.
    """
    X = as_number_matrix(X, "X", "(N, D)")
    W = as_number_matrix(W, "W", f"(D, C) = ({X.shape[1]}, C)")
    if X.shape[0] == 0:
        raise ValueError(f"X must hold at least one example (N >= 1); got shape {X.shape}")
    if W.shape[0] != X.shape[1] or W.shape[1] == 0:
        raise ValueError(
            f"W must have shape (D, C) with D = {X.shape[1]} (the columns of X) and C >= 1; "
            f"got W of shape {W.shape}"
        )
    y = check_labels(y, X.shape[0], W.shape[1])
    reg = check_number(reg, "reg")
    dtype = np.result_type(W, X)
    return W.astype(dtype, copy=False), X.astype(dtype, copy=False), y, reg


def check_finite(A, name):
    """Raise ValueError naming the first NaN or infinite entry of A, if there is one."""
    finite = np.isfinite(A)
    if finite.all():
        return
    first = tuple(int(i) for i in np.argwhere(~finite)[0])
    raise ValueError(
        f"{name} must contain only finite values; got {int(A.size - finite.sum())} NaN or "
        f"infinite entries, the first at index {first}: {A[first]}"
    )


def check_loss_result(loss, dW, W, X):
    """Return (loss, dW) in the dtype of W and X, or raise ValueError if either is not finite.

    A non-finite result has one of two causes, told apart only now: a NaN or infinity in X or
    W, or finite inputs so large that the loss or gradient overflows the dtype.
    """
    dtype = np.result_type(W, X)
    loss = dtype.type(loss)
    dW = np.asarray(dW, dtype=dtype)
    # The sum is finite when every entry is (one fast pass); only if it is not are the entries
    # looked at one by one, since finite entries can add up to an overflow.
    if np.isfinite(loss) and (np.isfinite(np.sum(dW)) or np.isfinite(dW).all()):
        return loss, dW
    check_finite(X, "X")
    check_finite(W, "W")
    raise ValueError(
        f"the loss or its gradient overflowed {dtype} (loss = {loss}); the inputs are too "
        f"large in magnitude: max |X| = {np.abs(X).max():.3g}, max |W| = {np.abs(W).max():.3g}"
    )


def checked_loss(loss_function):
    """Wrap a loss function f(W, X, y, reg) -> (loss, dW) in the checks above.

    The inputs are checked and converted before f runs; f runs with numpy's floating-point
    warnings off (an overflow shows up as inf or NaN in the result, and is reported once, as a
    ValueError, by `check_loss_result`).
    """

    @functools.wraps(loss_function)
    def checked(W, X, y, reg):
        W, X, y, reg = check_loss_inputs(W, X, y, reg)
        with np.errstate(all="ignore"):
            loss, dW = loss_function(W, X, y, reg)
        return check_loss_result(loss, dW, W, X)

    return checked


# ------------------------------------------------------------------------------------------------
# The exercise.
# ------------------------------------------------------------------------------------------------


@checked_loss
def softmax_loss_naive(W, X, y, reg):
    """Softmax loss and gradient, computed with explicit loops over examples and classes.

    Slow, and written to be read: it is the independent reference that
    `softmax_loss_vectorized` is tested against.

    Parameters
    ----------
    W : array_like, shape (D, C)
        Weights.
    X : array_like, shape (N, D)
        A batch of N examples, one per row.
    y : array_like, shape (N,), integer dtype
        y[i] = c means that X[i] has label c, with 0 <= c < C.
    reg : float
        Regularization strength, >= 0.

    Returns
    -------
    loss : numpy floating scalar
        (1/N) sum_i -log p[i, y[i]] + reg * sum(W**2).
    dW : ndarray, shape (D, C)
        Gradient of the loss with respect to W.

    Raises
    ------
    ValueError
        If W or X is not a 2-D array of numbers, the shapes do not fit together, X is empty,
        the labels are not integers in [0, C), W or X holds NaN or inf, reg is negative or NaN,
        or the inputs are so large that the loss or its gradient overflows the dtype.
    TypeError
        If reg is not a real number.
    """
    # Initialize the loss and gradient to zero.
    loss = 0.0
    dW = np.zeros_like(W)

    #############################################################################
    # TODO: Compute the softmax loss and its gradient using explicit loops.     #
    # Store the loss in loss and the gradient in dW. If you are not careful     #
    # here, it is easy to run into numeric instability. Don't forget the        #
    # regularization!                                                           #
    #############################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)  # (C,)
        scores -= np.max(scores)  # the largest score is now 0, so exp cannot overflow
        exp_scores = np.exp(scores)  # (C,)
        exp_sum = np.sum(exp_scores)  # >= 1
        loss += np.log(exp_sum) - scores[y[i]]  # -log p[i, y[i]]
        for j in range(num_classes):
            p = exp_scores[j] / exp_sum
            if j == y[i]:
                dW[:, j] += (p - 1) * X[i]
            else:
                dW[:, j] += p * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    return loss, dW


@checked_loss
def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss and gradient, computed without explicit loops.

    Same inputs, outputs and errors as `softmax_loss_naive`. The work is two matrix products,
    X @ W for the scores and X.T @ (P - Y) for the gradient.

    Parameters
    ----------
    W : array_like, shape (D, C)
    X : array_like, shape (N, D)
    y : array_like, shape (N,), integer labels in [0, C)
    reg : float, >= 0

    Returns
    -------
    loss : numpy floating scalar
    dW : ndarray, shape (D, C)
    """
    # Initialize the loss and gradient to zero.
    loss = 0.0
    dW = np.zeros_like(W)

    #############################################################################
    # TODO: Compute the softmax loss without explicit loops, storing the       #
    # result in loss. Don't forget the regularization!                         #
    #############################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    num_train = X.shape[0]
    rows = np.arange(num_train)  # (N,)
    scores = X.dot(W)  # (N, C)
    scores -= np.max(scores, axis=1, keepdims=True)  # each row's largest score is now 0
    exp_scores = np.exp(scores)  # (N, C)
    exp_sums = np.sum(exp_scores, axis=1)  # (N,), each >= 1
    loss = np.sum(np.log(exp_sums) - scores[rows, y]) / num_train + reg * np.sum(W * W)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    #############################################################################
    # TODO: Compute the gradient of the softmax loss without explicit loops,   #
    # storing the result in dW. Reuse what you computed for the loss.          #
    #############################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    dscores = exp_scores / exp_sums[:, np.newaxis]  # (N, C), the probabilities P
    dscores[dscores < np.finfo(dscores.dtype).tiny] = 0  # denormals would slow X.T @ dscores 5x
    dscores[rows, y] -= 1  # P - Y
    dscores /= num_train
    dW = X.T.dot(dscores) + 2 * reg * W  # (D, C)
    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    return loss, dW
