"""Read CIFAR-10 python batch files safely, and check that a folder holds a complete copy.

On disk, a batch file is a pickled dict whose ``"data"`` is a uint8 array ``(n, 3072)``: each
row is the red plane, then the green, then the blue one, each 32 rows of 32 pixels; its
``"labels"`` is a list of n ints in 0..9; ``"batch_label"`` (a string) and ``"filenames"``
(n strings) name the batch and its images. The official files were pickled by Python 2, so
they are read with ``encoding="latin1"`` (which maps Python 2 byte strings to text one byte
per character). n is 10000 in the official files.

Nothing read from a file runs code: the pickle is read with :func:`cs231n.safe_pickle.load`,
which admits only numpy's array globals, and the result is then checked key by key. Keys may be
str or bytes (a batch unpickled with ``encoding="bytes"`` and pickled again has bytes keys);
keys other than the four above are ignored.
"""

import os

import numpy as np

from cs231n import safe_pickle
from cs231n.datasets.layout import BATCH_NAMES, FETCH_HINT, META_NAME, REQUIRED_FILES

__all__ = ["NewerNumpyError", "check_folder", "read_batch", "read_batch_checked"]

PIXELS_PER_IMAGE = 32 * 32 * 3
NUM_CLASSES = 10


class NewerNumpyError(ValueError):
    """The file needs a numpy module that this (older) numpy lacks; the message says so."""


def _is_name(value):
    return isinstance(value, (str, bytes))


def _text_keys(batch, filename):
    """The dict ``batch`` with bytes keys decoded as latin1; ValueError for other key types."""
    odd = [key for key in batch if not _is_name(key)]
    if odd:
        raise ValueError(
            f"{filename}: expected str or bytes keys, got a key of type {type(odd[0]).__name__}"
        )
    return {key.decode("latin1") if isinstance(key, bytes) else key: v for key, v in batch.items()}


def _unpickle(filename):
    """Load the pickle at ``filename`` with the restricted unpickler; ValueError if it fails."""
    try:
        f = open(filename, "rb")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"CIFAR-10 file not found: {filename}. Fetch the data set with: {FETCH_HINT}"
        ) from None
    with f:
        try:
            return safe_pickle.load(f, encoding="latin1")
        except safe_pickle.ForbiddenGlobalError as exc:
            raise ValueError(f"{filename} is not a CIFAR-10 file: {exc}") from None
        except ModuleNotFoundError as exc:  # raised only for numpy modules this numpy lacks
            raise NewerNumpyError(
                f"{filename} was written by a newer NumPy than this one ({np.__version__}): "
                f"it needs the module {exc.name}. Upgrade NumPy (pip install -U numpy), or "
                "rebuild the batches with this NumPy"
            ) from None
        except Exception as exc:  # a damaged pickle can fail in almost any way
            raise ValueError(
                f"{filename} is not a readable CIFAR-10 file ({type(exc).__name__}: {exc})"
            ) from None


def read_batch_checked(filename):
    """Read one batch file and check its structure; like :func:`read_batch` without advice.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        Naming the file and what was found, when it is not a CIFAR-10 batch.
    """
    batch = _unpickle(filename)
    if not isinstance(batch, dict):
        raise ValueError(
            f"{filename} is not a CIFAR-10 batch: expected a pickled dict with keys 'data' "
            f"and 'labels', got {type(batch).__name__}"
        )
    batch = _text_keys(batch, filename)
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"{filename} is not a CIFAR-10 batch: expected a pickled dict with keys 'data' "
            f"and 'labels', got keys {sorted(batch)}"
        )
    rows = batch["data"]
    if not (
        isinstance(rows, np.ndarray)
        and rows.dtype == np.uint8
        and rows.ndim == 2
        and rows.shape[1] == PIXELS_PER_IMAGE
    ):
        found = f"{rows.dtype} {rows.shape}" if isinstance(rows, np.ndarray) else type(rows)
        raise ValueError(
            f"{filename}: expected 'data' to be a uint8 array (n, {PIXELS_PER_IMAGE}), "
            f"got {found}"
        )
    labels = batch["labels"]
    if not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(
            f"{filename}: expected 'labels' to be a list of integers, got {type(labels).__name__}"
        )
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{filename}: 'labels' is not a list of integers ({exc})") from None
    if (
        labels.shape != (len(rows),)
        or labels.dtype.kind not in "iu"
        or np.any((labels < 0) | (labels >= NUM_CLASSES))
    ):
        raise ValueError(
            f"{filename}: expected 'labels' to be {len(rows)} integers in "
            f"0..{NUM_CLASSES - 1}, got {labels.dtype} {labels.shape}"
        )
    if "batch_label" in batch and not _is_name(batch["batch_label"]):
        raise ValueError(
            f"{filename}: expected 'batch_label' to be a string, "
            f"got {type(batch['batch_label']).__name__}"
        )
    names = batch.get("filenames", [""] * len(rows))
    if not (isinstance(names, (list, tuple)) and len(names) == len(rows)) or not all(
        map(_is_name, names)
    ):
        raise ValueError(f"{filename}: expected 'filenames' to be {len(rows)} strings")
    return rows, labels.astype(np.int64)


