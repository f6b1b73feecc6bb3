"""Checks of the search engine's inputs, in one place.

Every check returns the value in the form the engine uses (a float, an int, an array) or raises
ValueError with a message that names the argument, what it must be, and what it was given. The
engine raises ValueError for every malformed input, whatever is wrong with it (type, shape or
value), so a caller needs to catch one exception type.
"""

import math
import numbers

import numpy as np

__all__ = [
    "check_data",
    "check_finite",
    "check_labels",
    "check_matrix",
    "check_number",
    "check_numbers",
    "check_positive_int",
    "check_seed",
]


def check_number(value, name, *, positive):
    """value as a float: a finite real number, > 0 if positive else >= 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value}")
    return value


def check_numbers(values, name, *, positive):
    """The values of an iterable (a generator is read once) as a list of checked floats."""
    values = list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one value; got none")
    return [check_number(value, f"every value of {name}", positive=positive) for value in values]


def check_positive_int(value, name):
    """value as an int >= 1 (bools are refused: True is not a count)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def check_seed(value, name, num_runs):
    """value as an int seeding num_runs generators, RandomState(value + k) for k < num_runs."""
    largest = 2**32 - num_runs  # RandomState takes seeds in [0, 2**32)
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or not 0 <= value <= largest
    ):
        raise ValueError(
            f"{name} must be an integer in [0, {largest}] (one seed for each of the {num_runs} "
            f"runs); got {value!r}"
        )
    return int(value)


def check_matrix(X, name, num_columns=None):
    """X as a real (N, D) array with N >= 1, and D == num_columns if given."""
    X = np.asarray(X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"{name} must be a 2-D array (N, D) with N >= 1; got shape {X.shape}")
    if X.dtype == bool or X.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers; got dtype {X.dtype}")
    if num_columns is not None and X.shape[1] != num_columns:
        raise ValueError(
            f"{name} must have D = {num_columns} columns, as X_train has; got shape {X.shape}"
        )
    return X


def check_finite(X, name):
    """Raise unless every entry of the real array X is finite."""
    # The sum is finite when every entry is (one fast pass, no (N, D) temporary); only if it is
    # not are the entries looked at one by one, since finite entries can add up to inf.
    if not (np.isfinite(np.sum(X)) or np.isfinite(X).all()):
        raise ValueError(f"{name} must contain only finite values; it holds NaN or infinity")


def check_labels(y, name, num_rows, rows_name):
    """y as a 1-D integer array of labels >= 0, one per row of the array named rows_name."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != num_rows:
        raise ValueError(
            f"{name} must be a 1-D array with one label per row of {rows_name} ({num_rows}); "
            f"got shape {y.shape}"
        )
    if y.dtype == bool or y.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer labels; got dtype {y.dtype}")
    if y.min() < 0:
        raise ValueError(f"{name} must hold labels >= 0; got {y.min()}")
    return y


def check_data(X_train, y_train, X_val, y_val):
    """The four arrays, checked, and the number of classes C = max(y_train) + 1.

    Shapes: X_train (N_train, D), y_train (N_train,), X_val (N_val, D), y_val (N_val,) with labels
    in [0, C); X_train and X_val finite.
    """
    X_train = check_matrix(X_train, "X_train")
    X_val = check_matrix(X_val, "X_val", X_train.shape[1])
    y_train = check_labels(y_train, "y_train", len(X_train), "X_train")
    y_val = check_labels(y_val, "y_val", len(X_val), "X_val")
    num_classes = int(y_train.max()) + 1
    if y_val.max() >= num_classes:
        raise ValueError(
            f"y_val must hold labels in [0, {num_classes}), the classes of y_train; "
            f"got {y_val.max()}"
        )
    check_finite(X_train, "X_train")
    check_finite(X_val, "X_val")
    return X_train, y_train, X_val, y_val, num_classes
