"""Unpickle data that holds numpy arrays without ever running code from the file.

A pickle is a small program: each global it names (``module.name``) is imported and may be
called while loading, so ``pickle.load`` on a stranger's file runs whatever that file asks
for. :func:`load` reads with an unpickler whose ``find_class`` admits only what numpy arrays,
dtypes and numpy scalars need to be rebuilt, and Python 2 / protocol 2 byte strings; the
builtin containers (dict, list, tuple, set), str, bytes, int, float, bool and None need no
global at all. Any other global is refused without importing its module, with
:class:`ForbiddenGlobalError` (for a ``numpy.*`` name, the only look-up is whether this numpy
has that module at all, to tell a newer numpy's file from a hostile one).

This is what the CIFAR-10 python batches (``cs231n.datasets.batches``) are read with; a
grader can use it for any such file::

    from cs231n.safe_pickle import load
    with open(path, "rb") as f:
        batch = load(f)

Whatever comes back must still be checked (types, dtypes, shapes): the unpickler only
guarantees that no code ran, not that the contents are what the caller expects.
"""

import codecs
import importlib.util
import pickle

import numpy as np

__all__ = ["ForbiddenGlobalError", "RestrictedUnpickler", "load"]

LATIN1 = codecs.lookup("latin1").name  # "iso8859-1"


def _latin1_encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol 2 uses it for bytes, ``encode(text, "latin1")``, only."""
    if not isinstance(text, str) or codecs.lookup(encoding).name != LATIN1:
        raise pickle.UnpicklingError(
            f"refusing _codecs.encode({type(text).__name__}, {encoding!r}): a pickle of bytes "
            "only ever asks for the latin1 encoding of a str"
        )
    return text.encode(LATIN1, errors)


def _numpy_globals():
    """The callables that rebuild an array, a dtype or a numpy scalar, under every module
    spelling numpy has pickled them with (``numpy.core`` before 2.0, ``numpy._core`` since)."""
    reconstruct = np.zeros(1).__reduce__()[0]  # multiarray._reconstruct of this numpy
    frombuffer = np.zeros(1).__reduce_ex__(5)[0]  # numeric._frombuffer (protocol 5 arrays)
    scalar = np.float64(0).__reduce__()[0]  # multiarray.scalar
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for function, submodule in ((reconstruct, "multiarray"), (scalar, "multiarray"),
                                (frombuffer, "numeric")):
        for package in ("numpy.core", "numpy._core"):
            allowed[(f"{package}.{submodule}", function.__name__)] = function
        allowed[(function.__module__, function.__name__)] = function
    return allowed


ALLOWED_GLOBALS = {**_numpy_globals(), ("_codecs", "encode"): _latin1_encode}


class ForbiddenGlobalError(pickle.UnpicklingError):
    """The pickle asks for a global outside the allowed ones; nothing was imported or run."""

    def __init__(self, module, name):
        super().__init__(
            f"it asks for {module}.{name}, which is not among the numpy array globals a data "
            "file needs; refused without importing or running it"
        )
        self.module = module
        self.name = name


def _is_missing_numpy_module(module):
    """True if ``module`` is a numpy submodule this numpy does not have (a newer numpy's)."""
    if module.split(".")[0] != "numpy":
        return False
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


class RestrictedUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` whose ``find_class`` admits only :data:`ALLOWED_GLOBALS`.

    Raises ``ModuleNotFoundError`` (with ``name`` set) for a numpy module this numpy lacks,
    so that callers can say "written by a newer NumPy", and :class:`ForbiddenGlobalError` for
    every other global.
    """

    def find_class(self, module, name):
        found = ALLOWED_GLOBALS.get((module, name))
        if found is not None:
            return found
        if _is_missing_numpy_module(module):
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
        raise ForbiddenGlobalError(module, name)


def load(file, *, encoding="latin1"):
    """Unpickle one object from the binary file ``file`` without running code from it.

    Parameters
    ----------
    file : binary file object
        Open for reading, e.g. ``open(path, "rb")``.
    encoding : str
        How Python 2 byte strings are decoded; ``"latin1"`` (one byte per character) reads
        the official CIFAR-10 files, which were pickled by Python 2.

    Returns
    -------
    object
        Built only from containers, strings, numbers, numpy arrays, dtypes and scalars.

    Raises
    ------
    ForbiddenGlobalError
        If the pickle asks for any other global (nothing of it is imported or run).
    ModuleNotFoundError
        If it asks for a numpy module this numpy does not have.
    pickle.UnpicklingError, EOFError, ValueError, ...
        If the file is not a valid pickle, as ``pickle.load`` raises them.
    """
    return RestrictedUnpickler(file, encoding=encoding).load()
