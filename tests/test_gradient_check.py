"""Tests of cs231n.gradient_check: numerical gradients of functions with known derivatives, the
printed formats, reproducible random checks, and that x is restored after every probe."""

import math
import random
import re

import numpy as np
import pytest
from loss_problems import global_random_state

from cs231n.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)

pytestmark = pytest.mark.filterwarnings("error")

SHAPES = [(1,), (4,), (2, 3), (2, 2, 3)]
CHECK_LINE = re.compile(
    r"numerical: (-?\d+\.\d{6}) analytic: (-?\d+\.\d{6}), relative error: (\d\.\d{6}e[+-]\d\d)"
)


def cubic(x):
    """f(x) = sum(x^3 + 2 x), whose gradient is 3 x^2 + 2."""
    return float(np.sum(x**3 + 2 * x))


def random_point(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


class FailOnCall:
    """A scalar function that raises on its n-th call (1-based), to test that x is restored."""

    def __init__(self, fail_on):
        self.fail_on = fail_on
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("f failed on purpose")
        return cubic(x)


# rel_error


@pytest.mark.parametrize(
    "x, y, expected",
    [
        (1.0, 1.0, 0.0),
        (1.0, 3.0, 0.5),  # |1 - 3| / (1 + 3)
        (np.zeros(3), np.zeros(3), 0.0),  # the 1e-8 floor: 0, not NaN
        (0.0, 1e-9, 0.1),  # 1e-9 / max(1e-8, 1e-9)
        (np.array([1.0, 2.0]), np.array([1.0, 2.2]), 0.2 / 4.2),  # the largest entry's error
        (np.array([-1.0, 5.0]), np.array([1.0, 5.0]), 1.0),  # opposite signs
    ],
)
def test_rel_error_known_values(x, y, expected):
    assert rel_error(x, y) == pytest.approx(expected, rel=1e-12)


# eval_numerical_gradient


@pytest.mark.parametrize("shape", SHAPES)
def test_numerical_gradient_of_a_cubic(shape):
    x = random_point(shape)
    x_before = x.copy()

    grad = eval_numerical_gradient(cubic, x, verbose=False)

    # Centered differences err by h^2 / 6 * f''' = 1e-10 here.
    np.testing.assert_allclose(grad, 3 * x_before**2 + 2, rtol=0, atol=1e-8)
    assert grad.shape == x.shape and grad.dtype == x.dtype
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_with_a_larger_step():
    # The error h^2 / 6 * f''' = h^2 grows with h: 1e-4 for h = 1e-2.
    x = random_point((3,))
    grad = eval_numerical_gradient(cubic, x, verbose=False, h=1e-2)
    np.testing.assert_allclose(grad - (3 * x**2 + 2), 1e-4, rtol=1e-6)


def test_numerical_gradient_prints_each_index_and_value(capsys):
    x = random_point((2, 2))

    grad = eval_numerical_gradient(cubic, x)

    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{ix} {grad[ix]}" for ix in [(0, 0), (0, 1), (1, 0), (1, 1)]]


def test_numerical_gradient_silent_when_not_verbose(capsys):
    eval_numerical_gradient(cubic, random_point((3,)), verbose=False)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("fail_on", [1, 2, 5])
def test_numerical_gradient_restores_x_when_f_raises(fail_on):
    x = random_point((2, 3))
    x_before = x.copy()

    with pytest.raises(RuntimeError, match="on purpose"):
        eval_numerical_gradient(FailOnCall(fail_on), x, verbose=False)

    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_in_float32_keeps_the_dtype():
    x = random_point((3,)).astype(np.float32)
    grad = eval_numerical_gradient(cubic, x, verbose=False, h=1e-2)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, 3 * x.astype(np.float64) ** 2 + 2, rtol=1e-3)


