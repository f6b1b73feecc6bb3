"""Load CIFAR-10 from its python batch files and prepare it for a linear classifier.

Shapes: N images of 32 x 32 pixels with 3 colour channels.
- Images are ``(N, 32, 32, 3)`` (channels last), except in :func:`get_CIFAR10_data`, which
  returns them channels first, ``(N, 3, 32, 32)``.
- Flattened images are rows of D = 32 * 32 * 3 = 3072 numbers, ``(N, D)``, and ``(N, D + 1)``
  once the bias column of ones is appended.
- Labels are ``(N,)`` int64 in 0..9 (airplane, automobile, bird, cat, deer, dog, frog, horse,
  ship, truck).

On disk, a batch file is a pickled dict whose ``"data"`` is a uint8 array ``(n, 3072)``: each
row is the red plane, then the green, then the blue one, each 32 rows of 32 pixels; its
``"labels"`` is a list of n ints. Batch files are read by :func:`read_batch`
(:mod:`cs231n.datasets.batches`) with a restricted unpickler: nothing in a file can run code,
and anything that is not a CIFAR-10 batch is a ValueError naming the file.

Memory: the pixels are kept as uint8 (150 MB for the training set) for as long as possible.
``load_CIFAR10(ROOT, dtype=np.uint8)`` followed by :func:`preprocess_CIFAR10` does the
worksheet's data steps with one float32 array per split as the only large allocations.
"""

import numbers
import os

import numpy as np

from cs231n.datasets import (
    CIFAR10_DIR,
    FETCH_HINT,
    TEST_BATCH_NAME,
    TRAIN_BATCH_NAMES,
    describe_CIFAR10,
)
from cs231n.datasets.batches import read_batch

__all__ = [
    "describe_CIFAR10",
    "get_CIFAR10_data",
    "load_CIFAR10",
    "load_CIFAR_batch",
    "preprocess_CIFAR10",
    "read_CIFAR10_rows",
    "read_batch",
]

IMAGE_SHAPE = (32, 32, 3)
PIXELS_PER_IMAGE = 32 * 32 * 3
NUM_CLASSES = 10


def check_pixel_dtype(dtype):
    """Return ``np.dtype(dtype)`` if it holds the pixel values 0..255 exactly, else ValueError."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "uif" or not np.can_cast(np.uint8, dtype):
        raise ValueError(
            f"dtype must hold the pixel values 0..255 exactly (e.g. np.uint8, np.float32, "
            f"np.float64), got {dtype}"
        )
    return dtype


def channels_last(rows):
    """View flat channel-major rows ``(n, 3072)`` as images ``(n, 32, 32, 3)`` (no copy)."""
    return rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (n, 32, 32, 3)


def load_CIFAR_batch(filename, dtype=np.float64):
    """Load one batch file as images.

    Parameters
    ----------
    filename : str or os.PathLike
        Path of a batch file (``data_batch_1`` .. ``data_batch_5`` or ``test_batch``).
    dtype : numpy dtype
        Element type of the images: float64 as in the course by default; ``np.uint8`` keeps
        the stored bytes and takes 8 times less memory.

    Returns
    -------
    X : np.ndarray, shape (n, 32, 32, 3), C-contiguous
        Pixel values 0..255 (n = 10000 for the real files).
    Y : np.ndarray, shape (n,), int64
        Labels in 0..9.
    """
    dtype = check_pixel_dtype(dtype)
    rows, labels = read_batch(filename)
    return as_images(rows, dtype), labels


def as_images(rows, dtype):
    """Copy flat channel-major rows ``(n, 3072)`` into new images ``(n, 32, 32, 3)`` of dtype."""
    images = np.empty((len(rows), *IMAGE_SHAPE), dtype=dtype)  # (n, 32, 32, 3)
    images[...] = channels_last(rows)
    return images


def read_CIFAR10_rows(root):
    """Read all six batch files of ``root`` as stored, without converting the pixels.

    Returns
    -------
    Xtr_rows : np.ndarray, shape (50000, 3072), uint8
        ``data_batch_1`` .. ``data_batch_5`` in that order, one channel-major image per row.
    Ytr : np.ndarray, shape (50000,), int64
    Xte_rows : np.ndarray, shape (10000, 3072), uint8
        ``test_batch``.
    Yte : np.ndarray, shape (10000,), int64

    Raises
    ------
    FileNotFoundError
        If ``root`` or a batch file is missing; the message gives the command to fetch it.
    ValueError
        If a batch file is truncated or corrupt; the message names the file.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"No CIFAR-10 folder at {root}. Fetch the data set with: {FETCH_HINT}"
        )
    train = [read_batch(os.path.join(root, name)) for name in TRAIN_BATCH_NAMES]
    Xte_rows, Yte = read_batch(os.path.join(root, TEST_BATCH_NAME))
    Xtr_rows = np.concatenate([rows for rows, _ in train])  # (50000, 3072)
    Ytr = np.concatenate([labels for _, labels in train])  # (50000,)
    return Xtr_rows, Ytr, Xte_rows, Yte


