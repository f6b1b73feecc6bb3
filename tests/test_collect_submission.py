"""Tests for collectSubmission.sh, each run in a throwaway fake project.

Every test builds its own small project tree: a worksheet notebook made with nbformat, tiny .npy
weights, a few .py files, and files that must stay out of the zip (tests/, benchmarks/,
__pycache__/, hidden directories, a stray venv/, other files of cs231n/saved/, the CIFAR-10
batches). The script is copied into it and run with bash (or sh), with ``.venv`` linked to the
environment running these tests (for its python and jupyter).

The PDF tools are hidden from most runs by a PATH made of links to every program on the real PATH
except xelatex, pandoc and Chromium. Runs that must get past the PDF step put a stand-in
``chromium`` first on that PATH: it writes a small PDF and records how it was called. The real
PDF tests use the real tools and are skipped where they are not installed.
"""

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import matplotlib.image
import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "collectSubmission.sh"
CODE_ZIP = "a1_code_submission.zip"
INLINE_PDF = "a1_inline_submission.pdf"
RUN_TIMEOUT_S = 240

REQUIRED_FILES = [
    "softmax.ipynb",
    "cs231n/classifiers/softmax.py",
    "cs231n/classifiers/linear_classifier.py",
    "cs231n/saved/softmax.npy",
    "cs231n/saved/best_softmax.npy",
]
# Files of the fake project that belong in the zip, beyond the notebook and the two weights.
OTHER_SUBMITTED_FILES = {
    "cs231n/__init__.py": '"""Fake cs231n package."""\n',
    "cs231n/classifiers/__init__.py": "from .softmax import softmax_loss\n",
    "cs231n/classifiers/softmax.py": "def softmax_loss(W, X, y, reg):\n    return 0.0, W\n",
    "cs231n/classifiers/linear_classifier.py": "class LinearClassifier:\n    pass\n",
    "cs231n/data_utils.py": "def load_CIFAR10(root):\n    return root\n",
    "cs231n/datasets/fetch.py": "URL = 'cifar-10-python.tar.gz'\n",
    # The names the script reads: the real file, their one home.
    "cs231n/submission.py": (REPO / "cs231n" / "submission.py").read_text(),
}
# Files of the fake project that must stay out of the zip.
LEFT_OUT_FILES = {
    "tests/test_softmax.py": "def test_nothing():\n    pass\n",
    "tests/conftest.py": "",
    "benchmarks/bench_loss.py": "print('median')\n",
    "cs231n/__pycache__/softmax.cpython-311.pyc": "not really bytecode",
    "cs231n/classifiers/__pycache__/softmax.cpython-311.py": "",
    "cs231n/datasets/cifar-10-batches-py/data_batch_1": "pixels",
    "cs231n/datasets/get_datasets.sh": "echo fetch\n",
    "cs231n/saved/.gitkeep": "",
    ".git/hooks/pre-commit.py": "",
    ".ipynb_checkpoints/softmax-checkpoint.ipynb": "{}",
    "cs231n/.ipynb_checkpoints/softmax-checkpoint.py": "",
    "README.md": "# Fake project\n",
    "run_experiment.py": "print('only the package is submitted')\n",
    "venv/lib/python3.11/site-packages/six.py": "a stray virtual environment\n",
    "venv/bin/activate": "",
    "cs231n/saved/old_softmax.npy": "an older export",
    "cs231n/saved/notes.txt": "not a weight file",
    "requirements.txt": "numpy\n",
}
EXPECTED_ZIP_MEMBERS = sorted(
    {"softmax.ipynb", "cs231n/saved/softmax.npy", "cs231n/saved/best_softmax.npy"}
    | set(OTHER_SUBMITTED_FILES)
)
LINKED_FOLDER = "cs231n/linked"
HEADING = "Softmax worksheet"
CODE_LINE = "print('loss:', round(loss, 6))"
PRINTED = "loss: 2.302585"

