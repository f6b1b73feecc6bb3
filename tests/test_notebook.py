"""The worksheet: its course structure, executed end to end in fast mode, and the committed run.

The structure tests read softmax.ipynb as committed: the official 2025 notebook's cells and
inline questions in the course's order, our answers only inside the search cell's marker block
and after the `Your Answer:` markers, the public checks after each part a student writes, and
notebook metadata as the installed Jupyter writes it.

Executing it needs the real CIFAR-10 (the `cifar10_dir` fixture skips otherwise). Each fast run
writes its weights to a temporary folder, so the committed cs231n/saved/ files stay as they are.
One fast run uses our search; another replaces it with the plain double loop a student writes
from the course's TODO, and must still run to the end.
"""

import ast
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from cs231n_staff.grade.notebook import answers

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "softmax.ipynb"
SAVED = ROOT / "cs231n" / "saved"

# The course's marker lines around our answer in the search cell (the release replaces them and
# everything between with the course's empty lines).
START = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"

# What the course's search cell fills, and what the cells after it may use from it.
COURSE_SEARCH_VARIABLES = {
    "results", "best_val", "best_softmax", "learning_rates", "regularization_strengths",
}  # fmt: skip
# The parts a student writes, in the course's order, each followed by its public check: the
# cell that first runs the part (found by a line of its source) and the check's name.
CHECKED_PARTS = [
    ("from cs231n.gradient_check import grad_check_sparse", "softmax_loss_naive"),
    ('print(f"difference: {difference:f}")', "softmax_loss_vectorized"),
    ("loss_hist = softmax.train(", "train"),
    ("y_val_pred = softmax.predict(X_val)", "predict"),
]
INLINE_QUESTIONS = [
    ("1", "Why do we expect our loss to be close to -log(0.1)?"),
    ("2", "it is possible that for SVM loss, once in a while, a dimension in the gradcheck"),
    ("3", "Describe what your visualized Softmax classifier weights look like"),
    ("4", "It is possible to add a new datapoint to a training set that would change the"),
]
# A plain course-style answer to the search TODO, as a student writes it.
COURSE_LOOP = """\
for lr in learning_rates:
    for reg in regularization_strengths:
        model = Softmax()
        model.train(X_train, y_train, learning_rate=lr, reg=reg, num_iters=100)
        train_accuracy = np.mean(model.predict(X_train) == y_train)
        val_accuracy = np.mean(model.predict(X_val) == y_val)
        results[(lr, reg)] = (train_accuracy, val_accuracy)
        if val_accuracy > best_val:
            best_val, best_softmax = val_accuracy, model
"""


def committed():
    return nbformat.read(NOTEBOOK, as_version=4)


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def search_cell_index(nb):
    """Index in nb.cells of the one code cell with the course's marker lines."""
    found = [k for k, cell in enumerate(nb.cells) if START in cell.source]
    assert len(found) == 1, f"cells with the START marker: {found}"
    return found[0]


def marker_block(source):
    """(before, block, after): a cell's source split at its one pair of marker lines."""
    lines = source.splitlines(keepends=True)
    starts = [k for k, line in enumerate(lines) if line.strip() == START]
    ends = [k for k, line in enumerate(lines) if line.strip() == END]
    assert len(starts) == len(ends) == 1 and starts[0] < ends[0], (starts, ends)
    before, block, after = lines[: starts[0]], lines[starts[0] + 1 : ends[0]], lines[ends[0] + 1 :]
    return "".join(before), "".join(block), "".join(after)


def python_of(source):
    """A code cell's source with IPython's magic lines removed, for ast."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))


def names(tree, context):
    """The names a syntax tree loads (context ast.Load) or binds (ast.Store)."""
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}
    if context is ast.Store:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found.add(node.name)
    return found


def output_texts(nb):
    """Every text the notebook's code cells printed or displayed, with its cell index."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                yield index, output.name, output.text
            elif output.output_type in ("execute_result", "display_data"):
                yield index, output.output_type, output.data.get("text/plain", "")
            elif output.output_type == "error":
                yield index, "error", f"{output.ename}: {output.evalue}"


def printed(nb):
    return "".join(text for _, kind, text in output_texts(nb) if kind == "stdout")