def load_CIFAR10(ROOT, dtype=np.float64):
    """Load the whole of CIFAR-10 from a ``cifar-10-batches-py`` folder.

    The training set is ``data_batch_1`` .. ``data_batch_5`` in that order, the test set is
    ``test_batch``. The pixels stay uint8 until each set is copied once into ``dtype``, so
    the peak memory is the result plus about 300 MB.

    Parameters
    ----------
    ROOT : str or os.PathLike
        The folder holding the batch files, e.g. ``cs231n.datasets.CIFAR10_DIR`` (the
        course's parameter name).
    dtype : numpy dtype
        Element type of the images: float64 as in the course by default (1.2 GB for the
        training set); ``np.uint8`` (150 MB) is the lean choice before
        :func:`preprocess_CIFAR10`.

    Returns
    -------
    Xtr : np.ndarray, shape (50000, 32, 32, 3)
    Ytr : np.ndarray, shape (50000,), int64
    Xte : np.ndarray, shape (10000, 32, 32, 3)
    Yte : np.ndarray, shape (10000,), int64

    Raises
    ------
    FileNotFoundError
        If ``ROOT`` or a batch file is missing; the message gives the command to fetch it.
    ValueError
        If a batch file is truncated or corrupt; the message names the file.
    """
    dtype = check_pixel_dtype(dtype)
    Xtr_rows, Ytr, Xte_rows, Yte = read_CIFAR10_rows(ROOT)
    return as_images(Xtr_rows, dtype), Ytr, as_images(Xte_rows, dtype), Yte


def check_count(name, value, low, high):
    """Return ``value`` if it is an integer in [low, high], else raise a ValueError."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}] for this data, got {value}")
    return int(value)


def check_float_dtype(dtype):
    """Return ``np.dtype(dtype)`` if it is a floating type, else raise a ValueError."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type (np.float32, np.float64), got {dtype}")
    return dtype


def check_labels(name, y):
    """Return the labels ``y`` as integers, or raise a ValueError naming the first bad one.

    Integer labels are returned as they are. Float labels are accepted only when every one is
    a whole number (3.0, as ``np.loadtxt`` gives), which is unambiguous, and returned as int64;
    a fraction (2.5), NaN or inf is an error, never silently truncated.
    """
    if y.dtype.kind in "iu":
        return y
    if y.dtype.kind != "f":
        raise ValueError(f"{name} labels must be integers (class indices), got dtype {y.dtype}")
    bad = ~np.isfinite(y) | (y != np.round(y))  # (N,)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} labels must be whole numbers (class indices), got {y[i]} at index {i}"
        )
    return y.astype(np.int64)


def first_non_finite(rows):
    """Index of the first row of ``rows`` (n, D) holding a NaN or inf, or None (uint8: None)."""
    if rows.dtype.kind not in "fc":
        return None
    bad = ~np.isfinite(rows).all(axis=1)  # (n,)
    return int(np.argmax(bad)) if bad.any() else None


def non_finite_error(name, index, offset=0):
    return ValueError(
        f"{name} holds NaN or inf pixel values (first in image {offset + index}); they would "
        "spread to the mean image and every split. Check how the images were made"
    )


