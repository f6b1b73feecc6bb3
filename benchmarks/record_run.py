"""Execute the worksheet headless, in place (`make run`), and, when asked, record its results.

    .venv/bin/python benchmarks/record_run.py            # make run
    .venv/bin/python benchmarks/record_run.py --record   # make results (maintainers)

runs NBCONVERT below on softmax.ipynb, saving its outputs into it (the notebook writes its
weights to cs231n/saved/), and prints the wall time of the whole run (kernel start included).
That is all it changes: a user's run leaves every other file as it was.

With --record it then reads the key results from the lines the notebook printed, using
PATTERNS, writes them with the date, the machine and its load to
benchmarks/results/notebook_run.json (benchmarks/results.py:write_result), regenerates the
README's Results section from that file, and writes the README's picture of learned
weights from the notebook's figure (FIGURES). The README's figures are therefore those of the
last recorded run, never typed by hand.

If the notebook's printed wording changed and a pattern no longer matches exactly one line, the
recording stops with an error naming the pattern (the notebook itself is already saved): update
PATTERNS, then run this again.
"""

import argparse
import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from results import README, RESULTS_DIR, regenerate_readme, write_result

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "softmax.ipynb"
NAME = "notebook_run"

# The notebook's printed lines that hold the key results; each must match exactly one line.
# A named group is a value for ROWS, shown as printed unless ROWS gives it a number format.
# The patterns of OPTIONAL may also match no line: their rows are then left out.
PATTERNS = {
    "data": r"^data: (?P<data>.+)$",
    "first run time": r"^That took (?P<first_seconds>[0-9.]+) ?s$",
    "first run train accuracy": r"^training accuracy: (?P<first_train>[0-9.]+)$",
    "first run validation accuracy": r"^validation accuracy: (?P<first_val>[0-9.]+)$",
    "coarse search": (
        r"^(?P<coarse_runs>\d+) runs in (?P<coarse_seconds>[0-9.]+) s; "
        r"best: learning rate (?P<coarse_lr>\S+), reg (?P<coarse_reg>\S+)$"
    ),
    "fine search": (
        r"^best: learning rate (?P<best_lr>\S+), reg (?P<best_reg>\S+); "
        r"(?P<fine_runs>\d+) runs in (?P<fine_seconds>[0-9.]+) s$"
    ),
    "best validation accuracy": (
        r"^best validation accuracy achieved during cross-validation: (?P<best_val>[0-9.]+)$"
    ),
    "test accuracy": (
        r"^Softmax classifier on raw pixels final test set accuracy: (?P<test>[0-9.]+)$"
    ),
    "test accuracy, all test images": (
        r"^the same model on all (?P<test_all_count>[0-9,]+) test images: (?P<test_all>[0-9.]+)$"
    ),
    "naive vs vectorized": (
        r"^\(exactly: loss difference (?P<loss_diff>\S+), "
        r"gradient difference (?P<grad_diff>\S+),"
    ),
}
OPTIONAL = ("test accuracy, all test images", "naive vs vectorized")

# The README's rows: (what, result), both formatted with the values found by PATTERNS and
# wall_seconds, the measured time of the whole run. A row whose values come from an OPTIONAL
# pattern that matched no line is left out.
ROWS = (
    ("first SGD run: time", "{first_seconds:.1f} s"),
    ("first SGD run: train / validation accuracy", "{first_train:.3f} / {first_val:.3f}"),
    (
        "search, coarse: {coarse_runs} runs (best: learning rate {coarse_lr}, reg {coarse_reg})",
        "{coarse_seconds:.1f} s",
    ),
    ("search, fine: {fine_runs} runs around the coarse winner", "{fine_seconds:.1f} s"),
    (
        "best validation accuracy (learning rate {best_lr}, reg {best_reg})",
        "{best_val:.3f}",
    ),
    ("test accuracy of the model chosen on validation (the course's 1,000 test images)",
     "{test:.3f}"),
    ("the same model on all {test_all_count} test images", "{test_all:.3f}"),
    ("naive vs vectorized: loss / gradient difference", "{loss_diff} / {grad_diff}"),
    ("whole notebook, headless (`make run`, kernel start included)", "{wall_seconds:.1f} s"),
)

# Goals judged on a recorded run: row's "what" -> (goal text, test of the values). The
# machine's load is recorded beside them: the goal is for an idle machine.
GOALS = {
    "whole notebook, headless (`make run`, kernel start included)": (
        "<= 25 s", lambda values: values["wall_seconds"] <= 25.0
    ),
}

# The README's picture: the image a code cell shows, found by a line of the cell's source (the
# course's cell that shows the best model's weights, one template per class).
FIGURES = {
    "docs/weights.png": "# strip out the bias",
}

