"""Data fixtures: a tiny fake CIFAR-10 in the official layout, and the real data set if present.

The fake data set has the official file names, pickle keys and pixel layout (each row of
``data`` is uint8 (3072,), channel-major), with ``PER_BATCH`` random images per batch file.
"""

import hashlib
import os
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from cs231n.datasets import BATCH_NAMES, CIFAR10_DIR, FETCH_HINT, FOLDER_NAME
from cs231n.datasets.fetch import missing_files

PER_BATCH = 20
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@dataclass
class FakeCIFAR10:
    """A fake ``cifar-10-batches-py`` folder on disk and the arrays it holds."""

    folder: Path  # .../cifar-10-batches-py
    X_train: np.ndarray  # (5 * PER_BATCH, 32, 32, 3) uint8
    y_train: np.ndarray  # (5 * PER_BATCH,) int64
    X_test: np.ndarray  # (PER_BATCH, 32, 32, 3) uint8
    y_test: np.ndarray  # (PER_BATCH,) int64
    batch_md5s: dict  # batch file name -> md5 of the file as written


@dataclass
class FakeArchive:
    """A ``cifar-10-python.tar.gz`` made of a fake folder, as the official archive is laid out."""

    path: Path
    md5: str
    data: FakeCIFAR10


def md5_of(path):
    return hashlib.md5(Path(path).read_bytes(), usedforsecurity=False).hexdigest()


def write_fake_cifar10(parent, per_batch=PER_BATCH, seed=0):
    """Write ``parent/cifar-10-batches-py`` with random images; return what it holds."""
    rng = np.random.default_rng(seed)
    folder = Path(parent) / FOLDER_NAME
    folder.mkdir(parents=True)
    images = rng.integers(0, 256, size=(6 * per_batch, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=6 * per_batch)  # (6 * per_batch,)
    for b, name in enumerate(BATCH_NAMES):
        part = slice(b * per_batch, (b + 1) * per_batch)
        rows = images[part].transpose(0, 3, 1, 2).reshape(per_batch, 3072)  # channel-major
        batch = {
            "batch_label": f"fake batch {name}",
            "labels": labels[part].tolist(),
            "data": rows,
            "filenames": [f"fake_{name}_{i}.png" for i in range(per_batch)],
        }
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    meta = {"num_cases_per_batch": per_batch, "label_names": CLASSES, "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump(meta, f, protocol=2)
    (folder / "readme.html").write_text("<p>fake CIFAR-10 for tests</p>\n")
    split = 5 * per_batch
    return FakeCIFAR10(
        folder=folder,
        X_train=images[:split],
        y_train=labels[:split],
        X_test=images[split:],
        y_test=labels[split:],
        batch_md5s={name: md5_of(folder / name) for name in BATCH_NAMES},
    )


@pytest.fixture
def fake_cifar10(tmp_path):
    """A fake CIFAR-10 folder at ``tmp_path/data/cifar-10-batches-py``."""
    return write_fake_cifar10(tmp_path / "data")


@pytest.fixture
def fake_archive(tmp_path):
    """A fake ``cifar-10-python.tar.gz`` in ``tmp_path/archive`` (its folder in ``made``)."""
    data = write_fake_cifar10(tmp_path / "made")
    path = tmp_path / "archive" / "cifar-10-python.tar.gz"
    path.parent.mkdir()
    with tarfile.open(path, "w:gz") as tar:
        tar.add(data.folder, arcname=FOLDER_NAME)
    return FakeArchive(path=path, md5=md5_of(path), data=data)


@pytest.fixture(scope="session")
def cifar10_dir():
    """The real CIFAR-10 folder (``cs231n.datasets.CIFAR10_DIR``); skips the test if absent."""
    if not os.path.isdir(CIFAR10_DIR):
        pytest.skip(f"no real CIFAR-10 at {CIFAR10_DIR}; fetch it with: {FETCH_HINT}")
    missing = missing_files(CIFAR10_DIR)
    if missing:
        pytest.skip(
            f"real CIFAR-10 at {CIFAR10_DIR} lacks {', '.join(missing)}; "
            f"fetch it with: {FETCH_HINT}"
        )
    return CIFAR10_DIR

