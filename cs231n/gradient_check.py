"""Numerical gradients by centered differences, to check analytic gradients against.

For a function f of an array x and a step h, the derivative along entry ix is estimated as

    df/dx[ix] ~= (f(x + h e_ix) - f(x - h e_ix)) / (2 h),

where e_ix is the array with a 1 at ix and 0 elsewhere. The error of this estimate is O(h^2) for
smooth f. Each probe changes x in place and restores it afterwards, also when f raises.

Shapes: x may have any shape, and every gradient returned has the shape of x; f(x) is a number,
except in `eval_numerical_gradient_array`, where it is an array of the shape of the upstream
gradient df.

The two gradients are compared by their relative error |a - b| / (|a| + |b|): around 1e-7 or less
means they agree in float64, 1e-2 or more means a bug (or a kink of f between the probes). A NaN
or inf on either side is a mismatch, never a match: its relative error is nan or inf. Where both
are 0 nothing is compared (an unfilled loss returns 0 and a zero gradient): `grad_check_sparse`
says so, and counts it as a failure in its PASS/FAIL verdict.
"""

import math
import numbers
import random
from random import randrange

import numpy as np

__all__ = [
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "grad_check_sparse",
    "rel_error",
]


def rel_error(x, y):
    """Largest elementwise relative error between x and y, max |x - y| / max(1e-8, |x| + |y|).

    The floor 1e-8 on the denominator makes the error 0, not NaN, where x and y are both 0.

    Parameters
    ----------
    x, y : array_like, same shape (or broadcastable)

    Returns
    -------
    error : float
    """
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def _check_probe_array(x):
    """Raise ValueError unless x is a floating-point ndarray, which the probes can shift by h."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        received = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(
            f"x must be a floating-point numpy array (it is shifted in place by h); got {received}"
        )


def _check_step(h):
    """Return h as a float, or raise ValueError unless it is a finite number > 0."""
    try:
        step = float(h)
    except (TypeError, ValueError):
        step = math.nan
    if isinstance(h, (bool, str)) or not (math.isfinite(step) and step > 0):
        raise ValueError(f"h must be a finite number > 0 (the probe step, e.g. 1e-5); got {h!r}")
    return step


def _check_num_checks(num_checks):
    """Return num_checks as an int, or raise ValueError unless it is an integer >= 1."""
    if isinstance(num_checks, bool) or not isinstance(num_checks, numbers.Integral):
        raise ValueError(f"num_checks must be an integer >= 1; got {num_checks!r}")
    if num_checks < 1:
        raise ValueError(f"num_checks must be an integer >= 1; got {num_checks}")
    return int(num_checks)


def _index_drawer(seed):
    """A function m -> random index in range(m), as the course's ``randrange``, per ``seed``."""
    if seed is None:
        return randrange  # Python's global generator, which random.seed(...) makes repeatable
    if isinstance(seed, random.Random):
        return seed.randrange
    if isinstance(seed, np.random.Generator):
        return lambda m: int(seed.integers(m))
    return random.Random(seed).randrange


def _relative_error(numerical, analytic):
    """|numerical - analytic| / (|numerical| + |analytic|); nan if both are 0 (nothing was
    compared) or either is NaN, inf if either is infinite: only a real match looks correct."""
    if math.isinf(numerical) or math.isinf(analytic):
        return math.inf
    denominator = abs(numerical) + abs(analytic)
    if math.isnan(denominator) or denominator == 0:
        return math.nan
    return abs(numerical - analytic) / denominator


def _verdict(rel_errors, num_both_zero, tolerance):
    """The line grad_check_sparse prints last: whether every relative error is below tolerance."""
    num_checks = len(rel_errors)
    failed = int(np.sum(~(rel_errors < tolerance)))  # nan and inf fail too
    if failed == 0:
        return f"PASS: all {num_checks} relative errors are below the tolerance {tolerance:g}"
    if num_both_zero == num_checks:
        return (
            f"FAIL: both gradients are 0 at all {num_checks} entries, so nothing was compared "
            "(a loss left unfilled returns 0 and a zero gradient)"
        )
    zeros = f", {num_both_zero} of them where both gradients are 0" if num_both_zero else ""
    return (
        f"FAIL: {failed} of {num_checks} relative errors are not below the tolerance "
        f"{tolerance:g}{zeros} (largest {np.nanmax(np.append(rel_errors, 0.0)):e})"
    )


def _scalar(value):
    """Return the output of f as a float, or raise ValueError if it is not a single number."""
    if isinstance(value, (tuple, list)):
        received = f"a {type(value).__name__} of length {len(value)}"
    elif np.ndim(value) != 0:
        received = f"an array of shape {np.shape(value)}"
    else:
        return float(value)
    raise ValueError(
        f"f must return a single number (e.g. the loss, not the (loss, grad) pair); got {received}"
    )


