"""Numerical gradients by centered differences, to check analytic gradients against.

For a function f of an array x and a step h, the derivative along entry ix is estimated as

    df/dx[ix] ~= (f(x + h e_ix) - f(x - h e_ix)) / (2 h),

where e_ix is the array with a 1 at ix and 0 elsewhere. The error of this estimate is O(h^2) for
smooth f. Each probe changes x in place and restores it afterwards, also when f raises.

Shapes: x may have any shape, and every gradient returned has the shape of x; f(x) is a number,
except in `eval_numerical_gradient_array`, where it is an array of the shape of the upstream
gradient df.

The two gradients are compared by their relative error |a - b| / (|a| + |b|): around 1e-7 or less
means they agree in float64, 1e-2 or more means a bug (or a kink of f between the probes).
"""

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
        The step.

    Returns
    -------
    grad : ndarray, same shape and dtype as x
        grad[ix] = (f(x + h e_ix) - f(x - h e_ix)) / (2 h).
    """
    _check_probe_array(x)
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
        The step.

    Returns
    -------
    grad : ndarray, same shape and dtype as x
        grad[ix] = sum((f(x + h e_ix) - f(x - h e_ix)) * df) / (2 h).
    """
    _check_probe_array(x)
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


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, *, seed=None, verbose=True):
    """Compare analytic_grad with numerical derivatives of f at num_checks random entries of x.

    Each check picks a random index ix of x, estimates df/dx[ix] by a centered difference and
    prints one line: ``numerical: %f analytic: %f, relative error: %e``.

    Parameters
    ----------
    f : callable
        f(x) returns a number, e.g. ``lambda w: softmax_loss_naive(w, X, y, 0.0)[0]``.
    x : ndarray, floating dtype
        The point; shifted in place during each probe and restored afterwards.
    analytic_grad : ndarray, same shape as x
        The gradient to check.
    num_checks : int
        How many random entries to check (they are drawn with replacement).
    h : float
        The step.
    seed : None, int or numpy.random.Generator, keyword-only
        Where the random indices come from. None draws them from NumPy's global generator
        (np.random, advancing its state), so they repeat after the same ``np.random.seed(...)``,
        as in the notebooks. An int seeds a new generator, np.random.default_rng(seed); a
        Generator is used as given. Neither touches the global generator.
    verbose : bool, keyword-only
        Print one line per check.

    Returns
    -------
    rel_errors : ndarray, shape (num_checks,), float64
        |numerical - analytic| / (|numerical| + |analytic|) of each check, the numbers printed;
        0 where both are 0.
    """
    _check_probe_array(x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad must have the shape of x, {x.shape}; got {analytic_grad.shape}"
        )
    if x.size == 0:
        raise ValueError(f"x must have at least one entry to probe; got shape {x.shape}")
    rng = None if seed is None else np.random.default_rng(seed)

    rel_errors = np.zeros(num_checks)  # (num_checks,)
    for check in range(num_checks):
        if rng is None:  # the global generator, which np.random.seed(...) makes repeatable
            ix = tuple(int(np.random.randint(m)) for m in x.shape)  # noqa: NPY002
        else:
            ix = tuple(int(rng.integers(m)) for m in x.shape)
        f_plus, f_minus = _centered_difference(f, x, ix, h, _scalar)
        grad_numerical = (f_plus - f_minus) / (2 * h)
        grad_analytic = float(analytic_grad[ix])
        denominator = abs(grad_numerical) + abs(grad_analytic)
        if denominator > 0:
            rel_errors[check] = abs(grad_numerical - grad_analytic) / denominator
        if verbose:
            print(
                f"numerical: {grad_numerical:f} analytic: {grad_analytic:f}, "
                f"relative error: {rel_errors[check]:e}"
            )
    return rel_errors
