"""Tests of cs231n.data_utils on a tiny fake CIFAR-10 (see conftest.py) and on the real one.

Oracles: the pixel layout is checked against the documented index formula of a stored row,
``row[c * 1024 + r * 32 + col] == image[r, col, c]``; splits and centring against the course's
float64 steps (mask, np.mean, subtract) written out here.
"""

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from cs231n.data_utils import (
    describe_CIFAR10,
    get_CIFAR10_data,
    load_CIFAR10,
    load_CIFAR_batch,
    preprocess_CIFAR10,
    read_batch,
)
from cs231n.datasets import (
    BATCH_NAMES,
    CIFAR10_BATCH_MD5S,
    FETCH_COMMAND,
    FETCH_COMMAND_PLAIN,
)

FLOAT32_ATOL = 2e-5  # two float32 roundings of values up to 255: 2 * 2**-17 * 128 ~ 1.5e-5


def write_batch(path, batch, protocol=2):
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=protocol)


# ---------------------------------------------------------------- loading


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_pixel_layout_follows_the_stored_channel_major_rows(tmp_path, protocol):
    rows = (np.arange(2 * 3072) % 251).astype(np.uint8).reshape(2, 3072)  # (2, 3072)
    write_batch(tmp_path / "batch", {"data": rows, "labels": [7, 2]}, protocol)
    X, Y = load_CIFAR_batch(tmp_path / "batch", dtype=np.uint8)
    assert X.shape == (2, 32, 32, 3)
    for i, r, col, c in [(0, 0, 0, 0), (0, 0, 1, 0), (0, 1, 0, 1), (1, 31, 31, 2), (1, 5, 17, 1)]:
        assert X[i, r, col, c] == rows[i, c * 1024 + r * 32 + col]
    np.testing.assert_array_equal(Y, [7, 2])


def test_load_CIFAR_batch_defaults_to_float64_like_the_course(fake_cifar10):
    X, Y = load_CIFAR_batch(fake_cifar10.folder / "data_batch_1")
    assert X.dtype == np.float64 and X.shape == (20, 32, 32, 3) and X.flags.c_contiguous
    assert Y.dtype == np.int64 and Y.shape == (20,)
    np.testing.assert_array_equal(X, fake_cifar10.X_train[:20])
    np.testing.assert_array_equal(Y, fake_cifar10.y_train[:20])


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_load_CIFAR10_shapes_order_and_values(fake_cifar10, dtype):
    Xtr, Ytr, Xte, Yte = load_CIFAR10(fake_cifar10.folder, dtype=dtype)
    assert Xtr.shape == (100, 32, 32, 3) and Xte.shape == (20, 32, 32, 3)
    assert Ytr.shape == (100,) and Yte.shape == (20,)
    assert Xtr.dtype == dtype and Xte.dtype == dtype
    assert Ytr.dtype == np.int64 and Yte.dtype == np.int64
    assert Xtr.flags.c_contiguous and Xte.flags.c_contiguous
    np.testing.assert_array_equal(Xtr, fake_cifar10.X_train)  # batches 1..5 in order
    np.testing.assert_array_equal(Ytr, fake_cifar10.y_train)
    np.testing.assert_array_equal(Xte, fake_cifar10.X_test)
    np.testing.assert_array_equal(Yte, fake_cifar10.y_test)


def test_load_CIFAR10_default_dtype_is_float64(fake_cifar10):
    Xtr, _, Xte, _ = load_CIFAR10(fake_cifar10.folder)
    assert Xtr.dtype == np.float64 and Xte.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int8, np.bool_, np.complex128, "U8"])
def test_load_CIFAR10_refuses_a_dtype_that_cannot_hold_pixels(fake_cifar10, dtype):
    with pytest.raises(ValueError, match="0..255"):
        load_CIFAR10(fake_cifar10.folder, dtype=dtype)