def _centered_difference(f, x, ix, h, convert):
    """Return convert(f(x + h e_ix)) and convert(f(x - h e_ix)); x[ix] is restored even if f raises.

    convert is applied to each output of f at once, before x changes again (f may return a view
    of x).
    """
    old_value = x[ix].copy()
    try:
        x[ix] = old_value + h
        f_plus = convert(f(x))
        x[ix] = old_value - h
        f_minus = convert(f(x))
    finally:
        x[ix] = old_value
    return f_plus, f_minus


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar function f at x, probing every entry of x.

    Costs 2 * x.size evaluations of f.

    Parameters
    ----------
    f : callable
        f(x) returns a number.
    x : ndarray, floating dtype
        The point; shifted in place during each probe and restored afterwards.
    verbose : bool
        Print each index and its gradient, one line per entry.
    h : float
        The step, a finite number > 0.

    Returns
    -------
    grad : ndarray, same shape and dtype as x
        grad[ix] = (f(x + h e_ix) - f(x - h e_ix)) / (2 h).
    """
    _check_probe_array(x)
    h = _check_step(h)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        f_plus, f_minus = _centered_difference(f, x, ix, h, _scalar)
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of sum(f(x) * df) at x, for a function f returning an array.

    df is the upstream gradient, the derivative of some scalar with respect to f(x); the result
    is then the derivative of that scalar with respect to x (the chain rule). Costs 2 * x.size
    evaluations of f.

    Parameters
    ----------
    f : callable
        f(x) returns an array of the shape of df.
    x : ndarray, floating dtype
        The point; shifted in place during each probe and restored afterwards.
    df : ndarray
        Upstream gradient, same shape as f(x).
    h : float
        The step, a finite number > 0.

    Returns
    -------
    grad : ndarray, same shape and dtype as x
        grad[ix] = sum((f(x + h e_ix) - f(x - h e_ix)) * df) / (2 h).
    """
    _check_probe_array(x)
    h = _check_step(h)
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        f_plus, f_minus = _centered_difference(f, x, ix, h, np.array)  # copies
        if f_plus.shape != np.shape(df):
            raise ValueError(
                f"df must have the shape of f(x); got df of shape {np.shape(df)} "
                f"and f(x) of shape {f_plus.shape}"
            )
        grad[ix] = np.sum((f_plus - f_minus) * df) / (2 * h)
    return grad


def grad_check_sparse(
    f, x, analytic_grad, num_checks=10, h=1e-5, *, seed=None, verbose=True, tolerance=1e-5
):
    """Compare analytic_grad with numerical derivatives of f at num_checks random entries of x.

    Each check picks a random index ix of x, ``tuple(randrange(m) for m in x.shape)`` as the
    course does, estimates df/dx[ix] by a centered difference and prints one line:
    ``numerical: %f analytic: %f, relative error: %e``, or ``..., both gradients are 0`` where
    they are (nothing is compared there; the course's formula would print nan). A NaN or inf in
    f or in analytic_grad is a mismatch: its relative error is nan or inf, printed as such. Last
    comes a verdict: ``PASS`` if every relative error is below `tolerance`, else ``FAIL`` and why.

    Parameters
    ----------
    f : callable
        f(x) returns a number, e.g. ``lambda w: softmax_loss_naive(w, X, y, 0.0)[0]``.
    x : ndarray, floating dtype
        The point; shifted in place during each probe and restored afterwards.
    analytic_grad : ndarray, same shape as x
        The gradient to check.
    num_checks : int
        How many random entries to check, at least 1 (drawn with replacement).
    h : float
        The step, a finite number > 0.
    seed : None, int, random.Random or numpy.random.Generator, keyword-only
        Where the random indices come from. None draws them from Python's global generator
        (the ``random`` module, advancing its state) as the course does, so they repeat after
        the same ``random.seed(...)``. An int seeds a private ``random.Random(seed)``; a
        ``random.Random`` or a NumPy Generator is used as given. None of these touches NumPy's
        global generator, and only None touches Python's.
    verbose : bool, keyword-only
        Print one line per check, then the verdict.
    tolerance : float, keyword-only
        The verdict's bound on every relative error. 1e-5 suits the softmax loss in float64,
        whose relative errors are about 1e-7 or less when its gradient is right.

    Returns
    -------
    rel_errors : ndarray, shape (num_checks,), float64
        |numerical - analytic| / (|numerical| + |analytic|) of each check, the numbers printed;
        nan where both are 0 or either is NaN, inf where either is infinite.
    """
    _check_probe_array(x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad must have the shape of x, {x.shape}; got {analytic_grad.shape}"
        )
    if x.size == 0:
        raise ValueError(f"x must have at least one entry to probe; got shape {x.shape}")
    num_checks = _check_num_checks(num_checks)
    h = _check_step(h)
    if isinstance(tolerance, bool) or not (isinstance(tolerance, numbers.Real) and tolerance > 0):
        raise ValueError(f"tolerance must be a number > 0 (e.g. 1e-5); got {tolerance!r}")
    draw = _index_drawer(seed)

    rel_errors = np.zeros(num_checks)  # (num_checks,)
    num_both_zero = 0
    for check in range(num_checks):
        ix = tuple(draw(m) for m in x.shape)
        f_plus, f_minus = _centered_difference(f, x, ix, h, _scalar)
        grad_numerical = (f_plus - f_minus) / (2 * h)
        grad_analytic = float(analytic_grad[ix])
        rel_errors[check] = _relative_error(grad_numerical, grad_analytic)
        both_zero = grad_numerical == 0 and grad_analytic == 0
        num_both_zero += both_zero
        if verbose:
            error = f"relative error: {rel_errors[check]:e}"
            error = "both gradients are 0" if both_zero else error
            print(f"numerical: {grad_numerical:f} analytic: {grad_analytic:f}, {error}")
    if verbose:
        print(_verdict(rel_errors, num_both_zero, tolerance))
    return rel_errors
