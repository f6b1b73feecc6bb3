"""Tests of the multiclass SVM (hinge) loss: known values, the naive loop as an oracle for the
vectorized version, numerical gradients away from and at the hinge's kink, huge scores, dtypes,
bad inputs, and that the inputs are left alone.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import numpy as np
import pytest

from cs231n.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from cs231n.gradient_check import eval_numerical_gradient, rel_error

# Any warning (e.g. a RuntimeWarning from an overflow) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

LOSSES = [svm_loss_naive, svm_loss_vectorized]
SHAPES = [(1, 1, 1), (1, 4, 3), (7, 5, 4), (40, 33, 10)]  # (N, D, C)
REGS = [0.0, 0.5, 50.0]


def make_problem(num_train, dim, num_classes, dtype=np.float64, seed=0):
    """Random W (D, C) of scale 0.1, X (N, D) standard normal and labels y (N,)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((num_train, dim)).astype(dtype)  # (N, D)
    W = (0.1 * rng.standard_normal((dim, num_classes))).astype(dtype)  # (D, C)
    y = rng.integers(0, num_classes, size=num_train)  # (N,)
    return W, X, y


def global_random_state():
    """Key and position of NumPy's global generator, to check that a call leaves it alone."""
    _, key, position, *_ = np.random.get_state()  # noqa: NPY002 (the legacy global generator)
    return key.copy(), position


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
    tol = 64 * float(np.finfo(dtype).eps) * max(1, num_classes)
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


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_loss_is_a_python_float(loss_fn):
    W, X, y = make_problem(5, 4, 3, np.float32)
    loss, _ = loss_fn(W, X, y, 0.1)
    assert type(loss) is float


# Naive versus vectorized, float32 versus float64


@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-4)])
def test_naive_matches_vectorized(dtype, rtol, num_train, dim, num_classes, reg):
    W, X, y = make_problem(num_train, dim, num_classes, dtype, seed=1)

    loss_naive, dW_naive = svm_loss_naive(W, X, y, reg)
    loss_vec, dW_vec = svm_loss_vectorized(W, X, y, reg)

    assert loss_vec == pytest.approx(loss_naive, rel=rtol)
    assert dW_naive.dtype == dW_vec.dtype == dtype
    scale = max(np.abs(dW_naive).max(), 1.0)
    np.testing.assert_allclose(dW_vec, dW_naive, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
def test_float32_is_computed_in_float32_and_matches_float64(
    loss_fn, num_train, dim, num_classes, reg
):
    W, X, y = make_problem(num_train, dim, num_classes, np.float32, seed=2)

    loss32, dW32 = loss_fn(W, X, y, reg)
    loss64, dW64 = loss_fn(W.astype(np.float64), X.astype(np.float64), y, reg)

    assert dW32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-4)
    scale = max(np.abs(dW64).max(), 1.0)
    np.testing.assert_allclose(dW32, dW64, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("w_dtype, x_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_dW_has_the_dtype_of_W(loss_fn, w_dtype, x_dtype):
    W, X, y = make_problem(6, 5, 4, seed=3)
    _, dW = loss_fn(W.astype(w_dtype), X.astype(x_dtype), y, 0.5)
    assert dW.dtype == w_dtype
    assert dW.shape == W.shape


# Analytic versus numerical gradient, and the kink


# Random scores keep every margin far from 0 compared with h = 1e-5, so no probe crosses the kink.
@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 50.0])
@pytest.mark.parametrize("num_train, dim, num_classes", [(1, 4, 3), (7, 5, 4), (10, 3, 6)])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_numerical_gradient(loss_fn, reg, num_train, dim, num_classes, seed):
    W, X, y = make_problem(num_train, dim, num_classes, seed=seed)

    _, dW = loss_fn(W, X, y, reg)
    dW_numerical = eval_numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W, verbose=False)

    assert rel_error(dW_numerical, dW) < 1e-7


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


