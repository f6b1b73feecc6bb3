"""Fetch CIFAR-10 (python version) and check which copy a folder holds.

The result is the course layout, a folder ``cifar-10-batches-py/`` inside ``dest`` holding
``data_batch_1`` .. ``data_batch_5``, ``test_batch`` (pickled dicts, 10000 images each),
``batches.meta`` and ``readme.html``.

How a fetch stays safe to interrupt and to run again:

1. A folder that already holds every batch is used as it is (official or not: a one-line
   notice says which), so running the fetch twice downloads nothing the second time.
2. The archive is downloaded into ``cifar-10-python.tar.gz.part`` and renamed to
   ``cifar-10-python.tar.gz`` only after its md5 matches the official one.
   ``source`` may instead name a local copy of the archive (for machines without internet).
3. The archive is extracted with tarfile's ``filter="data"`` (and every member checked first)
   into a temporary folder ``.tmp-*``, each batch's md5 is checked, and only then is the folder
   renamed to ``cifar-10-batches-py``. A failure at any step removes what that step wrote.

Command line: ``python -m cs231n.datasets [--source PATH_OR_URL] [--dest DIR]``.
"""

import argparse
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

DATASETS_DIR = str(Path(__file__).resolve().parent)
FOLDER_NAME = "cifar-10-batches-py"
CIFAR10_DIR = os.path.join(DATASETS_DIR, FOLDER_NAME)

ARCHIVE_NAME = "cifar-10-python.tar.gz"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_ARCHIVE_SIZE = 170_498_071
CIFAR10_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_BATCH_MD5S = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
REQUIRED_FILES = (*CIFAR10_BATCH_MD5S, "batches.meta")

TIMEOUT_SECONDS = 10.0
CHUNK_BYTES = 1 << 20
FETCH_COMMAND = "python -m cs231n.datasets"


class FetchError(Exception):
    """A fetch step failed; the message says which step, why, and what to do."""


