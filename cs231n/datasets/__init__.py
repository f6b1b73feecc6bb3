"""CIFAR-10 on disk: where it lives, how to fetch it, and which copy it is.

``CIFAR10_DIR`` is the default data folder, ``cs231n/datasets/cifar-10-batches-py``; the names
of its files are :data:`BATCH_NAMES` (:data:`TRAIN_BATCH_NAMES` then :data:`TEST_BATCH_NAME`).
Fetch the data with ``.venv/bin/python -m cs231n.datasets`` (``--source PATH`` offline); see
:mod:`cs231n.datasets.fetch` for how the download is verified and
:mod:`cs231n.datasets.batches` for how a batch file is read without running code from it.
"""

from cs231n.datasets.batches import check_folder, read_batch
from cs231n.datasets.fetch import (
    CIFAR10_ARCHIVE_MD5,
    CIFAR10_ARCHIVE_SIZE,
    CIFAR10_BATCH_MD5S,
    CIFAR10_URL,
    FetchError,
    describe_CIFAR10,
    fetch_CIFAR10,
)
from cs231n.datasets.layout import (
    BATCH_NAMES,
    CIFAR10_DIR,
    DATASETS_DIR,
    FETCH_COMMAND,
    FETCH_COMMAND_PLAIN,
    FETCH_FROM_COPY_COMMAND,
    FETCH_HINT,
    FOLDER_NAME,
    TEST_BATCH_NAME,
    TRAIN_BATCH_NAMES,
)

__all__ = [
    "BATCH_NAMES",
    "CIFAR10_ARCHIVE_MD5",
    "CIFAR10_ARCHIVE_SIZE",
    "CIFAR10_BATCH_MD5S",
    "CIFAR10_DIR",
    "CIFAR10_URL",
    "DATASETS_DIR",
    "FETCH_COMMAND",
    "FETCH_COMMAND_PLAIN",
    "FETCH_FROM_COPY_COMMAND",
    "FETCH_HINT",
    "FOLDER_NAME",
    "FetchError",
    "TEST_BATCH_NAME",
    "TRAIN_BATCH_NAMES",
    "check_folder",
    "describe_CIFAR10",
    "fetch_CIFAR10",
    "read_batch",
]