def test_missing_folder_tells_how_to_fetch(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere") as info:
        load_CIFAR10(tmp_path / "nowhere")
    assert FETCH_COMMAND_PLAIN in str(info.value) and "make" not in str(info.value)


def test_load_CIFAR10_takes_the_course_parameter_name_ROOT(fake_cifar10):
    Xtr, _, _, _ = load_CIFAR10(ROOT=fake_cifar10.folder, dtype=np.uint8)
    np.testing.assert_array_equal(Xtr, fake_cifar10.X_train)


def test_missing_batch_is_named_with_the_fetch_command(fake_cifar10):
    (fake_cifar10.folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3") as info:
        load_CIFAR10(fake_cifar10.folder)
    assert FETCH_COMMAND in str(info.value)


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage(path):
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())


def empty(path):
    path.write_bytes(b"")


def not_a_dict(path):
    write_batch(path, [1, 2, 3])


def wrong_row_length(path):
    write_batch(path, {"data": np.zeros((4, 100), np.uint8), "labels": [0, 1, 2, 3]})


def wrong_label_count(path):
    write_batch(path, {"data": np.zeros((4, 3072), np.uint8), "labels": [0, 1]})


def label_out_of_range(path):
    write_batch(path, {"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]})


def float_labels(path):
    write_batch(path, {"data": np.zeros((2, 3072), np.uint8), "labels": [0.0, 1.5]})


def bool_labels(path):
    write_batch(path, {"data": np.zeros((2, 3072), np.uint8), "labels": [True, False]})


def labels_not_a_list(path):
    write_batch(path, {"data": np.zeros((2, 3072), np.uint8), "labels": {0: 1, 1: 2}})


def float_pixels(path):
    write_batch(path, {"data": np.zeros((2, 3072)), "labels": [0, 1]})


def int_key(path):
    write_batch(path, {"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1], 7: "x"})


def filenames_wrong_count(path):
    batch = {"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1], "filenames": ["a.png"]}
    write_batch(path, batch)


def batch_label_not_text(path):
    write_batch(path, {"data": np.zeros((2, 3072), np.uint8), "labels": [0, 1], "batch_label": 3})


@pytest.mark.parametrize(
    "damage",
    [
        truncate,
        garbage,
        empty,
        not_a_dict,
        wrong_row_length,
        wrong_label_count,
        label_out_of_range,
        float_labels,
        bool_labels,
        labels_not_a_list,
        float_pixels,
        int_key,
        filenames_wrong_count,
        batch_label_not_text,
    ],
)
def test_corrupt_batch_gives_a_clear_error_naming_the_file(fake_cifar10, damage):
    damage(fake_cifar10.folder / "data_batch_4")
    with pytest.raises(ValueError, match="data_batch_4") as info:
        load_CIFAR10(fake_cifar10.folder)
    assert FETCH_COMMAND in str(info.value)
    error = info.value  # shown alone, without an unpickling traceback chained to it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.mark.parametrize("protocol", [2, 4])
def test_a_batch_with_bytes_keys_and_names_loads(tmp_path, protocol):
    """As a batch unpickled with encoding="bytes" and pickled again is stored."""
    rows = np.arange(3 * 3072, dtype=np.int64).astype(np.uint8).reshape(3, 3072)
    batch = {
        b"batch_label": b"training batch 1 of 5",
        b"labels": np.array([3, 0, 9]),
        b"data": rows,
        b"filenames": [b"a.png", b"b.png", b"c.png"],
    }
    write_batch(tmp_path / "batch", batch, protocol)
    got_rows, labels = read_batch(tmp_path / "batch")
    np.testing.assert_array_equal(got_rows, rows)
    assert labels.dtype == np.int64 and labels.tolist() == [3, 0, 9]


# ---------------------------------------------------------------- files that would run code


class CreatesFile:
    """Unpickling this calls ``open(path, "w")``: code from the file, creating ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


class SavesWithNumpy:
    """Unpickling this calls ``np.save(path, ...)``: a numpy global that is not array rebuilding."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (np.save, (self.path, np.zeros(1)))


def rigged_whole(marker, rows, labels):
    return CreatesFile(marker)


def rigged_value(marker, rows, labels):
    return {"data": rows, "labels": labels, "batch_label": CreatesFile(marker)}


def rigged_label(marker, rows, labels):
    return {"data": rows, "labels": [*labels[:-1], CreatesFile(marker)]}


def rigged_numpy(marker, rows, labels):
    return {"data": rows, "labels": labels, "filenames": SavesWithNumpy(marker)}


def read_with_read_batch(folder):
    read_batch(folder / "data_batch_1")


def read_with_load_CIFAR_batch(folder):
    load_CIFAR_batch(folder / "data_batch_1")


def read_with_load_CIFAR10(folder):
    load_CIFAR10(folder)


def read_with_get_CIFAR10_data(folder):
    get_CIFAR10_data(10, 0, 1, root=folder)


@pytest.mark.parametrize("rig", [rigged_whole, rigged_value, rigged_label, rigged_numpy])
@pytest.mark.parametrize(
    "read",
    [
        read_with_read_batch,
        read_with_load_CIFAR_batch,
        read_with_load_CIFAR10,
        read_with_get_CIFAR10_data,
    ],
)
@pytest.mark.parametrize("protocol", [2, 5])
def test_a_batch_that_would_run_code_is_refused_and_nothing_runs(
    fake_cifar10, tmp_path, rig, read, protocol
):
    marker = tmp_path / "marker.npy"  # np.save keeps a name ending in .npy as it is
    rows, labels = read_batch(fake_cifar10.folder / "data_batch_1")
    write_batch(fake_cifar10.folder / "data_batch_1", rig(marker, rows, labels.tolist()), protocol)
    with pytest.raises(ValueError, match="data_batch_1") as info:
        read(fake_cifar10.folder)
    assert not marker.exists()
    assert "not among the numpy array globals" in str(info.value)


def test_batch_pickled_by_a_newer_numpy_says_to_upgrade(fake_cifar10):
    """A pickle that needs a NumPy module this NumPy lacks (as numpy 2 pickles need numpy._core
    under numpy < 1.26.1) is reported as a version problem, not as a corrupt file."""
    needs_missing_module = b"\x80\x02cnumpy._module_from_the_future\nthing\n."
    (fake_cifar10.folder / "data_batch_2").write_bytes(needs_missing_module)
    with pytest.raises(ValueError, match="data_batch_2 was written by a newer NumPy") as info:
        load_CIFAR10(fake_cifar10.folder)
    assert "numpy._module_from_the_future" in str(info.value)
    assert "pip install -U numpy" in str(info.value)


@pytest.mark.parametrize("package", ["numpy.core", "numpy._core"])
def test_arrays_pickled_by_either_numpy_major_version_load(tmp_path, package):
    """numpy 1 pickles name numpy.core.multiarray._reconstruct, numpy 2 numpy._core...: the
    two spellings of the same array, written here by hand as protocol 2 pickles."""
    rows = np.full((1, 3072), 7, np.uint8)
    stream = pickle.dumps({"data": rows, "labels": [4]}, protocol=2)
    for other in ("numpy.core.multiarray", "numpy._core.multiarray"):
        stream = stream.replace(other.encode(), f"{package}.multiarray".encode())
    (tmp_path / "batch").write_bytes(stream)
    got_rows, labels = read_batch(tmp_path / "batch")
    np.testing.assert_array_equal(got_rows, rows)
    assert labels.tolist() == [4]


# ---------------------------------------------------------------- get_CIFAR10_data


def course_split(fake, num_training, num_validation, num_test, subtract_mean):
    """The course's steps in float64: mask out the splits, centre, move channels first."""
    X_train = fake.X_train.astype(np.float64)
    X_test = fake.X_test.astype(np.float64)
    X_val = X_train[list(range(num_training, num_training + num_validation))]
    X_train = X_train[list(range(num_training))]
    X_test = X_test[list(range(num_test))]
    if subtract_mean:
        mean_image = np.mean(X_train, axis=0)
        X_train -= mean_image
        X_val -= mean_image
        X_test -= mean_image
    return [X.transpose(0, 3, 1, 2) for X in (X_train, X_val, X_test)]


@pytest.mark.parametrize("subtract_mean", [True, False])
@pytest.mark.parametrize("sizes", [(80, 10, 15), (100, 0, 20), (1, 99, 1)])
def test_get_CIFAR10_data_matches_the_course_steps(fake_cifar10, sizes, subtract_mean):
    num_training, num_validation, num_test = sizes
    data = get_CIFAR10_data(*sizes, subtract_mean=subtract_mean, root=fake_cifar10.folder)
    assert sorted(data) == ["X_test", "X_train", "X_val", "y_test", "y_train", "y_val"]
    expected = course_split(fake_cifar10, *sizes, subtract_mean)
    for key, want in zip(["X_train", "X_val", "X_test"], expected):
        assert data[key].dtype == np.float64
        assert data[key].shape == want.shape
        np.testing.assert_allclose(data[key], want, rtol=0, atol=1e-12)
    ytr = fake_cifar10.y_train
    np.testing.assert_array_equal(data["y_train"], ytr[:num_training])
    np.testing.assert_array_equal(data["y_val"], ytr[num_training : num_training + num_validation])
    np.testing.assert_array_equal(data["y_test"], fake_cifar10.y_test[:num_test])


def test_get_CIFAR10_data_float32_and_centred(fake_cifar10):
    data = get_CIFAR10_data(90, 10, 20, dtype=np.float32, root=fake_cifar10.folder)
    assert data["X_train"].shape == (90, 3, 32, 32) and data["X_train"].dtype == np.float32
    np.testing.assert_allclose(
        data["X_train"].mean(axis=0, dtype=np.float64), 0.0, rtol=0, atol=FLOAT32_ATOL
    )
    X_train, X_val, X_test = course_split(fake_cifar10, 90, 10, 20, subtract_mean=True)
    np.testing.assert_allclose(data["X_val"], X_val, rtol=0, atol=FLOAT32_ATOL)
    np.testing.assert_allclose(data["X_test"], X_test, rtol=0, atol=FLOAT32_ATOL)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_training": 95, "num_validation": 10}, "num_validation"),
        ({"num_training": 101}, "num_training"),
        ({"num_training": 0}, "num_training"),
        ({"num_training": 50, "num_test": 21}, "num_test"),
        ({"num_training": 50.0}, "integer"),
        ({"num_training": 50, "dtype": np.uint8}, "floating"),
    ],
)
def test_get_CIFAR10_data_rejects_bad_arguments(fake_cifar10, kwargs, match):
    kwargs = {"num_validation": 0, "num_test": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        get_CIFAR10_data(root=fake_cifar10.folder, **kwargs)


# ---------------------------------------------------------------- preprocess_CIFAR10


@pytest.fixture
def arrays():
    rng = np.random.default_rng(7)
    X_train = rng.integers(0, 256, size=(60, 32, 32, 3), dtype=np.uint8)
    X_test = rng.integers(0, 256, size=(25, 32, 32, 3), dtype=np.uint8)
    return X_train, rng.integers(0, 10, 60), X_test, rng.integers(0, 10, 25)


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, FLOAT32_ATOL)])
@pytest.mark.parametrize("sizes", [(40, 10, 20, 8), (60, 0, 25, 60), (1, 59, 0, 0)])
def test_preprocess_matches_the_worksheet_steps(arrays, sizes, dtype, atol):
    X_train, y_train, X_test, y_test = arrays
    num_training, num_validation, num_test, num_dev = sizes
    out = preprocess_CIFAR10(*arrays, *sizes, dtype=dtype, seed=3)

    # the worksheet, in float64: split, flatten, subtract the training mean, append ones
    train = X_train[:num_training].reshape(num_training, 3072).astype(np.float64)
    mean_image = np.mean(train, axis=0)
    dev = np.random.default_rng(3).choice(num_training, num_dev, replace=False)
    expected = {
        "train": (train, y_train[:num_training]),
        "val": (
            X_train[num_training : num_training + num_validation].reshape(num_validation, 3072),
            y_train[num_training : num_training + num_validation],
        ),
        "test": (X_test[:num_test].reshape(num_test, 3072), y_test[:num_test]),
        "dev": (train[dev], y_train[dev]),
    }
    np.testing.assert_allclose(out["mean_image"], mean_image, rtol=0, atol=1e-12)
    assert out["mean_image"].dtype == np.float64
    for name, (X, y) in expected.items():
        got = out[f"X_{name}"]
        assert got.shape == (len(X), 3073) and got.dtype == dtype
        np.testing.assert_array_equal(got[:, -1], 1.0)
        want = np.hstack([X - mean_image, np.ones((len(X), 1))])
        np.testing.assert_allclose(got, want, rtol=0, atol=atol)
        assert out[f"y_{name}"].dtype == np.int64
        np.testing.assert_array_equal(out[f"y_{name}"], y)


def test_preprocess_centres_the_training_set(arrays):
    out = preprocess_CIFAR10(*arrays, 50, 10, 25, 5, dtype=np.float64)
    np.testing.assert_allclose(out["X_train"][:, :-1].mean(axis=0), 0.0, rtol=0, atol=1e-10)


def test_preprocess_dev_draw_is_seeded(arrays):
    first = preprocess_CIFAR10(*arrays, 50, 10, 25, 20, seed=11)
    again = preprocess_CIFAR10(*arrays, 50, 10, 25, 20, seed=11)
    generator = preprocess_CIFAR10(*arrays, 50, 10, 25, 20, seed=np.random.default_rng(11))
    other = preprocess_CIFAR10(*arrays, 50, 10, 25, 20, seed=12)
    np.testing.assert_array_equal(first["X_dev"], again["X_dev"])
    np.testing.assert_array_equal(first["X_dev"], generator["X_dev"])
    assert not np.array_equal(first["X_dev"], other["X_dev"])
    # drawn without replacement from the training rows
    train_rows = {row.tobytes() for row in first["X_train"]}
    dev_rows = [row.tobytes() for row in first["X_dev"]]
    assert len(set(dev_rows)) == 20 and set(dev_rows) <= train_rows


def test_preprocess_gives_the_same_from_uint8_and_float64_input(arrays):
    X_train, y_train, X_test, y_test = arrays
    from_uint8 = preprocess_CIFAR10(*arrays, 50, 10, 25, 5, dtype=np.float64)
    as_float = (X_train.astype(np.float64), y_train, X_test.astype(np.float64), y_test)
    from_float = preprocess_CIFAR10(*as_float, 50, 10, 25, 5, dtype=np.float64)
    for key in from_uint8:
        np.testing.assert_array_equal(from_uint8[key], from_float[key])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_training": 0}, "num_training"),
        ({"num_training": 61}, "num_training"),
        ({"num_training": 55, "num_validation": 6}, "num_validation"),
        ({"num_test": 26}, "num_test"),
        ({"num_training": 10, "num_validation": 0, "num_dev": 11}, "num_dev"),
        ({"num_dev": 2.5}, "integer"),
        ({"num_dev": True}, "integer"),
        ({"dtype": np.int32}, "floating"),
    ],
)
def test_preprocess_rejects_bad_arguments(arrays, kwargs, match):
    kwargs = {"num_training": 40, "num_validation": 10, "num_test": 5, "num_dev": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        preprocess_CIFAR10(*arrays, **kwargs)


def test_preprocess_takes_whole_number_float_labels_as_integers(arrays):
    X_train, y_train, X_test, y_test = arrays
    as_floats = (X_train, y_train.astype(np.float64), X_test, y_test.astype(np.float32))
    out = preprocess_CIFAR10(*as_floats, 40, 10, 5, 5)
    expected = {"y_train": y_train[:40], "y_val": y_train[40:50], "y_test": y_test[:5]}
    for key, want in expected.items():
        assert out[key].dtype == np.int64
        np.testing.assert_array_equal(out[key], want)


@pytest.mark.parametrize("bad", [2.5, np.nan, np.inf, -0.5])
@pytest.mark.parametrize("which", ["train", "test"])
def test_preprocess_rejects_labels_that_are_not_whole_numbers(arrays, bad, which):
    X_train, y_train, X_test, y_test = arrays
    y_train, y_test = y_train.astype(np.float64), y_test.astype(np.float64)
    (y_train if which == "train" else y_test)[3] = bad
    with pytest.raises(ValueError, match=f"{which} labels must be whole numbers .* at index 3"):
        preprocess_CIFAR10(X_train, y_train, X_test, y_test, 40, 10, 5, 5)


@pytest.mark.parametrize("labels", [np.array(["cat"] * 60), np.zeros(60, dtype=bool)])
def test_preprocess_rejects_labels_that_are_not_numbers(arrays, labels):
    X_train, _, X_test, y_test = arrays
    with pytest.raises(ValueError, match="train labels must be integers"):
        preprocess_CIFAR10(X_train, labels, X_test, y_test, 40, 10, 5, 5)


# Where the bad pixel is: (array, image index, message); 40 train, 10 val (images 40..49), 5 test.
@pytest.mark.parametrize(
    "where, image, match",
    [
        ("train", 0, r"X_train .*\(first in image 0\)"),
        ("train", 39, r"X_train .*\(first in image 39\)"),
        ("train", 45, r"X_train .*\(first in image 45\)"),  # a validation image
        ("test", 2, r"X_test .*\(first in image 2\)"),
    ],
)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_preprocess_rejects_non_finite_pixels_up_front(arrays, where, image, match, bad):
    X_train, y_train, X_test, y_test = arrays
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    (X_train if where == "train" else X_test)[image, 5, 7, 1] = bad
    with pytest.raises(ValueError, match=match):
        preprocess_CIFAR10(X_train, y_train, X_test, y_test, 40, 10, 5, 5)


def test_preprocess_ignores_non_finite_pixels_in_images_no_split_uses(arrays):
    X_train, y_train, X_test, y_test = arrays
    X_train, X_test = X_train.astype(np.float64), X_test.astype(np.float64)
    X_train[55], X_test[20] = np.nan, np.inf  # beyond train + val, beyond test
    out = preprocess_CIFAR10(X_train, y_train, X_test, y_test, 40, 10, 5, 5)
    assert all(np.isfinite(out[key]).all() for key in ("X_train", "X_val", "X_test", "X_dev"))


def test_preprocess_rejects_mismatched_inputs(arrays):
    X_train, y_train, X_test, y_test = arrays
    with pytest.raises(ValueError, match="labels"):
        preprocess_CIFAR10(X_train, y_train[:-1], X_test, y_test, 40, 10, 5, 5)
    with pytest.raises(ValueError, match="same shape"):
        preprocess_CIFAR10(X_train, y_train, X_test[:, :16], y_test, 40, 10, 5, 5)


# ---------------------------------------------------------------- describe_CIFAR10


def test_describe_says_official_when_every_md5_matches(fake_cifar10):
    line = describe_CIFAR10(fake_cifar10.folder, batch_md5s=fake_cifar10.batch_md5s)
    assert line.startswith("official CIFAR-10") and "\n" not in line


def test_describe_says_how_many_batches_differ(fake_cifar10):
    assert "6 of 6 differ" in describe_CIFAR10(fake_cifar10.folder)  # official md5s
    md5s = dict(fake_cifar10.batch_md5s, test_batch="0" * 32)
    assert "1 of 6 differ" in describe_CIFAR10(fake_cifar10.folder, batch_md5s=md5s)


def test_describe_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match=FETCH_COMMAND):
        describe_CIFAR10(tmp_path / "nowhere")


