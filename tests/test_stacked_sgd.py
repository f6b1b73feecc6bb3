"""Tests of cs231n_search/stacked_sgd.py against a plain NumPy SGD loop written out here."""

import numpy as np
import pytest

from cs231n_search.stacked_sgd import compute_dtype, initial_weights, train_stacked

N, D, C, B = 300, 8, 4, 25


def blobs(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((C, D - 1))  # (C, D - 1)
    y = rng.integers(0, C, N)  # (N,)
    X = np.hstack([centers[y] + rng.standard_normal((N, D - 1)), np.ones((N, 1))])  # (N, D)
    return X.astype(dtype), y


def plain_sgd(X, y, lr, reg, init_seed, batch_seed, num_iters, lr_decay=1.0, average_last=0):
    """The course's SGD loop written out: the independent oracle for one configuration."""
    W = 0.001 * np.random.RandomState(init_seed).randn(D, C)  # (D, C)
    rng = np.random.RandomState(batch_seed)
    iterates = []
    for it in range(num_iters):
        idx = rng.choice(N, B)
        X_batch, y_batch = X[idx], y[idx]  # (B, D), (B,)
        scores = X_batch @ W  # (B, C)
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)  # (B, C)
        probs[np.arange(B), y_batch] -= 1
        W = W - lr * (X_batch.T @ probs / B + 2 * reg * W)
        iterates.append(W)
        if (it + 1) % (N // B) == 0:
            lr *= lr_decay
    return np.mean(iterates[-average_last:], axis=0) if average_last else W


CONFIGS = [(1e-2, 1e-3), (1e-1, 1e-2), (3e-2, 1.0), (1e-3, 0.0)]


@pytest.mark.parametrize("batch_seed", [0, 7])
@pytest.mark.parametrize("lr_decay", [1.0, 0.8])
def test_every_configuration_matches_the_plain_loop(batch_seed, lr_decay):
    X, y = blobs()
    lrs, regs = zip(*CONFIGS)
    trained = train_stacked(
        X, y, lrs, regs, [10, 11, 12, 13], num_classes=C, num_iters=150, batch_size=B,
        lr_decay=lr_decay, seed=batch_seed,
    )
    assert trained.diverged_at == [None] * 4
    for k, (lr, reg) in enumerate(CONFIGS):
        expected = plain_sgd(X, y, lr, reg, 10 + k, batch_seed, 150, lr_decay)
        np.testing.assert_allclose(trained.weights[k], expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_arithmetic_runs_in_the_data_dtype(dtype):
    X, y = blobs(1, dtype)
    trained = train_stacked(
        X, y, [0.05], [0.01], [5], num_classes=C, num_iters=100, batch_size=B, seed=5,
        lr_decay=0.9,
    )
    expected = plain_sgd(X.astype(np.float64), y, 0.05, 0.01, 5, 5, 100, 0.9)
    assert trained.weights[0].dtype == dtype
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(trained.weights[0], expected, rtol=tolerance, atol=tolerance * 1e-2)


def test_integer_data_train_in_float64_as_the_same_data_in_float64():
    X, y = blobs(1)
    X_int = np.round(10 * X).astype(np.int16)  # (N, D)
    options = dict(num_classes=C, num_iters=50, batch_size=B, seed=1)
    trained = train_stacked(X_int, y, [1e-3], [0.1], [0], **options)
    as_float = train_stacked(X_int.astype(np.float64), y, [1e-3], [0.1], [0], **options)
    assert compute_dtype(X_int) == np.float64
    assert trained.weights[0].dtype == np.float64
    np.testing.assert_array_equal(trained.weights[0], as_float.weights[0])


def test_initial_weights_are_small_normal_numbers_from_the_seed():
    W = initial_weights(D, C, 3, np.float32)
    expected = (0.001 * np.random.RandomState(3).randn(D, C)).astype(np.float32)
    np.testing.assert_array_equal(W, expected)
    assert W.dtype == np.float32


def test_a_configuration_does_not_depend_on_its_stack_neighbours():
    X, y = blobs(2, np.float32)
    options = dict(num_classes=C, num_iters=120, batch_size=B, seed=3, lr_decay=0.9)
    together = train_stacked(X, y, [1e-2, 1e-1, 3e-2], [1e-3, 1e-2, 1.0], [0, 1, 2], **options)
    alone = train_stacked(X, y, [1e-1], [1e-2], [1], **options)
    np.testing.assert_array_equal(together.weights[1], alone.weights[0])


def test_a_diverging_configuration_leaves_the_stack_and_spares_the_others():
    X, y = blobs(3)
    X = 1e3 * X
    options = dict(num_classes=C, num_iters=100, batch_size=B, seed=0)
    trained = train_stacked(X, y, [1e-6, 10.0, 1e-5], [1.0, 1e6, 1.0], [0, 1, 2], **options)
    assert trained.weights[1] is None
    assert 0 <= trained.diverged_at[1] < 50
    assert trained.diverged_at[0] is None and trained.diverged_at[2] is None
    without = train_stacked(X, y, [1e-6, 1e-5], [1.0, 1.0], [0, 2], **options)
    np.testing.assert_array_equal(trained.weights[0], without.weights[0])
    np.testing.assert_array_equal(trained.weights[2], without.weights[1])


def test_every_configuration_diverging_ends_training():
    X, y = blobs(3)
    steps = []
    trained = train_stacked(
        1e3 * X, y, [10.0, 20.0], [1e6, 1e6], [0, 1], num_classes=C, num_iters=500,
        batch_size=B, on_step=steps.append,
    )
    assert trained.weights == [None, None]
    assert len(steps) < 50


@pytest.mark.parametrize("epochs", [1, 2.5])
def test_averaging_the_last_epochs_is_the_mean_of_those_iterates(epochs):
    X, y = blobs(4)
    trained = train_stacked(
        X, y, [0.1, 0.02], [1e-3, 0.1], [0, 1], num_classes=C, num_iters=100, batch_size=B,
        lr_decay=0.9, seed=2, average_last_epochs=epochs,
    )
    last = round(epochs * (N // B))
    for k, (lr, reg) in enumerate([(0.1, 1e-3), (0.02, 0.1)]):
        expected = plain_sgd(X, y, lr, reg, k, 2, 100, 0.9, average_last=last)
        np.testing.assert_allclose(trained.weights[k], expected, rtol=1e-9, atol=1e-12)


def test_tiny_probabilities_are_flushed_without_changing_the_weights():
    # Scores hundreds apart make most probabilities far below exp(-60): the flushed stacked
    # step and the plain loop agree to rounding.
    X, y = blobs(5)
    X = 30 * X
    trained = train_stacked(
        X, y, [1e-2], [1e-4], [0], num_classes=C, num_iters=60, batch_size=B, seed=1
    )
    expected = plain_sgd(X, y, 1e-2, 1e-4, 0, 1, 60)
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(trained.weights[0], expected, rtol=1e-9, atol=1e-10)


def test_non_finite_training_rows_are_an_input_error():
    X, y = blobs(6)
    X[17, 2] = np.nan
    with pytest.raises(ValueError, match="row 17"):
        train_stacked(X, y, [0.01], [0.0], [0], num_classes=C, num_iters=200, batch_size=B)
