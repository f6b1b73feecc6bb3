"""The grader's own reference softmax loss: the expected answers are computed here, never by the
repository's `cs231n/classifiers/softmax.py` (which a student may have replaced) nor by the
submission.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,) labels in [0, C).

Everything is computed in float64 with the log-sum-exp trick, so the answer is exact even where
the scores differ by 1e5. Beside the full answer the grader keeps its two parts,

    loss = data_loss + reg * sum(W * W)        dW = data_grad + 2 * reg * W,

from which `cs231n.diagnostics` recognizes the common mistakes.
"""

import numpy as np

from cs231n.diagnostics import LossParts


def softmax_data_parts(W, X, y):
    """(data_loss, data_grad): the mean cross-entropy of X @ W and its gradient, in float64.

    Parameters
    ----------
    W : ndarray, shape (D, C)
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,), integer labels in [0, C)

    Returns
    -------
    data_loss : float
        (1/N) sum_i -log p[i, y[i]] with p the row-wise softmax of X @ W.
    data_grad : ndarray, shape (D, C), float64
        (1/N) X^T (P - Y), Y the one-hot labels.
    """
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    rows = np.arange(n)
    scores = X @ W  # (N, C)
    scores -= scores.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(scores).sum(axis=1))  # (N,)
    data_loss = float(np.mean(log_norm - scores[rows, y]))
    probs = np.exp(scores - log_norm[:, None])  # (N, C)
    probs[rows, y] -= 1.0
    return data_loss, X.T @ probs / n  # (D, C)


def loss_parts(W, X, y, reg):
    """The `LossParts` of the regularized softmax loss at (W, X, y, reg), in float64."""
    W = np.asarray(W, dtype=np.float64)
    data_loss, data_grad = softmax_data_parts(W, X, y)
    return LossParts(
        num_examples=len(y),
        reg=float(reg),
        data_loss=data_loss,
        reg_loss=float(reg * np.sum(W * W)),
        data_grad=data_grad,
        reg_grad=2 * reg * W,  # (D, C)
    )


def softmax_loss(W, X, y, reg):
    """(loss, dW) of the regularized softmax loss, in float64."""
    parts = loss_parts(W, X, y, reg)
    return parts.loss, parts.dW
