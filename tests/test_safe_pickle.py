"""Tests of cs231n.safe_pickle: data round-trips under every protocol; every pickle that would run
code is refused before anything runs (the marker file it would create never appears)."""

import io
import os
import pickle
import pickletools

import numpy as np
import pytest

from cs231n.safe_pickle import ForbiddenGlobalError, load

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


def round_trip(value, protocol):
    return load(io.BytesIO(pickle.dumps(value, protocol=protocol)))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_arrays_scalars_and_containers_round_trip(protocol):
    value = {
        "data": np.arange(12, dtype=np.uint8).reshape(3, 4),
        "weights": np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "labels": [np.int64(3), 1, 2],
        b"bytes key": (b"\x00\xff", "text", 1.5, None, True),
    }
    got = round_trip(value, protocol)
    assert sorted(got, key=str) == sorted(value, key=str)
    for key in ("data", "weights", "fortran"):
        assert got[key].dtype == value[key].dtype
        np.testing.assert_array_equal(got[key], value[key])
    assert got["labels"] == [3, 1, 2] and type(got["labels"][0]) is np.int64
    assert got[b"bytes key"] == value[b"bytes key"]


class Runs:
    """Unpickling this calls ``function(*args)``."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return (self.function, self.args)


def attacks(marker):
    """Pickled objects whose loading would create ``marker`` (a path ending in .npy)."""
    return {
        "builtins.open": Runs(open, marker, "w"),
        "os.system": Runs(os.system, f"touch {marker}"),
        "builtins.exec": Runs(exec, f"open({marker!r}, 'w')"),
        "numpy.save": Runs(np.save, marker, np.zeros(1)),
        "in a dict value": {"data": np.zeros(2), "x": Runs(open, marker, "w")},
        "in an object array": np.array([Runs(open, marker, "w")], dtype=object),
    }


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("attack", list(attacks("m")))
def test_a_pickle_that_would_run_code_is_refused_before_it_runs(tmp_path, protocol, attack):
    marker = tmp_path / "marker.npy"
    stream = pickle.dumps(attacks(str(marker))[attack], protocol=protocol)
    with pytest.raises(ForbiddenGlobalError, match="not among the numpy array globals"):
        load(io.BytesIO(stream))
    assert not marker.exists()


def test_codecs_encode_is_admitted_only_for_latin1():
    """Protocol 2 stores bytes as _codecs.encode(text, "latin1"); no other codec is admitted."""
    stream = pickle.dumps(b"\x01\xfe", protocol=2)
    assert load(io.BytesIO(stream)) == b"\x01\xfe"
    assert b"latin1" in stream
    rot13 = stream.replace(b"latin1", b"rot_13")
    assert [op.name for op, *_ in pickletools.genops(rot13)].count("GLOBAL") == 1
    with pytest.raises(pickle.UnpicklingError, match="only ever asks for the latin1 encoding"):
        load(io.BytesIO(rot13))


def test_a_numpy_module_this_numpy_lacks_is_a_module_not_found_error():
    with pytest.raises(ModuleNotFoundError) as info:
        load(io.BytesIO(b"\x80\x02cnumpy._module_from_the_future\nthing\n."))
    assert info.value.name == "numpy._module_from_the_future"


def test_a_numpy_global_outside_the_list_is_forbidden_not_missing():
    with pytest.raises(ForbiddenGlobalError) as info:
        load(io.BytesIO(b"\x80\x02cnumpy\nload\n."))
    assert (info.value.module, info.value.name) == ("numpy", "load")