PDF_TOOLS = (
    "xelatex",
    "pandoc",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
LATEX_APT = "texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc"
VENV = Path(sys.prefix)
needs_jupyter = pytest.mark.skipif(
    not (VENV / "bin" / "jupyter").exists(),
    reason=f"jupyter is not installed in the environment running the tests ({VENV})",
)


def png_base64():
    """A 48x32 PNG with a horizontal gradient, base64 as a plotting cell's output carries it."""
    ramp = np.linspace(0, 255, 48, dtype=np.uint8)  # (48,)
    pixels = np.stack([np.tile(ramp, (32, 1))] * 3, axis=-1)  # (32, 48, 3)
    pixels[:, :, 2] = 255 - pixels[:, :, 2]
    buffer = io.BytesIO()
    matplotlib.image.imsave(buffer, pixels, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def write_notebook(path, with_outputs, extra_cells=()):
    """Write a small worksheet: markdown with a formula, a printing cell and a plotting cell.

    extra_cells are appended after them (their ids must be set).
    """
    markdown = new_markdown_cell(
        f"# {HEADING}\n\nThe loss is $L = \\frac{{1}}{{N}}\\sum_i L_i$.\n\n"
        "**Inline question**: why?"
    )
    printing = new_code_cell(f"loss = 2.302585\n{CODE_LINE}")
    plotting = new_code_cell("plt.imshow(ramp)")
    if with_outputs:
        printing.execution_count = 1
        printing.outputs = [new_output("stream", name="stdout", text=PRINTED + "\n")]
        plotting.execution_count = 2
        plotting.outputs = [
            new_output(
                "display_data",
                data={"image/png": png_base64(), "text/plain": "<Figure size 48x32>"},
            )
        ]
    # Fixed cell ids: nbformat would draw random ones, and the zip bytes would differ per run.
    for cell_id, cell in zip(("heading", "printing", "plotting"), (markdown, printing, plotting)):
        cell.id = cell_id
    notebook = new_notebook(
        cells=[markdown, printing, plotting, *extra_cells],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, str(path))


def make_project(root, with_outputs=True, extra_cells=()):
    """Build the fake project under root, with the script and a .venv link; return root."""
    files = {**OTHER_SUBMITTED_FILES, **LEFT_OUT_FILES}
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    write_notebook(root / "softmax.ipynb", with_outputs, extra_cells)
    rng = np.random.default_rng(231)
    np.save(root / "cs231n/saved/softmax.npy", rng.standard_normal((5, 3)))
    np.save(root / "cs231n/saved/best_softmax.npy", rng.standard_normal((5, 3)))
    # A symlinked folder inside the package (as the data folder may be) is never entered.
    outside = root.parent / "outside_package"
    outside.mkdir(exist_ok=True)
    (outside / "secret.py").write_text("SECRET = 'outside the project'\n")
    (root / LINKED_FOLDER).symlink_to(outside, target_is_directory=True)
    shutil.copy(SCRIPT, root / "collectSubmission.sh")
    (root / ".venv").symlink_to(VENV, target_is_directory=True)
    return root


def path_without(bin_dir, hidden):
    """Fill bin_dir with links to every program on PATH except those named in hidden."""
    bin_dir.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            link = bin_dir / entry.name
            if entry.name in hidden or link.is_symlink() or entry.is_dir():
                continue
            if os.access(entry.path, os.X_OK):
                link.symlink_to(entry.path)
    return str(bin_dir)


def stub_chromium(stub_dir, record_dir, fails=False):
    """Write a stand-in `chromium` that records its arguments and the page, and prints a PDF.

    With fails, it exits 1 after recording, having printed nothing.
    """
    stub_dir.mkdir()
    stub = stub_dir / "chromium"
    stub.write_text(
        f"#!{sys.executable}\n"
        "import json, pathlib, sys\n"
        f"record = pathlib.Path({str(record_dir)!r})\n"
        "record.mkdir(exist_ok=True)\n"
        "(record / 'argv.json').write_text(json.dumps(sys.argv[1:]))\n"
        "page = pathlib.Path(sys.argv[-1].removeprefix('file://'))\n"
        "(record / 'page.html').write_bytes(page.read_bytes())\n"
        f"if {fails}:\n"
        "    sys.exit('stand-in chromium: failing on purpose')\n"
        "pdf = next(a for a in sys.argv if a.startswith('--print-to-pdf='))\n"
        "pathlib.Path(pdf.split('=', 1)[1]).write_bytes(b'%PDF-1.4\\n% stand-in\\n')\n"
    )
    stub.chmod(0o755)
    return str(stub_dir)


def run_script(root, path, *args, shell="bash"):
    """Run the project's collectSubmission.sh with the given PATH, from another directory."""
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        [shell, str(root / "collectSubmission.sh"), *args],
        cwd=root.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def zip_names(path):
    with zipfile.ZipFile(path) as archive:
        return sorted(archive.namelist())


@pytest.fixture(scope="session")
def tool_free_path(tmp_path_factory):
    """PATH with no xelatex, pandoc or Chromium."""
    return path_without(tmp_path_factory.mktemp("tool-free") / "bin", set(PDF_TOOLS))


@pytest.fixture(scope="session")
def stub_path(tmp_path_factory, tool_free_path):
    """PATH whose only PDF tool is the stand-in chromium."""
    base = tmp_path_factory.mktemp("stub")
    return stub_chromium(base / "bin", base / "record") + os.pathsep + tool_free_path


@pytest.fixture(scope="module")
def collected(tmp_path_factory, tool_free_path):
    """A complete project collected through a stand-in chromium of its own.

    Returns (project root, the finished run, the directory of the stand-in's records).
    """
    base = tmp_path_factory.mktemp("collected")
    record_dir = base / "record"
    path = stub_chromium(base / "bin", record_dir) + os.pathsep + tool_free_path
    root = make_project(base / "project")
    result = run_script(root, path)
    assert result.returncode == 0, result.stderr
    return root, result, record_dir


@needs_jupyter
def test_zip_holds_exactly_the_submission_files(collected):
    root, _, _ = collected
    names = zip_names(root / CODE_ZIP)
    assert names == EXPECTED_ZIP_MEMBERS
    assert not set(names) & set(LEFT_OUT_FILES)
    assert not any(name.startswith(".venv") for name in names)


@needs_jupyter
def test_zip_members_are_the_project_files_unchanged(collected):
    root, _, _ = collected
    with zipfile.ZipFile(root / CODE_ZIP) as archive:
        assert archive.testzip() is None
        for name in EXPECTED_ZIP_MEMBERS:
            assert archive.read(name) == (root / name).read_bytes(), name
        for name in ("cs231n/saved/softmax.npy", "cs231n/saved/best_softmax.npy"):
            weights = np.load(io.BytesIO(archive.read(name)))
            np.testing.assert_array_equal(weights, np.load(root / name))


@needs_jupyter
def test_script_reports_each_file_and_size(collected):
    root, result, _ = collected
    zip_size = (root / CODE_ZIP).stat().st_size
    pdf_size = (root / INLINE_PDF).stat().st_size
    assert (
        f"wrote {CODE_ZIP}: {len(EXPECTED_ZIP_MEMBERS)} files, {zip_size:,} bytes" in result.stdout
    )
    for name in EXPECTED_ZIP_MEMBERS:
        assert f"{(root / name).stat().st_size:,}  {name}\n" in result.stdout
    assert f"wrote {INLINE_PDF} (via chromium): {pdf_size} bytes" in result.stdout
    assert f"(not entered, a symlink: {LINKED_FOLDER})" in result.stdout
    assert "no outputs" not in result.stderr


@needs_jupyter
def test_chromium_fallback_prints_the_notebook_html_offline(collected):
    root, result, record_dir = collected
    argv = json.loads((record_dir / "argv.json").read_text())
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        assert flag in argv
    assert any(arg.startswith("--user-data-dir=") for arg in argv)
    assert argv[-1].startswith("file://") and argv[-1].endswith(".html")
    page = (record_dir / "page.html").read_text()
    assert HEADING in page and PRINTED in page and "data:image/png;base64," in page
    assert (root / INLINE_PDF).read_bytes() == b"%PDF-1.4\n% stand-in\n"
    assert "xelatex" in result.stderr and "pandoc" in result.stderr


@needs_jupyter
def test_zip_bytes_do_not_depend_on_file_times(collected, tmp_path, stub_path):
    first_root, _, _ = collected
    root = make_project(tmp_path / "project")
    for file in root.rglob("*"):
        if file.is_file() and not file.is_symlink():
            os.utime(file, (1_000_000_000, 1_000_000_000))
    result = run_script(root, stub_path)
    assert result.returncode == 0, result.stderr
    assert (root / CODE_ZIP).read_bytes() == (first_root / CODE_ZIP).read_bytes()


def error_cell():
    """An executed code cell whose output is an error, as a failed cell saves it."""
    cell = new_code_cell("weights = np.load('missing.npy')\nprint(weights)")
    cell.id = "failing"
    cell.execution_count = 3
    cell.outputs = [
        new_output(
            "error",
            ename="FileNotFoundError",
            evalue="[Errno 2] No such file or directory: 'missing.npy'",
            traceback=["FileNotFoundError: ..."],
        )
    ]
    return cell


def unrun_cell():
    """A code cell that was never executed."""
    cell = new_code_cell("\n# Visualize the learned weights.\nshow_templates(W)")
    cell.id = "unrun"
    return cell


def write_previous_outputs(root):
    """Outputs of an earlier run, which a new run must replace or remove."""
    (root / CODE_ZIP).write_bytes(b"an earlier zip")
    (root / INLINE_PDF).write_bytes(b"%PDF-1.4 an earlier pdf")


def outputs_absent(root):
    """True if neither output nor the script's temporary folder is in root."""
    leftovers = list(root.glob(".collectSubmission.*"))
    return not (root / CODE_ZIP).exists() and not (root / INLINE_PDF).exists() and not leftovers


@needs_jupyter
def test_notebook_not_run_is_refused_naming_every_code_cell(tmp_path, stub_path):
    root = make_project(tmp_path / "project", with_outputs=False)
    result = run_script(root, stub_path)
    assert result.returncode != 0
    assert "error: softmax.ipynb is not a finished run; 2 code cell(s)" in result.stderr
    assert "  cell 2 was not run: loss = 2.302585\n" in result.stderr
    assert "  cell 3 was not run: plt.imshow(ramp)\n" in result.stderr
    assert "bash collectSubmission.sh --force" in result.stderr
    assert outputs_absent(root)


@needs_jupyter
@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        (
            error_cell,
            # The error is cut to 60 characters.
            "  cell 4 has an error output (FileNotFoundError: [Errno 2] No such file or "
            "directory: '...): weights = np.load('missing.npy')\n",
        ),
        (unrun_cell, "  cell 4 was not run: # Visualize the learned weights.\n"),
    ],
)
def test_one_bad_cell_is_refused_by_index_and_first_line(tmp_path, stub_path, cell, problem):
    root = make_project(tmp_path / "project", extra_cells=[cell()])
    result = run_script(root, stub_path)
    assert result.returncode != 0
    assert "is not a finished run; 1 code cell(s)" in result.stderr
    assert problem in result.stderr
    assert "cell 2" not in result.stderr and "cell 3" not in result.stderr
    assert outputs_absent(root)


