"""Read .npy and .npz files from untrusted sources without ever allocating what their headers
claim: every header is validated (format version, dtype, shape, size) against the bytes actually
present and a size cap BEFORE any array is allocated, so a 128-byte file declaring 10^13 floats
is refused with a one-line ValueError instead of a MemoryError. Object arrays (pickles) are
refused, except where the caller allows the course's weights format (a 0-d object array).
"""

import io
import zipfile

import numpy as np

NUMERIC_KINDS = "biuf"


def header(stream):
    """(shape, dtype, header length) of the .npy file open in `stream` at its start.

    Raises ValueError when the magic string, the version or the header is not valid.
    """
    start = stream.tell()
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f".npy format version {version} is not supported")
    except (ValueError, SyntaxError, TypeError, EOFError, OverflowError) as err:
        raise ValueError(f"not a valid .npy header ({str(err)[:100]})") from None
    return tuple(shape), dtype, stream.tell() - start


def check_header(shape, dtype, data_bytes, max_bytes, allow_object=False):
    """Raise ValueError unless an array of `shape` and `dtype` fits in `data_bytes` bytes of
    data and `max_bytes`; object dtype only as a 0-d array and when `allow_object`."""
    if dtype.hasobject:
        if allow_object and shape == ():
            return
        raise ValueError(f"holds an object array of shape {shape}; expected numbers")
    if dtype.kind not in NUMERIC_KINDS or len(shape) > 8:
        raise ValueError(f"holds an array of dtype {dtype} and {len(shape)} dimensions")
    size = dtype.itemsize
    for n in shape:
        if not isinstance(n, int) or n < 0:
            raise ValueError(f"declares the invalid shape {shape}")
        size *= n
    if size > min(data_bytes, max_bytes):
        raise ValueError(
            f"declares an array of shape {shape} ({size:,} bytes) but holds {data_bytes:,} "
            f"bytes of data (at most {max_bytes:,} accepted)"
        )


def read_npy_bytes(data, max_bytes, allow_object=False):
    """Validate the .npy file in the bytes `data`; return (shape, dtype) of its array."""
    shape, dtype, length = header(io.BytesIO(data))
    check_header(shape, dtype, len(data) - length, max_bytes, allow_object)
    return shape, dtype


def load_npz(path, max_bytes, max_members=64):
    """The arrays of the .npz file at `path` (name -> ndarray), numbers only, validated first.

    Raises ValueError (or OSError) naming what is wrong; never allocates more than `max_bytes`.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise ValueError(f"not a valid .npz file ({err})") from None
    arrays, total = {}, 0
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            raise ValueError(f"holds {len(members)} arrays; at most {max_members} accepted")
        for info in members:
            total += info.file_size
            if total > max_bytes or not info.filename.endswith(".npy"):
                raise ValueError(f"member {info.filename[:60]!r} is too large or not a .npy")
            try:
                with archive.open(info) as member:
                    data = member.read(max_bytes + 1)
            except (zipfile.BadZipFile, RuntimeError, EOFError, NotImplementedError) as err:
                raise ValueError(f"cannot read {info.filename[:60]!r} ({err})") from None
            read_npy_bytes(data, max_bytes)
            arrays[info.filename[:-4]] = np.load(io.BytesIO(data), allow_pickle=False)
    return arrays
