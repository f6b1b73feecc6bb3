"""Fetch CIFAR-10 (python version) and check which copy a folder holds.

The result is the course layout, a folder ``cifar-10-batches-py/`` inside ``dest`` holding
``data_batch_1`` .. ``data_batch_5``, ``test_batch`` (pickled dicts, 10000 images each),
``batches.meta`` and ``readme.html`` (see :mod:`cs231n.datasets.layout`).

Where the data can come from (``source``):

- a URL of the archive (the official one by default): downloaded, and used only if its md5 is
  the official one;
- a local copy of the archive: the official one (md5 verified), or a re-packed archive with
  other checksums, used if what it holds is complete and loadable, with a one-line notice that
  it is not the official copy;
- a local ``cifar-10-batches-py`` folder (or a folder containing one): checked in the same way,
  copied into place, with the same notice.

How a fetch stays safe to interrupt, to run twice at once, and to run again:

1. ``dest/.cifar-10-fetch.lock`` is locked (``fcntl.flock``) for the whole fetch, so a second
   fetch into the same ``dest`` waits for the first and then finds the data in place.
2. Under the lock, what an earlier killed run left (``dest/.tmp-*`` folders and
   ``dest/cifar-10-python.tar.gz.part``) is removed first.
3. A folder that already holds a complete, loadable copy is used as it is (a one-line notice
   says which copy); a damaged one is refused, with the remedy.
4. The archive is downloaded into ``cifar-10-python.tar.gz.part`` and renamed only after its md5
   matches. Each read waits at most ``timeout`` seconds, and the whole download must end within
   ``deadline`` seconds (checked after each read, so it ends within deadline + timeout).
5. The archive is extracted with tarfile's ``filter="data"`` (and every member checked first)
   into a temporary folder ``dest/.tmp-*``, checked (md5s for the official archive, every batch
   read for any other copy), and only then renamed to ``cifar-10-batches-py``. A failure at any
   step, or SIGTERM / Ctrl-C during the command, removes what that step wrote.

Command line: ``python -m cs231n.datasets [--source PATH_OR_URL] [--dest DIR] [--timeout S]
[--deadline S]``, from the project's folder as ``.venv/bin/python -m cs231n.datasets ...``.
"""

import argparse
import contextlib
import hashlib
import http.client
import math
import os
import shutil
import signal
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from cs231n.datasets.batches import check_folder
from cs231n.datasets.layout import (
    ARCHIVE_NAME,
    BATCH_NAMES,
    CIFAR10_DIR,
    DATASETS_DIR,
    FETCH_COMMAND,
    FETCH_FROM_COPY_COMMAND,
    FETCH_HINT,
    FOLDER_NAME,
    REQUIRED_FILES,
)

try:
    import fcntl
except ImportError:  # Windows: fetches into one folder are not serialised there
    fcntl = None

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_ARCHIVE_SIZE = 170_498_071
CIFAR10_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_BATCH_MD5S = dict(
    zip(
        BATCH_NAMES,
        [
            "c99cafc152244af753f735de768cd75f",
            "d4bba439e000b95fd0a9bffe97cbabec",
            "54ebc095f3ab1f0389bbae665268c751",
            "634d18415352ddfa80567beed471001a",
            "482c414d41f54cd18b22e5b47cb7c3cb",
            "40351d587109b95175f43aff81a1287e",
        ],
    )
)

TIMEOUT_SECONDS = 10.0
DEADLINE_SECONDS = 1800.0  # 30 min: the 170 MB archive at 95 KB/s or better
CHUNK_BYTES = 1 << 20
LOCK_NAME = ".cifar-10-fetch.lock"
SCRATCH_PREFIX = ".tmp-"
PART_SUFFIX = ".part"
COPIED_FILES = (*REQUIRED_FILES, "readme.html")


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
            f"Fetch the data set with: {FETCH_HINT}"
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
    """The advice printed when ``url`` cannot be downloaded: the two offline routes."""
    return (
        f"If this machine has no internet access, copy {ARCHIVE_NAME} (from {url}) or an "
        f"existing {FOLDER_NAME} folder onto it and run: {FETCH_FROM_COPY_COMMAND}"
    )