@needs_jupyter
def test_force_collects_a_notebook_with_bad_cells_warning(tmp_path, stub_path):
    root = make_project(tmp_path / "project", extra_cells=[error_cell(), unrun_cell()])
    result = run_script(root, stub_path, "--force")
    assert result.returncode == 0, result.stderr
    assert "warning: softmax.ipynb is not a finished run; 2 code cell(s)" in result.stderr
    assert "cell 4 has an error output" in result.stderr
    assert "cell 5 was not run" in result.stderr
    assert zip_names(root / CODE_ZIP) == EXPECTED_ZIP_MEMBERS
    assert (root / INLINE_PDF).exists()


def test_unknown_argument_is_refused(tmp_path, tool_free_path):
    root = make_project(tmp_path / "project")
    result = run_script(root, tool_free_path, "--forse")
    assert result.returncode == 2
    assert "unknown argument: --forse" in result.stderr
    assert "usage: bash collectSubmission.sh [--force]" in result.stderr


@needs_jupyter
@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh on PATH")
def test_runs_under_sh_and_replaces_both_earlier_outputs(collected, tmp_path, stub_path):
    first_root, _, _ = collected
    root = make_project(tmp_path / "project")
    write_previous_outputs(root)
    result = run_script(root, stub_path, shell="sh")
    assert result.returncode == 0, result.stderr
    assert "pipefail" not in result.stderr
    assert (root / CODE_ZIP).read_bytes() == (first_root / CODE_ZIP).read_bytes()
    assert (root / INLINE_PDF).read_bytes() == b"%PDF-1.4\n% stand-in\n"
    assert not list(root.glob(".collectSubmission.*"))