# eval_numerical_gradient_array


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_numerical_gradient_array_of_a_linear_map(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)  # shape (K,) or (K, M)
    A = rng.standard_normal((4, shape[0]))  # (4, K)
    df = rng.standard_normal((4,) + shape[1:])  # upstream gradient, shape of A @ x
    x_before = x.copy()

    grad = eval_numerical_gradient_array(lambda v: A @ v, x, df)

    # d sum(A x * df) / dx = A^T df, and centered differences are exact for linear maps.
    np.testing.assert_allclose(grad, A.T @ df, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_array_copies_outputs_that_are_views_of_x():
    # f returns x itself; without a copy both probes would read the restored x and give 0.
    x = random_point((2, 3))
    df = random_point((2, 3), seed=2)

    grad = eval_numerical_gradient_array(lambda v: v, x, df)

    np.testing.assert_allclose(grad, df, rtol=1e-8)


def test_numerical_gradient_array_restores_x_when_f_raises():
    x = random_point((3,))
    x_before = x.copy()

    def f(v):
        raise RuntimeError("f failed on purpose")

    with pytest.raises(RuntimeError, match="on purpose"):
        eval_numerical_gradient_array(f, x, np.ones(3))
    np.testing.assert_array_equal(x, x_before)


def test_numerical_gradient_array_rejects_df_of_the_wrong_shape():
    x = random_point((3,))
    with pytest.raises(
        ValueError, match=r"df must have the shape of f\(x\); got df of shape \(4,\)"
    ):
        eval_numerical_gradient_array(lambda v: 2 * v, x, np.ones(4))


# grad_check_sparse


def run_sparse_check(capsys, analytic_scale=1.0, **kwargs):
    """grad_check_sparse on the cubic at a fixed point; returns (errors, printed lines)."""
    x = random_point((5, 4), seed=3)
    analytic = analytic_scale * (3 * x**2 + 2)
    errors = grad_check_sparse(cubic, x, analytic, **kwargs)
    return errors, capsys.readouterr().out.splitlines()


def test_sparse_check_prints_the_course_format_and_returns_the_errors(capsys):
    errors, lines = run_sparse_check(capsys, num_checks=7, seed=0)

    assert errors.shape == (7,) and errors.dtype == np.float64
    assert len(lines) == 8
    for line, error in zip(lines, errors):
        match = CHECK_LINE.fullmatch(line)
        assert match is not None, line
        numerical, analytic, printed_error = (float(group) for group in match.groups())
        assert numerical == pytest.approx(analytic, abs=2e-6)
        assert printed_error == pytest.approx(error, rel=1e-6)
    assert errors.max() < 1e-8
    assert lines[-1] == "PASS: all 7 relative errors are below the tolerance 1e-05"


def test_sparse_check_flags_a_wrong_gradient(capsys):
    # An analytic gradient twice too large has relative error |g - 2 g| / (|g| + |2 g|) = 1/3.
    errors, lines = run_sparse_check(capsys, analytic_scale=2.0, seed=0)
    np.testing.assert_allclose(errors, 1 / 3, rtol=1e-6)
    assert lines[-1] == (
        "FAIL: 10 of 10 relative errors are not below the tolerance 1e-05 (largest 3.333333e-01)"
    )


@pytest.mark.parametrize("tolerance, verdict", [(0.5, "PASS: all 4"), (0.1, "FAIL: 4 of 4")])
def test_sparse_check_verdict_uses_the_stated_tolerance(capsys, tolerance, verdict):
    _, lines = run_sparse_check(capsys, analytic_scale=2.0, num_checks=4, seed=0,
                                tolerance=tolerance)
    assert lines[-1].startswith(verdict) and f"tolerance {tolerance:g}" in lines[-1]


def test_sparse_check_a_missing_factor_on_part_of_the_entries_fails_them_only(capsys):
    x = random_point((5, 4), seed=3)
    analytic = 3 * x**2 + 2
    analytic[0] *= 2  # a wrong first row: the probes that land there fail
    errors = grad_check_sparse(cubic, x, analytic, num_checks=20, seed=0)
    lines = capsys.readouterr().out.splitlines()
    failed = int(np.sum(errors > 1e-5))
    assert 0 < failed < 20
    assert lines[-1].startswith(f"FAIL: {failed} of 20 relative errors are not below")


@pytest.mark.parametrize("tolerance", [0, -1e-5, math.nan, "1e-5", True])
def test_sparse_check_rejects_a_bad_tolerance(tolerance):
    with pytest.raises(ValueError, match="tolerance must be a number > 0"):
        grad_check_sparse(cubic, random_point((2, 2)), np.ones((2, 2)), tolerance=tolerance)


def test_sparse_check_silent_when_not_verbose(capsys):
    errors, lines = run_sparse_check(capsys, seed=0, verbose=False)
    assert lines == []
    assert errors.shape == (10,)


@pytest.mark.parametrize("make_seed", [lambda: 123, lambda: np.random.default_rng(123)])
def test_sparse_check_is_reproducible_with_a_seed(capsys, make_seed):
    key_before, position_before = global_random_state()

    first = run_sparse_check(capsys, seed=make_seed())
    second = run_sparse_check(capsys, seed=make_seed())

    assert first[1] == second[1]
    np.testing.assert_array_equal(first[0], second[0])
    key_after, position_after = global_random_state()
    assert position_after == position_before  # an explicit seed leaves the global generator alone
    np.testing.assert_array_equal(key_after, key_before)


def test_sparse_check_seeds_pick_different_entries(capsys):
    _, lines_a = run_sparse_check(capsys, seed=1)
    _, lines_b = run_sparse_check(capsys, seed=2)
    assert lines_a != lines_b


def course_indices(draw, shape, num_checks):
    """The course's draw, written out: ``tuple([randrange(m) for m in x.shape])`` per check."""
    return [tuple([draw(m) for m in shape]) for _ in range(num_checks)]


def probed_indices(num_checks, **kwargs):
    """The indices grad_check_sparse probes, read back from an analytic gradient whose every
    entry is its own flat index."""
    x = random_point((5, 4), seed=3)
    analytic = np.arange(x.size, dtype=np.float64).reshape(x.shape)  # entry = flat index
    indices = []

    def f(v):  # records the entry the probe moved away from x
        moved = np.flatnonzero(v != x_saved)
        indices.append(np.unravel_index(moved[0], v.shape) if moved.size else None)
        return 0.0

    x_saved = x.copy()
    grad_check_sparse(f, x, analytic, num_checks, verbose=False, **kwargs)
    return [tuple(int(i) for i in ix) for ix in indices[::2]]


def test_sparse_check_without_seed_draws_like_the_course_after_random_seed():
    random.seed(231)
    expected = course_indices(random.randrange, (5, 4), 12)
    random.seed(231)
    assert probed_indices(12) == expected


def test_sparse_check_without_seed_ignores_np_random_seed():
    random.seed(5)
    np.random.seed(231)
    first = probed_indices(30)
    np.random.seed(231)
    second = probed_indices(30)
    assert first != second  # the random module moved on; numpy's seed plays no part


@pytest.mark.parametrize("seed", [0, 7, 12345])
def test_sparse_check_int_seed_uses_a_private_random_Random(seed):
    python_state = random.getstate()
    numpy_state = global_random_state()
    expected = course_indices(random.Random(seed).randrange, (5, 4), 9)
    assert probed_indices(9, seed=seed) == expected
    assert probed_indices(9, seed=random.Random(seed)) == expected
    assert random.getstate() == python_state
    key, position = global_random_state()
    np.testing.assert_array_equal(key, numpy_state[0])
    assert position == numpy_state[1]


def test_sparse_check_says_so_when_both_gradients_are_zero(capsys):
    # An unfilled loss returns 0 and a zero gradient: nothing is compared, which must not read
    # as "relative error 0" (the course's formula gives nan there).
    x = random_point((3, 3))

    errors = grad_check_sparse(lambda v: 0.0, x, np.zeros((3, 3)), num_checks=4, seed=0)

    assert np.isnan(errors).all()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["numerical: 0.000000 analytic: 0.000000, both gradients are 0"] * 4
    assert lines[4] == (
        "FAIL: both gradients are 0 at all 4 entries, so nothing was compared "
        "(a loss left unfilled returns 0 and a zero gradient)"
    )


def test_sparse_check_zero_analytic_gradient_is_relative_error_1(capsys):
    # The release's naive loss: the loss is the course's, the gradient TODO is unfilled (zeros).
    errors, lines = run_sparse_check(capsys, analytic_scale=0.0, num_checks=3, seed=0)
    np.testing.assert_array_equal(errors, np.ones(3))
    assert all(line.endswith("relative error: 1.000000e+00") for line in lines[:3])
    assert lines[3].startswith("FAIL: 3 of 3")


def test_sparse_check_some_both_zero_entries_are_counted_in_the_verdict(capsys):
    x = random_point((2, 2))
    analytic = 3 * x**2 + 2
    analytic[0, 0] = 0.0

    def f(v):  # the cubic, but flat along entry (0, 0)
        w = v.copy()
        w[0, 0] = 0.0
        return cubic(w)

    errors = grad_check_sparse(f, x, analytic, num_checks=12, seed=4)
    lines = capsys.readouterr().out.splitlines()
    num_zero = sum(line.endswith("both gradients are 0") for line in lines)
    assert 0 < num_zero < 12 and int(np.isnan(errors).sum()) == num_zero
    assert lines[-1].startswith(f"FAIL: {num_zero} of 12") and f"{num_zero} of them" in lines[-1]


NAN_LINE = re.compile(r"numerical: -?(nan|inf|\d+\.\d{6}) analytic: -?(nan|inf|\d+\.\d{6}), "
                      r"relative error: (nan|inf)")


@pytest.mark.parametrize(
    "f_value, analytic_value, expected",
    [
        (math.nan, 1.0, math.nan),  # f returns NaN
        (math.inf, 1.0, math.nan),  # f returns inf at both probes: inf - inf
        (None, math.nan, math.nan),  # the analytic gradient is NaN
        (None, math.inf, math.inf),  # the analytic gradient is inf
        (None, -math.inf, math.inf),
    ],
)
def test_sparse_check_flags_non_finite_values_as_a_mismatch(
    capsys, f_value, analytic_value, expected
):
    x = random_point((3, 3))
    analytic = np.full((3, 3), analytic_value)
    f = cubic if f_value is None else (lambda v: f_value)

    errors = grad_check_sparse(f, x, analytic, num_checks=3, seed=0)

    assert errors.shape == (3,)
    if math.isnan(expected):
        assert np.isnan(errors).all()
    else:
        np.testing.assert_array_equal(errors, expected)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[3].startswith("FAIL: 3 of 3")
    for line in lines[:3]:
        assert NAN_LINE.fullmatch(line), line
        assert "0.000000e+00" not in line


def test_sparse_check_f_infinite_at_one_probe_only_is_an_infinite_error(capsys):
    x = np.zeros((1,))
    errors = grad_check_sparse(lambda v: math.inf if v[0] > 0 else 0.0, x, np.ones(1), 2, seed=0)
    np.testing.assert_array_equal(errors, [math.inf, math.inf])
    assert capsys.readouterr().out.splitlines()[0].endswith("relative error: inf")


@pytest.mark.parametrize("fail_on", [1, 2, 4])
def test_sparse_check_restores_x_when_f_raises(fail_on):
    x = random_point((4, 4))
    x_before = x.copy()

    with pytest.raises(RuntimeError, match="on purpose"):
        grad_check_sparse(FailOnCall(fail_on), x, np.zeros((4, 4)), seed=0, verbose=False)

    np.testing.assert_array_equal(x, x_before)


# Bad input


@pytest.mark.parametrize(
    "x, message",
    [
        (np.arange(3), r"floating-point numpy array .* got dtype int64"),
        ([1.0, 2.0], r"floating-point numpy array .* got list"),
    ],
)
def test_x_that_cannot_be_shifted_by_h_is_rejected(x, message):
    with pytest.raises(ValueError, match=message):
        eval_numerical_gradient(cubic, x, verbose=False)
    with pytest.raises(ValueError, match=message):
        eval_numerical_gradient_array(lambda v: v, x, np.ones(3))
    with pytest.raises(ValueError, match=message):
        grad_check_sparse(cubic, x, np.ones(np.shape(x)), seed=0)


BAD_STEPS = [0, 0.0, -1e-5, math.nan, math.inf, -math.inf, None, "1e-5", True]


@pytest.mark.parametrize("h", BAD_STEPS)
def test_a_step_that_is_not_a_finite_positive_number_is_rejected(h):
    x = random_point((2, 2))
    x_before = x.copy()
    message = rf"h must be a finite number > 0 .* got {re.escape(repr(h))}"
    with pytest.raises(ValueError, match=message):
        grad_check_sparse(cubic, x, np.ones((2, 2)), h=h, seed=0)
    with pytest.raises(ValueError, match=message):
        eval_numerical_gradient(cubic, x, verbose=False, h=h)
    with pytest.raises(ValueError, match=message):
        eval_numerical_gradient_array(lambda v: v, x, np.ones((2, 2)), h=h)
    np.testing.assert_array_equal(x, x_before)


@pytest.mark.parametrize("h", [np.float32(1e-2), np.float64(1e-5), 1])
def test_numpy_and_integer_steps_are_accepted(h):
    x = random_point((3,))
    grad = eval_numerical_gradient(cubic, x, verbose=False, h=h)
    # centered differences of a cubic err by exactly h^2 (see test_numerical_gradient_with_a...)
    np.testing.assert_allclose(grad - (3 * x**2 + 2), float(h) ** 2, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("num_checks", [0, -3, 2.0, 2.5, True, None, "10"])
def test_num_checks_that_is_not_a_positive_integer_is_rejected(num_checks, capsys):
    with pytest.raises(ValueError, match=r"num_checks must be an integer >= 1; got"):
        grad_check_sparse(cubic, random_point((2, 2)), np.ones((2, 2)), num_checks, seed=0)
    assert capsys.readouterr().out == ""


def test_num_checks_may_be_a_numpy_integer(capsys):
    errors, lines = run_sparse_check(capsys, num_checks=np.int64(3), seed=0)
    assert errors.shape == (3,) and len(lines) == 4


def test_sparse_check_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"analytic_grad must have the shape of x, \(3, 2\)"):
        grad_check_sparse(cubic, random_point((3, 2)), np.ones((2, 3)), seed=0)


def test_sparse_check_rejects_an_empty_x():
    with pytest.raises(ValueError, match=r"at least one entry .* \(0, 3\)"):
        grad_check_sparse(cubic, np.zeros((0, 3)), np.zeros((0, 3)), seed=0)


def test_f_returning_a_loss_and_gradient_pair_is_rejected_and_x_restored():
    x = random_point((2, 2))
    x_before = x.copy()

    def loss_and_grad(v):
        return cubic(v), 3 * v**2 + 2

    with pytest.raises(
        ValueError, match=r"f must return a single number .* got a tuple of length 2"
    ):
        eval_numerical_gradient(loss_and_grad, x, verbose=False)
    with pytest.raises(
        ValueError, match=r"f must return a single number .* got a tuple of length 2"
    ):
        grad_check_sparse(loss_and_grad, x, np.zeros((2, 2)), seed=0)
    np.testing.assert_array_equal(x, x_before)
