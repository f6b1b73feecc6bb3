"""Tests specific to the softmax loss: known values, the notebook's sparse gradient check, huge
random scores, and finite inputs whose sums overflow. The contract it shares with the SVM loss
(dtypes, naive versus vectorized, numerical gradients, bad inputs, side effects) is tested in
test_loss_contract.py.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import math

import numpy as np
import pytest
from loss_problems import SHAPES, make_problem, ulps

from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.gradient_check import grad_check_sparse

# Any warning (e.g. a RuntimeWarning from exp or log) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

LOSSES = [softmax_loss_naive, softmax_loss_vectorized]


# Known values


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
def test_zero_weights_give_log_num_classes(loss_fn, dtype, num_train, dim, num_classes):
    # With W = 0 every class has probability 1/C, so every example costs log C.
    _, X, y = make_problem(num_train, dim, num_classes, dtype)
    W = np.zeros((dim, num_classes), dtype=dtype)

    loss, dW = loss_fn(W, X, y, reg=1.0)

    assert loss == pytest.approx(math.log(num_classes), rel=ulps(dtype), abs=ulps(dtype))
    one_hot = np.eye(num_classes)[y]  # (N, C)
    expected_dW = X.astype(np.float64).T @ (1 / num_classes - one_hot) / num_train  # (D, C)
    np.testing.assert_allclose(dW, expected_dW, rtol=ulps(dtype, 64), atol=ulps(dtype, 64))


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_hand_computed_case(loss_fn, reg):
    # X is the identity, so example i's scores are row i of W.
    # Example 0: scores (0, log 3), probabilities (1/4, 3/4), label 0: loss log 4.
    # Example 1: scores (0, 0), probabilities (1/2, 1/2), label 1: loss log 2.
    X = np.eye(2)
    W = np.array([[0.0, math.log(3)], [0.0, 0.0]])
    y = np.array([0, 1])

    loss, dW = loss_fn(W, X, y, reg)

    expected_loss = (math.log(4) + math.log(2)) / 2 + reg * math.log(3) ** 2
    # (P - Y) / N with rows (1/4 - 1, 3/4) and (1/2, 1/2 - 1), times X^T = I, plus 2 reg W.
    expected_dW = np.array([[-3 / 8, 3 / 8], [1 / 4, -1 / 4]]) + 2 * reg * W
    assert loss == pytest.approx(expected_loss, rel=1e-15)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-15, atol=1e-16)


# Analytic versus numerical gradient


@pytest.mark.parametrize("reg", [0.0, 50.0])
def test_sparse_gradient_check_as_in_the_notebook(reg):
    # The notebook's check: the naive loss probed at random entries of W, scale 1e-4.
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 20))  # (N, D)
    W = 1e-4 * rng.standard_normal((20, 10))  # (D, C)
    y = rng.integers(0, 10, size=30)  # (N,)
    _, dW = softmax_loss_naive(W, X, y, reg)

    errors = grad_check_sparse(
        lambda w: softmax_loss_naive(w, X, y, reg)[0], W, dW, num_checks=10, seed=5, verbose=False
    )

    assert errors.shape == (10,)
    assert errors.max() < 1e-7


# Huge scores


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huge_random_scores_agree_and_are_finite(dtype):
    W, X, y = make_problem(20, 8, 5, dtype, seed=6)
    W = W * dtype(1e5)  # scores of order 1e5

    loss_naive, dW_naive = softmax_loss_naive(W, X, y, 0.0)
    loss_vec, dW_vec = softmax_loss_vectorized(W, X, y, 0.0)

    assert math.isfinite(loss_vec) and loss_vec > 1e3
    assert np.isfinite(dW_vec).all()
    assert loss_vec == pytest.approx(loss_naive, rel=1e-5)
    np.testing.assert_allclose(dW_vec, dW_naive, rtol=1e-5, atol=1e-5 * np.abs(dW_naive).max())


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_finite_inputs_whose_sums_overflow_pass_validation(loss_fn):
    # Every entry of X is finite although its sum overflows to inf: a validation by a reduction
    # must not reject it. Scores (1e8, 0): label 0 has probability 1, so loss and gradient are 0.
    X = np.array([[1e308, 1e308]])  # (1, 2)
    W = np.array([[1e-300, 0.0], [0.0, 0.0]])  # (2, 2)

    loss, dW = loss_fn(W, X, np.array([0]), 0.0)

    assert loss == 0.0
    np.testing.assert_array_equal(dW, np.zeros((2, 2)))
