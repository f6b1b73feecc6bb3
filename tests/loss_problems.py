"""Random problems and helpers shared by the tests of the linear classifier and its loss.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).

tests/ is not a package, so pytest's default import mode puts it on sys.path and the test files
import this module by its bare name: `from loss_problems import make_problem`.
"""

import importlib
import sys

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


# The marker contract with the release builder (cs231n_staff/release.py): a student writes code
# between these two lines, directly below the course's TODO comment. The release replaces each
# block, marker lines included, with what the official 2025 starter has there: nothing (the
# blank lines that follow each block in our files are the starter's own).
START_MARKER = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END_MARKER = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"


def release_stub(text):
    """`text` as the release ships it: every START..END marker block removed."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker in (START_MARKER, END_MARKER):
            assert inside == (marker == END_MARKER), f"unpaired marker: {line!r}"
            inside = marker == START_MARKER
        elif not inside:
            kept.append(line)
    assert not inside, "a START marker without its END"
    return "".join(kept)


def marker_blocks(text):
    """The code lines of each START..END block, in order (one list of lines per block)."""
    blocks, current = [], None
    for line in text.splitlines():
        if line.strip() == START_MARKER:
            current = []
        elif line.strip() == END_MARKER:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def outside_markers(text):
    """The lines of `text` outside every START..END block (the release's lines)."""
    return release_stub(text).splitlines()


def import_classifiers(tmp_path, name, files):
    """Import `files` {file name: text} as a package `name` in tmp_path, laid out like the
    course's cs231n/classifiers (k_nearest_neighbor.py aside); return {module name: module}.

    Each test passes its own package name, so that modules of other tests are never reused.
    """
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for file_name, text in files.items():
        (package / file_name).write_text(text)
    sys.path.insert(0, str(tmp_path))
    try:
        return {
            file_name[:-3]: importlib.import_module(f"{name}.{file_name[:-3]}")
            for file_name in files
        }
    finally:
        sys.path.remove(str(tmp_path))