def assert_clean(nb):
    """No cell raised, wrote to stderr, or printed a warning."""
    for index, kind, text in output_texts(nb):
        assert kind not in ("error", "stderr"), f"cell {index} {kind}: {text[:500]}"
        assert "Warning" not in text, f"cell {index} printed a warning: {text[:500]}"


def value_after(text, label):
    """The number printed right after `label` (its only occurrence)."""
    assert text.count(label) == 1, f"{label!r} printed {text.count(label)} times"
    return float(text.split(label)[1].split()[0])


def execute_fast(nb, saved):
    env = {"SOFTMAX_FAST_MODE": "1", "SOFTMAX_SAVED_DIR": str(saved)}
    old = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory, cifar10_dir):
    saved = tmp_path_factory.mktemp("saved")
    return execute_fast(committed(), saved), saved


@pytest.fixture(scope="module")
def course_loop_run(tmp_path_factory, cifar10_dir):
    """The fast run with the search cell's marker block replaced by COURSE_LOOP."""
    nb = committed()
    cell = nb.cells[search_cell_index(nb)]
    before, _, after = marker_block(cell.source)
    cell.source = before + COURSE_LOOP + after
    return execute_fast(nb, tmp_path_factory.mktemp("saved"))


# The committed notebook's structure.


def test_metadata_is_what_the_installed_jupyter_writes():
    nb = committed()
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert nb.metadata.kernelspec == {
        "display_name": spec.display_name, "language": spec.language, "name": "python3",
    }  # fmt: skip
    assert nb.metadata.language_info.name == "python"
    ids = [cell.id for cell in nb.cells]
    assert len(set(ids)) == len(ids)
    # Byte for byte what Jupyter's writer (nbformat.write, which Lab and Notebook 7 save with)
    # makes of it, so that opening and saving it changes nothing.
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert nbformat.writes(nbformat.reads(text, as_version=nbformat.NO_CONVERT)) + "\n" == text


