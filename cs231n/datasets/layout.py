"""Where CIFAR-10 lives, what its folder holds, and the commands that fetch it.

The one home of these names: the loaders, the fetch, the tests and the benchmarks import them
from here (re-exported by :mod:`cs231n.datasets`).

The course layout is a folder ``cifar-10-batches-py/`` holding ``data_batch_1`` ..
``data_batch_5`` (the training set, in that order), ``test_batch``, ``batches.meta`` and
``readme.html``.
"""

import os
from pathlib import Path

DATASETS_DIR = str(Path(__file__).resolve().parent)
FOLDER_NAME = "cifar-10-batches-py"
CIFAR10_DIR = os.path.join(DATASETS_DIR, FOLDER_NAME)

TRAIN_BATCH_NAMES = tuple(f"data_batch_{b}" for b in range(1, 6))
TEST_BATCH_NAME = "test_batch"
BATCH_NAMES = (*TRAIN_BATCH_NAMES, TEST_BATCH_NAME)
META_NAME = "batches.meta"
REQUIRED_FILES = (*BATCH_NAMES, META_NAME)

ARCHIVE_NAME = "cifar-10-python.tar.gz"

# Commands that work from a plain shell in the project's folder (the course's development
# repository or the student release), without an activated venv and without make (the release
# ships no Makefile).
FETCH_COMMAND_PLAIN = ".venv/bin/python -m cs231n.datasets"
FETCH_COMMAND = FETCH_COMMAND_PLAIN
FETCH_FROM_COPY_COMMAND = f"{FETCH_COMMAND_PLAIN} --source /path/to/{ARCHIVE_NAME}-or-{FOLDER_NAME}"
FETCH_HINT = FETCH_COMMAND_PLAIN