@needs_jupyter
@pytest.mark.parametrize(
    "linked",
    ["cs231n/classifiers/softmax.py", "cs231n/extra.py", "cs231n/saved/best_softmax.npy"],
)
def test_symlinked_file_is_refused_and_never_read(tmp_path, stub_path, linked):
    root = make_project(tmp_path / "project")
    outside = tmp_path / "outside_secret.txt"
    outside.write_text("SECRET contents of a file outside the project\n")
    (root / linked).unlink(missing_ok=True)
    (root / linked).symlink_to(outside)
    result = run_script(root, stub_path)
    assert result.returncode != 0
    assert "never follows symlinks" in result.stderr
    assert f"  {linked}: {linked} is a symlink to {outside}\n" in result.stderr
    assert outputs_absent(root)


@needs_jupyter
def test_failed_pdf_leaves_neither_output(tmp_path, tool_free_path):
    root = make_project(tmp_path / "project")
    write_previous_outputs(root)
    failing = stub_chromium(tmp_path / "bin", tmp_path / "record", fails=True)
    result = run_script(root, failing + os.pathsep + tool_free_path)
    assert result.returncode != 0
    assert "failing on purpose" in result.stderr
    assert f"removed the earlier {CODE_ZIP} (it is not current)" in result.stderr
    assert f"removed the earlier {INLINE_PDF} (it is not current)" in result.stderr
    assert outputs_absent(root)