def md5_of_file(path):
    """Return the hex md5 digest of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def missing_files(folder, names=REQUIRED_FILES):
    """Return the names among ``names`` that are not regular files in ``folder``."""
    return [name for name in names if not os.path.isfile(os.path.join(folder, name))]


def mismatched_batches(folder, batch_md5s=CIFAR10_BATCH_MD5S):
    """Return the batch names in ``folder`` whose md5 differs from ``batch_md5s[name]``."""
    return [
        name for name, md5 in batch_md5s.items() if md5_of_file(os.path.join(folder, name)) != md5
    ]


def describe_CIFAR10(root=CIFAR10_DIR, batch_md5s=CIFAR10_BATCH_MD5S):
    """Say in one line whether ``root`` holds the official CIFAR-10 batches or another copy.

    Parameters
    ----------
    root : str or os.PathLike
        A ``cifar-10-batches-py`` folder.
    batch_md5s : dict of str to str
        Expected md5 of each batch file; the official ones by default.

    Returns
    -------
    str
        ``"official CIFAR-10 (all 6 batch md5s match the official archive)"`` or a line saying
        how many batches differ (for example a copy rebuilt from JPEG images).

    Raises
    ------
    FileNotFoundError
        If ``root`` or one of its batch files does not exist.
    """
    missing = missing_files(root, tuple(batch_md5s))
    if missing:
        raise FileNotFoundError(
            f"{root} lacks the CIFAR-10 batch file(s) {', '.join(missing)}. "
            f"Fetch the data set with: {FETCH_COMMAND}"
        )
    differ = mismatched_batches(root, batch_md5s)
    if not differ:
        return f"official CIFAR-10 (all {len(batch_md5s)} batch md5s match the official archive)"
    return (
        f"a CIFAR-10 copy whose batch checksums differ from the official archive "
        f"({len(differ)} of {len(batch_md5s)} differ; e.g. the copy rebuilt from JPEG images)"
    )


def is_url(source):
    """True if ``source`` looks like a URL (``scheme://...``) rather than a file path."""
    return isinstance(source, str) and "://" in source


def offline_hint(url):
    """The advice printed when ``url`` cannot be downloaded: fetch from a local copy instead."""
    return (
        f"If this machine has no internet access, copy {ARCHIVE_NAME} (from {url}) onto it "
        f"and run: {FETCH_COMMAND} --source /path/to/{ARCHIVE_NAME}"
    )


def why(exc):
    """The short reason of a download error: the socket's for a URLError, else the error."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def download(url, path, md5=CIFAR10_ARCHIVE_MD5, timeout=TIMEOUT_SECONDS, progress=True):
    """Download ``url`` to ``path`` through ``path + ".part"``, renamed only if the md5 matches.

    Parameters
    ----------
    url : str
        What to download (``https://``, ``http://`` or ``file://``).
    path : str or os.PathLike
        Where the verified file ends up.
    md5 : str or None
        Expected hex md5 of the whole file; ``None`` skips the check.
    timeout : float
        Seconds to wait for the connection and for each read before giving up.
    progress : bool
        Show a tqdm progress bar on stderr.

    Raises
    ------
    FetchError
        If the server cannot be reached, the transfer stops early, or the md5 differs.
        The ``.part`` file is removed in every case, also on KeyboardInterrupt.
    """
    part = Path(f"{path}.part")
    received = 0
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=os.path.basename(path),
                disable=not progress,
            ) as bar:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if total is not None and received != total:
            raise FetchError(
                f"Download of {url} stopped after {received:,} of {total:,} bytes. "
                f"Run {FETCH_COMMAND} again.\n{offline_hint(url)}"
            )
        if md5 is not None and digest.hexdigest() != md5:
            raise FetchError(
                f"Downloaded {url} ({received:,} bytes) but its md5 is {digest.hexdigest()}, "
                f"expected {md5}: the file is damaged or not the CIFAR-10 archive."
            )
        os.replace(part, path)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise FetchError(f"Could not download {url}: {why(exc)}.\n{offline_hint(url)}") from None
    finally:
        part.unlink(missing_ok=True)


def check_member(member, folder):
    """Refuse a tar member that is not a plain file or folder, or would land outside ``folder``.

    Raises
    ------
    FetchError
        Naming the member and what is wrong with it.
    """
    if not (member.isfile() or member.isdir()):
        raise FetchError(
            f"Refusing archive member {member.name!r}: expected only regular files and "
            f"folders, got a link or special file."
        )
    inside = Path(folder).resolve()
    target = (inside / member.name).resolve()
    if target != inside and inside not in target.parents:
        raise FetchError(
            f"Refusing archive member {member.name!r}: its path lands outside the "
            f"destination {inside}."
        )


def extract(archive, dest, batch_md5s=CIFAR10_BATCH_MD5S):
    """Extract ``archive`` into ``dest/cifar-10-batches-py`` through a temporary folder.

    Every member is checked with :func:`check_member`, extracted with ``filter="data"`` into
    ``dest/.tmp-*``, the batch md5s are compared with ``batch_md5s`` (``None`` skips that),
    and only then is the folder renamed into place. The temporary folder is always removed.

    Returns
    -------
    str
        The path of the new ``cifar-10-batches-py`` folder.
    """
    target = os.path.join(dest, FOLDER_NAME)
    scratch = tempfile.mkdtemp(prefix=".tmp-", dir=dest)
    try:
        try:
            with tarfile.open(archive, "r:*") as tar:
                members = tar.getmembers()
                for member in members:
                    check_member(member, scratch)
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(scratch, members=members, filter="data")
                else:  # Python without PEP 706: check_member above did the same checks
                    tar.extractall(scratch, members=members)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise FetchError(f"Could not extract {archive}: {exc}") from None
        extracted = os.path.join(scratch, FOLDER_NAME)
        missing = missing_files(extracted)
        if missing:
            raise FetchError(
                f"{archive} is not the CIFAR-10 python archive: {FOLDER_NAME}/ in it lacks "
                f"{', '.join(missing)}."
            )
        differ = [] if batch_md5s is None else mismatched_batches(extracted, batch_md5s)
        if differ:
            raise FetchError(
                f"Extracted {', '.join(differ)} from {archive} but their md5s differ from the "
                f"expected ones: the archive is not the official CIFAR-10 archive."
            )
        os.rename(extracted, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def fetch_CIFAR10(
    dest=DATASETS_DIR,
    source=CIFAR10_URL,
    archive_md5=CIFAR10_ARCHIVE_MD5,
    batch_md5s=CIFAR10_BATCH_MD5S,
    timeout=TIMEOUT_SECONDS,
    progress=True,
):
    """Make sure ``dest/cifar-10-batches-py`` holds CIFAR-10, downloading it if needed.

    Parameters
    ----------
    dest : str or os.PathLike
        The folder that gets ``cifar-10-batches-py/`` (created if missing).
    source : str or os.PathLike
        A URL to download the archive from, or the path of a local copy of the archive.
    archive_md5 : str or None
        Expected md5 of the archive (the official one by default); ``None`` skips the check.
    batch_md5s : dict of str to str, or None
        Expected md5 of each extracted batch; ``None`` skips the check.
    timeout : float
        Seconds of network silence (connecting or reading) before a download gives up.
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    str
        The path of the ``cifar-10-batches-py`` folder.

    Raises
    ------
    FetchError
        When the data cannot be fetched; nothing half-written is left in ``dest``.
    """
    target = os.path.join(dest, FOLDER_NAME)
    if os.path.exists(target):
        missing = missing_files(target)
        if missing:
            raise FetchError(
                f"{target} exists but lacks {', '.join(missing)} (a fetch never leaves a "
                f"partial folder, so something else wrote it). Remove it and run "
                f"{FETCH_COMMAND} again."
            )
        which = describe_CIFAR10(target, batch_md5s or CIFAR10_BATCH_MD5S)
        print(f"CIFAR-10 is already at {target}: {which}; using it.")
        return target

    if not is_url(source):
        if not os.path.isfile(source):
            raise FetchError(f"--source {source} is not a file (expected {ARCHIVE_NAME}).")
        if archive_md5 is not None:
            found_md5 = md5_of_file(source)
            if found_md5 != archive_md5:
                raise FetchError(
                    f"{source} has md5 {found_md5}, expected {archive_md5}: it is damaged or "
                    f"not the CIFAR-10 python archive ({ARCHIVE_NAME})."
                )
        print(f"Extracting {source} into {dest}")
        os.makedirs(dest, exist_ok=True)
        extract(source, dest, batch_md5s)
    else:
        os.makedirs(dest, exist_ok=True)
        archive = os.path.join(dest, ARCHIVE_NAME)
        reuse = os.path.isfile(archive) and (
            archive_md5 is None or md5_of_file(archive) == archive_md5
        )
        if reuse:
            print(f"Using the already downloaded {archive}")
        else:
            print(f"Downloading {source} to {archive}")
            download(source, archive, archive_md5, timeout, progress)
        print(f"Extracting {archive}")
        extract(archive, dest, batch_md5s)
        os.remove(archive)
    print(f"CIFAR-10 is ready at {target}")
    return target


def main(argv=None):
    """Command line entry point of ``python -m cs231n.datasets``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog=FETCH_COMMAND,
        description="Download and extract CIFAR-10 (python version) into "
        f"DEST/{FOLDER_NAME}, checking md5s; does nothing if it is already there.",
    )
    parser.add_argument(
        "--source",
        default=CIFAR10_URL,
        metavar="PATH_OR_URL",
        help=f"URL or local copy of {ARCHIVE_NAME} (default: %(default)s)",
    )
    parser.add_argument(
        "--dest",
        default=DATASETS_DIR,
        metavar="DIR",
        help=f"folder that gets {FOLDER_NAME}/ (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="network timeout for connecting and for each read (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        fetch_CIFAR10(dest=args.dest, source=args.source, timeout=args.timeout)
    except (FetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
