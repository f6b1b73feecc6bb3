"""A linear classifier trained by minibatch stochastic gradient descent (SGD).

Shapes: N examples, D features per example (3073 for CIFAR-10 with the bias column), C classes.
    X (N, D) one example per row, y (N,) integer labels in [0, C), W (D, C) weights.
A linear classifier scores every class with one matrix product, `scores = X @ W  # (N, C)`, and
predicts the class with the highest score. Subclasses choose the loss that training minimizes:
`Softmax` the cross-entropy loss, `LinearSVM` the multiclass hinge loss.

Why the training loop is fast (benchmarks/bench_sgd.py measures it):
- One step multiplies a (batch_size, D) minibatch by W, and its transpose by a (batch_size, C)
  matrix. On an idle 2-core machine two BLAS threads do these skinny products faster than one,
  but as soon as anything else runs (another process, the other worker of a grid search, a
  shared CI host), a thread that waits for a core stalls every product, and the textbook loop
  gets 2.5 to 4 times slower. The loop therefore runs BLAS on one thread: it has no sibling
  thread to wait for.
- With float32 data (or `dtype=np.float32`) the gather and the products move half the bytes.
- The minibatch is gathered into one buffer allocated once, not into a new array every step.
"""

import math
import os

import numpy as np
from threadpoolctl import threadpool_limits

from .linear_svm import svm_loss_vectorized
from .softmax import softmax_loss_vectorized
from .validation import check_features, check_labels, check_reg, check_weights

SAVED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved")


class TrainingDivergedError(FloatingPointError):
    """Raised when SGD overflows: the loss or the weights stopped being finite numbers."""


