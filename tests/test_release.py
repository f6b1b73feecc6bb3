"""The student release built from this repository (`make release`, cs231n_staff/release.py).

Checked: the solution blocks are stubbed and no line of them ships; the answers are blank and the
outputs cleared; what must stay out stays out; the release imports; its notebook runs until the
first error raised by the unfinished code; the grader gives it 0 on every code test.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cs231n_staff.grade import GROUPS, grade
from cs231n_staff.grade.notebook import answers
from cs231n_staff.release import (
    END,
    START,
    STUDENT_FILES,
    STUDENT_README,
    ReleaseError,
    block_lines,
    build_release,
    strip_solutions,
)

ROOT = Path(__file__).resolve().parent.parent

# Lines of the solution blocks that may also appear in the release, and why.
# - Lines made of keywords and punctuation only (`else:`, `pass`, brackets) say nothing.
TRIVIAL = re.compile(r"^(else:|pass|break|continue|try:|[()\[\]{}:,]*)$")
# - Loop headers and shape lines any code over (N, D) and (D, C) arrays has: the complete SVM of
#   linear_svm.py (Inline Questions 2 and 4 use it) and the notebook's confusion matrix have them.
GENERIC = {
    "for i in range(num_train):",
    "for j in range(num_classes):",
    "num_train = X.shape[0]",
    "num_classes = W.shape[1]",
    "rows = np.arange(num_train)  # (N,)",
    "if j == y[i]:",
}
# - The scores and the L2 term, which the provided SVM computes exactly as the softmax does; the
#   release's softmax.py states both in its docstring (s = X W; reg * sum(W^2), 2 * reg * W).
SHARED_WITH_SVM = {
    "scores = X[i].dot(W)  # (C,)",
    "scores = X.dot(W)  # (N, C)",
    "loss = loss / num_train + reg * np.sum(W * W)",
    "dW = dW / num_train + 2 * reg * W",
}
SVM_FILE = "cs231n/classifiers/linear_svm.py"
# Exceptions that would mean the release itself is broken, not that its stubs are unfinished.
BROKEN = {
    "ImportError",
    "ModuleNotFoundError",
    "NameError",
    "SyntaxError",
    "IndentationError",
    "FileNotFoundError",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    dest = tmp_path_factory.mktemp("dist") / "assignment1-softmax"
    build_release(dest)
    return dest


def released_text_lines(release):
    """{stripped line: set of release files holding it}, notebook cells included."""
    found = {}
    for path in release.rglob("*"):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        for line in text.splitlines():
            found.setdefault(line.strip(), set()).add(path.relative_to(release).as_posix())
    return found


# --- the transformation -----------------------------------------------------------------------

SAMPLE = f"""\
def f(x):
    y = None
    # TODO: compute y
    {START}
    y = x + 1
    z = y * 2
    {END}
    return y


class A:
    def g(self):
        for k in range(2):
            {START}
            self.k = k
            {END}
"""


def test_strip_solutions_leaves_one_pass_at_the_markers_indent():
    stripped = strip_solutions(SAMPLE)
    assert "y = x + 1" not in stripped and "self.k = k" not in stripped
    assert f"    {START}\n    pass\n    {END}\n" in stripped
    assert f"            {START}\n            pass\n            {END}\n" in stripped
    namespace = {}
    exec(compile(stripped, "<stripped>", "exec"), namespace)
    assert namespace["f"](1) is None
    assert block_lines(SAMPLE) == ["    y = x + 1", "    z = y * 2", "            self.k = k"]


@pytest.mark.parametrize(
    "text, message",
    [
        (f"{START}\nx = 1\n", "START marker without an END"),
        (f"x = 1\n{END}\n", "END marker without a START"),
        (f"{START}\n{START}\n{END}\n", "START marker inside the block"),
        ("x = 1\n", "no START/END markers"),
    ],
)
def test_unpaired_markers_are_refused(text, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(text, "f.py")


def test_an_unrelated_folder_is_never_replaced(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ReleaseError, match="not a release built before"):
        build_release(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


# --- the release ------------------------------------------------------------------------------


def test_release_holds_what_students_need_and_nothing_else(release):
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for needed in [
        *STUDENT_FILES,
        "softmax.ipynb",
        "collectSubmission.sh",
        "setup_env.sh",
        "cs231n/data_utils.py",
        "cs231n/gradient_check.py",
        "README.md",
    ]:
        assert needed in files
    for left_out in ["tests/", "benchmarks/", "docs/", ".ci/", "cs231n_staff/", "cs231n_search/"]:
        assert not any(f.startswith(left_out) for f in files), left_out
    assert "cs231n_staff/release.py" not in files and "Makefile" not in files
    assert sorted(f for f in files if f.startswith("cs231n/saved/")) == ["cs231n/saved/.gitkeep"]
    assert (release / "README.md").read_text() == STUDENT_README


def test_no_line_of_a_solution_block_ships(release):
    found = released_text_lines(release)
    leaks = {}
    for name in STUDENT_FILES:
        for line in {s.strip() for s in block_lines((ROOT / name).read_text()) if s.strip()}:
            where = found.get(line, set())
            if TRIVIAL.match(line) or line in GENERIC:
                continue
            if line in SHARED_WITH_SVM:
                where = where - {SVM_FILE}
            if where:
                leaks[line] = sorted(where)
    assert leaks == {}
    # The allowances are not stale: each still names a line of a solution block.
    block = {s.strip() for n in STUDENT_FILES for s in block_lines((ROOT / n).read_text())}
    assert GENERIC | SHARED_WITH_SVM <= block


def test_stubbed_files_keep_everything_outside_the_blocks(release):
    for name in STUDENT_FILES:
        solution = (ROOT / name).read_text().splitlines()
        stub = (release / name).read_text().splitlines()
        inside = len(block_lines("\n".join(solution)))
        blocks = sum(1 for line in solution if line.strip() == START)
        assert len(stub) == len(solution) - inside + blocks  # each block: its lines -> one pass
        assert blocks >= 1 and [s for s in stub if s.strip() == "pass"]


def test_notebook_answers_blank_and_outputs_cleared(release):
    solution = json.loads((ROOT / "softmax.ipynb").read_text())
    student = json.loads((release / "softmax.ipynb").read_text())
    nbformat.validate(nbformat.reads(json.dumps(student), as_version=4))
    marked = [c for c in student["cells"] if answers("".join(c["source"]))]
    assert len(marked) == sum(1 for c in solution["cells"] if answers("".join(c["source"])))
    assert len(marked) >= 4
    assert all(not filled for c in marked for _, filled in answers("".join(c["source"])))
    assert any("Your Explanation:" in "".join(c["source"]) for c in marked)
    for cell in student["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_release_imports_and_its_stubs_return_the_starting_values(release):
    probe = f"""
