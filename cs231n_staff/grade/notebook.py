"""The tests of the submitted worksheet: it was run, without errors, and every answer is filled.

The notebook is read as JSON (nothing in it is executed), at most MAX_NOTEBOOK_BYTES; a file that
is not a notebook (bad JSON, nesting too deep, cells or sources of the wrong types) scores 0 on
both tests with a one-line reason.

"Run" is judged on evidence the grader can check. Execution counts and outputs alone can be
typed by hand, so the notebook counts as run only if, besides every code cell having been
executed with no error output, some accuracy it printed (a line of output holding "accuracy")
agrees, within ACCURACY_TOL, with the validation or test accuracy the grader itself computes
for a submitted weights file (`weights.accuracies`): the worksheet prints both models'
accuracies, so a notebook run to the end and saved agrees with the weights it exported. When the
weights were not scored (--quick), that agreement is not checked, and the feedback says so.

An inline answer follows the course's marker `$\\color{blue}{\\textit{Your Answer:}}$` (also
written `\\textit Your Answer:`), and Inline Question 4 has a second one, `Your Explanation:`.
The empty prompt is the marker alone or followed by `*fill this in*`; an answer counts as filled
when, once that placeholder and markup are removed, some letter or digit remains before the next
marker or the end of the cell. The text is scanned with string operations in linear time (no
regular expression, so nothing can backtrack).
"""

import json
import re

from cs231n.submission import NOTEBOOK

from .results import TestResult, clean_text

MAX_NOTEBOOK_BYTES = 20 * 2**20
MAX_OUTPUT_CHARS = 2 * 2**20  # of printed text scanned for accuracies
ACCURACY_TOL = 0.0025
LABELS = ("Answer", "Explanation")
MARKUP = ("\\color", "\\textit", "blue")
# The answer marker as a pattern, for release.py (which blanks the answers of the course's own
# notebook). Every quantifier is possessive, so the pattern never backtracks: linear time.
MARKER = re.compile(
    r"(?:\$\s*+\\color\s*+\{\s*+blue\s*+\}\s*+\{\s*+\\textit\s*+\{?+\s*+)?+"
    r"Your\s++(Answer|Explanation)\s*+:\s*+(?:\}\s*+)*+\$?+"
)


