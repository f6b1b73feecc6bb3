"""CIFAR-10 on disk: where it lives, how to fetch it, and which copy it is.

``CIFAR10_DIR`` is the default data folder, ``cs231n/datasets/cifar-10-batches-py``.
Fetch the data with ``python -m cs231n.datasets`` (or ``cs231n/datasets/get_datasets.sh``);
see :mod:`cs231n.datasets.fetch` for how the download is verified.
"""

from cs231n.datasets.fetch import (
    CIFAR10_ARCHIVE_MD5,
    CIFAR10_ARCHIVE_SIZE,
    CIFAR10_BATCH_MD5S,
    CIFAR10_DIR,
    CIFAR10_URL,
    DATASETS_DIR,
    FETCH_COMMAND,
    FetchError,
    describe_CIFAR10,
    fetch_CIFAR10,
)

__all__ = [
    "CIFAR10_ARCHIVE_MD5",
    "CIFAR10_ARCHIVE_SIZE",
    "CIFAR10_BATCH_MD5S",
    "CIFAR10_DIR",
    "CIFAR10_URL",
    "DATASETS_DIR",
    "FETCH_COMMAND",
    "FetchError",
    "describe_CIFAR10",
    "fetch_CIFAR10",
]