# ---------------------------------------------------------------- the real data set


@pytest.fixture(scope="module")
def real_cifar10(cifar10_dir):
    return load_CIFAR10(cifar10_dir, dtype=np.uint8)


def test_real_CIFAR10_shapes_and_class_balance(real_cifar10):
    Xtr, Ytr, Xte, Yte = real_cifar10
    assert Xtr.shape == (50000, 32, 32, 3) and Xte.shape == (10000, 32, 32, 3)
    assert Ytr.shape == (50000,) and Yte.shape == (10000,)
    np.testing.assert_array_equal(np.bincount(Ytr, minlength=10), np.full(10, 5000))
    np.testing.assert_array_equal(np.bincount(Yte, minlength=10), np.full(10, 1000))
    assert Xtr.min() == 0 and Xtr.max() == 255


def test_real_CIFAR10_preprocessed_for_the_worksheet(real_cifar10):
    out = preprocess_CIFAR10(*real_cifar10, seed=0)
    shapes = {key: value.shape for key, value in out.items()}
    assert shapes == {
        "X_train": (49000, 3073),
        "y_train": (49000,),
        "X_val": (1000, 3073),
        "y_val": (1000,),
        "X_test": (1000, 3073),
        "y_test": (1000,),
        "X_dev": (500, 3073),
        "y_dev": (500,),
        "mean_image": (3072,),
    }
    np.testing.assert_array_equal(out["X_train"][:, -1], 1.0)
    centred = out["X_train"][:, :-1].mean(axis=0, dtype=np.float64)
    np.testing.assert_allclose(centred, 0.0, rtol=0, atol=1e-4)
    assert 0 < out["mean_image"].min() and out["mean_image"].max() < 255


def test_real_CIFAR10_course_contract(cifar10_dir, real_cifar10):
    X, Y = load_CIFAR_batch(f"{cifar10_dir}/data_batch_1")
    assert X.shape == (10000, 32, 32, 3) and X.dtype == np.float64 and Y.shape == (10000,)
    np.testing.assert_array_equal(X, real_cifar10[0][:10000])
    data = get_CIFAR10_data(root=cifar10_dir, dtype=np.float32)
    assert data["X_train"].shape == (49000, 3, 32, 32)
    assert data["X_val"].shape == (1000, 3, 32, 32) and data["X_test"].shape == (1000, 3, 32, 32)


def test_real_CIFAR10_is_described(cifar10_dir):
    """The line agrees with md5s computed here with hashlib, batch by batch."""
    differ = [
        name
        for name in BATCH_NAMES
        if hashlib.md5(Path(cifar10_dir, name).read_bytes(), usedforsecurity=False).hexdigest()
        != CIFAR10_BATCH_MD5S[name]
    ]
    line = describe_CIFAR10(cifar10_dir)
    if differ:
        assert f"({len(differ)} of 6 differ" in line
    else:
        assert line.startswith("official CIFAR-10 (all 6 batch md5s match")

