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

Inputs, dtypes, checks and errors are those of the softmax losses (see `softmax.py`, whose
decorator `checked_loss` both files share). This loss is not part of the 2025 softmax exercise:
the worksheet uses it for Inline Questions 2 and 4, and `LinearSVM` trains with it.
"""

import numpy as np

from .linear_classifier import LinearClassifier
from .softmax import check_finite, checked_loss

__all__ = ["LinearSVM", "svm_loss_naive", "svm_loss_vectorized"]


@checked_loss
def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss and gradient, computed with explicit loops over examples and classes.

    Slow, and written to be read: it is the independent reference that `svm_loss_vectorized` is
    tested against.

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
        (1/N) sum_i sum_{j != y[i]} max(0, s[i, j] - s[i, y[i]] + 1) + reg * sum(W**2).
    dW : ndarray, shape (D, C)
        Gradient of the loss with respect to W (derivative 0 taken at the kink, margin = 0).

    Raises
    ------
    ValueError
        If W or X is not a 2-D array of numbers, the shapes do not fit together, X is empty,
        the labels are not integers in [0, C), W or X holds NaN or inf, reg is negative or NaN,
        or the inputs are so large that the loss or its gradient overflows the dtype.
    TypeError
        If reg is not a real number.
    """
    check_finite(X, "X")  # a NaN margin is never > 0, so a NaN in X would pass unnoticed below
    num_train = X.shape[0]
    num_classes = W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)  # (D, C)
    for i in range(num_train):
        scores = X[i].dot(W)  # (C,)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW


@checked_loss
def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss and gradient, computed without explicit loops.

    Same inputs, outputs and errors as `svm_loss_naive`. The work is two matrix products,
    X @ W for the scores and X.T @ M for the gradient.

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
    num_train = X.shape[0]
    rows = np.arange(num_train)  # (N,)
    scores = X.dot(W)  # (N, C)
    margins = scores - scores[rows, y][:, np.newaxis] + 1  # (N, C)
    margins[rows, y] = 0  # the correct class is not compared with itself
    np.maximum(margins, 0, out=margins)
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)

    positive = (margins > 0).astype(margins.dtype)  # (N, C), becomes M / N in place
    positive[rows, y] = -np.sum(positive, axis=1)
    positive /= num_train
    dW = X.T.dot(positive) + 2 * reg * W  # (D, C)
    return loss, dW


class LinearSVM(LinearClassifier):
    """A linear classifier trained with the multiclass hinge (SVM) loss, margin 1."""

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)
