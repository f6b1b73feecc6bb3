"""Tests specific to the multiclass SVM (hinge) loss: known values, and the numerical gradient at
the hinge's kink. The contract it shares with the softmax loss (dtypes, naive versus vectorized,
numerical gradients away from the kink, huge scores, bad inputs, side effects) is tested in
test_loss_contract.py.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import numpy as np
import pytest
from loss_problems import SHAPES, make_problem, ulps

from cs231n.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from cs231n.gradient_check import eval_numerical_gradient

# Any warning (e.g. a RuntimeWarning from an overflow) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

LOSSES = [svm_loss_naive, svm_loss_vectorized]


# Known values


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
def test_zero_weights_give_num_classes_minus_one(loss_fn, dtype, num_train, dim, num_classes):
    # With W = 0 every score is 0, so each of the C - 1 wrong classes has margin exactly 1.
    _, X, y = make_problem(num_train, dim, num_classes, dtype)
    W = np.zeros((dim, num_classes), dtype=dtype)

    loss, dW = loss_fn(W, X, y, reg=1.0)

    assert loss == num_classes - 1
    # M[i, j] = 1 for j != y[i] and M[i, y[i]] = -(C - 1): M = 1 - C * Y.
    M = 1.0 - num_classes * np.eye(num_classes)[y]  # (N, C)
    expected_dW = X.astype(np.float64).T @ M / num_train  # (D, C)
    tol = ulps(dtype, 64 * max(1, num_classes))
    np.testing.assert_allclose(dW, expected_dW, rtol=tol, atol=tol)


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_hand_computed_case(loss_fn, reg):
    # X is the identity, so example i's scores are row i of W.
    # Example 0, label 0, scores (0, -2, 0.5): margins 0 - 2 + 1 = -1 -> 0 and 0.5 + 1 = 1.5.
    # Example 1, label 1, scores (2, 0, -3): margins 2 + 1 = 3 and -3 + 1 = -2 -> 0.
    X = np.eye(2)
    W = np.array([[0.0, -2.0, 0.5], [2.0, 0.0, -3.0]])
    y = np.array([0, 1])

    loss, dW = loss_fn(W, X, y, reg)

    expected_loss = (1.5 + 3.0) / 2 + reg * (4.0 + 0.25 + 4.0 + 9.0)
    # M has rows (-1, 0, 1) and (1, -1, 0); dW = X^T M / N + 2 reg W.
    expected_dW = np.array([[-0.5, 0.0, 0.5], [0.5, -0.5, 0.0]]) + 2 * reg * W
    assert loss == pytest.approx(expected_loss, rel=1e-15)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-15, atol=1e-16)


# The kink


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_probe_straddling_the_kink_disagrees_and_others_agree(loss_fn):
    # X is the identity, so row i of W holds example i's scores, and only W[0, 1] sits on a
    # kink: example 0 (label 0) has margin W[0, 1] - W[0, 0] + 1 = -1 - 0 + 1 = 0 for class 1.
    # Every other margin is at least 0.5 away from 0.
    X = np.eye(2)
    W = np.array([[0.0, -1.0, 0.5], [2.0, 0.0, -3.0]])
    y = np.array([0, 1])
    h = 1e-5

    _, dW = loss_fn(W, X, y, 0.0)
    dW_numerical = eval_numerical_gradient(
        lambda w: loss_fn(w, X, y, 0.0)[0], W, h=h, verbose=False
    )

    errors = np.abs(dW_numerical - dW) / np.maximum(1e-8, np.abs(dW_numerical) + np.abs(dW))
    # The probes at W[0, 1] +- h see the margin +h (loss +h / N) and -h (clipped to 0), so the
    # numerical derivative is (h / 2 - 0) / (2 h) = 1/4, against the analytic choice 0 at the kink.
    # W[0, 0], the correct class's score, moves the same margin the other way and also the
    # margin 1.5 of class 2: the loss changes by -h / 2 at +h and by (h + h) / 2 at -h, so the
    # numerical derivative is -3/4, against the analytic -1/2 (class 2's margin only).
    assert dW[0, 1] == 0.0
    assert dW[0, 0] == -0.5
    assert dW_numerical[0, 1] == pytest.approx(0.25, rel=1e-6)
    assert dW_numerical[0, 0] == pytest.approx(-0.75, rel=1e-6)
    assert errors[0, 1] == pytest.approx(1.0)
    assert errors[0, 0] == pytest.approx(0.2, rel=1e-5)
    away_from_kink = np.ones(W.shape, dtype=bool)
    away_from_kink[0, :2] = False
    assert errors[away_from_kink].max() < 1e-8
