"""Train many softmax classifiers at once by SGD: one stacked weight matrix, shared minibatches.

Shapes: N training examples, D features, C classes, K configurations, B = batch_size.
    X (N, D), y (N,) integer labels in [0, C). Inside, the K configurations' weight matrices are
    stacked transposed, W (K * C, D), rows k*C .. k*C + C - 1 holding W_k^T, and the scores are
    kept as (K, C, B): the sums over the C classes then run along rows of B numbers, several
    times faster in NumPy than along rows of C = 10. The weights returned are (D, C) as usual.

Every configuration k has its own learning rate lr_k, regularization strength reg_k and starting
weights, and minimizes the course's softmax loss

    L_k = (1/B) sum_i -log p_k[i, y[i]]  +  reg_k * sum(W_k * W_k),
    dL_k/dW_k = (1/B) X_batch^T (P_k - Y)  +  2 * reg_k * W_k,

by the same SGD steps as `Softmax.train`: sample B rows of X with replacement, step
`W_k -= lr_k * dL_k/dW_k`, and multiply lr_k by `lr_decay` after every epoch
(max(1, N // B) steps). The difference is that **all configurations share each minibatch**:
one generator, `np.random.RandomState(seed)`, draws the rows once per step for all of them. Then a
step costs one gather and two wide matrix products, X_batch @ W^T for the (B, K * C) scores and
dscores @ X_batch for the (K * C, D) gradient, which run at several times the speed per column
of K separate (D, C) products.

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

__all__ = ["FLUSH_EXPONENT", "StackedResult", "initial_weights", "train_stacked"]

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


def initial_weights(dim, num_classes, seed, dtype):
    """The starting weights of `Softmax().train(..., seed=seed)`: 0.001 * randn(D, C) in dtype."""
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

    The caller validates the inputs (`cs231n_search.hyperparameter_search.grid_search` does).

    Parameters
    ----------
    X : ndarray, shape (N, D), floating dtype
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
        Dtype of W and of the arithmetic; None uses X's dtype.
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
    dtype = np.dtype(X.dtype if dtype is None else dtype)
    num_train, dim = X.shape
    K, C, B = len(learning_rates), num_classes, batch_size
    rng = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    iters_per_epoch = max(1, num_train // B)
    average_from = num_iters - min(num_iters, round(average_last_epochs * iters_per_epoch))
    if average_last_epochs <= 0:
        average_from = num_iters

    configs = np.arange(K)  # (Ka,) configuration of each block of C rows still training
    W = np.empty((K * C, dim), dtype=dtype)  # (Ka * C, D): rows k*C .. k*C + C - 1 hold W_k^T
    for k, init_seed in enumerate(init_seeds):
        W[k * C : (k + 1) * C] = initial_weights(dim, C, init_seed, dtype).T
    step_size = np.array(learning_rates, dtype=dtype)  # (Ka,)
    reg = np.array(regs, dtype=dtype)  # (Ka,)
    decay = dtype.type(lr_decay)
    tiny = np.finfo(dtype).tiny  # the smallest normal number of dtype
    X_batch = np.empty((B, dim), dtype=dtype)  # reused by every step
    score_buffer = np.empty((K * C, B), dtype=dtype)  # reused by every step
    step_buffer = np.empty((K * C, dim), dtype=dtype)  # reused by every step
    # Flat index into a (Ka, C, B) array of block j, class 0, example i: j * C * B + i.
    block_starts = np.arange(K)[:, np.newaxis] * (C * B) + np.arange(B)  # (K, B)

    def per_configuration(step_size, reg):
        """What a step needs of every configuration's lr_k and reg_k; changes once an epoch."""
        scale = step_size / dtype.type(B)  # (Ka,): lr_k / B
        # Probabilities p with lr_k * p / B below this are set to zero: p < exp(-60), or p so
        # small that lr_k * p / B would be denormal.
        flush = np.maximum(math.exp(FLUSH_EXPONENT) * scale, tiny).astype(dtype)  # (Ka,)
        # The regularization's decay factor, computed in float64 and rounded once to dtype: in
        # float32 that changes a step by about as much as the rounding of W itself does.
        shrink = 1 - 2 * step_size.astype(np.float64) * reg.astype(np.float64)  # (Ka,)
        shrink = np.repeat(shrink, C).astype(dtype)[:, np.newaxis]  # (Ka * C, 1)
        return scale, flush[:, np.newaxis, np.newaxis], shrink

    scale, flush, shrink = per_configuration(step_size, reg)
    # Once averaging has begun: the sum of the iterates so far, in float64 (one pass a step; a
    # float32 sum of thousands of iterates would lose about ten bits).
    W_sum = None  # (Ka * C, D)
    num_averaged = 0
    weights, diverged_at = [None] * K, [None] * K

    with np.errstate(all="ignore"):  # overflow shows up as a non-finite loss, handled below
        for it in range(num_iters):
            idx = rng.choice(num_train, B)  # (B,), with replacement
            if X.dtype == dtype:
                np.take(X, idx, axis=0, out=X_batch, mode="clip")  # idx is always in range
            else:
                X_batch[...] = X[idx]
            y_batch = y[idx]  # (B,)

            # The scores are kept transposed, (Ka, C, B): the sums over classes then run along
            # rows of B numbers, several times faster than along rows of C = 10.
            Ka = len(configs)
            scores = score_buffer[: Ka * C].reshape(Ka, C, B)
            np.copyto(scores, (X_batch @ W.T).T.reshape(Ka, C, B))  # (Ka, C, B)
            scores -= scores.max(axis=1, keepdims=True)  # each example's largest score is now 0
            labels = block_starts[:Ka] + y_batch * B  # (Ka, B): flat index of s_k[y[i], i]
            correct = scores.take(labels)  # (Ka, B)
            probs = np.exp(scores, out=scores)  # (Ka, C, B), not yet normalized
            exp_sums = probs.sum(axis=1)  # (Ka, B), each >= 1
            data_loss = np.mean(np.log(exp_sums) - correct, axis=1)  # (Ka,)
            squares = np.einsum("jd,jd->j", W, W).reshape(Ka, C).sum(axis=1)  # (Ka,)
            finite = np.isfinite(data_loss + reg * squares)  # (Ka,)

            if not finite.all():
                if not np.isfinite(X_batch).all():
                    bad = idx[np.flatnonzero(~np.isfinite(X_batch).all(axis=1))[0]]
                    raise ValueError(
                        f"X must contain only finite values; row {bad} holds NaN or infinity"
                    )
                for k in configs[~finite]:
                    diverged_at[k] = it
                rows = np.repeat(finite, C)  # (Ka * C,)
                configs, step_size, reg = configs[finite], step_size[finite], reg[finite]
                W = W[rows]
                if W_sum is not None:
                    W_sum = W_sum[rows]
                probs, exp_sums = probs[finite], exp_sums[finite]
                scale, flush, shrink = per_configuration(step_size, reg)
                Ka = len(configs)
                labels = block_starts[:Ka] + y_batch * B
                if not Ka:
                    break

            dscores = probs  # becomes lr_k * (P_k - Y) / B in place, (Ka, C, B)
            dscores *= (scale[:, np.newaxis] / exp_sums)[:, np.newaxis, :]  # lr_k * P_k / B
            dscores[dscores < flush] = 0
            dscores.reshape(-1)[labels] -= scale[:, np.newaxis]
            # W_k - lr_k (data gradient + 2 reg_k W_k) = (1 - 2 lr_k reg_k) W_k - lr_k (data grad.)
            step = np.matmul(dscores.reshape(Ka * C, B), X_batch, out=step_buffer[: Ka * C])
            W *= shrink  # (Ka * C, 1) column
            W -= step  # (Ka * C, D)

            if it >= average_from:
                num_averaged += 1
                if W_sum is None:
                    W_sum = W.astype(np.float64)
                else:
                    W_sum += W
            if (it + 1) % iters_per_epoch == 0:
                step_size *= decay
                scale, flush, shrink = per_configuration(step_size, reg)
            if on_step is not None:
                on_step(it)

        final = W if W_sum is None else (W_sum / num_averaged).astype(dtype)
        for j, k in enumerate(configs):
            W_k = final[j * C : (j + 1) * C].T  # (D, C)
            if np.isfinite(W_k).all():
                weights[k] = W_k.copy()
            else:  # the last step overflowed
                diverged_at[k] = num_iters - 1
    return StackedResult(weights, diverged_at)
