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

Numerics: subtracting a row's largest score from all its scores leaves p unchanged, and makes every
exponent <= 0, so exp cannot overflow and the sum in the denominator is at least 1 (the
log-sum-exp trick). The loss of example i is then log(sum_k exp(s[i, k] - m_i)) - (s[i, y[i]] - m_i)
with m_i = max_k s[i, k], exact even when scores differ by 1e5.

Both functions compute in the result dtype of W and X (float32 when both are float32) and return
the loss as a Python float and dW with the shape and dtype of W. They validate their inputs (see
`validation.py`), never modify them, and print nothing.
"""

import numpy as np

from cs231n.classifiers.validation import check_loss_inputs, check_loss_result, check_reg

__all__ = ["softmax_loss_naive", "softmax_loss_vectorized"]


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss and gradient, computed with explicit loops over examples and classes.

    Slow, and written to be read: it is the independent reference that
    `softmax_loss_vectorized` is tested against.

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
        (1/N) sum_i -log p[i, y[i]] + reg * sum(W**2).
    dW : ndarray, shape (D, C), same dtype as W
        Gradient of the loss with respect to W.

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
            max_score = scores.max()
            exp_scores = np.zeros(num_classes, dtype=dtype)  # (C,)
            exp_sum = dtype.type(0)
            for j in range(num_classes):
                exp_scores[j] = np.exp(scores[j] - max_score)
                exp_sum += exp_scores[j]
            loss += np.log(exp_sum) - (scores[y[i]] - max_score)
            for j in range(num_classes):
                dscore = exp_scores[j] / exp_sum  # p[i, j]
                if j == y[i]:
                    dscore -= 1
                dW[:, j] += dscore * X[i]
        loss /= num_train
        loss += reg * np.sum(W * W)
        dW /= num_train
        dW += 2 * reg * W
        dW = dW.astype(W.dtype, copy=False)  # (D, C)
    loss = float(loss)
    check_loss_result(loss, dW, X, W)
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss and gradient, computed without explicit loops.

    Same inputs, outputs and errors as `softmax_loss_naive`. The work is two matrix products,
    X @ W for the scores and X.T @ dscores for the gradient; everything else is done in place on
    the (N, C) scores.

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
        scores -= scores.max(axis=1, keepdims=True)  # each row's largest score is now 0
        correct_scores = scores[rows, y]  # (N,)
        probs = np.exp(scores, out=scores)  # (N, C), not yet normalized
        exp_sums = probs.sum(axis=1)  # (N,), each >= 1
        loss = np.sum(np.log(exp_sums) - correct_scores) / num_train
        loss += reg * np.sum(W * W)

        probs /= exp_sums[:, np.newaxis]  # (N, C), rows sum to 1
        dscores = probs  # (N, C), becomes (P - Y) / N in place
        dscores[rows, y] -= 1
        dscores /= num_train
        dW = X.T @ dscores  # (D, C)
        dW += 2 * reg * W
        dW = dW.astype(W.dtype, copy=False)  # (D, C)
    loss = float(loss)
    check_loss_result(loss, dW, X, W)
    return loss, dW