def read_batch(filename):
    """Read one CIFAR-10 batch file as stored: flat uint8 rows and integer labels.

    No code from the file runs (see the module docstring).

    Parameters
    ----------
    filename : str or os.PathLike
        Path of ``data_batch_1`` .. ``data_batch_5`` or ``test_batch``.

    Returns
    -------
    rows : np.ndarray, shape (n, 3072), uint8
        One image per row, channel-major (all red, then all green, then all blue pixels).
    labels : np.ndarray, shape (n,), int64
        Class of each image, in 0..9.

    Raises
    ------
    FileNotFoundError
        If the file does not exist; the message says how to fetch the data set.
    ValueError
        If the file is truncated, corrupt, not a CIFAR-10 batch, or asks to run code; the
        message names the file, what was found, and what to do.
    """
    try:
        return read_batch_checked(filename)
    except NewerNumpyError:
        raise
    except ValueError as exc:
        raise ValueError(
            f"{exc}. It is probably truncated or corrupt: remove the folder "
            f"{os.path.dirname(os.fspath(filename))} and fetch the data set again with: "
            f"{FETCH_HINT}"
        ) from None


def read_meta(filename):
    """Read ``batches.meta`` safely; return its ``num_cases_per_batch`` (None if absent)."""
    meta = _unpickle(filename)
    if not isinstance(meta, dict):
        raise ValueError(f"{filename}: expected a pickled dict, got {type(meta).__name__}")
    meta = _text_keys(meta, filename)
    count = meta.get("num_cases_per_batch")
    if count is not None and not isinstance(count, int):
        raise ValueError(f"{filename}: expected 'num_cases_per_batch' to be an int, got {count!r}")
    names = meta.get("label_names", [""] * NUM_CLASSES)
    if not (isinstance(names, list) and len(names) == NUM_CLASSES and all(map(_is_name, names))):
        raise ValueError(f"{filename}: expected 'label_names' to be {NUM_CLASSES} strings")
    return count


def check_folder(folder):
    """Check that ``folder`` holds a complete, loadable CIFAR-10 in the course layout.

    Every file of the layout must be there; every batch must read with :func:`read_batch`
    (so no code runs); all six batches must have the same number n of images, and n must be
    ``num_cases_per_batch`` of ``batches.meta`` when it says (10000 in the official files).

    Returns
    -------
    int
        n, the number of images in each batch.

    Raises
    ------
    ValueError
        Saying what is missing or wrong, without naming ``folder`` unless a file in it is at
        fault, and without advice: the caller names the folder and knows what to do.
    """
    if not os.path.isdir(folder):
        raise ValueError("not a folder")
    missing = [name for name in REQUIRED_FILES if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        raise ValueError(f"missing file(s): {', '.join(missing)}")
    expected = read_meta(os.path.join(folder, META_NAME))
    counts = {name: len(read_batch_checked(os.path.join(folder, name))[0]) for name in BATCH_NAMES}
    said_by = f"as {META_NAME} says"
    if expected is None:
        expected, said_by = counts[BATCH_NAMES[0]], f"as {BATCH_NAMES[0]} does"
    wrong = [f"{name} has {n}" for name, n in counts.items() if n != expected]
    if wrong or expected == 0:
        raise ValueError(
            f"incomplete: every batch should hold {expected} images ({said_by}), "
            f"but {', '.join(wrong) or 'they are empty'}"
        )
    return expected
