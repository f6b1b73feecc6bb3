"""Train many softmax classifiers at once by SGD: one stacked weight matrix, shared minibatches.

Shapes: N training examples, D features, C classes, K configurations, B = batch_size.
    X (N, D), y (N,) integer labels in [0, C). Inside, the K configurations' weight matrices are
    stacked transposed, W (K * C, D), rows k*C .. k*C + C - 1 holding W_k^T, and the scores are
    kept as (K, C, B): the sums over the C classes then run along rows of B numbers, several
    times faster in NumPy than along rows of C = 10. The weights returned are (D, C) as usual.

Every configuration k has its own learning rate lr_k, regularization strength reg_k and starting
weights (`initial_weights`), and minimizes the softmax loss with L2 regularization

    L_k = (1/B) sum_i -log p_k[i, y[i]]  +  reg_k * sum(W_k * W_k),
    dL_k/dW_k = (1/B) X_batch^T (P_k - Y)  +  2 * reg_k * W_k,

by minibatch SGD: sample B rows of X with replacement, step `W_k -= lr_k * dL_k/dW_k`, and
multiply lr_k by `lr_decay` after every epoch (max(1, N // B) steps). **All configurations
share each minibatch**: one generator, `np.random.RandomState(seed)`, draws the rows once per
step for all of them. Then a step costs one copy of B rows and two wide matrix products,
X_batch @ W^T for the (B, K * C) scores and dscores @ X_batch for the (K * C, D) gradient, which
run at several times the speed per column of K separate (D, C) products.

The rows of a configuration never mix with another's, and on OpenBLAS (one thread) a row or
column of a matrix product does not depend on its neighbours, so configuration k ends with the
same W whichever other configurations share its stack (tested in tests/test_stacked_sgd.py).

Numerics: the scores are shifted by their row's maximum before exp, per configuration (the
log-sum-exp trick). Probabilities below exp(-60) are set to zero: they change no weight by more
than rounding, and float32 numbers that small are denormal, which makes the gradient product about
5 times slower at learning rates near 1e-4. The learning rate is folded into the (K, C, B)
probabilities before the gradient product, so for tiny learning rates the threshold rises to keep
lr_k * p / B a normal number too.

Divergence: a configuration whose loss stops being finite (learning_rate * reg too large) leaves
the stack at once, its columns removed, so it costs the others nothing; it is reported with the
iteration at which it diverged. If X_batch itself holds NaN or infinity, that is an input error and
raises ValueError.

Averaging (optional): with `average_last_epochs=E` the weights returned are the mean of the
iterates of the last E epochs (Polyak-Ruppert averaging), a cheap way to cancel much of the noise
that minibatch steps leave in the final iterate.
"""

import math

import numpy as np

__all__ = [
    "FLUSH_EXPONENT", "StackedResult", "compute_dtype", "initial_weights", "train_stacked",
]

# Probabilities below exp(FLUSH_EXPONENT) count as zero (see the module docstring).
FLUSH_EXPONENT = -60.0


class StackedResult:
    """What `train_stacked` returns.

    Attributes
    ----------
    weights : list of (ndarray (D, C) or None), length K
        The trained (or averaged) weights of every configuration, None if it diverged.
    diverged_at : list of (int or None), length K
        The iteration at which each configuration's loss stopped being finite, None if it did not.
    """

    def __init__(self, weights, diverged_at):
        self.weights = weights
        self.diverged_at = diverged_at


def compute_dtype(X):
    """The dtype training computes in by default: X's if it is floating, else float64."""
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)


def initial_weights(dim, num_classes, seed, dtype):
    """A configuration's starting weights: 0.001 * randn(D, C) from RandomState(seed), in dtype."""
    rng = np.random.RandomState(seed)
    return (0.001 * rng.randn(dim, num_classes)).astype(dtype)  # (D, C)


