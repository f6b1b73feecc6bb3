"""Tests of the softmax loss: known values, the naive loop as an oracle for the vectorized version,
numerical gradients, huge scores, dtypes, bad inputs, and that the inputs are left alone.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import math

import numpy as np
import pytest

from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.gradient_check import eval_numerical_gradient, grad_check_sparse, rel_error

# Any warning (e.g. a RuntimeWarning from exp or log) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

LOSSES = [softmax_loss_naive, softmax_loss_vectorized]
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


def ulps(dtype, count=4):
    """A relative tolerance of `count` units in the last place of dtype."""
    return count * float(np.finfo(dtype).eps)


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

    loss_naive, dW_naive = softmax_loss_naive(W, X, y, reg)
    loss_vec, dW_vec = softmax_loss_vectorized(W, X, y, reg)

    assert loss_vec == pytest.approx(loss_naive, rel=rtol)
    assert dW_naive.dtype == dW_vec.dtype == dtype
    scale = np.abs(dW_naive).max()
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
    np.testing.assert_allclose(dW32, dW64, rtol=1e-4, atol=1e-4 * np.abs(dW64).max())


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize(
    "w_dtype, x_dtype",
    [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.float32)],
)
def test_dW_has_the_dtype_of_W(loss_fn, w_dtype, x_dtype):
    W, X, y = make_problem(6, 5, 4, seed=3)
    W, X = W.astype(w_dtype), X.astype(x_dtype)

    _, dW = loss_fn(W, X, y, 0.5)
    _, dW64 = loss_fn(W.astype(np.float64), X.astype(np.float64), y, 0.5)

    assert dW.dtype == w_dtype
    assert dW.shape == W.shape
    np.testing.assert_allclose(dW, dW64, rtol=1e-5, atol=1e-5 * np.abs(dW64).max())


# Analytic versus numerical gradient


# The relative error of a centered difference on entry g is about eps * |loss| / (h * |g|), so an
# entry close to 0 inflates it; these small problems have no such entries.
@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 50.0])
@pytest.mark.parametrize("num_train, dim, num_classes", [(1, 4, 3), (7, 5, 4), (10, 3, 6)])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_numerical_gradient(loss_fn, reg, num_train, dim, num_classes, seed):
    W, X, y = make_problem(num_train, dim, num_classes, seed=seed)

    _, dW = loss_fn(W, X, y, reg)
    dW_numerical = eval_numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W, verbose=False)

    assert rel_error(dW_numerical, dW) < 1e-7


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


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "label, expected_loss, expected_dW",
    [
        # loss = log(sum_k exp(s_k - max)) - (s_y - max), and exp(-1e5) is 0 even in float64.
        (0, 1e5, [[-1.0, 1.0, 0.0]]),
        (1, 0.0, [[0.0, 0.0, 0.0]]),
        (2, 2e5, [[0.0, 1.0, -1.0]]),
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


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e20), (np.float64, 1e200)])
def test_inputs_too_large_for_the_dtype_raise(loss_fn, dtype, scale):
    # Finite W whose squares (and scores) overflow: a clear error instead of inf or a warning.
    W, X, y = make_problem(4, 3, 5, dtype, seed=7)
    W = W * dtype(scale)

    with pytest.raises(ValueError, match=r"overflowed .*max \|W\| = "):
        loss_fn(W, X, y, 0.1)


# Bad input


def bad_inputs():
    """(id, W, X, y, reg, expected message) for inputs every loss must reject with ValueError."""
    W, X, y = make_problem(4, 3, 5, seed=8)  # W (3, 5), X (4, 3), y (4,)
    X_nan, X_inf, W_ninf, W_nan = X.copy(), X.copy(), W.copy(), W.copy()
    X_nan[1, 2] = np.nan
    X_inf[3, 0] = np.inf
    W_ninf[2, 4] = -np.inf
    W_nan[0, 1] = np.nan
    y_negative, y_too_big = y.copy(), y.copy()
    y_negative[2] = -1
    y_too_big[0] = 5
    return [
        ("X 1-D", W, X[0], y, 0.0, r"X must be a 2-D array .* got a 1-D array of shape \(3,\)"),
        ("X 3-D", W, X[None], y, 0.0, r"X must be a 2-D array .* got a 3-D array"),
        ("W 1-D", W[:, 0], X, y, 0.0, r"W must be a 2-D array .* got a 1-D array"),
        ("W wrong rows", W[:2], X, y, 0.0, r"W must have D = 3 rows.* shape \(2, 5\)"),
        ("W no columns", W[:, :0], X, y, 0.0, r"at least one column .* shape \(3, 0\)"),
        ("empty batch", W, X[:0], y[:0], 0.0, r"at least one example .* shape \(0, 3\)"),
        ("X integer", W, X.astype(np.uint8), y, 0.0, r"X must be a floating-point .* uint8"),
        ("W integer", W.astype(int), X, y, 0.0, r"W must be a floating-point .* int64"),
        ("y too short", W, X, y[:3], 0.0, r"N = 4 labels.* got shape \(3,\)"),
        ("y 2-D", W, X, y[:, None], 0.0, r"N = 4 labels.* got shape \(4, 1\)"),
        ("y float", W, X, y.astype(float), 0.0, r"integer class labels; got dtype float64"),
        ("y bool", W, X, y > 2, 0.0, r"integer class labels; got dtype bool"),
        ("y negative", W, X, y_negative, 0.0, r"\[0, C\) = \[0, 5\); got labels from -1 to"),
        ("y == C", W, X, y_too_big, 0.0, r"\[0, C\) = \[0, 5\); got labels from .* to 5"),
        ("X NaN", W, X_nan, y, 0.0, r"X must contain only finite .* index \(1, 2\): nan"),
        ("X inf", W, X_inf, y, 0.0, r"X must contain only finite .* index \(3, 0\): inf"),
        ("W -inf", W_ninf, X, y, 0.0, r"W must contain only finite .* index \(2, 4\): -inf"),
        ("W NaN", W_nan, X, y, 0.0, r"W must contain only finite .* index \(0, 1\): nan"),
        ("reg negative", W, X, y, -1.0, r"reg must be a finite number >= 0; got -1.0"),
        ("reg NaN", W, X, y, float("nan"), r"reg must be a finite number >= 0; got nan"),
    ]


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize(
    "W, X, y, reg, message", [case[1:] for case in bad_inputs()], ids=[c[0] for c in bad_inputs()]
)
def test_bad_input_raises_value_error(loss_fn, W, X, y, reg, message):
    with pytest.raises(ValueError, match=message):
        loss_fn(W, X, y, reg)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_reg_that_is_not_a_number_raises_type_error(loss_fn):
    W, X, y = make_problem(4, 3, 5)
    with pytest.raises(TypeError, match=r"reg must be a real number; got str"):
        loss_fn(W, X, y, "0.1")


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