# Saving each cell's consecutive prints merged, carriage returns applied, keeps a progress bar
# in its final state; record_timing=False keeps volatile timing metadata out of the notebook.
NBCONVERT = (
    "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
    "--ExecutePreprocessor.record_timing=False",
    "--Exporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor",
)  # fmt: skip


class RecordError(Exception):
    """The notebook's output lacks a key result (or has it more than once)."""


def printed_text(notebook):
    """Everything the notebook's code cells printed (stdout and stderr), in order."""
    texts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text if output.text.endswith("\n") else output.text + "\n")
    return "".join(texts)


class Printed(str):
    """A value as the notebook printed it; with a format spec ("{x:.3f}") it is a number."""

    def __format__(self, spec):
        return str(self) if not spec else format(float(self), spec)


def extract(text, patterns=PATTERNS, optional=OPTIONAL):
    """The named values of every pattern, each found in exactly one line of text (or in none,
    for the patterns named in optional).

    Raises
    ------
    RecordError
        Naming every pattern that matched no line (unless optional) or more than one.
    """
    values, problems = {}, []
    for name, pattern in patterns.items():
        matches = list(re.finditer(pattern, text, flags=re.MULTILINE))
        if not matches and name in optional:
            continue
        if len(matches) != 1:
            problems.append(f"{name}: {len(matches)} lines match {pattern!r}")
            continue
        values.update({key: Printed(v) for key, v in matches[0].groupdict().items()})
    if problems:
        raise RecordError(
            "the notebook's output does not show every key result exactly once:\n  "
            + "\n  ".join(problems)
            + "\nIf its printed wording changed, update PATTERNS in benchmarks/record_run.py."
        )
    return values


def rows(values):
    """The results rows of write_result, from the extracted values."""
    judged = []
    for what, result in ROWS:
        needed = set(re.findall(r"{(\w+)", what + result)) - {"wall_seconds"}
        if not needed <= set(values):
            continue  # an optional result the notebook does not print
        goal, met = GOALS.get(what, (None, None))
        judged.append({
            "what": what.format(**values),
            "baseline": "",
            "ours": result.format(**values),
            "ratio": None,
            "goal": goal,
            "met": None if met is None else bool(met(values)),
        })
    return judged


def save_figures(notebook, root=ROOT, figures=FIGURES):
    """Write the PNG each FIGURES cell shows to its path under root; RecordError if one is not
    found exactly once."""
    for path, source_line in figures.items():
        images = [
            output.data["image/png"]
            for cell in notebook.cells
            if cell.cell_type == "code" and source_line in cell.source
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        if len(images) != 1:
            raise RecordError(
                f"{path}: {len(images)} images in cells with {source_line!r}; update FIGURES in "
                "benchmarks/record_run.py"
            )
        Path(root, path).write_bytes(base64.b64decode(images[0]))


def execute(notebook):
    """Run NBCONVERT on notebook; return its wall time in seconds, or raise RecordError."""
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, *NBCONVERT, str(notebook)], cwd=notebook.parent)
    seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise RecordError(f"executing {notebook.name} failed (nbconvert's message is above)")
    return seconds


def record(notebook=NOTEBOOK, directory=RESULTS_DIR, readme=README, root=ROOT, figures=FIGURES):
    """Execute notebook, write directory/notebook_run.json, regenerate readme's Results section
    and write the figures under root; return the values found."""
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    wall_seconds = execute(Path(notebook))
    executed = nbformat.read(str(notebook), as_version=4)
    values = extract(printed_text(executed))
    values["wall_seconds"] = wall_seconds
    save_figures(executed, root, figures)
    write_result(
        NAME,
        rows(values),
        data=str(values["data"]),
        load_before=load_before,
        notes=[
            "Wall-clock times: the notebook's own for its steps, measured around nbconvert for "
            "the whole run. They vary with the machine's load, recorded above.",
        ],
        directory=directory,
        section="results",
    )
    readme = Path(readme)
    readme.write_text(regenerate_readme(readme.read_text(), directory))
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--record", action="store_true",
        help="also record the run's results: benchmarks/results/notebook_run.json, the "
        "README's Results section and the docs/ picture of learned weights (make results)",
    )
    args = parser.parse_args(argv)
    try:
        seconds = record()["wall_seconds"] if args.record else execute(NOTEBOOK)
    except RecordError as exc:
        print(f"record_run.py: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{NOTEBOOK.name} ran in {seconds:.1f} s, headless (kernel start included); it is "
        "saved with its outputs, and its weights in cs231n/saved/."
    )
    if args.record:
        print(
            f"Recorded in {(RESULTS_DIR / NAME).relative_to(ROOT)}.json, the README's Results "
            f"section and {', '.join(FIGURES)}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
