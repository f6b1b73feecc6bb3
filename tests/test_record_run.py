"""benchmarks/record_run.py (`make run`, and `make results` with --record) and the generated
sections of benchmarks/results.py (the README's results, docs/benchmarks.md's speed tables).

The key results are read from printed lines made up here, with known values; tests execute a
tiny notebook that prints them, through the same nbconvert command as `make run`, into a
temporary folder: without --record nothing else may be written; with it, the results file, the
README it regenerated and the figures are read back.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import record_run  # noqa: E402
import results  # noqa: E402

PRINTED = {
    "data": "data: a CIFAR-10 copy whose batch checksums differ (6 of 6 differ)",
    "first run time": "That took 1.458378s",
    "first run train accuracy": "training accuracy: 0.330367",
    "first run validation accuracy": "validation accuracy: 0.359000",
    "coarse search": "16 runs in 8.1 s; best: learning rate 1e-05, reg 1e+02",
    "fine search": "best: learning rate 2.0e-05, reg 3.3e+01; 9 runs in 16.8 s",
    "best validation accuracy": (
        "best validation accuracy achieved during cross-validation: 0.427000"
    ),
    "test accuracy": "Softmax classifier on raw pixels final test set accuracy: 0.409000",
    "test accuracy, all test images": "the same model on all 10,000 test images: 0.401200",
    "naive vs vectorized": (
        "(exactly: loss difference 2.2e-15, gradient difference 2.8e-13, gradient norm 3.7e+02)"
    ),
}
# Lines around them that must not be taken for them.
DISTRACTORS = [
    "lr 2.000000e-05 reg 3.333333e+01 train accuracy: 0.437735 val accuracy: 0.427000",
    "iteration 1400 / 1500: loss 2.102765",
]
EXPECTED_ROWS = [
    ("first SGD run: time", "1.5 s"),
    ("first SGD run: train / validation accuracy", "0.330 / 0.359"),
    ("search, coarse: 16 runs (best: learning rate 1e-05, reg 1e+02)", "8.1 s"),
    ("search, fine: 9 runs around the coarse winner", "16.8 s"),
    ("best validation accuracy (learning rate 2.0e-05, reg 3.3e+01)", "0.427"),
    ("test accuracy of the model chosen on validation (the course's 1,000 test images)",
     "0.409"),
    ("the same model on all 10,000 test images", "0.401"),
    ("naive vs vectorized: loss / gradient difference", "2.2e-15 / 2.8e-13"),
    ("whole notebook, headless (`make run`, kernel start included)", "41.2 s"),
]
README_TEXT = (
    "# Project\n\n## Results\n\n"
    f"{results.RESULTS_BEGIN}\nold results\n{results.RESULTS_END}\n\nMore text.\n"
)
BENCHMARKS_TEXT = f"# Benchmarks\n\n{results.BEGIN}\nold speed\n{results.END}\n\nNotes.\n"


def printed_text(lines):
    return "".join(line + "\n" for line in lines)


def test_extract_finds_each_key_result():
    text = printed_text([DISTRACTORS[0], *PRINTED.values(), DISTRACTORS[1]])
    values = record_run.extract(text)
    values["wall_seconds"] = 41.23
    rows = record_run.rows(values)
    assert [(row["what"], row["ours"]) for row in rows] == EXPECTED_ROWS
    assert values["data"] == "a CIFAR-10 copy whose batch checksums differ (6 of 6 differ)"
    for row in rows:
        assert results.check_row(row)["ratio"] is None


@pytest.mark.parametrize("absent", sorted(set(PRINTED) - set(record_run.OPTIONAL)))
def test_a_missing_key_result_fails_naming_it(absent):
    text = printed_text(line for name, line in PRINTED.items() if name != absent)
    with pytest.raises(record_run.RecordError) as error:
        record_run.extract(text)
    assert f"{absent}: 0 lines match" in str(error.value)
    assert "update PATTERNS in benchmarks/record_run.py" in str(error.value)
    assert str(error.value).count("lines match") == 1


def test_an_optional_result_not_printed_leaves_out_its_row_only():
    optional = set(record_run.OPTIONAL)
    assert optional == {"test accuracy, all test images", "naive vs vectorized"}
    text = printed_text(line for name, line in PRINTED.items() if name not in optional)
    values = record_run.extract(text)
    values["wall_seconds"] = 41.23
    rows = [(row["what"], row["ours"]) for row in record_run.rows(values)]
    left_out = [EXPECTED_ROWS[6], EXPECTED_ROWS[7]]  # all test images; naive vs vectorized
    assert rows == [row for row in EXPECTED_ROWS if row not in left_out]


@pytest.mark.parametrize("twice", sorted(PRINTED))
def test_any_result_printed_twice_fails(twice):
    with pytest.raises(record_run.RecordError, match=f"{re.escape(twice)}: 2 lines match"):
        record_run.extract(printed_text([*PRINTED.values(), PRINTED[twice]]))


def test_the_committed_notebook_shows_every_key_result():
    notebook = nbformat.read(str(record_run.NOTEBOOK), as_version=4)
    values = record_run.extract(record_run.printed_text(notebook))
    assert 0 < float(values["test"]) < 1 and 0 < float(values["best_val"]) < 1


def speed_row():
    return {"what": "loss", "baseline": "2.0 s", "ours": "1.0 s", "ratio": 2.0,
            "goal": ">= 1.5x", "met": True}  # fmt: skip


def write_both_sections(directory):
    results.write_result("bench_x", [speed_row()], data="d", load_before=[0.5, 0, 0],
                         directory=directory)  # fmt: skip
    row = {**speed_row(), "what": "test accuracy", "baseline": "", "ours": "0.409",
           "ratio": None, "goal": None, "met": None}  # fmt: skip
    results.write_result("notebook_run", [row], data="JPEG copy", load_before=[1.5, 0, 0],
                         notes=["A note."], directory=directory, section="results")  # fmt: skip


def test_sections_go_to_their_own_documents(tmp_path):
    write_both_sections(tmp_path)
    readme = results.regenerate_readme(README_TEXT, tmp_path)
    benchmarks = results.regenerate_benchmarks(BENCHMARKS_TEXT, tmp_path)
    results_part = readme[readme.index(results.RESULTS_BEGIN) : readme.index(results.RESULTS_END)]
    speed_part = benchmarks[benchmarks.index(results.BEGIN) : benchmarks.index(results.END)]
    assert "| test accuracy | 0.409 |" in results_part
    assert "load average 1.50 before the run" in results_part and "- A note." in results_part
    assert "notebook_run" not in speed_part and "| loss | 2.0 s | 1.0 s | 2.00x |" in speed_part
    assert "bench_x" not in readme
    assert "old results" not in readme and readme.endswith("More text.\n")
    assert "old speed" not in benchmarks and benchmarks.endswith("Notes.\n")
    assert results.regenerate_readme(readme, tmp_path) == readme
    assert results.regenerate_benchmarks(benchmarks, tmp_path) == benchmarks


def test_a_document_without_its_markers_is_refused(tmp_path):
    with pytest.raises(ValueError, match="lacks the markers"):
        results.regenerate_readme(BENCHMARKS_TEXT, tmp_path)
    with pytest.raises(ValueError, match="lacks the markers"):
        results.regenerate_benchmarks(README_TEXT, tmp_path)


def test_check_names_each_stale_document_and_a_rewrite_makes_both_current(tmp_path, capsys):
    write_both_sections(tmp_path / "results")
    readme, benchmarks = tmp_path / "README.md", tmp_path / "benchmarks.md"
    readme.write_text(README_TEXT)
    benchmarks.write_text(BENCHMARKS_TEXT)
    paths = ["--results-dir", str(tmp_path / "results"), "--readme", str(readme),
             "--benchmarks-doc", str(benchmarks)]  # fmt: skip
    assert results.main(["--check", *paths]) == 1
    err = capsys.readouterr().err
    assert f"{readme}: the tables generated" in err and f"{benchmarks}: the tables" in err
    assert readme.read_text() == README_TEXT  # --check changes nothing
    assert results.main(paths) == 0
    assert results.main(["--check", *paths]) == 0
    assert "| test accuracy | 0.409 |" in readme.read_text()
    assert "| loss | 2.0 s |" in benchmarks.read_text()


def test_a_results_file_without_section_is_speed(tmp_path):
    path = results.write_result("bench_old", [speed_row()], data="d", load_before=[0, 0, 0],
                                directory=tmp_path)  # fmt: skip
    record = json.loads(path.read_text())
    del record["section"]
    path.write_text(json.dumps(record))
    assert "bench_old" in results.regenerate_benchmarks(BENCHMARKS_TEXT, tmp_path)
    assert "bench_old" not in results.regenerate_readme(README_TEXT, tmp_path)


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(ValueError, match="section must be one of"):
        results.write_result("x", [], data="d", load_before=[0, 0, 0], directory=tmp_path,
                             section="speeds")  # fmt: skip


def write_tiny_notebook(path):
    """A notebook that prints every key result, a progress line and shows a figure."""
    cells = [new_code_cell(f"print({line!r})") for line in PRINTED.values()]
    cells.append(new_code_cell("for i in range(3):\n    print(f'\\r{i}/2', end='')"))
    cells.append(new_code_cell(  # a figure, shown as the notebook's template cells show theirs
        "from IPython.display import display\n"
        "display({'image/png': 'aGVsbG8='}, raw=True)  # the figure: b'hello'"
    ))
    notebook = new_notebook(
        cells=cells,
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbformat.write(notebook, str(path))
    return path


def test_make_run_executes_the_notebook_in_place_and_writes_nothing_else(
    tmp_path, monkeypatch, capsys
):
    path = write_tiny_notebook(tmp_path / "tiny.ipynb")

    def refuse(*args, **kwargs):
        raise AssertionError("a run without --record recorded something")

    monkeypatch.setattr(record_run, "NOTEBOOK", path)
    for writer in ("record", "write_result", "save_figures", "regenerate_readme"):
        monkeypatch.setattr(record_run, writer, refuse)
    assert record_run.main([]) == 0
    executed = nbformat.read(str(path), as_version=4)
    assert all(cell.execution_count for cell in executed.cells)
    assert "timing" not in json.dumps(executed.cells[0].metadata)
    assert executed.cells[-2].outputs[0].text == "2/2"  # the progress line's final state
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.ipynb"]
    out = capsys.readouterr().out
    assert re.search(r"^tiny\.ipynb ran in [0-9]+\.[0-9] s, headless", out, re.MULTILINE)
    assert "Recorded" not in out


def test_record_executes_the_notebook_in_place_and_writes_the_results(tmp_path):
    path = write_tiny_notebook(tmp_path / "tiny.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text(README_TEXT)
    values = record_run.record(
        path, directory=tmp_path / "results", readme=readme, root=tmp_path,
        figures={"figure.png": "# the figure"},
    )

    executed = nbformat.read(str(path), as_version=4)
    assert (tmp_path / "figure.png").read_bytes() == b"hello"
    assert all(cell.execution_count for cell in executed.cells)
    assert "timing" not in json.dumps(executed.cells[0].metadata)
    assert executed.cells[-2].outputs[0].text == "2/2"  # the progress line's final state
    record = json.loads((tmp_path / "results" / "notebook_run.json").read_text())
    assert record["section"] == "results"
    assert record["data"] == values["data"]
    assert [row["ours"] for row in record["rows"]][:-1] == [ours for _, ours in EXPECTED_ROWS[:-1]]
    assert record["rows"][-1]["ours"] == f"{values['wall_seconds']:.1f} s"
    assert values["wall_seconds"] > 0
    assert "| the same model on all 10,000 test images | 0.401 |" in readme.read_text()


def test_the_committed_notebook_shows_each_readme_figure_once(tmp_path):
    notebook = nbformat.read(str(record_run.NOTEBOOK), as_version=4)
    record_run.save_figures(notebook, root=tmp_path, figures={
        name.replace("docs/", ""): line for name, line in record_run.FIGURES.items()
    })
    for name in record_run.FIGURES:
        assert (tmp_path / name.replace("docs/", "")).read_bytes().startswith(b"\x89PNG")
        assert (record_run.ROOT / name).read_bytes().startswith(b"\x89PNG")  # as recorded


def test_a_figure_shown_twice_or_not_at_all_is_named(tmp_path):
    notebook = nbformat.read(str(record_run.NOTEBOOK), as_version=4)
    with pytest.raises(record_run.RecordError, match="x.png: 0 images in cells with 'no such"):
        record_run.save_figures(notebook, root=tmp_path, figures={"x.png": "no such line"})
    with pytest.raises(record_run.RecordError, match=r"y.png: [2-9]\d* images in cells with"):
        record_run.save_figures(notebook, root=tmp_path, figures={"y.png": "plt."})


@pytest.mark.parametrize("wall_seconds, met", [(21.5, True), (25.0, True), (41.23, False)])
def test_a_recorded_run_is_judged_against_the_25_second_goal(wall_seconds, met):
    values = record_run.extract(printed_text([*PRINTED.values()]))
    values["wall_seconds"] = wall_seconds
    judged = {row["what"]: row for row in record_run.rows(values)}
    whole = judged["whole notebook, headless (`make run`, kernel start included)"]
    assert (whole["goal"], whole["met"]) == ("<= 25 s", met)
    assert all(row["goal"] is None for what, row in judged.items() if row is not whole)
