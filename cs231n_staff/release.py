"""Build the student release from this solution: `python -m cs231n_staff.release [DEST]`.

DEST defaults to dist/assignment1-softmax (`make release`). The release is built from an
inclusion list, `SHIPPED`: the course package `cs231n/` whole, the worksheet, the scripts the
students run and the runtime requirements, taken from the files git tracks, plus the student
README written here. Nothing else ships: the solution's search engine (`cs231n_search/`), this
staff tooling (`cs231n_staff/`), the tests, benchmarks, docs, CI and the developer's Makefile and
pyproject.toml are simply not on the list. The files are transformed so that the solution and
the release never drift apart (see docs/release.md):

- In every shipped .py file and every notebook code cell, each block from a
  `cs231n.submission.START_MARKER` line to its `END_MARKER` line, both marker lines included, is
  replaced by one `STUB` line (`pass`) at the markers' indentation: what the course's starter has
  under its TODO comment, which stays above the block.
- In the notebook, each inline answer is replaced by the course's empty prompt (`Your Answer:`
  followed by `*fill this in*`, the same for `Your Explanation:`); cells tagged `solution` are
  dropped; outputs and execution counts are cleared.
- cs231n/saved/ keeps only its .gitkeep (no trained weights); no dataset, no bytecode (neither is
  tracked by git).

Markers that do not pair up (an END before its START, a START without an END, nesting) are an
error: a release must never ship a half-removed solution. So is a student file without markers.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cs231n.submission import (
    CODE_ZIP,
    EMPTY_ANSWER,
    END_MARKER,
    INLINE_PDF,
    NOTEBOOK,
    SOLUTION_TAG,
    START_MARKER,
    STUB,
    STUDENT_FILES,
)
from cs231n_staff.grade.notebook import MARKER

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO / "dist" / "assignment1-softmax"
# What students get: a folder (ending in /) ships with every tracked file under it.
SHIPPED = ("cs231n/", NOTEBOOK, "collectSubmission.sh", "setup_env.sh", "requirements.txt")
SAVED = "cs231n/saved/"
KEEP_IN_SAVED = SAVED + ".gitkeep"
README = "README.md"

STUDENT_README = f"""\
# CS231n assignment 1: the Softmax classifier

In this exercise you implement a linear classifier with the softmax (cross-entropy) loss, check
its gradient, train it with stochastic gradient descent on CIFAR-10, tune its hyperparameters on
a validation set and look at the weights it learns. The worksheet `softmax.ipynb` guides you step
by step. Every command below is run from this folder, in a plain shell: nothing needs to be
activated first.

## Setup

```bash
bash setup_env.sh                         # creates .venv, installs requirements, fetches CIFAR-10
.venv/bin/jupyter notebook softmax.ipynb  # as root (e.g. in a container): add --allow-root
```

Without internet, use a copy of CIFAR-10 you have, the archive or its unpacked folder:

```bash
SKIP_DATA=1 bash setup_env.sh
.venv/bin/python -m cs231n.datasets --source /path/to/cifar-10-python.tar.gz
.venv/bin/python -m cs231n.datasets --source /path/to/cifar-10-batches-py
```

## What you write

- `cs231n/classifiers/softmax.py`: the gradient in `softmax_loss_naive` (with loops) and
  `softmax_loss_vectorized` (without loops), each returning the loss and its gradient.
- `cs231n/classifiers/linear_classifier.py`: the minibatch sampling and the update step of
  `LinearClassifier.train`, and `LinearClassifier.predict`.
- In `softmax.ipynb`: the hyperparameter search and the inline questions (replace each
  `{EMPTY_ANSWER}`).

Write your code under each `TODO` comment, in place of its `pass`. The notebook saves your trained
weights to `cs231n/saved/softmax.npy` and `cs231n/saved/best_softmax.npy`; they are graded too.

## Submitting

Run every cell of the notebook (Kernel > Restart & Run All), save it, then run:

```bash
bash collectSubmission.sh
```

