"""The submission PDF of the real worksheet, rendered by collectSubmission.sh and read back.

The script runs once, in a copy of the project (the committed softmax.ipynb, the package's .py
files and the two weight files), with the PDF tools of this machine: xelatex + pandoc if both are
there, else headless Chromium. Its text, extracted by pdftotext with the page layout kept, must
hold every line of every code cell and of every printed output whole: a line cut at the right
margin loses its end, and the one-line search for it fails (48 lines did before the print
layout wrapped them); and every printed word must stay whole (no break inside a number).
Skipped, with the reason, where the tools are absent; .ci/install_pdf_tools.sh installs
Chromium, libjs-mathjax and poppler-utils (pdftotext) in CI.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cs231n.submission import INLINE_PDF, WEIGHTS

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "softmax.ipynb"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js")
HAVE_LATEX = shutil.which("xelatex") is not None and shutil.which("pandoc") is not None
HAVE_CHROMIUM = any(shutil.which(name) for name in CHROMIUM_NAMES)

pytestmark = [
    pytest.mark.skipif(
        not (HAVE_LATEX or HAVE_CHROMIUM),
        reason="no PDF tool (Chromium, or xelatex and pandoc); see .ci/install_pdf_tools.sh",
    ),
    pytest.mark.skipif(
        shutil.which("pdftotext") is None,
        reason="pdftotext is not installed (poppler-utils; see .ci/install_pdf_tools.sh)",
    ),
    pytest.mark.skipif(
        not (Path(sys.prefix) / "bin" / "jupyter").exists(),
        reason=f"jupyter is not installed in the environment running the tests ({sys.prefix})",
    ),
    pytest.mark.skipif(
        not all((REPO / name).exists() for name in WEIGHTS),
        reason="the exported weights are missing (run the notebook: make run)",
    ),
]


def squeezed(text):
    """text without any whitespace: a line wrapped at the page width still matches itself."""
    return re.sub(r"\s+", "", text)


def copy_project(root):
    """Copy what collectSubmission.sh packs, and the script, into root; link .venv."""
    names = ["softmax.ipynb", "collectSubmission.sh", *WEIGHTS]
    for path in (REPO / "cs231n").rglob("*.py"):
        if "__pycache__" not in path.parts:
            names.append(str(path.relative_to(REPO)))
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    (root / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """(the script's run, the PDF's text with its layout, the pdftotext -bbox page) of the copy.

    --force: this test is about rendering; whether the committed run is complete is not its
    concern.
    """
    root = copy_project(tmp_path_factory.mktemp("pdf") / "project")
    result = subprocess.run(
        ["bash", str(root / "collectSubmission.sh"), "--force"],
        cwd=root,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    pdf = root / INLINE_PDF
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return result, text, boxes


def cells(cell_type):
    with open(NOTEBOOK, encoding="utf-8") as f:
        notebook = json.load(f)
    for cell in notebook["cells"]:
        if cell["cell_type"] == cell_type:
            source = cell["source"]
            yield ("".join(source) if isinstance(source, list) else source), cell


def code_lines():
    return [
        line for source, _ in cells("code") for line in source.splitlines() if line.strip()
    ]


def printed_lines():
    lines = []
    for _, cell in cells("code"):
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text = output["text"]
                text = "".join(text) if isinstance(text, list) else text
                lines.extend(line for line in text.splitlines() if line.strip())
    return lines


@pytest.mark.parametrize(("kind", "lines"), [("code", code_lines), ("output", printed_lines)])
def test_every_line_appears_whole(rendered, kind, lines):
    _, text, _ = rendered
    lines = lines()
    assert len(lines) > 50
    missing = [line for line in lines if squeezed(line) not in squeezed(text)]
    assert not missing, f"{len(missing)} of {len(lines)} {kind} lines cut or lost: {missing[:5]}"


def test_printed_lines_break_between_words(rendered):
    _, text, _ = rendered
    words = set(text.split())
    split = sorted({word for line in printed_lines() for word in line.split()} - words)
    assert not split, f"printed words broken across lines: {split[:10]}"


def test_no_word_runs_past_the_page(rendered):
    _, _, boxes = rendered
    widths = {float(w) for w in re.findall(r'<page width="([0-9.]+)"', boxes)}
    right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes)]
    assert len(widths) == 1 and right_edges
    assert max(right_edges) <= widths.pop()


def test_progress_bars_show_their_final_state(rendered):
    _, text, _ = rendered
    bar = re.compile(r"(\d+)%\|")
    if not any(bar.search(line) for line in printed_lines()):
        pytest.skip("the saved notebook shows no progress bar")
    shown = [int(match) for line in text.splitlines() for match in bar.findall(line)]
    assert shown and set(shown) == {100}, shown


@pytest.mark.skipif(
    not HAVE_LATEX and not LOCAL_MATHJAX.exists(),
    reason="Chromium without a local MathJax (libjs-mathjax) shows formulas as TeX source",
)
def test_formulas_are_typeset(rendered):
    _, text, _ = rendered
    commands = {
        command
        for source, _ in cells("markdown")
        for command in re.findall(r"\\[a-zA-Z]{2,}", source)
    }
    assert commands, "the notebook's markdown has no TeX commands to check"
    shown = sorted(command for command in commands if command in text)
    assert not shown, f"TeX source in the PDF: {shown}"
