"""Build the Gradescope bundle: python -m cs231n_staff.autograder [DEST] (dist/autograder.zip)."""

import argparse
import os
import secrets
import stat
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRET_ENV = "CS231N_GRADER_SECRET"
SCRIPTS = ("setup.sh", "run_autograder")
PACKAGES = ("cs231n", "cs231n_staff")
SKIPPED_PARTS = {"__pycache__", "cifar-10-batches-py", "saved"}
EXECUTABLE = 0o755 << 16
PLAIN = 0o644 << 16


def package_files(root=ROOT):
    """(path in the zip, file) of the grader's Python code: cs231n and cs231n_staff."""
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if not SKIPPED_PARTS & set(relative.parts):
                yield relative.as_posix(), path


def add(archive, name, data, mode):
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = mode
    archive.writestr(info, data)


def build(dest, secret=None, root=ROOT):
    """Write the bundle to `dest`; return the list of names it holds."""
    secret = secret or secrets.token_hex(32)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    names = []
    with zipfile.ZipFile(dest, "w") as archive:
        for script in SCRIPTS:
            add(archive, script, (HERE / script).read_bytes(), EXECUTABLE | stat.S_IFREG << 16)
            names.append(script)
        for name, path in package_files(root):
            add(archive, name, path.read_bytes(), PLAIN)
            names.append(name)
        add(archive, "requirements.txt", (root / "requirements.txt").read_bytes(), PLAIN)
        add(archive, "grader_secret", secret + "\n", 0o600 << 16)
        names += ["requirements.txt", "grader_secret"]
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_staff.autograder",
        description="Build the Gradescope autograder bundle (see docs/gradescope.md).",
    )
    parser.add_argument("dest", nargs="?", default="dist/autograder.zip")
    args = parser.parse_args(argv)
    secret = os.environ.get(SECRET_ENV) or None
    names = build(args.dest, secret)
    where = f"${SECRET_ENV}" if secret else "a fresh random secret"
    print(f"{args.dest}: {len(names)} files; staff secret: {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