@needs_jupyter
def test_refused_notebook_removes_earlier_outputs(tmp_path, stub_path):
    root = make_project(tmp_path / "project", extra_cells=[unrun_cell()])
    write_previous_outputs(root)
    result = run_script(root, stub_path)
    assert result.returncode != 0
    assert outputs_absent(root)


@needs_jupyter
def test_chromium_page_wraps_long_lines(collected):
    _, _, record_dir = collected
    page = (record_dir / "page.html").read_text()
    style = page[: page.index("</head>")]
    print_css = style[style.rindex("<style>") :]
    assert "white-space: pre-wrap !important" in print_css
    assert "word-break: normal !important" in print_css
    assert "overflow-wrap: anywhere !important" in print_css


@pytest.mark.parametrize("missing", REQUIRED_FILES)
def test_each_missing_required_file_is_named_and_fails(tmp_path, tool_free_path, missing):
    root = make_project(tmp_path / "project")
    (root / missing).unlink()
    result = run_script(root, tool_free_path)
    assert result.returncode != 0
    assert "error: 1 file(s) of the submission not found" in result.stderr
    assert f"\n  {missing} (" in result.stderr
    for present in set(REQUIRED_FILES) - {missing}:
        assert f"  {present} (" not in result.stderr
    # What to fix, and how to hand in anyway.
    assert "Kernel > Restart & Run All" in result.stderr
    assert "bash collectSubmission.sh --force" in result.stderr
    assert not (root / CODE_ZIP).exists() and not (root / INLINE_PDF).exists()


def test_all_missing_required_files_are_named(tmp_path, tool_free_path):
    root = make_project(tmp_path / "project")
    for name in REQUIRED_FILES:
        (root / name).unlink()
    result = run_script(root, tool_free_path)
    assert result.returncode != 0
    for name in REQUIRED_FILES:
        assert f"\n  {name} (" in result.stderr
    assert "5 file(s) of the submission not found" in result.stderr
    assert "the notebook saves it when its cell runs" in result.stderr


def test_names_come_from_cs231n_submission(tmp_path, tool_free_path):
    """The script reads its file names from cs231n/submission.py, their one home."""
    root = make_project(tmp_path / "project")
    names = root / "cs231n" / "submission.py"
    names.write_text(names.read_text().replace('"cs231n/saved/best_softmax.npy"', '"other.npy"'))
    result = run_script(root, tool_free_path)
    assert "\n  other.npy (" in result.stderr and "best_softmax.npy (" not in result.stderr
    names.unlink()
    result = run_script(root, tool_free_path)
    assert result.returncode != 0 and "cs231n/submission.py not found" in result.stderr