def check_pairs(X_train, y_train, X_test, y_test):
    """Check that images and labels match in count and image shape, that images are numbers
    and labels class indices (see :func:`check_labels`); return them as arrays."""
    X_train, y_train = np.asarray(X_train), np.asarray(y_train)
    X_test, y_test = np.asarray(X_test), np.asarray(y_test)
    for name, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if X.ndim < 2 or y.shape != (len(X),):
            raise ValueError(
                f"{name} images must be (N, ...) with labels (N,), got images {X.shape} "
                f"and labels {y.shape}"
            )
        if X.dtype.kind not in "uif":
            raise ValueError(
                f"{name} images must hold numbers (uint8 or float), got dtype {X.dtype}"
            )
    if X_test.shape[1:] != X_train.shape[1:]:
        raise ValueError(
            f"train and test images must have the same shape, got {X_train.shape[1:]} "
            f"and {X_test.shape[1:]}"
        )
    return X_train, check_labels("train", y_train), X_test, check_labels("test", y_test)


def get_CIFAR10_data(
    num_training=49000,
    num_validation=1000,
    num_test=1000,
    subtract_mean=True,
    dtype=np.float64,
    root=CIFAR10_DIR,
):
    """Load CIFAR-10 and split it for a classifier, channels first.

    Train is the first ``num_training`` training images, val the next ``num_validation``,
    test the first ``num_test`` test images. With ``subtract_mean`` every split has the
    training mean image subtracted, mu = (1 / num_training) * sum_i X_train[i] (accumulated
    in float64 from the uint8 pixels).

    Parameters
    ----------
    num_training, num_validation, num_test : int
        Split sizes; ``num_training + num_validation`` must not exceed 50000.
    subtract_mean : bool
        Subtract the training mean image from every split.
    dtype : numpy floating dtype
        Element type of the returned images: float64 as in the course by default.
    root : str or os.PathLike
        The ``cifar-10-batches-py`` folder; ``cs231n.datasets.CIFAR10_DIR`` by default.

    Returns
    -------
    dict
        ``X_train`` (num_training, 3, 32, 32), ``y_train`` (num_training,), ``X_val``
        (num_validation, 3, 32, 32), ``y_val``, ``X_test`` (num_test, 3, 32, 32), ``y_test``.
    """
    dtype = check_float_dtype(dtype)
    Xtr_rows, y_train, Xte_rows, y_test = read_CIFAR10_rows(root)
    num_training = check_count("num_training", num_training, 1, len(Xtr_rows))
    num_validation = check_count("num_validation", num_validation, 0, len(Xtr_rows) - num_training)
    num_test = check_count("num_test", num_test, 0, len(Xte_rows))

    X_train = Xtr_rows.reshape(-1, 3, 32, 32)  # (50000, 3, 32, 32): rows are channel-major
    X_test = Xte_rows.reshape(-1, 3, 32, 32)  # (10000, 3, 32, 32)
    mean_image = X_train[:num_training].mean(axis=0, dtype=np.float64)  # (3, 32, 32)

    def prepare(X):  # uint8 (n, 3, 32, 32) -> dtype (n, 3, 32, 32), mean-subtracted
        out = np.empty(X.shape, dtype=dtype)
        out[...] = X
        if subtract_mean:
            out -= mean_image.astype(dtype)
        return out

    val = slice(num_training, num_training + num_validation)
    return {
        "X_train": prepare(X_train[:num_training]),
        "y_train": y_train[:num_training].copy(),
        "X_val": prepare(X_train[val]),
        "y_val": y_train[val].copy(),
        "X_test": prepare(X_test[:num_test]),
        "y_test": y_test[:num_test].copy(),
    }