# Huge scores


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "label, expected_loss, expected_dW",
    [
        (0, 100001.0, [[-1.0, 1.0, 0.0]]),
        (1, 0.0, [[0.0, 0.0, 0.0]]),
        (2, 300002.0, [[1.0, 1.0, -2.0]]),
    ],
)
def test_scores_that_differ_by_1e5_give_exact_results(
    loss_fn, dtype, label, expected_loss, expected_dW
):
    X = np.array([[1.0]], dtype=dtype)  # (1, 1)
    W = np.array([[0.0, 1e5, -1e5]], dtype=dtype)  # (1, 3): the scores are W's row

    loss, dW = loss_fn(W, X, np.array([label]), 0.0)

    assert loss == expected_loss
    np.testing.assert_array_equal(dW, np.array(expected_dW, dtype=dtype))


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e20), (np.float64, 1e200)])
def test_inputs_too_large_for_the_dtype_raise(loss_fn, dtype, scale):
    W, X, y = make_problem(4, 3, 5, dtype, seed=7)
    W = W * dtype(scale)

    with pytest.raises(ValueError, match=r"overflowed .*max \|W\| = "):
        loss_fn(W, X, y, 0.1)


# Bad input


def bad_inputs():
    """(id, W, X, y, reg, expected message) for inputs every loss must reject with ValueError."""
    W, X, y = make_problem(4, 3, 5, seed=8)  # W (3, 5), X (4, 3), y (4,)
    X_nan, W_inf = X.copy(), W.copy()
    X_nan[1, 2] = np.nan
    W_inf[2, 4] = np.inf
    y_negative, y_too_big = y.copy(), y.copy()
    y_negative[2] = -1
    y_too_big[0] = 5
    return [
        ("X 1-D", W, X[0], y, 0.0, r"X must be a 2-D array .* got a 1-D array of shape \(3,\)"),
        ("W 3-D", W[None], X, y, 0.0, r"W must be a 2-D array .* got a 3-D array"),
        ("W wrong rows", W[:2], X, y, 0.0, r"W must have D = 3 rows.* shape \(2, 5\)"),
        ("empty batch", W, X[:0], y[:0], 0.0, r"at least one example .* shape \(0, 3\)"),
        ("X integer", W, X.astype(np.uint8), y, 0.0, r"X must be a floating-point .* uint8"),
        ("y too long", W, X, np.append(y, 0), 0.0, r"N = 4 labels.* got shape \(5,\)"),
        ("y float", W, X, y.astype(float), 0.0, r"integer class labels; got dtype float64"),
        ("y negative", W, X, y_negative, 0.0, r"\[0, C\) = \[0, 5\); got labels from -1 to"),
        ("y == C", W, X, y_too_big, 0.0, r"\[0, C\) = \[0, 5\); got labels from .* to 5"),
        ("X NaN", W, X_nan, y, 0.0, r"X must contain only finite .* index \(1, 2\): nan"),
        ("W inf", W_inf, X, y, 0.0, r"W must contain only finite .* index \(2, 4\): inf"),
        ("reg negative", W, X, y, -0.5, r"reg must be a finite number >= 0; got -0.5"),
    ]


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize(
    "W, X, y, reg, message", [case[1:] for case in bad_inputs()], ids=[c[0] for c in bad_inputs()]
)
def test_bad_input_raises_value_error(loss_fn, W, X, y, reg, message):
    with pytest.raises(ValueError, match=message):
        loss_fn(W, X, y, reg)


# Side effects


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_inputs_unchanged_and_no_side_effects(loss_fn, capsys):
    W, X, y = make_problem(7, 5, 4, np.float32, seed=9)
    originals = [W.copy(), X.copy(), y.copy()]
    for array in (W, X, y):
        array.flags.writeable = False  # a write to an input would raise
    key_before, position_before = global_random_state()

    loss_fn(W, X, y, 0.5)

    for array, original in zip((W, X, y), originals):
        np.testing.assert_array_equal(array, original)
        assert array.dtype == original.dtype
    assert capsys.readouterr() == ("", "")
    key_after, position_after = global_random_state()
    assert position_after == position_before
    np.testing.assert_array_equal(key_after, key_before)