@needs_jupyter
def test_force_packs_partial_work_without_weights(tmp_path, stub_path):
    """Partial credit: --force hands in what exists and lists what is missing or wrong."""
    root = make_project(tmp_path / "project", extra_cells=[error_cell()])
    for name in ("cs231n/saved/softmax.npy", "cs231n/saved/best_softmax.npy"):
        (root / name).unlink()
    result = run_script(root, stub_path, "--force")
    assert result.returncode == 0, result.stderr
    assert "warning: 2 file(s) of the submission not found" in result.stderr
    expected = set(EXPECTED_ZIP_MEMBERS) - {
        "cs231n/saved/softmax.npy",
        "cs231n/saved/best_softmax.npy",
    }
    assert zip_names(root / CODE_ZIP) == sorted(expected)
    assert (root / INLINE_PDF).exists()
    header = "Handed in as it is (--force), with 3 problem(s)"
    summary = result.stdout[result.stdout.index(header) :]
    assert "  missing: cs231n/saved/softmax.npy\n" in summary
    assert "  missing: cs231n/saved/best_softmax.npy\n" in summary
    assert "  cell 4 has an error output (FileNotFoundError" in summary


@needs_jupyter
def test_force_without_a_notebook_packs_the_code_alone(tmp_path, tool_free_path):
    """No notebook: no PDF can be made, and none is needed to hand in the code."""
    root = make_project(tmp_path / "project")
    (root / "softmax.ipynb").unlink()
    result = run_script(root, tool_free_path, "--force")
    assert result.returncode == 0, result.stderr
    assert "softmax.ipynb" not in zip_names(root / CODE_ZIP)
    assert "cs231n/saved/best_softmax.npy" in zip_names(root / CODE_ZIP)
    assert not (root / INLINE_PDF).exists()
    assert "  missing: softmax.ipynb\n" in result.stdout


@needs_jupyter
def test_no_pdf_tool_fails_listing_apt_packages(tmp_path, tool_free_path):
    root = make_project(tmp_path / "project")
    result = run_script(root, tool_free_path)
    assert result.returncode != 0
    assert f"apt-get install --no-install-recommends {LATEX_APT}\n" in result.stderr
    assert "apt-get install --no-install-recommends chromium" in result.stderr
    assert not (root / CODE_ZIP).exists() and not (root / INLINE_PDF).exists()


def test_no_jupyter_fails_saying_so(tmp_path):
    root = make_project(tmp_path / "project")
    (root / ".venv").unlink()
    path = path_without(tmp_path / "bin", set(PDF_TOOLS) | {"jupyter"})
    if shutil.which("python3", path=path) is None:
        pytest.skip("no python3 on PATH outside a venv for the script's notebook check")
    result = run_script(root, path)
    assert result.returncode != 0
    assert "jupyter not found: expected .venv/bin/jupyter" in result.stderr
    assert not (root / CODE_ZIP).exists()


def pdf_text(path):
    """The PDF's text by pdftotext, or None where poppler-utils is not installed."""
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_image_count(path):
    """How many images the PDF embeds, by pdfimages, or None where it is not installed."""
    if shutil.which("pdfimages") is None:
        return None
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(listing.splitlines()) - 2  # two header lines


HAVE_LATEX = shutil.which("xelatex") is not None and shutil.which("pandoc") is not None
HAVE_CHROMIUM = any(shutil.which(name) for name in PDF_TOOLS[2:])
HAVE_MATHJAX = Path("/usr/share/javascript/mathjax/MathJax.js").exists()


@needs_jupyter
@pytest.mark.parametrize(
    "route",
    [
        pytest.param(
            "latex",
            marks=pytest.mark.skipif(
                not HAVE_LATEX,
                reason="xelatex and pandoc are not installed (see .ci/install_pdf_tools.sh)",
            ),
        ),
        pytest.param(
            "chromium",
            marks=pytest.mark.skipif(
                not HAVE_CHROMIUM, reason="Chromium is not installed (see .ci/install_pdf_tools.sh)"
            ),
        ),
    ],
)
def test_real_pdf_shows_the_notebook(tmp_path, route):
    root = make_project(tmp_path / "project")
    path = os.environ["PATH"]
    if route == "chromium":
        path = path_without(tmp_path / "bin", {"xelatex", "pandoc"})
    result = run_script(root, path)
    assert result.returncode == 0, result.stderr
    assert f"(via {route})" in result.stdout
    pdf = (root / INLINE_PDF).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5_000
    text = pdf_text(root / INLINE_PDF)
    if text is not None:
        assert HEADING in text and PRINTED in text and "round(loss, 6)" in text
        if route == "latex" or HAVE_MATHJAX:
            assert "\\frac" not in text, "the formula was not typeset"
    images = pdf_image_count(root / INLINE_PDF)
    if images is not None:
        assert images >= 1