def why(exc):
    """The short reason of a download error: the socket's for a URLError, else the error."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def check_seconds(name, value):
    """Return ``value`` as a float if it is a finite number of seconds > 0, else ValueError."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {value!r}")
    return seconds


def download(
    url,
    path,
    md5=CIFAR10_ARCHIVE_MD5,
    timeout=TIMEOUT_SECONDS,
    progress=True,
    deadline=DEADLINE_SECONDS,
):
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
    deadline : float
        Seconds the whole download may take; checked after each read (at most ``timeout``
        apart), so a server that keeps sending a trickle ends within deadline + timeout.

    Raises
    ------
    FetchError
        If the server cannot be reached, the transfer stops early or misses the deadline, or
        the md5 differs. The ``.part`` file is removed in every case, also on
        KeyboardInterrupt.
    """
    timeout = check_seconds("timeout", timeout)
    deadline = check_seconds("deadline", deadline)
    give_up_at = time.monotonic() + deadline
    part = Path(f"{path}{PART_SUFFIX}")
    received = 0
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            read_some = getattr(response, "read1", response.read)  # returns what has arrived
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=os.path.basename(path),
                disable=not progress,
            ) as bar:
                while chunk := read_some(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
                    if time.monotonic() > give_up_at:
                        of_total = f" of {total:,}" if total is not None else ""
                        raise FetchError(
                            f"Download of {url} did not finish within the deadline of "
                            f"{deadline:g} s ({received:,}{of_total} bytes received): the "
                            f"connection is too slow. Run {FETCH_COMMAND} again later.\n"
                            f"{offline_hint(url)}"
                        )
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
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # an error status comes with the server's response, its socket open
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


def unpack(archive, scratch):
    """Extract ``archive`` into the folder ``scratch`` after checking every member."""
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


def find_folder(path):
    """``path`` if it is a ``cifar-10-batches-py`` folder, else ``path/cifar-10-batches-py``."""
    if os.path.basename(os.path.normpath(path)) == FOLDER_NAME or not os.path.isdir(
        os.path.join(path, FOLDER_NAME)
    ):
        return os.fspath(path)
    return os.path.join(path, FOLDER_NAME)


def check_copy(folder, origin):
    """Check that ``folder`` (from ``origin``) holds a complete, loadable copy, or FetchError."""
    try:
        return check_folder(folder)
    except (OSError, ValueError) as exc:
        raise FetchError(
            f"{origin} does not hold a complete, loadable CIFAR-10 ({exc}). Use the official "
            f"archive or another copy."
        ) from None


def extract(archive, dest, batch_md5s=CIFAR10_BATCH_MD5S):
    """Extract ``archive`` into ``dest/cifar-10-batches-py`` through a temporary folder.

    Every member is checked with :func:`check_member`, extracted with ``filter="data"`` into
    ``dest/.tmp-*``, the batch md5s are compared with ``batch_md5s`` (``None`` checks instead
    that every batch loads, for an archive that is not the official one), and only then is the
    folder renamed into place. The temporary folder is always removed.

    Returns
    -------
    str
        The path of the new ``cifar-10-batches-py`` folder.
    """
    with scratch_folder(dest) as scratch:
        unpack(archive, scratch)
        extracted = os.path.join(scratch, FOLDER_NAME)
        missing = missing_files(extracted)
        if missing:
            raise FetchError(
                f"{archive} is not the CIFAR-10 python archive: {FOLDER_NAME}/ in it lacks "
                f"{', '.join(missing)}."
            )
        if batch_md5s is None:
            check_copy(extracted, archive)
        else:
            differ = mismatched_batches(extracted, batch_md5s)
            if differ:
                raise FetchError(
                    f"Extracted {', '.join(differ)} from {archive} but their md5s differ from "
                    f"the expected ones: the archive is not the official CIFAR-10 archive."
                )
        return place(extracted, dest)


def copy_folder(source, dest):
    """Copy the CIFAR-10 files of the folder ``source`` into ``dest/cifar-10-batches-py``.

    The files are copied into ``dest/.tmp-*``, the copy is checked with
    :func:`cs231n.datasets.batches.check_folder`, and only then renamed into place.
    """
    with scratch_folder(dest) as scratch:
        copied = os.path.join(scratch, FOLDER_NAME)
        os.mkdir(copied)
        for name in COPIED_FILES:
            if os.path.isfile(os.path.join(source, name)):
                shutil.copyfile(os.path.join(source, name), os.path.join(copied, name))
        check_copy(copied, source)
        return place(copied, dest)


@contextlib.contextmanager
def scratch_folder(dest):
    """A new empty folder ``dest/.tmp-*``, removed on leaving (also on an error)."""
    scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=dest)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def place(folder, dest):
    """Rename the checked ``folder`` to ``dest/cifar-10-batches-py``; return that path."""
    target = os.path.join(dest, FOLDER_NAME)
    os.rename(folder, target)
    return target


def sweep(dest):
    """Remove what a killed fetch left in ``dest``: ``.tmp-*`` folders and the ``.part`` file.

    Called with the lock held, so no running fetch owns them. Returns the names removed.
    """
    stale = [
        entry
        for entry in os.scandir(dest)
        if (entry.name.startswith(SCRATCH_PREFIX) and entry.is_dir(follow_symlinks=False))
        or entry.name == ARCHIVE_NAME + PART_SUFFIX
    ]
    for entry in stale:
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            os.unlink(entry.path)
    return sorted(entry.name for entry in stale)


@contextlib.contextmanager
def locked(dest):
    """Hold an exclusive ``flock`` on ``dest/.cifar-10-fetch.lock``; remove the file after.

    A fetch that finds the lock taken says so once and waits. The file is removed on release;
    a waiter that then holds a lock on the removed file notices (the path no longer names its
    file) and locks the path afresh, so two holders never overlap.
    """
    if fcntl is None:
        yield
        return
    path = os.path.join(dest, LOCK_NAME)
    said = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not said:
                print(f"Another fetch into {dest} is running; waiting for it to finish.")
                said = True
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def use_present(target, batch_md5s):
    """Check the ``cifar-10-batches-py`` already at ``target`` and say which copy it is."""
    try:
        check_folder(target)
    except (OSError, ValueError) as exc:
        raise FetchError(
            f"The CIFAR-10 folder {target} is damaged ({exc}). Remove that folder and run "
            f"{FETCH_COMMAND} again (or {FETCH_FROM_COPY_COMMAND})."
        ) from None
    which = describe_CIFAR10(target, batch_md5s or CIFAR10_BATCH_MD5S)
    print(f"CIFAR-10 is already at {target}: {which}; using it.")
    return target


def notice_unofficial(source, target, batch_md5s):
    """Print the one-line notice for data taken from a copy that is not the official archive."""
    which = describe_CIFAR10(target, batch_md5s or CIFAR10_BATCH_MD5S)
    print(
        f"Notice: {source} is not the official CIFAR-10 archive; it is complete and loadable, "
        f"so it is used ({which})."
    )


def fetch_from_path(source, dest, archive_md5, batch_md5s):
    """Fill ``dest/cifar-10-batches-py`` from a local archive or folder; return its path."""
    if os.path.isdir(source):
        folder = find_folder(source)
        print(f"Copying {folder} into {dest}")
        target = copy_folder(folder, dest)
        notice_unofficial(folder, target, batch_md5s)
        return target
    if not os.path.isfile(source):
        raise FetchError(
            f"--source {source} is not a file or folder (expected {ARCHIVE_NAME} or a "
            f"{FOLDER_NAME} folder)."
        )
    official = archive_md5 is not None and md5_of_file(source) == archive_md5
    print(f"Extracting {source} into {dest}")
    target = extract(source, dest, batch_md5s if official else None)
    if not official:
        notice_unofficial(source, target, batch_md5s)
    return target


def fetch_CIFAR10(
    dest=DATASETS_DIR,
    source=CIFAR10_URL,
    archive_md5=CIFAR10_ARCHIVE_MD5,
    batch_md5s=CIFAR10_BATCH_MD5S,
    timeout=TIMEOUT_SECONDS,
    progress=True,
    deadline=DEADLINE_SECONDS,
):
    """Make sure ``dest/cifar-10-batches-py`` holds CIFAR-10, downloading it if needed.

    Parameters
    ----------
    dest : str or os.PathLike
        The folder that gets ``cifar-10-batches-py/`` (created if missing).
    source : str or os.PathLike
        A URL to download the archive from, a local copy of the archive (official or
        re-packed), or a local ``cifar-10-batches-py`` folder (or a folder containing one).
    archive_md5 : str or None
        md5 of the official archive. A download must match it; a local archive that does not
        is used only if what it holds is complete and loadable (with a notice). ``None``
        treats every archive as not official.
    batch_md5s : dict of str to str, or None
        Expected md5 of each batch of the official archive; ``None`` skips that check.
    timeout : float
        Seconds of network silence (connecting or reading) before a download gives up.
    progress : bool
        Show a progress bar while downloading.
    deadline : float
        Seconds the whole download may take.

    Returns
    -------
    str
        The path of the ``cifar-10-batches-py`` folder.

    Raises
    ------
    FetchError
        When the data cannot be fetched; nothing half-written is left in ``dest``.
    ValueError
        If ``timeout`` or ``deadline`` is not a finite number of seconds > 0.
    """
    timeout = check_seconds("timeout", timeout)
    deadline = check_seconds("deadline", deadline)
    os.makedirs(dest, exist_ok=True)
    with locked(dest):
        swept = sweep(dest)
        if swept:
            print(f"Removed what an interrupted fetch left in {dest}: {', '.join(swept)}")
        target = os.path.join(dest, FOLDER_NAME)
        if os.path.exists(target):
            return use_present(target, batch_md5s)
        if not is_url(source):
            target = fetch_from_path(source, dest, archive_md5, batch_md5s)
        else:
            archive = os.path.join(dest, ARCHIVE_NAME)
            reuse = os.path.isfile(archive) and (
                archive_md5 is None or md5_of_file(archive) == archive_md5
            )
            if reuse:
                print(f"Using the already downloaded {archive}")
            else:
                print(f"Downloading {source} to {archive}")
                download(source, archive, archive_md5, timeout, progress, deadline)
            print(f"Extracting {archive}")
            extract(archive, dest, batch_md5s)
            os.remove(archive)
    print(f"CIFAR-10 is ready at {target}")
    return target


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (no usage block), exit status 2."""

    def error(self, message):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def seconds_argument(text):
    """The argparse ``type`` of ``--timeout`` and ``--deadline``: finite seconds > 0."""
    try:
        return check_seconds("it", text)
    except ValueError as exc:  # argparse puts "argument --timeout:" before the message
        raise argparse.ArgumentTypeError(str(exc).removeprefix("it ")) from None