def _check_positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def _check_positive_float(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a finite positive number; got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number; got {value}")
    return float(value)


class LinearClassifier:
    """Base class: weights `W` of shape (D, C), created by the first call of `train`."""

    def __init__(self):
        self.W = None

    def train(
        self,
        X,
        y,
        learning_rate=1e-3,
        reg=1e-5,
        num_iters=100,
        batch_size=200,
        verbose=False,
        *,
        lr_decay=1.0,
        seed=None,
        dtype=None,
    ):
        """Train W by minibatch SGD and return the loss of every iteration.

        Each iteration samples `batch_size` rows of X with replacement, computes the loss and its
        gradient on them with `self.loss`, and steps `W -= learning_rate * grad`. After every
        epoch (every `max(1, N // batch_size)` iterations) the learning rate is multiplied by
        `lr_decay`. On the first call W is created as `0.001 * randn(D, C)` with C = max(y) + 1;
        later calls continue from the W they find.

        Parameters
        ----------
        X : ndarray, shape (N, D), floating dtype
            Training examples, one per row.
        y : ndarray, shape (N,), integer dtype
            Labels: y[i] = c means X[i] has label c, 0 <= c < C.
        learning_rate : float
            Step size, finite and > 0.
        reg : float
            Regularization strength (the loss adds reg * sum(W * W)), finite and >= 0.
        num_iters : int
            Number of SGD steps, >= 1.
        batch_size : int
            Examples per step, >= 1.
        verbose : bool
            Print the loss every 100 iterations.
        lr_decay : float, keyword-only
            Factor applied to the learning rate after each epoch; 1.0 (the default) keeps it
            constant, as the course does.
        seed : int or None, keyword-only
            With None the initial W and the minibatches are drawn from NumPy's global random
            state, so `np.random.seed(s)` before `train` makes a run repeatable. With an int they
            come from `np.random.RandomState(seed)` instead, which gives the same numbers as
            `np.random.seed(seed)` would, without touching the global state.
        dtype : numpy floating dtype or None, keyword-only
            Dtype of W and of the minibatch arithmetic. None uses X's dtype. np.float32 with
            float64 X gathers each minibatch into float32: half the memory traffic, the same
            accuracy (see benchmarks/bench_sgd.py). On a later call W keeps its dtype unless
            dtype is given.

        Returns
        -------
        loss_history : list of float, length num_iters
            The minibatch loss at each iteration, before that iteration's step.

        Raises
        ------
        ValueError
            If an input does not have the shape, dtype or range described above.
        TrainingDivergedError
            If the loss or W overflows (learning_rate or reg too large). W is then left as it
            was before the call.
        """
        X = check_features(X)
        num_train, dim = X.shape
        num_classes = None if self.W is None else self.W.shape[1]
        y = check_labels(y, num_train, num_classes)
        learning_rate = _check_positive_float(learning_rate, "learning_rate")
        lr_decay = _check_positive_float(lr_decay, "lr_decay")
        reg = check_reg(reg)
        num_iters = _check_positive_int(num_iters, "num_iters")
        batch_size = _check_positive_int(batch_size, "batch_size")
        if dtype is None:
            dtype = X.dtype if self.W is None else self.W.dtype
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(f"dtype must be a floating-point dtype; got {dtype}")
        rng = np.random if seed is None else np.random.RandomState(seed)

        if self.W is None:
            W = (0.001 * rng.randn(dim, int(y.max()) + 1)).astype(dtype)  # (D, C)
        else:
            check_weights(self.W, dim)
            W = self.W.astype(dtype)  # (D, C), a copy: self.W changes only if training succeeds
        step_size = dtype.type(learning_rate)
        iters_per_epoch = max(1, num_train // batch_size)
        X_batch = np.empty((batch_size, dim), dtype=dtype)  # reused by every step

        loss_history = []
        with threadpool_limits(limits=1, user_api="blas"), np.errstate(
            over="raise", invalid="raise", divide="raise"
        ):
            for it in range(num_iters):
                idx = rng.choice(num_train, batch_size)  # (batch_size,), with replacement
                if X.dtype == dtype:
                    # mode="clip" skips the bounds check, which with out= costs a buffered copy;
                    # idx is always in range.
                    np.take(X, idx, axis=0, out=X_batch, mode="clip")
                else:
                    X_batch[...] = X[idx]
                y_batch = y[idx]  # (batch_size,)
                try:
                    loss, grad = self.loss(X_batch, y_batch, reg, W=W)
                    W -= step_size * grad
                except (FloatingPointError, ValueError) as err:
                    # X, y and reg were validated above, so only a W grown out of range by the
                    # steps so far can make the loss overflow or reject its inputs here.
                    raise self._diverged(it, learning_rate, reg) from err
                if not math.isfinite(loss):
                    raise self._diverged(it, learning_rate, reg)
                loss_history.append(loss)
                if verbose and it % 100 == 0:
                    print(f"iteration {it} / {num_iters}: loss {loss:f}")
                if (it + 1) % iters_per_epoch == 0:
                    step_size *= dtype.type(lr_decay)

        self.W = W
        return loss_history

    @staticmethod
    def _diverged(it, learning_rate, reg):
        return TrainingDivergedError(
            f"training diverged at iteration {it}: the loss or the weights overflowed with "
            f"learning_rate={learning_rate:g} and reg={reg:g}. Lower the learning rate (or reg): "
            "SGD on this loss is stable only when learning_rate * reg is well below 1"
        )

    def predict(self, X):
        """Predict a label for every row of X.

        Parameters
        ----------
        X : ndarray, shape (N, D)

        Returns
        -------
        y_pred : ndarray, shape (N,), int64
            y_pred[i] is the class with the highest score for X[i].
        """
        if self.W is None:
            raise ValueError("this classifier has no weights yet: call train() or load() first")
        X = check_features(X)
        check_weights(self.W, X.shape[1])
        scores = X @ self.W  # (N, C)
        return np.argmax(scores, axis=1)

    def loss(self, X_batch, y_batch, reg, W=None):
        """Loss and gradient of the subclass's loss function on a minibatch.

        Parameters
        ----------
        X_batch : ndarray, shape (B, D)
        y_batch : ndarray, shape (B,)
        reg : float
        W : ndarray, shape (D, C), optional
            The weights to evaluate; defaults to self.W.

        Returns
        -------
        loss : float
        dW : ndarray, shape (D, C), the gradient of the loss with respect to W
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no loss: use a subclass such as Softmax or LinearSVM"
        )

    def save(self, fname, directory=None):
        """Write W to `directory/fname` as the course does: `np.save(path, {"W": W})`.

        `directory` defaults to cs231n/saved/ and is created if missing; an absolute `fname` is
        used as it is. Returns the path written.
        """
        if self.W is None:
            raise ValueError("there are no weights to save: call train() or load() first")
        path = os.path.join(SAVED_DIR if directory is None else directory, fname)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        np.save(path, {"W": self.W})
        return path

    def load(self, fname, directory=None):
        """Read W from `directory/fname` (default cs231n/saved/); return True on success.

        Reads both the course's format (a dict {"W": W} saved with np.save) and a plain array.
        A missing file prints a message and returns False, leaving W unchanged.
        """
        path = os.path.join(SAVED_DIR if directory is None else directory, fname)
        if not os.path.exists(path):
            print(f"{path} not found: nothing loaded")
            return False
        content = np.load(path, allow_pickle=True)
        if content.dtype == object and content.shape == ():
            params = content.item()
            if not isinstance(params, dict) or "W" not in params:
                raise ValueError(
                    f"{path} must hold an array or a dict with key 'W'; got {type(params).__name__}"
                    f" with keys {sorted(params) if isinstance(params, dict) else 'none'}"
                )
            content = params["W"]
        W = np.asarray(content)
        if W.ndim != 2 or not np.issubdtype(W.dtype, np.floating):
            raise ValueError(
                f"{path} must hold a 2-D floating-point W of shape (D, C); "
                f"got dtype {W.dtype} and shape {W.shape}"
            )
        self.W = W
        return True


class Softmax(LinearClassifier):
    """A linear classifier trained with the softmax (cross-entropy) loss."""

    def loss(self, X_batch, y_batch, reg, W=None):
        return softmax_loss_vectorized(self.W if W is None else W, X_batch, y_batch, reg)


class LinearSVM(LinearClassifier):
    """A linear classifier trained with the multiclass hinge (SVM) loss, margin 1."""

    def loss(self, X_batch, y_batch, reg, W=None):
        return svm_loss_vectorized(self.W if W is None else W, X_batch, y_batch, reg)