def test_one_small_parameters_cell():
    tagged = [cell for cell in committed().cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "SOFTMAX_FAST_MODE" in tagged[0].source
    assert "SOFTMAX_SAVED_DIR" in tagged[0].source
    assert len(tagged[0].source.splitlines()) <= 8


def test_inline_questions_in_the_course_order_each_answered():
    cells = committed().cells
    found = []
    for cell in cells:
        match = re.search(r"Inline\s+Question\s*(\d+)", cell.source, re.IGNORECASE)
        if match:
            assert cell.cell_type == "markdown"
            found.append((match.group(1), cell.source))
            assert answers(cell.source), f"question {match.group(1)}: no answer marker"
            assert all(filled for _, filled in answers(cell.source)), match.group(1)
    assert [number for number, _ in found] == [number for number, _ in INLINE_QUESTIONS]
    for (_, source), (_, text) in zip(found, INLINE_QUESTIONS):
        assert text in source
    assert [label for label, _ in answers(found[3][1])] == ["Answer", "Explanation"]


def test_the_search_cell_is_the_course_todo_with_our_answer_inside_the_markers():
    nb = committed()
    index = search_cell_index(nb)
    head, block, tail = marker_block(nb.cells[index].source)
    for line in [
        "results = {}",
        "best_val = -1",
        "best_softmax = None",
        "# TODO:",
        "# Write code that chooses the best hyperparameters by tuning on the validation #",
        "learning_rates = [1e-7, 1e-6]",
        "regularization_strengths = [2.5e4, 1e4]",
        "(> 0.36)",
    ]:
        assert line in head, line
    assert "for lr, reg in sorted(results):" in tail
    assert "best validation accuracy achieved during cross-validation:" in tail
    assert "grid_search(" in block
    # The solution's engine appears inside the marker block only.
    for k, cell in enumerate(nb.cells):
        outside = head + tail if k == index else cell.source
        assert "cs231n_search" not in outside and "grid_search" not in outside, k


def test_cells_after_the_search_use_only_the_course_variables():
    nb = committed()
    index = search_cell_index(nb)
    _, block, _ = marker_block(nb.cells[index].source)
    answer_only = names(ast.parse(block), ast.Store) - COURSE_SEARCH_VARIABLES
    assert {"coarse", "search", "grid_search"} <= answer_only
    for cell in code_cells(nb)[code_cells(nb).index(nb.cells[index]) + 1 :]:
        used = names(ast.parse(python_of(cell.source)), ast.Load)
        assert not used & answer_only, f"{cell.id} uses {sorted(used & answer_only)}"


def test_each_part_a_student_writes_is_followed_by_its_public_check():
    cells = code_cells(committed())
    imports = [c for c in cells if "from cs231n.checks import check" in c.source]
    assert len(imports) == 1
    checks = [(k, c.source.strip()) for k, c in enumerate(cells) if c.source.startswith("check(")]
    assert [source for _, source in checks] == [f'check("{name}")' for _, name in CHECKED_PARTS]
    for (k, _), (line, _) in zip(checks, CHECKED_PARTS):
        part = next(j for j, cell in enumerate(cells) if line in cell.source)
        assert part == k - 1, f"{cells[k].source} does not follow the cell with {line!r}"
    assert cells.index(imports[0]) < checks[0][0]


def test_no_answer_outside_the_marker_blocks_and_inline_answers():
    nb = committed()
    for cell in nb.cells:
        text = cell.source.lower()
        assert "svm_loss" not in text and "linear_svm" not in text, cell.id
        if cell.cell_type == "markdown" and "inline question" not in text:
            for formula in (r"\partial", r"x^\top", "p - y", r"\frac{e^"):
                assert formula not in text, f"{cell.id} gives away {formula!r}"
    # Only the course's code cells work with losses: no cell computes an inline answer.
    loss_cells = [c.id for c in code_cells(nb) if re.search(r"softmax_loss_\w+\(", c.source)]
    assert loss_cells == ["naive-loss", "gradient-check", "vectorized-loss", "vectorized-gradient"]


def test_course_targets_and_exports_as_the_course_states_them():
    cells = code_cells(committed())
    validate = next(c for c in cells if "y_val_pred = softmax.predict(X_val)" in c.source)
    assert "(> 0.33)" in validate.source
    sources = "\n".join(c.source for c in cells)
    assert 'softmax.save("softmax.npy"' in sources
    assert 'best_softmax.save("best_softmax.npy"' in sources


# Executed in fast mode.


def test_fast_run_executes_every_cell_cleanly(fast_run):
    nb, _ = fast_run
    assert_clean(nb)
    assert all(cell.execution_count is not None for cell in code_cells(nb))
    text = printed(nb)
    assert "fast mode: True" in text
    assert "Softmax classifier on raw pixels final test set accuracy:" in text


def test_fast_run_exports_loadable_weights(fast_run):
    _, saved = fast_run
    for name in ["softmax.npy", "best_softmax.npy"]:
        W = np.load(saved / name, allow_pickle=True).item()["W"]
        assert W.shape == (3073, 10)
        assert np.isfinite(W).all()


def test_a_course_style_search_loop_runs_the_notebook_to_the_end(course_loop_run):
    nb = course_loop_run
    assert_clean(nb)
    assert all(cell.execution_count is not None for cell in code_cells(nb))
    text = printed(nb)
    assert text.count(" val accuracy: ") == 4  # the course's 2 x 2 reference grid
    best_val = value_after(text, "best validation accuracy achieved during cross-validation:")
    assert 0 <= best_val <= 1
    assert "Softmax classifier on raw pixels final test set accuracy:" in text


# The committed full run.


def test_committed_notebook_holds_a_clean_full_run():
    nb = committed()
    assert_clean(nb)
    counts = [cell.execution_count for cell in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), "run top to bottom, once"
    text = printed(nb)
    assert "fast mode: False" in text
    assert "Training data shape:  (50000, 32, 32, 3)" in text
    assert "Train data shape:  (49000, 3073)" in text
    assert "Test data shape:  (1000, 3073)" in text
    assert value_after(text, "validation accuracy: ") > 0.33
    best_val = value_after(text, "best validation accuracy achieved during cross-validation:")
    assert best_val > 0.36
    assert value_after(text, "final test set accuracy: ") > 0.36


def test_committed_weights_load_with_the_course_reader():
    for name in ["softmax.npy", "best_softmax.npy"]:
        params = np.load(SAVED / name, allow_pickle=True).item()
        assert set(params) == {"W"}
        assert params["W"].shape == (3073, 10)
        assert np.isfinite(params["W"]).all()
