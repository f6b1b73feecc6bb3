"""Build the student release from this solution: `python -m cs231n_staff.release [DEST]`.

DEST defaults to dist/assignment1-softmax (`make release`). The release is every file git tracks
in this repository, except what students must not get, transformed so that the two never drift
apart:

- In `STUDENT_FILES`, the lines strictly between each pair of course markers

      # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
      # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

  are replaced by a single `pass` at the markers' indentation. The variables a block fills are
  initialized before it, outside it, so the stubbed code imports and runs.
- In softmax.ipynb, each inline answer is replaced by the course's empty prompt (the
  `Your Answer:` marker followed by `*fill this in*`, and the same for `Your Explanation:`);
  cells tagged `solution` are dropped; outputs and execution counts are cleared.
- cs231n/saved/ keeps only its .gitkeep (no trained weights).
- Left out: `EXCLUDED` (tests, benchmarks, CI, the grader, this builder, the solution's figures
  and Makefile); README.md is replaced by `STUDENT_README`.

Markers that do not pair up (an END before its START, a START without an END, nesting) are an
error: a release must never ship a half-removed solution.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cs231n_staff.grade.notebook import MARKER

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO / "dist" / "assignment1-softmax"
START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
STUDENT_FILES = ("cs231n/classifiers/softmax.py", "cs231n/classifiers/linear_classifier.py")
NOTEBOOK = "softmax.ipynb"
SAVED = "cs231n/saved/"
EXCLUDED = (
    "tests/",
    "benchmarks/",
    ".ci/",
    "docs/",
    "cs231n_staff/",
    "cs231n_search/",
    "Makefile",
    "README.md",
)
SOLUTION_TAG = "solution"
EMPTY_ANSWER = "*fill this in*"

STUDENT_README = """\
# CS231n assignment 1: the Softmax classifier

In this exercise you implement a linear classifier with the softmax (cross-entropy) loss, check
its gradient, train it with stochastic gradient descent on CIFAR-10, tune its hyperparameters on
a validation set and look at the weights it learns. The worksheet `softmax.ipynb` guides you step
by step.

## Setup

```bash
bash setup_env.sh                 # creates .venv, installs the requirements, fetches CIFAR-10
source .venv/bin/activate
jupyter notebook softmax.ipynb
```

Without internet, with a copy of `cifar-10-python.tar.gz`:
`python -m cs231n.datasets --source /path/to/cifar-10-python.tar.gz`.
On Google Colab, upload this folder to your Drive and run the notebook's first cell.

## What you write

- `cs231n/classifiers/softmax.py`: `softmax_loss_naive` (with loops) and `softmax_loss_vectorized`
  (without loops), each returning the loss and its gradient.
- `cs231n/classifiers/linear_classifier.py`: the minibatch sampling and the update step of
  `LinearClassifier.train`, and `LinearClassifier.predict`.
- The inline questions of `softmax.ipynb`: replace each `*fill this in*`.

Write your code between the lines `*****START OF YOUR CODE*****` and `*****END OF YOUR CODE*****`
and leave those marker lines as they are. The notebook saves your trained weights to
`cs231n/saved/softmax.npy` and `cs231n/saved/best_softmax.npy`; they are graded too.

## Submitting

Run every cell of the notebook, save it, then run `bash collectSubmission.sh`. It writes
`a1_code_submission.zip` (your code, the notebook and the saved weights) and
`a1_inline_submission.pdf`; upload both to Gradescope.
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
        if marker == START:
            if start is not None:
                raise ReleaseError(
                    f"{name}:{k + 1}: START marker inside the block of line {start + 1}"
                )
            start = k
        elif marker == END:
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
    """`text` with the lines inside each solution block replaced by one `pass`."""
    lines = text.splitlines(keepends=True)
    blocks = solution_blocks(lines, name)
    if not blocks:
        raise ReleaseError(f"{name}: no START/END markers: nothing to remove")
    out, previous = [], 0
    for start, end in blocks:
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        out += lines[previous : start + 1] + [f"{indent}pass\n"]
        previous = end
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


def student_notebook(notebook):
    """The release's notebook (a dict, modified in place): answers blanked, outputs cleared."""
    cells = []
    for cell in notebook["cells"]:
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            text = "".join(source) if isinstance(source, list) else source
            cell["source"] = blank_answer(text)
        elif cell["cell_type"] == "code":
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


def released(path):
    """Whether the tracked file `path` ships in the release."""
    if path.startswith(SAVED):
        return path == SAVED + ".gitkeep"
    return not any(path == e or (e.endswith("/") and path.startswith(e)) for e in EXCLUDED)


def check_replaceable(dest):
    """Raise ReleaseError unless `dest` is missing, empty, or a release built before."""
    if not dest.exists():
        return
    if not dest.is_dir():
        raise ReleaseError(f"{dest} exists and is not a folder")
    readme = dest / "README.md"
    title = STUDENT_README.splitlines()[0]
    previous = readme.is_file() and readme.read_text(encoding="utf-8").startswith(title)
    if any(dest.iterdir()) and not previous:
        raise ReleaseError(f"{dest} exists and is not a release built before: not replacing it")


def build_release(dest=DEFAULT_DEST, repo=REPO):
    """Write the release into `dest` (replaced if it exists); return the list of files written."""
    repo, dest = Path(repo), Path(dest)
    check_replaceable(dest)
    files = [p for p in tracked_files(repo) if released(p) and (repo / p).is_file()]
    for name in STUDENT_FILES + (NOTEBOOK,):
        if name not in files:
            raise ReleaseError(f"{repo / name} is missing: it is needed for the release")
    if dest.exists():
        shutil.rmtree(dest)
    for path in files:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = repo / path
        if path in STUDENT_FILES:
            target.write_text(
                strip_solutions(source.read_text(encoding="utf-8"), path), encoding="utf-8"
            )
        elif path == NOTEBOOK:
            notebook = student_notebook(json.loads(source.read_text(encoding="utf-8")))
            text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False)
            target.write_text(text + "\n", encoding="utf-8")
        else:
            shutil.copy2(source, target)
    (dest / "README.md").write_text(STUDENT_README, encoding="utf-8")
    return files + ["README.md"]


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


__all__ = ["build_release", "block_lines", "strip_solutions", "student_notebook"]

if __name__ == "__main__":
    sys.exit(main())