def preprocess_CIFAR10(
    X_train,
    y_train,
    X_test,
    y_test,
    num_training=49000,
    num_validation=1000,
    num_test=1000,
    num_dev=500,
    dtype=np.float32,
    seed=0,
):
    """The worksheet's data steps in one memory-lean pass: split, flatten, centre, add bias.

    Splits: train is the first ``num_training`` training images, val the next
    ``num_validation``, test the first ``num_test`` test images, and dev ``num_dev`` images
    drawn without replacement from train, at indices
    ``np.random.default_rng(seed).choice(num_training, num_dev, replace=False)``.

    Every split is flattened to rows x_i of D numbers, centred with the training mean and
    given a last column of ones (the bias trick, so that x_i @ W includes the bias row of W):

        mu = (1 / num_training) * sum_{i < num_training} x_i
        row_i = [x_i - mu, 1]

    The mean is accumulated in float64 straight from the input (no float64 copy of the data),
    and each output is allocated once, as ``np.empty((n, D + 1), dtype)``, then filled.

    Parameters
    ----------
    X_train : np.ndarray, shape (N_train, 32, 32, 3)
        Training images, ideally uint8 (``load_CIFAR10(ROOT, dtype=np.uint8)``); any shape
        (N_train, ...) works, with D the product of the trailing dimensions.
    y_train : np.ndarray, shape (N_train,)
        Integer class indices; whole-number floats (3.0) are accepted as the same integers.
    X_test : np.ndarray, shape (N_test, 32, 32, 3)
    y_test : np.ndarray, shape (N_test,)
    num_training, num_validation, num_test, num_dev : int
        Split sizes: ``num_training + num_validation <= N_train``, ``num_test <= N_test`` and
        ``num_dev <= num_training``.
    dtype : numpy floating dtype
        Element type of the returned X arrays; float32 by default (half the memory of
        float64, and plenty of precision for pixel values).
    seed : int, np.random.Generator or None
        Seeds the dev draw (passed to ``np.random.default_rng``); the same seed gives the same
        dev set. ``None`` draws a fresh one each call.

    Returns
    -------
    dict
        ``X_train`` (num_training, D + 1), ``y_train`` (num_training,), ``X_val``
        (num_validation, D + 1), ``y_val``, ``X_test`` (num_test, D + 1), ``y_test``,
        ``X_dev`` (num_dev, D + 1), ``y_dev`` (num_dev,), and ``mean_image`` (D,) float64,
        in the flattened order of the input (for CIFAR-10 images: reshape to (32, 32, 3)).
        Labels are int64 copies.

    Raises
    ------
    ValueError
        Before any large allocation, if a size or the dtype is out of range, images and labels
        do not match, a label is not a whole number (2.5, NaN), or an image that a split uses
        holds NaN or inf (checked for free on uint8 input, which cannot hold them).
    """
    dtype = check_float_dtype(dtype)
    X_train, y_train, X_test, y_test = check_pairs(X_train, y_train, X_test, y_test)
    num_training = check_count("num_training", num_training, 1, len(X_train))
    num_validation = check_count("num_validation", num_validation, 0, len(X_train) - num_training)
    num_test = check_count("num_test", num_test, 0, len(X_test))
    num_dev = check_count("num_dev", num_dev, 0, num_training)
    rng = np.random.default_rng(seed)

    D = int(np.prod(X_train.shape[1:]))
    train_rows = X_train[:num_training].reshape(num_training, D)  # (num_training, D)
    val = slice(num_training, num_training + num_validation)
    val_rows = X_train[val].reshape(num_validation, D)  # (num_validation, D)
    test_rows = X_test[:num_test].reshape(num_test, D)  # (num_test, D)
    mean_image = train_rows.mean(axis=0, dtype=np.float64)  # (D,)
    if not np.isfinite(mean_image).all():  # free: a NaN or inf in train reaches the mean
        raise non_finite_error("X_train", first_non_finite(train_rows))
    for name, rows, offset in (("X_train", val_rows, num_training), ("X_test", test_rows, 0)):
        bad = first_non_finite(rows)
        if bad is not None:
            raise non_finite_error(name, bad, offset)
    mean_in_dtype = mean_image.astype(dtype)  # (D,)

    def with_bias(rows):  # (n, D) -> (n, D + 1), centred, last column ones
        out = np.empty((len(rows), D + 1), dtype=dtype)
        out[:, :D] = rows
        out[:, :D] -= mean_in_dtype
        out[:, D] = 1
        return out

    dev = rng.choice(num_training, size=num_dev, replace=False)  # (num_dev,)
    return {
        "X_train": with_bias(train_rows),
        "y_train": y_train[:num_training].astype(np.int64),
        "X_val": with_bias(val_rows),
        "y_val": y_train[val].astype(np.int64),
        "X_test": with_bias(test_rows),
        "y_test": y_test[:num_test].astype(np.int64),
        "X_dev": with_bias(train_rows[dev]),
        "y_dev": y_train[dev].astype(np.int64),
        "mean_image": mean_image,
    }
