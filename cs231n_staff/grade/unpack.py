"""Read a submission safely: a zip from collectSubmission.sh, or a folder laid out the same way.

Nothing in a submission is trusted. A zip is extracted member by member into a fresh folder:
a member whose name is absolute, contains `..`, is a symbolic link, is nested deeper than
`MAX_DEPTH` folders or has a name longer than `MAX_NAME_BYTES` (a part) or `MAX_PATH_BYTES` (the
whole) is refused, and so is a member that clashes with another (a file `zz` and a folder `zz/`),
and so is a zip
with more than `MAX_FILES` members or more than `MAX_TOTAL_BYTES` bytes once extracted (counted
while decompressing, not read from the zip's headers, which can lie). From the extracted tree, or
from a submitted folder, only the files the grader needs are taken (`REQUIRED_FILES` of
cs231n/submission.py), each a regular file reached without any symbolic link and at most
`MAX_FILE_BYTES` long. The submission may sit in one top-level folder inside the zip (a student
zipping the folder instead of its content); it is found by its `cs231n/classifiers/softmax.py`.

Errors are `SubmissionError`, whose message says what was expected and what was found.
"""

import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cs231n.submission import REQUIRED_FILES, SOFTMAX

MAX_FILES = 5000
MAX_DEPTH = 32
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
MAX_TOTAL_BYTES = 300 * 2**20
MAX_FILE_BYTES = 100 * 2**20
CHUNK_BYTES = 2**20



class SubmissionError(ValueError):
    """The submission cannot be read: the message says why and what was expected."""


@dataclass
class Submission:
    """The files of a submission that the grader uses, copied into a folder of its own.

    `files` maps each name of REQUIRED_FILES that was found to its copy's path; `missing`
    lists the names that were not in the submission.
    """

    files: dict
    missing: list

    def path(self, name):
        return self.files.get(name)


def member_error(info):
    """Why a zip member must not be extracted, or None if it is safe."""
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (parts and ":" in parts[0]):
        return f"absolute path {name[:80]!r}"
    if ".." in parts:
        return f"path {name[:80]!r} leaves the submission folder (it contains '..')"
    if len(parts) > MAX_DEPTH:
        return f"a path {len(parts)} folders deep (at most {MAX_DEPTH})"
    if len(name.encode("utf-8", "replace")) > MAX_PATH_BYTES or any(
        len(part.encode("utf-8", "replace")) > MAX_NAME_BYTES for part in parts
    ):
        return f"a name longer than {MAX_NAME_BYTES} bytes, or a path longer than {MAX_PATH_BYTES}"
    if "\x00" in name:
        return "a name holding a NUL character"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"symbolic link {name[:80]!r}"
    return None


def extract_zip(zip_path, dest):
    """Extract `zip_path` into the existing folder `dest` with the checks of this module."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionError(f"{zip_path} is not a readable zip file ({err})") from None
    dest = Path(dest).resolve()
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise SubmissionError(
                f"{zip_path} holds {len(members)} files; at most {MAX_FILES} are accepted"
            )
        total = 0
        for info in members:
            problem = member_error(info)
            if problem:
                raise SubmissionError(f"{zip_path}: refused {problem}")
            target = dest.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
            if target != dest and dest not in target.parents:
                raise SubmissionError(f"{zip_path}: refused path {info.filename[:80]!r}")
            try:
                total = extract_member(archive, info, target, total)
            except SubmissionError as err:
                raise SubmissionError(f"{zip_path}: {err}") from None
            except (OSError, ValueError, RecursionError) as err:
                raise SubmissionError(
                    f"{zip_path}: cannot extract {info.filename[:80]!r}: it clashes with another "
                    f"member (a file and a folder of one name?) or cannot be created here "
                    f"({type(err).__name__})"
                ) from None


def extract_member(archive, info, target, total):
    """Write one member to `target`; return the running total of extracted bytes."""
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return total
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(CHUNK_BYTES):
                total += len(chunk)
                if total > MAX_TOTAL_BYTES:
                    raise SubmissionError(
                        f"the zip extracts to more than {MAX_TOTAL_BYTES:,} bytes"
                    )
                out.write(chunk)
    except FileExistsError:
        raise SubmissionError(f"{info.filename[:80]!r} appears twice") from None
    except (zipfile.BadZipFile, RuntimeError, EOFError, NotImplementedError) as err:
        raise SubmissionError(f"cannot extract {info.filename[:80]!r} ({err})") from None
    return total


def find_root(tree):
    """The folder of `tree` that holds cs231n/classifiers/softmax.py (the shallowest), or `tree`."""
    tree = Path(tree)
    candidates = []
    for dirpath, dirnames, _ in os.walk(tree):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__MACOSX",))
        if os.path.isfile(os.path.join(dirpath, *SOFTMAX.split("/"))):
            candidates.append(Path(dirpath))
    if not candidates:
        return tree
    return min(candidates, key=lambda p: (len(p.parts), str(p)))


def safe_file(root, name):
    """`root/name` if it is a regular file reached through no symbolic link, else None."""
    path = Path(root)
    for part in name.split("/"):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            raise SubmissionError(f"{name} is a symbolic link (or inside one); submit the file")
    if not stat.S_ISREG(mode):
        return None
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise SubmissionError(
            f"{name} is {os.path.getsize(path):,} bytes; at most {MAX_FILE_BYTES:,} are accepted"
        )
    return path


def read_submission(source, workdir):
    """Copy the graded files of `source` (a zip or a folder) into `workdir`/submission.

    Parameters
    ----------
    source : str or os.PathLike
        A zip file from collectSubmission.sh, or a folder laid out like the repository.
    workdir : str or os.PathLike
        An existing, empty scratch folder owned by the grader.

    Returns
    -------
    Submission

    Raises
    ------
    SubmissionError
        If `source` is missing, is neither a zip nor a folder, or breaks a rule of this module.
    """
    source = Path(source)
    workdir = Path(workdir)
    if source.is_dir():
        root = source
    elif source.is_file():
        root = workdir / "unpacked"
        root.mkdir()
        extract_zip(source, root)
        root = find_root(root)
    else:
        raise SubmissionError(f"{source}: no such file or folder; expected a zip or a folder")

    copy_dir = workdir / "submission"
    files, missing = {}, []
    for name in REQUIRED_FILES:
        found = safe_file(root, name)
        if found is None:
            missing.append(name)
            continue
        target = copy_dir.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found, target)
        files[name] = target
    return Submission(files=files, missing=missing)
