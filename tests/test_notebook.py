"""The worksheet: executed end to end in fast mode, and the committed full run checked.

Executing it needs the real CIFAR-10 (the `cifar10_dir` fixture skips otherwise). The fast run
writes its weights to a temporary folder, so the committed cs231n/saved/ files stay as they are.
"""

import os
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "softmax.ipynb"
SAVED = ROOT / "cs231n" / "saved"


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


def assert_clean(nb):
    """No cell raised, wrote to stderr, or printed a warning."""
    for index, kind, text in output_texts(nb):
        assert kind not in ("error", "stderr"), f"cell {index} {kind}: {text[:500]}"
        assert "Warning" not in text, f"cell {index} printed a warning: {text[:500]}"


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory, cifar10_dir):
    saved = tmp_path_factory.mktemp("saved")
    nb = nbformat.read(NOTEBOOK, as_version=4)
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
    return nb, saved


def test_fast_run_executes_every_cell_cleanly(fast_run):
    nb, _ = fast_run
    assert_clean(nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)
    printed = "".join(text for _, _, text in output_texts(nb))
    assert "fast mode: True" in printed
    assert "Softmax classifier on raw pixels final test set accuracy:" in printed


def test_fast_run_exports_loadable_weights(fast_run):
    _, saved = fast_run
    for name in ["softmax.npy", "best_softmax.npy"]:
        W = np.load(saved / name, allow_pickle=True).item()["W"]
        assert W.shape == (3073, 10)
        assert np.isfinite(W).all()


def test_committed_notebook_is_valid_and_has_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "SOFTMAX_FAST_MODE" in tagged[0].source


def test_committed_notebook_holds_a_clean_full_run():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert_clean(nb)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), "run top to bottom, once"
    printed = "".join(text for _, _, text in output_texts(nb))
    assert "fast mode: False" in printed
    assert "Training data shape:  (50000, 32, 32, 3)" in printed
    assert "Train data shape as images: (49000, 32, 32, 3)" in printed
    assert "best validation accuracy achieved during cross-validation:" in printed
    best_val = float(printed.split("cross-validation: ")[1].split()[0])
    assert best_val > 0.36


def test_committed_weights_load_with_the_course_reader():
    for name in ["softmax.npy", "best_softmax.npy"]:
        params = np.load(SAVED / name, allow_pickle=True).item()
        assert set(params) == {"W"}
        assert params["W"].shape == (3073, 10)
        assert np.isfinite(params["W"]).all()