It writes `{CODE_ZIP}` (your code, the notebook and the saved weights) and
`{INLINE_PDF}`; upload both to Gradescope. If something is missing or a cell
fails, it says what to fix; to hand in your work as it is (for partial credit), run
`bash collectSubmission.sh --force`.
"""


class ReleaseError(ValueError):
    """The solution cannot be turned into a release: the message says where and why."""


def solution_blocks(lines, name="<text>"):
    """[(start, end)]: the indices of each START and its END marker line, in order.

    Raises ReleaseError if the markers do not pair up.
    """
    blocks, start = [], None
    for k, line in enumerate(lines):
        marker = line.strip()
        if marker == START_MARKER:
            if start is not None:
                raise ReleaseError(
                    f"{name}:{k + 1}: START marker inside the block of line {start + 1}"
                )
            start = k
        elif marker == END_MARKER:
            if start is None:
                raise ReleaseError(f"{name}:{k + 1}: END marker without a START before it")
            blocks.append((start, k))
            start = None
    if start is not None:
        raise ReleaseError(f"{name}:{start + 1}: START marker without an END after it")
    return blocks


def block_lines(text, name="<text>"):
    """The lines strictly inside the solution blocks of `text`."""
    lines = text.splitlines()
    return [line for start, end in solution_blocks(lines, name) for line in lines[start + 1 : end]]


def strip_solutions(text, name="<text>"):
    """`text` with each solution block, its marker lines included, replaced by one STUB line."""
    lines = text.splitlines(keepends=True)
    out, previous = [], 0
    for start, end in solution_blocks(lines, name):
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        out += lines[previous:start] + [f"{indent}{STUB}\n"]
        previous = end + 1
    return "".join(out + lines[previous:])


def blank_answer(text):
    """A markdown cell's text with each answer after a marker replaced by the empty prompt."""
    found = list(MARKER.finditer(text))
    if not found:
        return text
    parts = [text[: found[0].start()]]
    for k, match in enumerate(found):
        marker = match.group(0).rstrip()
        parts.append(f"{marker} {EMPTY_ANSWER}")
        if k + 1 < len(found):
            parts.append("\n\n")
    return "".join(parts) + "\n"


def student_notebook(notebook, name=NOTEBOOK):
    """The release's notebook (a dict, modified in place): stubbed, answers blank, no outputs."""
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell["source"]
        text = "".join(source) if isinstance(source, list) else source
        if cell["cell_type"] == "markdown":
            cell["source"] = blank_answer(text)
        elif cell["cell_type"] == "code":
            cell["source"] = strip_solutions(text, f"{name} cell {index + 1}")
            cell["outputs"] = []
            cell["execution_count"] = None
            cell.get("metadata", {}).pop("execution", None)
        cells.append(cell)
    notebook["cells"] = cells
    return notebook


def tracked_files(repo):
    """The files git tracks in `repo`, as POSIX relative paths."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=repo, check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise ReleaseError(f"cannot list the files of {repo} with git ls-files: {err}") from None
    return sorted(p for p in out.decode().split("\0") if p)


def shipped(path):
    """Whether the tracked file `path` is on the inclusion list `SHIPPED`."""
    if path.startswith(SAVED):
        return path == KEEP_IN_SAVED
    return any(path == s or (s.endswith("/") and path.startswith(s)) for s in SHIPPED)


def check_replaceable(dest):
    """Raise ReleaseError unless `dest` is missing, empty, or a release built before."""
    if not dest.exists():
        return
    if not dest.is_dir():
        raise ReleaseError(f"{dest} exists and is not a folder")
    readme = dest / README
    title = STUDENT_README.splitlines()[0]
    previous = readme.is_file() and readme.read_text(encoding="utf-8").startswith(title)
    if any(dest.iterdir()) and not previous:
        raise ReleaseError(f"{dest} exists and is not a release built before: not replacing it")


def released_text(path, source):
    """The release's text of the shipped file `path` (read from `source`), or None to copy it."""
    if path == NOTEBOOK:
        notebook = student_notebook(json.loads(source.read_text(encoding="utf-8")), path)
        return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if path.endswith(".py"):
        text = source.read_text(encoding="utf-8")
        if path in STUDENT_FILES and not solution_blocks(text.splitlines(), path):
            raise ReleaseError(f"{path}: no START/END markers: the student's work is not marked")
        return strip_solutions(text, path)
    return None


def build_release(dest=DEFAULT_DEST, repo=REPO):
    """Write the release into `dest` (replaced if it exists); return the list of files written."""
    repo, dest = Path(repo), Path(dest)
    check_replaceable(dest)
    files = [p for p in tracked_files(repo) if shipped(p) and (repo / p).is_file()]
    for name in (*STUDENT_FILES, NOTEBOOK, KEEP_IN_SAVED):
        if name not in files:
            raise ReleaseError(f"{repo / name} is missing: it is needed for the release")
    texts = {path: released_text(path, repo / path) for path in files}
    if dest.exists():
        shutil.rmtree(dest)
    for path in files:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if texts[path] is None:
            shutil.copy2(repo / path, target)
        else:
            target.write_text(texts[path], encoding="utf-8")
            shutil.copymode(repo / path, target)
    (dest / README).write_text(STUDENT_README, encoding="utf-8")
    return files + [README]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_staff.release", description=__doc__.split("\n")[0]
    )
    parser.add_argument("dest", nargs="?", default=str(DEFAULT_DEST), help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        files = build_release(args.dest)
    except ReleaseError as err:
        print(f"cs231n_staff.release: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files to {os.path.relpath(args.dest)}")
    return 0


__all__ = [
    "SHIPPED",
    "STUDENT_README",
    "ReleaseError",
    "block_lines",
    "build_release",
    "solution_blocks",
    "strip_solutions",
    "student_notebook",
]

if __name__ == "__main__":
    sys.exit(main())
