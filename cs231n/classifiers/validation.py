"""Cheap checks of the inputs to the linear-classifier losses, shared by the losses and SGD.

Shapes: N examples, D features per example, C classes.
    W (D, C) weights, X (N, D) one example per row, y (N,) integer labels in [0, C).

Every check raises ValueError (TypeError for a reg that is not a number) with a message that says
what was expected and what was received. The checks run on every SGD step, so each costs a few
microseconds, except the finiteness test of X: one elementwise pass over it (see `check_finite`),
about a tenth of a vectorized loss call on a (200, 3073) float32 batch. Arrays are returned as
given (`np.asarray` makes no copy of an ndarray), so nothing is copied or modified.

W and X must be floating point. Integer X such as raw uint8 pixels is rejected rather than cast: in
the worksheet X is always mean-subtracted floats, so integer X means a preprocessing step was
skipped.
"""

import numbers

import numpy as np

__all__ = [
    "check_features",
    "check_finite",
    "check_labels",
    "check_loss_inputs",
    "check_loss_result",
    "check_reg",
    "check_weights",
]


def _check_float_matrix(A, name, shape_text):
    """Return A as an ndarray after checking that it is a 2-D floating-point array."""
    A = np.asarray(A)
    if A.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array of shape {shape_text}; "
            f"got a {A.ndim}-D array of shape {A.shape}"
        )
    if not np.issubdtype(A.dtype, np.floating):
        raise ValueError(
            f"{name} must be a floating-point array (e.g. float32 or float64); "
            f"got dtype {A.dtype}. Convert it first, e.g. {name}.astype(np.float64)"
        )
    return A


def check_finite(A, name):
    """Raise ValueError if the array A holds a NaN or an infinity.

    The test is one elementwise pass, `np.isfinite(A).all()`. A reduction such as `np.sum(A)` or
    `A @ ones` would also become NaN or infinite if an entry were, but it is no faster on one
    core (every test reads all of A once), it can overflow when all entries are finite, and a
    multithreaded BLAS call can stall on a busy machine.

    Parameters
    ----------
    A : ndarray
    name : str
        How the error message calls A, e.g. "X".
    """
    finite = np.isfinite(A)
    if finite.all():
        return
    first = tuple(int(i) for i in np.argwhere(~finite)[0])
    raise ValueError(
        f"{name} must contain only finite values; got {int(A.size - finite.sum())} NaN or "
        f"infinite entries, the first at index {first}: {A[first]}"
    )


def check_features(X):
    """Check a batch of examples X and return it as an ndarray.

    Parameters
    ----------
    X : array_like, shape (N, D), floating dtype, all finite, N >= 1

    Returns
    -------
    X : ndarray, shape (N, D)
    """
    X = _check_float_matrix(X, "X", "(N, D)")
    if X.shape[0] == 0:
        raise ValueError(f"X must hold at least one example (N >= 1); got shape {X.shape}")
    check_finite(X, "X")
    return X


def check_weights(W, num_features):
    """Check a weight matrix W against the number of features D and return it as an ndarray.

    Parameters
    ----------
    W : array_like, shape (D, C), floating dtype, all finite, C >= 1
    num_features : int
        D, the number of columns of X.

    Returns
    -------
    W : ndarray, shape (D, C)
    """
    W = _check_float_matrix(W, "W", f"(D, C) = ({num_features}, C)")
    if W.shape[0] != num_features:
        raise ValueError(
            f"W must have D = {num_features} rows, one per column (feature) of X; "
            f"got W of shape {W.shape}"
        )
    if W.shape[1] == 0:
        raise ValueError(f"W must have at least one column (class); got shape {W.shape}")
    check_finite(W, "W")
    return W


def check_labels(y, num_examples, num_classes=None):
    """Check the labels y and return them as an ndarray.

    Parameters
    ----------
    y : array_like, shape (N,), integer dtype
    num_examples : int
        N, the number of rows of X.
    num_classes : int or None
        C. Labels must lie in [0, C); with None they need only be non-negative.

    Returns
    -------
    y : ndarray, shape (N,), integer dtype
    """
    y = np.asarray(y)
    if y.shape != (num_examples,):
        raise ValueError(
            f"y must be a 1-D array of N = {num_examples} labels, one per row of X; "
            f"got shape {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y must hold integer class labels; got dtype {y.dtype}. "
            "Convert it first, e.g. y.astype(np.int64)"
        )
    low, high = y.min(), y.max()
    too_high = num_classes is not None and high >= num_classes
    if low < 0 or too_high:
        expected = "[0, C)" if num_classes is None else f"[0, C) = [0, {num_classes})"
        raise ValueError(f"labels y must lie in {expected}; got labels from {low} to {high}")
    return y


def check_reg(reg):
    """Check the regularization strength and return it as a Python float.

    Parameters
    ----------
    reg : real number, finite and >= 0

    Returns
    -------
    reg : float
    """
    if not isinstance(reg, numbers.Real) or isinstance(reg, (bool, np.bool_)):
        raise TypeError(f"reg must be a real number; got {type(reg).__name__} {reg!r}")
    reg = float(reg)
    if not np.isfinite(reg) or reg < 0:
        raise ValueError(f"reg must be a finite number >= 0; got {reg}")
    return reg


def check_loss_inputs(W, X, y):
    """Check the inputs of a loss function and return them as ndarrays, uncopied.

    Parameters
    ----------
    W : array_like, shape (D, C), floating dtype, all finite
    X : array_like, shape (N, D), floating dtype, all finite, N >= 1
    y : array_like, shape (N,), integer labels in [0, C)

    Returns
    -------
    W : ndarray, shape (D, C)
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)
    """
    X = check_features(X)
    W = check_weights(W, X.shape[1])
    y = check_labels(y, X.shape[0], W.shape[1])
    return W, X, y


def check_loss_result(loss, dW, X, W):
    """Raise ValueError if a computed loss or gradient overflowed to infinity or NaN.

    With finite inputs this happens only when the inputs are so large that the loss or the
    gradient does not fit the dtype (for example |W| > 1.8e19 in float32, whose squares
    overflow), so the message reports the magnitudes of X and W.

    Parameters
    ----------
    loss : float
    dW : ndarray, shape (D, C)
    X : ndarray, shape (N, D)
    W : ndarray, shape (D, C)
    """
    if np.isfinite(loss) and np.isfinite(dW).all():
        return
    raise ValueError(
        f"the loss or its gradient overflowed {dW.dtype} (loss = {loss}); the inputs are too "
        f"large in magnitude: max |X| = {np.abs(X).max():.3g}, max |W| = {np.abs(W).max():.3g}"
    )
