"""Random problems and helpers shared by the tests of the linear-classifier losses.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).

tests/ is not a package, so pytest's default import mode puts it on sys.path and the test files
import this module by its bare name: `from loss_problems import make_problem`.
"""

import numpy as np

SHAPES = [(1, 1, 1), (1, 4, 3), (7, 5, 4), (40, 33, 10)]  # (N, D, C)


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
