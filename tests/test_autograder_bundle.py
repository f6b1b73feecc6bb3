"""The Gradescope bundle, run the way Gradescope runs it, in a temporary /autograder tree.

`make autograder`'s builder writes the zip; it is unpacked into AUTOGRADER_ROOT/source, setup.sh
runs with the local CIFAR-10 as SOURCE (offline) and this repository's interpreter, and then
run_autograder grades submissions placed in AUTOGRADER_ROOT/submission: this repository's
submission, the student release (0 on the code) and a crashing input. Gradescope runs both
scripts as root, and so must this test.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cs231n.datasets import CIFAR10_DIR
from cs231n_staff.autograder.__main__ import build
from cs231n_staff.release import build_release

ROOT = Path(__file__).resolve().parents[1]
SUBMITTED = (
    "cs231n/classifiers/softmax.py",
    "cs231n/classifiers/linear_classifier.py",
    "softmax.ipynb",
    "cs231n/saved/softmax.npy",
    "cs231n/saved/best_softmax.npy",
)
SECRET = "a staff secret for the test"
CODE_TESTS = ("softmax_loss", "LinearClassifier")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs the bundle as root"),
    pytest.mark.skipif(
        not (Path(CIFAR10_DIR) / "test_batch").exists(), reason="CIFAR-10 is not installed"
    ),
]


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """AUTOGRADER_ROOT after setup.sh ran in it."""
    root = tmp_path_factory.mktemp("gradescope") / "autograder"
    bundle = root.parent / "autograder.zip"
    names = build(bundle, SECRET)
    assert {"setup.sh", "run_autograder", "grader_secret"} <= set(names)
    assert not [n for n in names if n.startswith(("cs231n_search", "tests/"))]
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / script, 0o755)
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "SOURCE": CIFAR10_DIR,
        "GRADER_PYTHON": sys.executable,
    }
    done = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (root / "source" / "cs231n/datasets/cifar-10-batches-py/test_batch").exists()
    assert os.stat(root / "source").st_mode & 0o077 == 0
    return root


def run_autograder(root, files):
    """Place `files` (name -> source path) as the submission, run run_autograder, read results."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, source in files.items():
        (submission / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, submission / name)
    (root / "results").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CS231N_GRADER_SECRET")}
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env={**env, "AUTOGRADER_ROOT": str(root)},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def code_score(data):
    return sum(t["score"] for t in data["tests"] if t["name"].startswith(CODE_TESTS))


def test_this_repository_scores_full_marks(autograder):
    data = run_autograder(autograder, {name: ROOT / name for name in SUBMITTED})
    assert data["score"] == 100, data
    assert data["extra_data"]["isolation"]["mode"] != "none"
    assert data["output_format"] == "md"


def test_the_release_scores_zero_on_the_code(autograder, tmp_path):
    release = tmp_path / "release"
    build_release(release)
    files = {name: release / name for name in SUBMITTED[:3]}
    data = run_autograder(autograder, files)
    assert code_score(data) == 0 and data["tests"]


def test_a_crashing_submission_still_gets_a_result(autograder, tmp_path):
    junk = tmp_path / "a1_code_submission.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    data = run_autograder(autograder, {"a1_code_submission.zip": junk})
    assert data["score"] == 0 and data["tests"] == []
    assert "could not be graded" in data["output"]
