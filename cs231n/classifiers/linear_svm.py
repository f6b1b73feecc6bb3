"""Multiclass SVM (hinge) loss of a linear classifier and its gradient.

Shapes: N examples, D features per example, C classes.
    W (D, C) weights, X (N, D) one example per row, y (N,) integer labels in [0, C).

With scores s = X W, shape (N, C), each wrong class j != y[i] whose score comes within the margin
1 of the correct class's score adds to the loss:

    L = (1/N) sum_i sum_{j != y[i]} max(0, s[i, j] - s[i, y[i]] + 1)  +  reg * sum_{d, c} W[d, c]^2.

Each positive margin contributes +X[i] to the gradient's column j and -X[i] to its column y[i]:

    dL/dW = (1/N) X^T M  +  2 * reg * W,

where M[i, j] = 1 if the margin of (i, j) is positive, M[i, y[i]] = -(number of positive margins of
example i), and 0 elsewhere. The hinge max(0, .) has a kink at margin 0, where the loss has no
derivative; both functions take the derivative there to be 0. A numerical gradient probe that
straddles the kink therefore disagrees with this gradient (Inline Question 2).

Both functions compute in the result dtype of W and X (float32 when both are float32) and return
the loss as a Python float and dW with the shape and dtype of W. They validate their inputs (see
`validation.py`), never modify them, and print nothing.
"""

import numpy as np

from cs231n.classifiers.validation import check_loss_inputs, check_loss_result, check_reg

__all__ = ["svm_loss_naive", "svm_loss_vectorized"]


def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss and gradient, computed with explicit loops over examples and classes.

    Slow, and written to be read: it is the independent reference that `svm_loss_vectorized` is
    tested against.

    Parameters
    ----------
    W : ndarray, shape (D, C), floating dtype
        Weights.
    X : ndarray, shape (N, D), floating dtype
        A batch of N examples, one per row.
    y : ndarray, shape (N,), integer dtype
        y[i] = c means that X[i] has label c, with 0 <= c < C.
    reg : float
        Regularization strength, >= 0.

    Returns
    -------
    loss : float
        (1/N) sum_i sum_{j != y[i]} max(0, s[i, j] - s[i, y[i]] + 1) + reg * sum(W**2).
    dW : ndarray, shape (D, C), same dtype as W
        Gradient of the loss with respect to W (derivative 0 taken at the kink, margin = 0).

    Raises
    ------
    ValueError
        If W or X is not a 2-D floating-point array (integer X, such as raw uint8 pixels, is
        rejected rather than cast), the shapes do not fit together, X is empty, the labels are
        not integers in [0, C), W or X holds NaN or inf, reg is negative or NaN, or the inputs
        are so large that the loss or its gradient overflows the dtype.
    TypeError
        If reg is not a real number.
    """
    W, X, y = check_loss_inputs(W, X, y)
    reg = check_reg(reg)
    num_train = X.shape[0]
    num_classes = W.shape[1]
    dtype = np.result_type(W, X)

    loss = dtype.type(0)
    dW = np.zeros(W.shape, dtype=dtype)  # (D, C)
    with np.errstate(all="ignore"):  # overflow shows up as inf or NaN, reported below
        for i in range(num_train):
            scores = X[i] @ W  # (C,)
            correct_class_score = scores[y[i]]
            for j in range(num_classes):
                if j == y[i]:
                    continue
                margin = scores[j] - correct_class_score + 1
                if margin > 0:
                    loss += margin
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        loss /= num_train
        loss += reg * np.sum(W * W)
        dW /= num_train
        dW += 2 * reg * W
        dW = dW.astype(W.dtype, copy=False)  # (D, C)
    loss = float(loss)
    check_loss_result(loss, dW, X, W)
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss and gradient, computed without explicit loops.

    Same inputs, outputs and errors as `svm_loss_naive`. The work is two matrix products,
    X @ W for the scores and X.T @ M for the gradient.

    Parameters
    ----------
    W : ndarray, shape (D, C), floating dtype
    X : ndarray, shape (N, D), floating dtype
    y : ndarray, shape (N,), integer labels in [0, C)
    reg : float, >= 0

    Returns
    -------
    loss : float
    dW : ndarray, shape (D, C), same dtype as W
    """
    W, X, y = check_loss_inputs(W, X, y)
    reg = check_reg(reg)
    num_train = X.shape[0]
    rows = np.arange(num_train)  # (N,)

    with np.errstate(all="ignore"):  # overflow shows up as inf or NaN, reported below
        scores = X @ W  # (N, C)
        correct_scores = scores[rows, y]  # (N,)
        margins = scores  # (N, C), becomes s[i, j] - s[i, y[i]] + 1 in place
        margins -= correct_scores[:, np.newaxis]
        margins += 1
        margins[rows, y] = 0  # the correct class is not compared with itself
        np.maximum(margins, 0, out=margins)
        loss = np.sum(margins) / num_train
        loss += reg * np.sum(W * W)

        positive = (margins > 0).astype(margins.dtype)  # (N, C), becomes M / N in place
        positive[rows, y] = -np.sum(positive, axis=1)
        positive /= num_train
        dW = X.T @ positive  # (D, C)
        dW += 2 * reg * W
        dW = dW.astype(W.dtype, copy=False)  # (D, C)
    loss = float(loss)
    check_loss_result(loss, dW, X, W)
    return loss, dW