import sys
sys.path.insert(0, {str(release)!r})
import numpy as np
import cs231n, cs231n.classifiers, cs231n.data_utils, cs231n.gradient_check
import cs231n_search.hyperparameter_search, cs231n.datasets
from cs231n.classifiers import softmax_loss_naive, softmax_loss_vectorized, Softmax
assert cs231n.__file__.startswith({str(release)!r}), cs231n.__file__
W, X, y = np.ones((4, 3)), np.ones((5, 4)), np.array([0, 1, 2, 0, 1])
for f in (softmax_loss_naive, softmax_loss_vectorized):
    loss, dW = f(W, X, y, 0.1)
    assert loss == 0 and not dW.any() and dW.shape == (4, 3)
model = Softmax()
model.W = W
print(model.predict(X).tolist())
"""
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[0.0, 0.0, 0.0, 0.0, 0.0]"


def test_grader_gives_the_release_zero_without_crashing(release):
    results, notes = grade(release, groups=GROUPS)
    assert len(results) == 15
    for result in results:
        assert result.score == 0, f"{result.name}: {result.lines}"
        assert result.lines, result.name
    assert "not in the submission: cs231n/saved/softmax.npy" in notes[0]


def first_error(nb):
    """(cell index, error output) of the first error in an executed notebook, or None."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error":
                return index, output
    return None


def test_release_notebook_runs_until_the_unfinished_code_fails(
    release, cifar10_dir, tmp_path, monkeypatch
):
    """The first error is raised while a stubbed function of the release runs.

    Precisely: executed in fast mode and stopped at the first error, the notebook has no error
    before that cell (nbclient stops there); that cell, or one before it, calls a loss or train;
    the error's traceback passes through the release's softmax.py or linear_classifier.py; and
    it is not one that means a broken release (BROKEN: a missing module, name or file, invalid
    syntax). The stubs' starting values (loss 0, dW zeros) let the cells before training run;
    `train` with its sampling stubbed hands the loss X_batch = None, which the loss rejects.
    """
    data = release / "cs231n" / "datasets" / "cifar-10-batches-py"
    data.symlink_to(Path(cifar10_dir).resolve())
    monkeypatch.setenv("SOFTMAX_FAST_MODE", "1")
    monkeypatch.setenv("SOFTMAX_SAVED_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(release))
    nb = nbformat.read(release / "softmax.ipynb", as_version=4)
    nb.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            f"import cs231n\nassert cs231n.__file__.startswith({str(release)!r}), cs231n.__file__"
        ),
    )
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(release)}}
    )
    try:
        client.execute()
    except CellExecutionError:
        pass
    finally:
        data.unlink()
    error = first_error(nb)
    assert error is not None, "the notebook ran to the end: the stubs cannot train a model"
    index, output = error
    trace = ANSI.sub("", "\n".join(output.traceback))
    assert index > 0, trace
    assert output.ename not in BROKEN, trace
    stubbed = [str(release / name) for name in STUDENT_FILES]
    assert any(path in trace for path in stubbed), trace
    assert any(
        "softmax_loss" in c.source or ".train(" in c.source
        for c in nb.cells[1 : index + 1]
        if c.cell_type == "code"
    )