def train_stacked(
    X,
    y,
    learning_rates,
    regs,
    init_seeds,
    *,
    num_classes,
    num_iters,
    batch_size,
    lr_decay=1.0,
    seed=0,
    dtype=None,
    average_last_epochs=0,
    on_step=None,
):
    """Train K softmax classifiers on shared minibatches; see the module docstring.

    The caller validates the inputs (`cs231n_search.hyperparameter_search.grid_search` does, with
    `cs231n_search.checks`).

    Parameters
    ----------
    X : ndarray, shape (N, D), real dtype
    y : ndarray, shape (N,), integers in [0, num_classes)
    learning_rates, regs, init_seeds : sequences of length K
        Configuration k starts from `initial_weights(D, num_classes, init_seeds[k], dtype)` and
        trains with learning_rates[k] and regs[k].
    num_classes : int
    num_iters, batch_size : int
    lr_decay : float
        Every learning rate is multiplied by lr_decay after each epoch.
    seed : int or np.random.RandomState
        Seeds `np.random.RandomState` (or is the generator) that draws the minibatches shared by
        all configurations.
    dtype : floating dtype or None
        Dtype of W and of the arithmetic; None: `compute_dtype(X)`.
    average_last_epochs : float
        If > 0, return for every configuration the mean of its weights after each of the last
        round(average_last_epochs * max(1, N // batch_size)) steps (at most num_iters) instead of
        the last weights.
    on_step : callable or None
        Called as on_step(it) after each step it (0-based); it may raise to stop training.

    Returns
    -------
    StackedResult
    """
    dtype = compute_dtype(X) if dtype is None else np.dtype(dtype)
    rng = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    iters_per_epoch = max(1, len(X) // batch_size)
    average_from = _averaging_start(num_iters, iters_per_epoch, average_last_epochs)
    starts = [initial_weights(X.shape[1], num_classes, s, dtype).T for s in init_seeds]
    W = np.ascontiguousarray(np.concatenate(starts))  # (K * C, D), rows in C order
    stack = _Stack(W, learning_rates, regs, num_classes, batch_size)
    X_batch = np.empty((batch_size, X.shape[1]), dtype=dtype)  # reused by every step
    with np.errstate(all="ignore"):  # overflow shows up as a non-finite loss, handled below
        for it in range(num_iters):
            idx = rng.choice(len(X), batch_size)  # (B,), with replacement
            _copy_rows(X, idx, X_batch)
            if not stack.step(X_batch, y[idx], it):
                _check_finite_rows(X_batch, idx)
                if not len(stack.configs):
                    break
            if it >= average_from:
                stack.add_to_average()
            if (it + 1) % iters_per_epoch == 0:
                stack.decay(lr_decay)
            if on_step is not None:
                on_step(it)
        return stack.result(num_iters)


def _averaging_start(num_iters, iters_per_epoch, average_last_epochs):
    """The first step whose weights enter the average (num_iters: no averaging)."""
    if average_last_epochs <= 0:
        return num_iters
    return num_iters - min(num_iters, round(average_last_epochs * iters_per_epoch))


def _copy_rows(X, idx, X_batch):
    """X_batch[...] = X[idx], in X_batch's dtype, without a temporary when the dtypes agree."""
    if X.dtype == X_batch.dtype:
        np.take(X, idx, axis=0, out=X_batch, mode="clip")  # idx is always in range
    else:
        X_batch[...] = X[idx]


def _check_finite_rows(X_batch, idx):
    """Raise ValueError naming the first row of X in the minibatch that is not finite."""
    bad_rows = np.flatnonzero(~np.isfinite(X_batch).all(axis=1))
    if len(bad_rows):
        raise ValueError(
            f"X must contain only finite values; row {idx[bad_rows[0]]} holds NaN or infinity"
        )


class _Stack:
    """The configurations still training: their stacked weights, constants and running average.

    Attributes: configs (Ka,) the configuration numbers still training; W (Ka * C, D), rows
    j*C .. j*C + C - 1 holding W^T of configs[j]; step_size and reg (Ka,); W_sum (Ka * C, D) the
    float64 sum of the iterates averaged so far (None before averaging begins: a float32 sum of
    thousands of iterates would lose about ten bits); diverged_at, one entry per configuration.
    """

    def __init__(self, W, learning_rates, regs, num_classes, batch_size):
        K, C, B = len(learning_rates), num_classes, batch_size
        self.C, self.B, self.dtype = C, B, W.dtype
        self.configs = np.arange(K)  # (Ka,)
        self.W = W  # (Ka * C, D)
        self.step_size = np.array(learning_rates, dtype=W.dtype)  # (Ka,)
        self.reg = np.array(regs, dtype=W.dtype)  # (Ka,)
        self.W_sum, self.num_averaged = None, 0
        self.diverged_at = [None] * K
        self.score_buffer = np.empty((K * C, B), dtype=W.dtype)  # reused by every step
        self.step_buffer = np.empty_like(W)  # reused by every step
        # Flat index into a (Ka, C, B) array of block j, class 0, example i: j * C * B + i.
        self.block_starts = np.arange(K)[:, np.newaxis] * (C * B) + np.arange(B)  # (K, B)
        self._set_step_constants()

    def _set_step_constants(self):
        """What a step needs of every lr_k and reg_k; changes once an epoch."""
        self.scale = self.step_size / self.dtype.type(self.B)  # (Ka,): lr_k / B
        # Probabilities p with lr_k * p / B below this are set to zero: p < exp(-60), or p so
        # small that lr_k * p / B would be denormal.
        tiny = np.finfo(self.dtype).tiny  # the smallest normal number of dtype
        flush = np.maximum(math.exp(FLUSH_EXPONENT) * self.scale, tiny).astype(self.dtype)
        self.flush = flush[:, np.newaxis, np.newaxis]  # (Ka, 1, 1)
        # The regularization's decay factor, computed in float64 and rounded once to dtype: in
        # float32 that changes a step by about as much as the rounding of W itself does.
        shrink = 1 - 2 * self.step_size.astype(np.float64) * self.reg.astype(np.float64)
        self.shrink = np.repeat(shrink, self.C).astype(self.dtype)[:, np.newaxis]  # (Ka * C, 1)

    def step(self, X_batch, y_batch, it):
        """One SGD step on the minibatch; False if a configuration's loss was not finite.

        Such configurations leave the stack (their step is not taken); the others step.
        """
        exp_scores, exp_sums, finite = self._softmax(X_batch, y_batch)
        if not finite.all():
            self._drop(finite, it)
            exp_scores, exp_sums = exp_scores[finite], exp_sums[finite]
        if len(self.configs):
            self._descend(exp_scores, exp_sums, X_batch, y_batch)
        return bool(finite.all())

    def _labels(self, y_batch):
        """(Ka, B) flat indices into a (Ka, C, B) array of each example's correct class."""
        return self.block_starts[: len(self.configs)] + y_batch * self.B

    def _softmax(self, X_batch, y_batch):
        """exp of the shifted scores (Ka, C, B), their sums over classes (Ka, B), and whether
        each configuration's loss is finite (Ka,)."""
        Ka, C, B = len(self.configs), self.C, self.B
        scores = self.score_buffer[: Ka * C].reshape(Ka, C, B)
        np.copyto(scores, (X_batch @ self.W.T).T.reshape(Ka, C, B))  # (Ka, C, B)
        scores -= scores.max(axis=1, keepdims=True)  # each example's largest score is now 0
        correct = scores.take(self._labels(y_batch))  # (Ka, B)
        exp_scores = np.exp(scores, out=scores)  # (Ka, C, B), not yet normalized
        exp_sums = exp_scores.sum(axis=1)  # (Ka, B), each >= 1
        data_loss = np.mean(np.log(exp_sums) - correct, axis=1)  # (Ka,)
        squares = np.einsum("jd,jd->j", self.W, self.W).reshape(Ka, C).sum(axis=1)  # (Ka,)
        return exp_scores, exp_sums, np.isfinite(data_loss + self.reg * squares)

    def _descend(self, exp_scores, exp_sums, X_batch, y_batch):
        """W_k <- (1 - 2 lr_k reg_k) W_k - lr_k (data gradient), for every configuration."""
        Ka, C, B = len(self.configs), self.C, self.B
        dscores = exp_scores  # becomes lr_k * (P_k - Y) / B in place, (Ka, C, B)
        dscores *= (self.scale[:, np.newaxis] / exp_sums)[:, np.newaxis, :]  # lr_k * P_k / B
        dscores[dscores < self.flush] = 0
        dscores.reshape(-1)[self._labels(y_batch)] -= self.scale[:, np.newaxis]
        step = np.matmul(dscores.reshape(Ka * C, B), X_batch, out=self.step_buffer[: Ka * C])
        self.W *= self.shrink  # (Ka * C, 1) column
        self.W -= step  # (Ka * C, D)

    def _drop(self, finite, it):
        """Remove the configurations whose loss is not finite; they diverged at step it."""
        for k in self.configs[~finite]:
            self.diverged_at[k] = it
        rows = np.repeat(finite, self.C)  # (Ka * C,)
        self.configs, self.step_size, self.reg = (
            self.configs[finite], self.step_size[finite], self.reg[finite]
        )
        self.W = self.W[rows]
        if self.W_sum is not None:
            self.W_sum = self.W_sum[rows]
        self._set_step_constants()

    def add_to_average(self):
        """Add the current weights to the running sum of averaged iterates."""
        self.num_averaged += 1
        if self.W_sum is None:
            self.W_sum = self.W.astype(np.float64)
        else:
            self.W_sum += self.W

    def decay(self, lr_decay):
        """Multiply every learning rate by lr_decay (once an epoch)."""
        self.step_size *= self.dtype.type(lr_decay)
        self._set_step_constants()

    def result(self, num_iters):
        """The StackedResult: each configuration's last (or averaged) weights, (D, C)."""
        final = self.W  # (Ka * C, D)
        if self.W_sum is not None:
            final = (self.W_sum / self.num_averaged).astype(self.dtype)
        weights = [None] * len(self.diverged_at)
        for j, k in enumerate(self.configs):
            W_k = final[j * self.C : (j + 1) * self.C].T  # (D, C)
            if np.isfinite(W_k).all():
                weights[k] = W_k.copy()
            else:  # the last step overflowed
                self.diverged_at[k] = num_iters - 1
        return StackedResult(weights, self.diverged_at)
