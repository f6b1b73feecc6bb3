"""The contract both softmax losses keep, as the course's code does: softmax_loss_naive (the
course's pre-filled loss and our gradient) and softmax_loss_vectorized (ours).

Each returns the loss as a numpy floating scalar and dW with the shape of W, computed in the
dtype of the inputs (float32 for float32 inputs, float64 when either is float64 or X is
integer); the naive loop is an oracle for the vectorized version; the gradient matches a
numerical gradient; the inputs and the global random state are left alone. There are no input
checks in these two files (they are the course's): their known values and extreme scores are
in test_softmax.py.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import numpy as np
import pytest
from loss_problems import SHAPES, global_random_state, make_problem

from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.gradient_check import eval_numerical_gradient, rel_error

# Any warning (e.g. a RuntimeWarning from exp, log or an overflow) fails these tests.
pytestmark = pytest.mark.filterwarnings("error")

LOSSES = [softmax_loss_naive, softmax_loss_vectorized]
LOSS_IDS = ["naive", "vectorized"]
REGS = [0.0, 0.5, 50.0]


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_is_a_numpy_scalar_of_the_computation_dtype(loss_fn, dtype):
    W, X, y = make_problem(5, 4, 3, dtype)
    loss, dW = loss_fn(W, X, y, 0.1)
    assert type(loss) is dtype
    assert dW.dtype == dtype and dW.shape == W.shape


@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("x_dtype", [np.uint8, np.int32, np.int64])
def test_integer_X_is_computed_in_float64_like_float_X(loss_fn, x_dtype):
    W, X, y = make_problem(6, 5, 4, seed=4)
    X_int = np.rint(10 * X).clip(0, 100).astype(x_dtype)  # small hand-written-like integers

    loss, dW = loss_fn(W, X_int, y, 0.25)
    loss64, dW64 = loss_fn(W, X_int.astype(np.float64), y, 0.25)

    assert type(loss) is np.float64 and dW.dtype == np.float64
    assert loss == pytest.approx(loss64, rel=1e-15)
    np.testing.assert_allclose(dW, dW64, rtol=1e-15, atol=1e-15)


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
    np.testing.assert_allclose(dW_vec, dW_naive, rtol=rtol, atol=rtol * np.abs(dW_naive).max())


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
    np.testing.assert_allclose(dW32, dW64, rtol=1e-4, atol=1e-4 * np.abs(dW64).max())


# Analytic versus numerical gradient


# The relative error of a centered difference on entry g is about eps * |loss| / (h * |g|), so an
# entry close to 0 inflates it; these small problems have no such entries.
@pytest.mark.parametrize("loss_fn", LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize("reg", [0.0, 50.0])
@pytest.mark.parametrize("num_train, dim, num_classes", [(1, 4, 3), (7, 5, 4), (10, 3, 6)])
@pytest.mark.parametrize("seed", [0, 1])
def test_gradient_matches_numerical_gradient(loss_fn, reg, num_train, dim, num_classes, seed):
    W, X, y = make_problem(num_train, dim, num_classes, seed=seed)

    _, dW = loss_fn(W, X, y, reg)
    dW_numerical = eval_numerical_gradient(lambda w: loss_fn(w, X, y, reg)[0], W, verbose=False)

    assert rel_error(dW_numerical, dW) < 1e-7


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
