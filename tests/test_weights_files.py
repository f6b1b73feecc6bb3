"""Weights files from others are safe to load, and no save destroys good weights.

A hostile file is built inside each test: a pickle whose `__reduce__` would create a marker file
when unpickled. Loading must refuse it with a clear error, and the marker must not exist.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cs231n.classifiers import Softmax, load_weights


class CreatesMarker:
    """Unpickling this object runs `open(path, "w")`: code from the file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def write_npy_with_pickle(path, payload):
    """A .npy file as np.save writes an object array: a header, then the pickled array."""
    array = np.empty((), dtype=object)
    array[()] = payload
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, allow_pickle=True)


@pytest.mark.parametrize(
    "how",
    ["object array", "dict value", "nested in a list", "raw pickle"],
)
def test_a_file_whose_pickle_runs_code_is_refused_and_runs_nothing(tmp_path, how):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.npy"
    if how == "object array":
        write_npy_with_pickle(path, CreatesMarker(marker))
    elif how == "dict value":
        write_npy_with_pickle(path, {"W": np.ones((3, 2)), "b": CreatesMarker(marker)})
    elif how == "nested in a list":
        write_npy_with_pickle(path, {"W": [CreatesMarker(marker)]})
    else:
        path.write_bytes(pickle.dumps({"W": CreatesMarker(marker)}))

    with pytest.raises(ValueError, match="evil.npy"):
        Softmax().load("evil.npy", directory=tmp_path)
    with pytest.raises(ValueError, match="evil.npy"):
        load_weights(path)
    assert not marker.exists()


def test_the_course_format_and_a_plain_array_load(tmp_path):
    W = np.random.default_rng(0).standard_normal((3073, 10)).astype(np.float32)
    np.save(tmp_path / "course.npy", {"W": W})
    np.save(tmp_path / "plain.npy", W)
    np.testing.assert_array_equal(load_weights(tmp_path / "course.npy"), W)
    np.testing.assert_array_equal(load_weights(tmp_path / "plain.npy"), W)
    assert load_weights(tmp_path / "course.npy").dtype == np.float32


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is not a weights file written by np.save: EOF"),
        (b"not a numpy file at all", r"not a weights file .* magic string is not correct"),
        ("npz", r"not a weights file .* got b'PK"),
        ({0: np.ones((3, 2))}, r"it holds a dict with keys \['0'\]$"),
        ({"W": "weights"}, r"it holds a dict with keys \['W'\]$"),
        ({"W": np.array(["a", "b"])}, r"keys \['W'\], W of dtype <U1 and shape \(2,\)$"),
        ({"W": np.ones(5)}, r"keys \['W'\], W of dtype float64 and shape \(5,\)$"),
        ([np.ones((3, 2))], "it holds a list$"),
        (np.array(["x"]), r"it holds a ndarray, W of dtype <U1 and shape \(1,\)$"),
    ],
)
def test_files_that_are_not_weights_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "w.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        np.savez(tmp_path / "w", W=np.ones((3, 2)))
        os.replace(tmp_path / "w.npz", path)
    elif isinstance(content, np.ndarray):
        np.save(path, content)
    else:
        write_npy_with_pickle(path, content)
    with pytest.raises(ValueError, match=message):
        load_weights(path)
    model = Softmax()
    with pytest.raises(ValueError, match="w.npy"):
        model.load("w.npy", directory=tmp_path)
    assert model.W is None


def test_load_weights_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_weights(tmp_path / "missing.npy")


# A save that fails (here: the file-size limit, as on a full disk) must leave the good weights.
SAVE_UNDER_A_SIZE_LIMIT = textwrap.dedent("""\
    import resource, signal, sys
    import numpy as np
    from cs231n.classifiers import Softmax
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # exceeding the limit: an OSError, not a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
    model = Softmax()
    model.W = np.ones((3073, 10))  # 246 kB: more than the limit
    try:
        model.save("weights.npy", directory=sys.argv[1])
    except OSError as exc:
        print("save failed:", type(exc).__name__)
""")


def test_a_failed_save_leaves_the_previous_file_intact_and_no_partial_file(tmp_path):
    good = np.random.default_rng(1).standard_normal((40, 10))
    model = Softmax()
    model.W = good
    model.save("weights.npy", directory=tmp_path)
    before = sorted(os.listdir(tmp_path))

    result = subprocess.run(
        [sys.executable, "-c", SAVE_UNDER_A_SIZE_LIMIT, str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "save failed: OSError" in result.stdout
    assert sorted(os.listdir(tmp_path)) == before  # no temporary file left behind
    np.testing.assert_array_equal(load_weights(tmp_path / "weights.npy"), good)


def test_saving_diverged_weights_then_loading_them_round_trips(tmp_path):
    model = Softmax()
    model.W = np.full((4, 3), np.nan)
    model.save("nan.npy", directory=tmp_path)
    assert np.isnan(load_weights(tmp_path / "nan.npy")).all()
