"""The tests of the submitted worksheet: it was run without errors, and every answer is filled.

The notebook is read as JSON (nothing in it is executed). An inline answer follows the course's
marker `$\\color{blue}{\\textit{Your Answer:}}$` (also written `\\textit Your Answer:`), and
Inline Question 4 has a second one, `Your Explanation:`. The empty prompt is the marker alone or
followed by `*fill this in*`; an answer counts as filled when, once that placeholder and markup
are removed, some word remains before the next marker or the end of the cell.
"""

import json
import re

from .results import TestResult
from .unpack import NOTEBOOK

MARKER = re.compile(
    r"(\$\s*\\color\s*\{\s*blue\s*\}\s*\{\s*\\textit\s*\{?\s*)?"
    r"Your\s+(Answer|Explanation)\s*:\s*(\}\s*)*\$?"
)
QUESTION = re.compile(r"Inline\s+Question\s*(\d+)", re.IGNORECASE)
PLACEHOLDER = re.compile(r"fill\s+this\s+in", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z0-9]")


def source_text(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_cells(path):
    """The notebook's list of cells, or raise ValueError saying what is wrong with the file."""
    try:
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{NOTEBOOK} is not a readable notebook ({err})") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise ValueError(f"{NOTEBOOK} has no list of cells: is it a Jupyter notebook?")
    return cells


def answers(text):
    """[(label, filled)] for each answer marker in a markdown cell's text."""
    found = list(MARKER.finditer(text))
    result = []
    for k, match in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        content = PLACEHOLDER.sub("", text[match.end() : end])
        result.append((match.group(2), bool(WORD.search(content))))
    return result


def grade_notebook(submission, points):
    """[no error outputs, every inline answer filled]."""
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

    code = [(k, c) for k, c in enumerate(cells) if c.get("cell_type") == "code"]
    executed = [k for k, c in code if c.get("execution_count") is not None]
    failures = []
    for k, cell in code:
        outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
        for out in outputs:
            if isinstance(out, dict) and out.get("output_type") == "error":
                failures.append(
                    f"cell {k + 1}: {out.get('ename', '?')}: {str(out.get('evalue', ''))[:200]}"
                )
    if not executed:
        errors_test.award(
            0,
            "the notebook was not run (no code cell has an execution count): "
            "run every cell, then save it before collecting the submission",
        )
    elif failures:
        errors_test.award(0, f"{len(failures)} cell(s) ended with an error:", *failures[:3])
    else:
        errors_test.award(1, f"{len(executed)} of {len(code)} code cells run, no error output")

    questions, blank, lines = 0, 0, []
    for cell in cells:
        text = source_text(cell)
        match = QUESTION.search(text)
        if cell.get("cell_type") != "markdown" or not match:
            continue
        questions += 1
        found = answers(text)
        empty = [label for label, filled in found if not filled]
        if not found:
            lines.append(f"Inline Question {match.group(1)}: no 'Your Answer:' in its cell")
        lines += [f"Inline Question {match.group(1)}: 'Your {label}:' is empty" for label in empty]
        blank += bool(empty or not found)
    if questions == 0:
        answers_test.award(0, "no inline question found in the notebook")
    else:
        answers_test.award(
            (questions - blank) / questions,
            f"{questions - blank} of {questions} inline questions answered",
            *lines,
        )
    return [errors_test, answers_test]