def parse_args(argv):
    parser = OneLineParser(
        prog="python -m cs231n.datasets",
        description=f"Fetch CIFAR-10 (python version) into DEST/{FOLDER_NAME}: download and "
        f"verify the official archive, or take a local archive or {FOLDER_NAME} folder; does "
        "nothing if a complete copy is already there.",
    )
    parser.add_argument(
        "--source",
        default=CIFAR10_URL,
        metavar="PATH_OR_URL",
        help=f"URL of {ARCHIVE_NAME}, a local copy of it, or a local {FOLDER_NAME} folder "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--dest",
        default=DATASETS_DIR,
        metavar="DIR",
        help=f"folder that gets {FOLDER_NAME}/ (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds_argument,
        default=TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="network timeout for connecting and for each read (default: %(default)s)",
    )
    parser.add_argument(
        "--deadline",
        type=seconds_argument,
        default=DEADLINE_SECONDS,
        metavar="SECONDS",
        help="the most seconds the whole download may take (default: %(default)s)",
    )
    return parser.parse_args(argv)


def exit_on_sigterm(signum, frame):
    """Turn SIGTERM into SystemExit, so that the fetch's cleanup (finally blocks) runs."""
    raise SystemExit(128 + signum)


def main(argv=None):
    """Command line entry point of ``python -m cs231n.datasets``; returns the exit status.

    Failures print one ``error: ...`` message on stderr (no traceback) and return 1.
    """
    args = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        fetch_CIFAR10(
            dest=args.dest, source=args.source, timeout=args.timeout, deadline=args.deadline
        )
    except (FetchError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing half-written was kept. Run it again.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
