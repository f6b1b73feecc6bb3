"""The contract every linear-classifier loss keeps, tested once for all four: softmax_loss_naive,
softmax_loss_vectorized, svm_loss_naive and svm_loss_vectorized.

Each loss returns the loss as a numpy floating scalar and dW with the shape of W, both in the
dtype the inputs are computed in (float32 for float32 inputs, float64 when either is float64 or
integer, as the course's code does); the naive loop is an oracle for the vectorized version; the
gradient matches a numerical gradient; huge scores give exact results; bad inputs raise an error
that says what was expected; the inputs are left alone. What only one loss does (its known
values, the SVM's kink) is tested in test_softmax.py and test_linear_svm.py.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import numpy as np
import pytest
from loss_problems import SHAPES, global_random_state, make_problem

from cs231n.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.gradient_check import eval_numerical_gradient, rel_error

# Any warning (e.g. a RuntimeWarning from exp, log or an overflow) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

LOSSES = [softmax_loss_naive, softmax_loss_vectorized, svm_loss_naive, svm_loss_vectorized]
LOSS_IDS = [loss_fn.__name__ for loss_fn in LOSSES]
PAIRS = [  # (naive, vectorized)
    (softmax_loss_naive, softmax_loss_vectorized),
    (svm_loss_naive, svm_loss_vectorized),
]
PAIR_IDS = ["softmax", "svm"]
REGS = [0.0, 0.5, 50.0]

# An absolute tolerance on dW is a relative tolerance times the scale of dW, its largest entry.
# For the SVM that scale is at least 1: its dW sums rows of X (entries of order 1) with integer
# weights, so its rounding errors are of order rtol even where the sums nearly cancel.
DW_SCALE_FLOOR = {
    softmax_loss_naive: 0.0,
    softmax_loss_vectorized: 0.0,
    svm_loss_naive: 1.0,
    svm_loss_vectorized: 1.0,
}


def dW_scale(loss_fn, dW):
    """The scale of dW by which an absolute tolerance on it is set (see DW_SCALE_FLOOR)."""
    return max(np.abs(dW).max(), DW_SCALE_FLOOR[loss_fn])


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_is_a_numpy_scalar_of_the_computation_dtype(loss_fn, dtype):
    W, X, y = make_problem(5, 4, 3, dtype)
    loss, _ = loss_fn(W, X, y, 0.1)
    assert type(loss) is dtype
    assert isinstance(loss, float) == (dtype == np.float64)  # callers wanting a float get one


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("x_dtype", [np.uint8, np.int32, np.int64])
def test_integer_X_is_computed_in_float64_like_the_course(loss_fn, x_dtype):
    W, X, y = make_problem(6, 5, 4, seed=4)
    X_int = np.rint(10 * X).clip(0, 100).astype(x_dtype)  # small hand-written-like integers

    loss, dW = loss_fn(W, X_int, y, 0.25)
    loss64, dW64 = loss_fn(W, X_int.astype(np.float64), y, 0.25)

    assert type(loss) is np.float64 and dW.dtype == np.float64
    assert loss == loss64
    np.testing.assert_array_equal(dW, dW64)


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
def test_integer_W_and_a_list_X_are_accepted(loss_fn):
    W = np.array([[1, -1], [0, 2]])  # (2, 2) int
    X = [[1, 2], [3, 4], [0, 1]]  # (3, 2) as nested lists

    loss, dW = loss_fn(W, X, [0, 1, 1], 0.0)
    loss64, dW64 = loss_fn(W.astype(float), np.array(X, dtype=float), np.array([0, 1, 1]), 0.0)

    assert loss == loss64
    np.testing.assert_array_equal(dW, dW64)


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("reg", [np.array(0.5), np.float32(0.5), 1, np.int64(1)])
def test_reg_may_be_any_real_number_or_0d_array(loss_fn, reg):
    W, X, y = make_problem(5, 4, 3, seed=5)
    loss, dW = loss_fn(W, X, y, reg)
    expected_loss, expected_dW = loss_fn(W, X, y, float(reg))
    assert loss == expected_loss
    np.testing.assert_array_equal(dW, expected_dW)


# Naive versus vectorized, float32 versus float64


@pytest.mark.parametrize("reg", REGS)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-4)])
@pytest.mark.parametrize("naive, vectorized", PAIRS, ids=PAIR_IDS)
def test_naive_matches_vectorized(naive, vectorized, dtype, rtol, num_train, dim, num_classes, reg):
    W, X, y = make_problem(num_train, dim, num_classes, dtype, seed=1)

    loss_naive, dW_naive = naive(W, X, y, reg)
    loss_vec, dW_vec = vectorized(W, X, y, reg)

    assert loss_vec == pytest.approx(loss_naive, rel=rtol)
    assert dW_naive.dtype == dW_vec.dtype == dtype
    scale = dW_scale(naive, dW_naive)
    np.testing.assert_allclose(dW_vec, dW_naive, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
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
    scale = dW_scale(loss_fn, dW64)
    np.testing.assert_allclose(dW32, dW64, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize(
    "w_dtype, x_dtype",
    [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.float32)],
)
def test_mixed_dtypes_compute_in_the_wider_one(loss_fn, w_dtype, x_dtype):
    W, X, y = make_problem(6, 5, 4, seed=3)
    W, X = W.astype(w_dtype), X.astype(x_dtype)

    loss, dW = loss_fn(W, X, y, 0.5)
    _, dW64 = loss_fn(W.astype(np.float64), X.astype(np.float64), y, 0.5)

    assert dW.dtype == np.result_type(w_dtype, x_dtype) == np.dtype(type(loss))
    assert dW.shape == W.shape
    scale = dW_scale(loss_fn, dW64)
    np.testing.assert_allclose(dW, dW64, rtol=1e-5, atol=1e-5 * scale)


# Analytic versus numerical gradient


# The relative error of a centered difference on entry g is about eps * |loss| / (h * |g|), so an
# entry close to 0 inflates it; these small problems have no such entries. Their random scores
# also keep every SVM margin far from 0 compared with h = 1e-5, so no probe crosses the kink.
@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("reg", [0.0, 50.0])
@pytest.mark.parametrize("num_train, dim, num_classes", [(1, 4, 3), (7, 5, 4), (10, 3, 6)])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_numerical_gradient(loss_fn, reg, num_train, dim, num_classes, seed):
    W, X, y = make_problem(num_train, dim, num_classes, seed=seed)

    _, dW = loss_fn(W, X, y, reg)
    dW_numerical = eval_numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W, verbose=False)

    assert rel_error(dW_numerical, dW) < 1e-7


# Huge scores


# One example with x = 1 and W = (0, 1e5, -1e5), so its scores are W's row; for each label, the
# exact loss and gradient of each family of losses.
EXACT_AT_SCORES_1E5_APART = {
    # loss = log(sum_k exp(s_k - max)) - (s_y - max), and exp(-1e5) is 0 even in float64.
    (softmax_loss_naive, softmax_loss_vectorized): [
        (0, 1e5, [[-1.0, 1.0, 0.0]]),
        (1, 0.0, [[0.0, 0.0, 0.0]]),
        (2, 2e5, [[0.0, 1.0, -1.0]]),
    ],
    # loss = sum over j != y of max(0, s_j - s_y + 1).
    (svm_loss_naive, svm_loss_vectorized): [
        (0, 100001.0, [[-1.0, 1.0, 0.0]]),
        (1, 0.0, [[0.0, 0.0, 0.0]]),
        (2, 300002.0, [[1.0, 1.0, -2.0]]),
    ],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "loss_fn, label, expected_loss, expected_dW",
    [
        pytest.param(loss_fn, *case, id=f"{loss_fn.__name__}-label {case[0]}")
        for pair, cases in EXACT_AT_SCORES_1E5_APART.items()
        for loss_fn in pair
        for case in cases
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


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
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
    X_nan, X_inf, W_inf, W_ninf, W_nan = X.copy(), X.copy(), W.copy(), W.copy(), W.copy()
    X_nan[1, 2] = np.nan
    X_inf[3, 0] = np.inf
    W_inf[2, 4] = np.inf
    W_ninf[2, 4] = -np.inf
    W_nan[0, 1] = np.nan
    y_negative, y_too_big = y.copy(), y.copy()
    y_negative[2] = -1
    y_too_big[0] = 5
    return [
        ("X 1-D", W, X[0], y, 0.0, r"X must be a 2-D array .* got a 1-D array of shape \(3,\)"),
        ("X 3-D", W, X[None], y, 0.0, r"X must be a 2-D array .* got a 3-D array"),
        ("W 1-D", W[:, 0], X, y, 0.0, r"W must be a 2-D array .* got a 1-D array"),
        ("W 3-D", W[None], X, y, 0.0, r"W must be a 2-D array .* got a 3-D array"),
        ("W wrong rows", W[:2], X, y, 0.0, r"W must have shape \(D, C\) with D = 3 .*\(2, 5\)"),
        ("W no columns", W[:, :0], X, y, 0.0, r"and C >= 1; got W of shape \(3, 0\)"),
        ("empty batch", W, X[:0], y[:0], 0.0, r"at least one example .* shape \(0, 3\)"),
        ("X complex", W, X + 0j, y, 0.0, r"X must be an array of real numbers .* complex128"),
        ("X strings", W, X.astype(str), y, 0.0, r"X must be an array of real numbers .* <U"),
        ("W bool", W > 0, X, y, 0.0, r"W must be an array of real numbers .* bool"),
        ("y too short", W, X, y[:3], 0.0, r"N = 4 labels.* got shape \(3,\)"),
        ("y too long", W, X, np.append(y, 0), 0.0, r"N = 4 labels.* got shape \(5,\)"),
        ("y 2-D", W, X, y[:, None], 0.0, r"N = 4 labels.* got shape \(4, 1\)"),
        ("y float", W, X, y.astype(float), 0.0, r"integer class labels; got dtype float64"),
        ("y bool", W, X, y > 2, 0.0, r"integer class labels; got dtype bool"),
        ("y negative", W, X, y_negative, 0.0, r"\[0, C\) = \[0, 5\); got labels from -1 to"),
        ("y == C", W, X, y_too_big, 0.0, r"\[0, C\) = \[0, 5\); got labels from .* to 5"),
        ("X NaN", W, X_nan, y, 0.0, r"X must contain only finite .* index \(1, 2\): nan"),
        ("X inf", W, X_inf, y, 0.0, r"X must contain only finite .* index \(3, 0\): inf"),
        ("W inf", W_inf, X, y, 0.0, r"W must contain only finite .* index \(2, 4\): inf"),
        ("W -inf", W_ninf, X, y, 0.0, r"W must contain only finite .* index \(2, 4\): -inf"),
        ("W NaN", W_nan, X, y, 0.0, r"W must contain only finite .* index \(0, 1\): nan"),
        ("reg -1.0", W, X, y, -1.0, r"reg must be a finite number >= 0; got -1.0"),
        ("reg -0.5", W, X, y, -0.5, r"reg must be a finite number >= 0; got -0.5"),
        ("reg NaN", W, X, y, float("nan"), r"reg must be a finite number >= 0; got nan"),
    ]


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize(
    "W, X, y, reg, message", [case[1:] for case in bad_inputs()], ids=[c[0] for c in bad_inputs()]
)
def test_bad_input_raises_value_error(loss_fn, W, X, y, reg, message):
    with pytest.raises(ValueError, match=message):
        loss_fn(W, X, y, reg)


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
def test_reg_that_is_not_a_number_raises_type_error(loss_fn):
    W, X, y = make_problem(4, 3, 5)
    with pytest.raises(TypeError, match=r"reg must be a real number; got str"):
        loss_fn(W, X, y, "0.1")


# Side effects


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
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