def text_of(value):
    """A notebook string field (a str or a list of str) as one str; '' for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return ""


def read_cells(path):
    """The notebook's list of cells, or raise ValueError saying what is wrong with the file."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"{NOTEBOOK} is larger than {MAX_NOTEBOOK_BYTES:,} bytes")
        notebook = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else clean_text(str(err))
        raise ValueError(f"{NOTEBOOK} is not a readable notebook ({reason})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise ValueError(f"{NOTEBOOK} has no list of cells: is it a Jupyter notebook?")
    for k, cell in enumerate(cells):
        source = cell.get("source", "")
        if not isinstance(source, (str, list)) or (source and not text_of(source)):
            raise ValueError(f"{NOTEBOOK}: cell {k + 1} has a source that is not text")
    return cells


def normalize(text):
    """`text` with every run of whitespace made one space, and no space before a colon."""
    return " ".join(text.split()).replace(" :", ":")


def answers(text):
    """[(label, filled)] for each answer marker in a markdown cell's text."""
    text = normalize(text)
    found = []
    for label in LABELS:
        key = f"Your {label}:"
        start = text.find(key)
        while start != -1:
            found.append((start, start + len(key), label))
            start = text.find(key, start + 1)
    found.sort()
    result = []
    for k, (_, end_of_marker, label) in enumerate(found):
        end = found[k + 1][0] if k + 1 < len(found) else len(text)
        content = text[end_of_marker:end].lower().replace("fill this in", "")
        for markup in MARKUP:  # the next marker's own markup, before its "Your"
            content = content.replace(markup, "")
        result.append((label, any(ch.isascii() and ch.isalnum() for ch in content)))
    return result


def question_number(text):
    """The number of the first 'Inline Question N' in `text`, or None."""
    lowered = normalize(text).lower()
    start = lowered.find("inline question")
    if start == -1:
        return None
    rest = lowered[start + len("inline question") :].lstrip()
    digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    return digits[:6] or "?"


def output_text(output):
    """The printed text of one output: a stream's text or a result's text/plain."""
    if not isinstance(output, dict):
        return ""
    data = output.get("data")
    plain = data.get("text/plain", "") if isinstance(data, dict) else ""
    return text_of(output.get("text", "")) + "\n" + text_of(plain)


def printed_accuracies(code_cells):
    """The numbers in [0, 1] on output lines that mention 'accuracy' (at most the first
    MAX_OUTPUT_CHARS characters of output are read)."""
    values, budget = [], MAX_OUTPUT_CHARS
    for cell in code_cells:
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        for output in outputs:
            text = output_text(output)[:budget]
            budget -= len(text)
            for line in text.splitlines():
                if "accuracy" not in line.lower():
                    continue
                for token in line.replace(":", " ").replace(",", " ").replace("=", " ").split():
                    try:
                        value = float(token) if len(token) <= 32 else None
                    except ValueError:
                        continue
                    if value is not None and 0.0 <= value <= 1.0:
                        values.append(value)
            if budget <= 0:
                return values
    return values


def run_evidence(code_cells, accuracies):
    """(fraction, line): whether the printed accuracies agree with the submitted weights."""
    if accuracies is None:
        return 1, "(the printed accuracies were not checked: the weights were not scored)"
    scored = {name: r for name, r in accuracies.items() if "val" in r}
    if not scored:
        return 0, (
            "the run cannot be verified: there are no usable saved weights to check the "
            "accuracies the notebook printed against"
        )
    printed = printed_accuracies(code_cells)
    agree = [
        name
        for name, r in scored.items()
        if any(abs(v - r[key]) <= ACCURACY_TOL for v in printed for key in ("val", "test"))
    ]
    if not agree:
        return 0, (
            "no accuracy printed in the notebook agrees with the submitted weights: run the "
            "notebook top to bottom, let it save the weights, and save the notebook after"
        )
    return 1, f"its printed accuracies agree with {', '.join(agree)}"


def grade_run(test, cells, accuracies):
    code = [(k, c) for k, c in enumerate(cells) if c.get("cell_type") == "code"]
    executed = [k for k, c in code if isinstance(c.get("execution_count"), int)]
    done = set(executed)
    not_run = [k for k, c in code if k not in done and text_of(c.get("source")).strip()]
    failures = []
    for k, cell in code:
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        for out in outputs:
            if isinstance(out, dict) and out.get("output_type") == "error":
                name = clean_text(text_of(out.get("ename", "?")), 60)
                failures.append(f"cell {k + 1}: {name}: {clean_text(text_of(out.get('evalue')))}")
    if not executed:
        return test.award(
            0,
            "the notebook was not run (no code cell has an execution count): "
            "run every cell, then save it before collecting the submission",
        )
    if failures:
        return test.award(0, f"{len(failures)} cell(s) ended with an error:", *failures[:3])
    if not_run:
        shown = ", ".join(str(k + 1) for k in not_run[:5])
        return test.award(0, f"{len(not_run)} code cell(s) were not run (cells {shown})")
    fraction, line = run_evidence([c for _, c in code], accuracies)
    return test.award(fraction, f"{len(executed)} code cells run, no error output", line)


def grade_answers(test, cells):
    questions, blank, lines = 0, 0, []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        text = text_of(cell.get("source", ""))
        number = question_number(text)
        if number is None:
            continue
        questions += 1
        found = answers(text)
        empty = [label for label, filled in found if not filled]
        if not found:
            lines.append(f"Inline Question {number}: no 'Your Answer:' in its cell")
        lines += [f"Inline Question {number}: 'Your {label}:' is empty" for label in empty]
        blank += bool(empty or not found)
    if questions == 0:
        return test.award(0, "no inline question found in the notebook")
    return test.award(
        (questions - blank) / questions,
        f"{questions - blank} of {questions} inline questions answered",
        *lines[:10],
    )


def grade_notebook(submission, points, accuracies=None):
    """[run with no errors, every inline answer filled].

    `accuracies` is `weights.accuracies(...)`, or None when the weights were not scored.
    """
    errors_test = TestResult(f"{NOTEBOOK}: run, with no errors", points["errors"])
    answers_test = TestResult(f"{NOTEBOOK}: every inline question answered", points["answers"])
    path = submission.path(NOTEBOOK)
    if path is None:
        message = f"{NOTEBOOK} is not in the submission"
        return [errors_test.award(0, message), answers_test.award(0, message)]
    try:
        cells = read_cells(path)
    except ValueError as err:
        return [errors_test.award(0, str(err)), answers_test.award(0, str(err))]
    return [grade_run(errors_test, cells, accuracies), grade_answers(answers_test, cells)]
