"""The student release built from this repository (`make release`, cs231n_staff/release.py).

Checked, in this order:

- the transformation: each marker block becomes one `pass`; unpaired markers are refused;
- what ships: the inclusion list and nothing else (no engine, no staff tools, no tests, no
  developer settings, no bytecode, no data, no weights), and no answer anywhere in it;
- the README and every shipped script suggest only commands that exist in the release and run
  from a plain shell;
- as shipped, the notebook runs until the first unfinished TODO and fails there;
- completed the course's way (answers written for this test, the course's double loop in the
  search cell), the notebook runs without an error, collectSubmission.sh packs it and the grader
  gives it full marks; with each of three typical bugs the notebook shows a signal and
  `collectSubmission.sh --force` still hands the work in.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cs231n.submission import (
    CODE_ZIP,
    EMPTY_ANSWER,
    END_MARKER,
    NOTEBOOK,
    SOLUTION_TAG,
    START_MARKER,
    STUB,
    STUDENT_FILES,
)
from cs231n_staff.grade import GROUPS, grade
from cs231n_staff.grade.notebook import answers
from cs231n_staff.release import (
    SHIPPED,
    STUDENT_README,
    ReleaseError,
    block_lines,
    build_release,
    solution_blocks,
    strip_solutions,
)

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.prefix)
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
# Lines made of keywords and punctuation only (`else:`, `pass`, brackets) say nothing.
TRIVIAL = re.compile(r"^(else:|pass|break|continue|try:|[()\[\]{}:,]*)$")

# What gives an answer away, and how often the course's own 2025 starter files have it (the
# naive loss comes pre-filled, with its np.exp). Any other occurrence in a shipped Python file or
# notebook code cell is an answer.
ANSWER_CODE = {
    "np.exp": {"cs231n/classifiers/softmax.py": 1},
    ".T @": {},
    ".T.dot(": {},
    "np.maximum(0": {},  # the SVM's hinge
}
# A gradient formula in a docstring, a comment or the notebook's markdown.
GRADIENT_FORMULA = re.compile(
    r"X\^T|X\^\{?\\top|X\.T\b|\bP\s*-\s*Y\b|dL\s*/\s*dW|\\partial\s*L|\\nabla|log-sum-exp"
)
# A `make` command, which the release (it has no Makefile) cannot run.
MAKE_COMMAND = re.compile(r"\bmake\s+(data|run|setup|test|submit|release|lint|bench)\b")
# `python`/`jupyter` without the .venv/bin/ prefix: needs an activated venv.
BARE_TOOL = re.compile(r"(?<![/\w.-])(python3?\s+-m|jupyter\s+notebook)\b")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    dest = tmp_path_factory.mktemp("dist") / "assignment1-softmax"
    build_release(dest)
    return dest


def shipped_files(release):
    return sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())


def cell_sources(path, kind):
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == kind]


def shipped_texts(release):
    """{(file, part): text} for every text file, the notebook split into code and markdown."""
    texts = {}
    for name in shipped_files(release):
        try:
            text = (release / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if name.endswith(".ipynb"):
            texts[(name, "code")] = "\n".join(cell_sources(release / name, "code"))
            texts[(name, "markdown")] = "\n".join(cell_sources(release / name, "markdown"))
        else:
            texts[(name, "text")] = text
    return texts


# --- the transformation -----------------------------------------------------------------------

SAMPLE = f"""\
def f(x):
    y = None
    # TODO: compute y
    {START_MARKER}
    y = x + 1
    z = y * 2
    {END_MARKER}
    return y


class A:
    def g(self):
        for k in range(2):
            {START_MARKER}
            self.k = k
            {END_MARKER}
"""


def test_each_block_becomes_one_stub_at_the_markers_indent():
    stripped = strip_solutions(SAMPLE)
    assert stripped == (
        "def f(x):\n    y = None\n    # TODO: compute y\n    pass\n    return y\n\n\n"
        "class A:\n    def g(self):\n        for k in range(2):\n            pass\n"
    )
    assert STUB == "pass"
    namespace = {}
    exec(compile(stripped, "<stripped>", "exec"), namespace)
    assert namespace["f"](1) is None
    assert block_lines(SAMPLE) == ["    y = x + 1", "    z = y * 2", "            self.k = k"]


@pytest.mark.parametrize(
    "text, message",
    [
        (f"{START_MARKER}\nx = 1\n", "START marker without an END"),
        (f"x = 1\n{END_MARKER}\n", "END marker without a START"),
        (f"{START_MARKER}\n{START_MARKER}\n{END_MARKER}\n", "START marker inside the block"),
    ],
)
def test_unpaired_markers_are_refused(text, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(text, "f.py")


def test_a_student_file_without_markers_is_refused(tmp_path):
    repo = tmp_path / "repo"
    for name in [*STUDENT_FILES, NOTEBOOK, "cs231n/saved/.gitkeep"]:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, repo / name)
    (repo / STUDENT_FILES[0]).write_text("def softmax_loss_naive(W, X, y, reg):\n    return 0\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    with pytest.raises(ReleaseError, match=f"{STUDENT_FILES[0]}: no START/END markers"):
        build_release(tmp_path / "dest", repo=repo)
    assert not (tmp_path / "dest").exists()


def test_an_unrelated_folder_is_never_replaced(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ReleaseError, match="not a release built before"):
        build_release(tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


# --- what ships -------------------------------------------------------------------------------


def test_release_is_the_inclusion_list_and_nothing_else(release):
    files = shipped_files(release)
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    package = [f for f in tracked if f.startswith("cs231n/") and not f.startswith("cs231n/saved/")]
    expected = {*package, "cs231n/saved/.gitkeep", *(s for s in SHIPPED if not s.endswith("/"))}
    assert set(files) == expected | {"README.md"}
    for name in files:
        assert name == "README.md" or name.startswith("cs231n/") or name in SHIPPED
        assert "__pycache__" not in name and not name.endswith(".pyc")
        assert "cifar-10-batches-py" not in name
    # No developer settings (pytest's testpaths without tests), no Makefile the README needs.
    assert "pyproject.toml" not in files and "Makefile" not in files
    assert (release / "README.md").read_text() == STUDENT_README
    # The engine and the staff tools are not imported by anything that ships.
    for (name, _), text in shipped_texts(release).items():
        for package in ("cs231n_search", "cs231n_staff"):
            lines = [line.strip() for line in text.splitlines() if package in line]
            assert not lines, f"{name}: " + "\n".join(lines)


def test_the_release_imports_on_its_own(release):
    """The release's modules import from the release, and load no engine or staff module."""
    probe = f"""
import sys
sys.path.insert(0, {str(release)!r})
import cs231n, cs231n.classifiers, cs231n.data_utils, cs231n.gradient_check, cs231n.datasets
import cs231n.submission
from cs231n.classifiers import Softmax, softmax_loss_naive, softmax_loss_vectorized
assert cs231n.__file__.startswith({str(release)!r}), cs231n.__file__
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("cs231n_search", "cs231n_staff"))
assert not loaded, loaded
"""
    proc = subprocess.run(
        [sys.executable, "-I", "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=release,
    )
    assert proc.returncode == 0, proc.stderr


def test_no_marker_and_no_line_of_a_solution_block_ships(release):
    texts = shipped_texts(release)
    released = {line.strip() for text in texts.values() for line in text.splitlines()}
    assert START_MARKER not in released and END_MARKER not in released
    # The lines of every block of the solution, except those the release has outside any block
    # (what the course's files themselves hold, e.g. the naive loss it pre-fills).
    solution_texts = {name: (ROOT / name).read_text() for name in STUDENT_FILES}
    solution_texts[NOTEBOOK] = "\n".join(cell_sources(ROOT / NOTEBOOK, "code"))
    outside = set()
    for text in solution_texts.values():
        lines = text.splitlines()
        inside = {k for s, e in solution_blocks(lines) for k in range(s, e + 1)}
        outside |= {line.strip() for k, line in enumerate(lines) if k not in inside}
    leaks = sorted(
        line.strip()
        for name, text in solution_texts.items()
        for line in block_lines(text, name)
        if line.strip() in released
        and line.strip() not in outside
        and not TRIVIAL.match(line.strip())
        and not line.strip().startswith("#")
    )
    assert not leaks, "\n".join(leaks)


def test_no_answer_code_ships(release):
    """No vectorized loss or gradient, no SVM hinge, beyond what the course's starter has."""
    found = []
    for (name, part), text in shipped_texts(release).items():
        if not (name.endswith(".py") or part == "code"):
            continue
        for pattern, course in ANSWER_CODE.items():
            count = text.count(pattern)
            if count > course.get(name, 0):
                found.append(f"{name}: {pattern!r} {count} times (course: {course.get(name, 0)})")
    assert not found, "\n".join(found)


def shipped_lines_matching(release, pattern):
    """["file (part): line"] of every shipped line that `pattern` finds something in."""
    return [
        f"{name} ({part}): {line.strip()}"
        for (name, part), text in shipped_texts(release).items()
        for line in text.splitlines()
        if pattern.search(line)
    ]


def test_no_gradient_formula_ships(release):
    found = shipped_lines_matching(release, GRADIENT_FORMULA)
    assert not found, "\n".join(found)


def test_notebook_answers_blank_no_solution_cell_no_outputs(release):
    solution = json.loads((ROOT / NOTEBOOK).read_text())
    student = json.loads((release / NOTEBOOK).read_text())
    nbformat.validate(nbformat.reads(json.dumps(student), as_version=4))
    marked = [c for c in student["cells"] if answers("".join(c["source"]))]
    kept = [c for c in solution["cells"] if SOLUTION_TAG not in c["metadata"].get("tags", [])]
    assert len(marked) == sum(1 for c in kept if answers("".join(c["source"])))
    assert len(marked) >= 4
    assert all(not filled for c in marked for _, filled in answers("".join(c["source"])))
    assert all(EMPTY_ANSWER in "".join(c["source"]) for c in marked)
    for cell in student["cells"]:
        assert SOLUTION_TAG not in cell["metadata"].get("tags", [])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


# --- the README and the commands every shipped file suggests ------------------------------------


def test_no_make_command_ships(release):
    """The release has no Makefile: no shipped file may suggest `make ...`."""
    make = shipped_lines_matching(release, MAKE_COMMAND)
    assert not make, "\n".join(make)


def test_no_suggested_command_needs_an_activated_venv(release):
    """What students read and run (README, scripts, notebook) says .venv/bin/python etc."""
    texts = shipped_texts(release)
    bare = [
        f"{name}: {line.strip()}"
        for (name, part), text in texts.items()
        if not name.endswith(".py")
        for line in text.splitlines()
        if BARE_TOOL.search(line)
    ]
    assert not bare, "\n".join(bare)


def test_every_suggested_script_module_and_file_is_in_the_release(release):
    suggested = set()
    for text in shipped_texts(release).values():
        suggested |= set(re.findall(r"\bbash ([\w/.-]+\.sh)\b", text))
        suggested |= {
            m.replace(".", "/") for m in re.findall(r"\.venv/bin/python -m (cs231n[\w.]*)", text)
        }
        suggested |= set(re.findall(r"\.venv/bin/python ([\w/.-]+\.py)\b", text))
    absent = [
        name
        for name in sorted(suggested)
        if not any((release / c).is_file() for c in (name, f"{name}.py", f"{name}/__main__.py"))
    ]
    assert {"setup_env.sh", "collectSubmission.sh", "cs231n/datasets"} <= suggested
    assert not absent, absent
    readme = (release / "README.md").read_text()
    assert "--allow-root" in readme and "--source" in readme


@pytest.fixture
def release_with_venv(release):
    """The release with .venv linked to this environment (its python and jupyter)."""
    link = release / ".venv"
    link.symlink_to(VENV, target_is_directory=True)
    yield release
    link.unlink()


def plain_shell(command, cwd, **env):
    """Run command with bash in cwd: nothing activated, no PYTHONPATH, the system PATH."""
    clean = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    clean["PATH"] = os.pathsep.join(
        p for p in clean.get("PATH", "").split(os.pathsep) if not p.startswith(str(VENV))
    )
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_readme_commands_run_from_a_plain_shell(release_with_venv, tmp_path):
    release = release_with_venv
    helped = plain_shell(".venv/bin/python -m cs231n.datasets --help", release)
    assert helped.returncode == 0, helped.stderr
    assert "--source" in helped.stdout
    # The offline route with a folder that is not CIFAR-10: refused, with a message, no traceback.
    (tmp_path / "not-cifar").mkdir()
    offline = plain_shell(
        f".venv/bin/python -m cs231n.datasets --source {tmp_path / 'not-cifar'} "
        f"--dest {tmp_path / 'dest'}",
        release,
    )
    assert offline.returncode != 0 and "Traceback" not in offline.stderr
    assert offline.stderr.strip(), "no message"
    notebook_help = plain_shell(".venv/bin/jupyter notebook --help-all", release)
    assert notebook_help.returncode == 0, notebook_help.stderr
    assert "--allow-root" in notebook_help.stdout
    names = plain_shell(".venv/bin/python cs231n/submission.py --shell", release)
    assert names.returncode == 0 and f"CODE_ZIP={CODE_ZIP}" in names.stdout


# --- the notebook as shipped, completed, and with typical bugs -----------------------------------


def stub_sites(text, top_level=False):
    """[(line index, enclosing def name, the comment above)] of each STUB the builder left.

    In a .py file a stub is a STUB line under a comment (the course's TODO block); in a notebook
    cell (`top_level`) it is any STUB line at the cell's top level.
    """
    lines = text.splitlines()
    sites = []
    for k, line in enumerate(lines):
        if line.strip() != STUB or (top_level and line != STUB):
            continue
        above = k - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        comment = []
        while above >= 0 and lines[above].strip().startswith("#"):
            comment.insert(0, lines[above].strip())
            above -= 1
        if not comment and not top_level:
            continue
        defs = [m.group(1) for m in re.finditer(r"^\s*def (\w+)\(", "\n".join(lines[:k]), re.M)]
        sites.append((k, defs[-1] if defs else None, " ".join(comment)))
    return sites


NAIVE = """\
loss = 0.0
dW = np.zeros_like(W)
for i in range(X.shape[0]):
    scores = X[i].dot(W)
    scores -= np.max(scores)
    p = np.exp(scores) / np.sum(np.exp(scores))
    loss -= np.log(p[y[i]])
    for j in range(W.shape[1]):
        dW[:, j] += (p[j] - (j == y[i])) * X[i]
loss = loss / X.shape[0] + reg * np.sum(W * W)
dW = dW{n} + {two}reg * W
"""
VECTORIZED = """\
scores = X.dot(W)
scores -= np.max(scores, axis=1, keepdims=True)
probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
loss = -np.mean(np.log(probs[np.arange(X.shape[0]), y])) + reg * np.sum(W * W)
dprobs = probs.copy()
dprobs[np.arange(X.shape[0]), y] -= 1
dW = X.T.dot(dprobs){n} + {two}reg * W
"""
SAMPLING = """\
indices = np.random.choice(num_train, batch_size, replace=True)
X_batch = X[indices]
y_batch = y[indices]
"""
UPDATE = "self.W {sign}= learning_rate * grad\n"
PREDICT = "y_pred = np.argmax(X.dot(self.W), axis=1)\n"
SEARCH = """\
from cs231n.classifiers import Softmax

for lr in learning_rates:
    for reg in regularization_strengths:
        model = Softmax()
        model.train(X_train, y_train, learning_rate=lr, reg=reg, num_iters=1500)
        train_accuracy = np.mean(y_train == model.predict(X_train))
        val_accuracy = np.mean(y_val == model.predict(X_val))
        results[(lr, reg)] = (train_accuracy, val_accuracy)
        if val_accuracy > best_val:
            best_val = val_accuracy
            best_softmax = model
"""
CORRECT = {"n": " / X.shape[0]", "two": "2 * ", "sign": "-"}
BUGS = {
    "no /N": {**CORRECT, "n": ""},
    "reg * W": {**CORRECT, "two": ""},
    "W += lr * grad": {**CORRECT, "sign": "+"},
}
INLINE_ANSWER = "My own answer, written for this test: it reasons about the question asked."


def answer_for(function, comment, bug, name):
    """The test's own course-style answer for the stub of file `name` in `function`."""
    if function == "softmax_loss_naive":
        return NAIVE.format(**bug)
    if function == "softmax_loss_vectorized":
        return VECTORIZED.format(**bug)
    if function == "train" and re.search(r"(?i)sample", comment):
        return SAMPLING
    if function == "train" and re.search(r"(?i)update", comment):
        return UPDATE.format(**bug)
    if function == "predict":
        return PREDICT
    if function is None and name == NOTEBOOK:
        return SEARCH
    raise AssertionError(f"no answer written for the stub in {function} under: {comment}")


def fill(text, bug, name):
    """`text` with each stub replaced by the test's answer, at the stub's indentation."""
    lines = text.splitlines(keepends=True)
    for k, function, comment in reversed(stub_sites(text, top_level=name == NOTEBOOK)):
        indent = lines[k][: len(lines[k]) - len(lines[k].lstrip())]
        answer = answer_for(function, comment, bug, name)
        lines[k : k + 1] = [f"{indent}{line}\n" if line else "\n" for line in answer.splitlines()]
    return "".join(lines)


def complete(release, dest, bug):
    """A copy of the release in dest, every TODO filled the course's way (with `bug`)."""
    shutil.copytree(release, dest, symlinks=True)
    for name in STUDENT_FILES:
        stubs = len(solution_blocks((ROOT / name).read_text().splitlines()))
        text = (dest / name).read_text()
        assert len(stub_sites(text)) == stubs, f"{name}: not every block left a stub"
        (dest / name).write_text(fill(text, bug, name))
    nb = nbformat.read(dest / NOTEBOOK, as_version=4)
    solution_code = "\n".join(cell_sources(ROOT / NOTEBOOK, "code"))
    filled = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and stub_sites(cell.source, top_level=True):
            assert "learning_rates" in cell.source, f"a stub outside the search cell: {cell.source}"
            filled += len(stub_sites(cell.source, top_level=True))
            cell.source = fill(cell.source, bug, NOTEBOOK).rstrip("\n")
        elif cell.cell_type == "markdown" and EMPTY_ANSWER in cell.source:
            cell.source = cell.source.replace(EMPTY_ANSWER, INLINE_ANSWER)
    assert filled == len(solution_blocks(solution_code.splitlines())), "notebook stubs not found"
    nbformat.write(nb, dest / NOTEBOOK)
    return dest


def execute(folder, fast, cifar10_dir, allow_errors=False):
    """Run the folder's notebook headless, by default stopping at the first error; save it."""
    data = folder / "cs231n" / "datasets" / "cifar-10-batches-py"
    if not data.exists():
        data.symlink_to(Path(cifar10_dir).resolve(), target_is_directory=True)
    nb = nbformat.read(folder / NOTEBOOK, as_version=4)
    env = {"SOFTMAX_FAST_MODE": "1" if fast else "0", "PYTHONPATH": str(folder)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    except CellExecutionError:
        pass
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    nbformat.write(nb, folder / NOTEBOOK)
    return nb


def first_error(nb):
    """(cell index, error output) of the first error in an executed notebook, or None."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error":
                return index, output
    return None


def output_text(nb):
    """Everything the executed notebook printed, displayed or warned."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            parts.append(output.get("text", ""))
            parts.append(str(output.get("data", {}).get("text/plain", "")))
            parts.extend(output.get("traceback", []))
    return ANSI.sub("", "\n".join(parts))


def collect(folder, *args):
    """collectSubmission.sh in folder, with a stand-in chromium when no PDF tool is installed."""
    stand_in = folder.parent / f"{folder.name}-bin"
    stand_in.mkdir(exist_ok=True)
    (stand_in / "chromium").write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        "pdf = next(a for a in sys.argv if a.startswith('--print-to-pdf='))\n"
        "pathlib.Path(pdf.split('=', 1)[1]).write_bytes(b'%PDF-1.4\\n% stand-in\\n')\n"
    )
    (stand_in / "chromium").chmod(0o755)
    link = folder / ".venv"
    if not link.exists():
        link.symlink_to(VENV, target_is_directory=True)
    path = os.pathsep.join([os.environ.get("PATH", ""), str(stand_in)])
    return plain_shell(f"bash collectSubmission.sh {' '.join(args)}", folder, PATH=path)


# A signal: words the notebook prints only when something is wrong.
SIGNAL = re.compile(r"(?i)\b(fail(ed|s)?|diverg\w*|warning|wrong|incorrect|mismatch|too large)\b")


def signal_lines(nb):
    """The lines of the notebook's outputs that say something is wrong."""
    return [line.strip() for line in output_text(nb).splitlines() if SIGNAL.search(line)]


def lost_points(results):
    """[(test, score, max, first line of feedback)] of each test short of full marks."""
    return [
        (r.name, r.score, r.max_score, r.lines[0] if r.lines else "")
        for r in results
        if r.score < r.max_score
    ]


def consequence(error, earlier_sources, earlier_messages):
    """Whether `error` follows from an earlier failing cell: a NameError for a name that cell
    would assign, or an AttributeError of None after an error that said "NAME is None" (the
    variable the unfilled TODO should have set, used by the cells after it)."""
    if error.ename == "AttributeError" and error.evalue.startswith("'NoneType' object"):
        return any(re.match(r"\w+ is None: fill in the TODO", m) for m in earlier_messages)
    found = re.match(r"name '(\w+)' is not defined", error.evalue)
    if error.ename != "NameError" or not found:
        return False
    assigned = re.compile(rf"^\s*(\w+\s*,\s*)*{found.group(1)}\b\s*(,[\w\s,]*)?=", re.M)
    return any(assigned.search(source) for source in earlier_sources)


def test_release_as_shipped_fails_only_at_the_todos(release, cifar10_dir, tmp_path):
    """Run as shipped, every cell runs; each error is raised by a TODO left open and names it.

    A NameError for a variable that an earlier failing cell would have assigned, or an
    AttributeError of None after an error saying that variable is None, is that earlier error's
    consequence, not an error of its own.
    """
    folder = tmp_path / "shipped"
    shutil.copytree(release, folder, symlinks=True)
    nb = execute(folder, fast=True, cifar10_dir=cifar10_dir, allow_errors=True)
    errors = [
        (index, output)
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert errors, "the notebook ran to the end: the stubs cannot train a model"
    traces = {index: ANSI.sub("", "\n".join(output.traceback)) for index, output in errors}
    first_index, first = errors[0]
    assert first.ename not in BROKEN, traces[first_index]
    # The first error comes from a student file; every other error names the TODO to fill or
    # follows from an earlier one.
    assert any(str(folder / name) in traces[first_index] for name in STUDENT_FILES), traces
    untold = []
    for index, output in errors:
        earlier = [nb.cells[i].source for i, _ in errors if i < index]
        said = [out.evalue for i, out in errors if i < index]
        if "TODO" in f"{output.ename}: {output.evalue}" or consequence(output, earlier, said):
            continue
        line = nb.cells[index].source.splitlines()[0]
        untold.append(f"cell {index} ({line}): {output.ename}: {output.evalue}")
    assert not untold, "\n".join(untold)


@pytest.fixture(scope="module")
def completed(release, cifar10_dir, tmp_path_factory):
    """The release completed the course's way, run in full on the real data, and collected."""
    folder = complete(release, tmp_path_factory.mktemp("completed") / "a1", CORRECT)
    nb = execute(folder, fast=False, cifar10_dir=cifar10_dir)
    return folder, nb, collect(folder)


def test_completed_release_runs_without_an_error_or_a_signal(completed):
    _, nb, _ = completed
    error = first_error(nb)
    assert error is None, ANSI.sub("", "\n".join(error[1].traceback))
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip())
    assert not signal_lines(nb), "\n".join(signal_lines(nb))


def test_completed_release_meets_the_course_targets(completed):
    """The course's targets: the first model > 0.33 and the best > 0.36 on validation."""
    _, nb, _ = completed
    text = output_text(nb)
    first = re.search(r"validation accuracy: (0\.\d+)", text)
    best = re.search(r"best validation accuracy achieved during cross-validation: (0\.\d+)", text)
    assert first and float(first.group(1)) > 0.33, text[-2000:]
    assert best and float(best.group(1)) > 0.36, text[-2000:]


def test_completed_release_collects_and_grades_full_marks(completed, cifar10_dir):
    folder, _, collected = completed
    assert collected.returncode == 0, collected.stderr
    assert "Handed in as it is" not in collected.stdout
    results, notes = grade(folder / CODE_ZIP, groups=GROUPS, cifar10_dir=cifar10_dir)
    assert not [n for n in notes if "not in the submission" in n], notes
    assert lost_points(results) == []


@pytest.mark.parametrize("bug", BUGS)
def test_a_typical_bug_shows_a_signal_and_can_be_handed_in(release, cifar10_dir, tmp_path, bug):
    folder = complete(release, tmp_path / "a1", BUGS[bug])
    nb = execute(folder, fast=True, cifar10_dir=cifar10_dir)
    assert signal_lines(nb), f"{bug}: nothing in the notebook says something is wrong"
    collected = collect(folder, "--force")
    assert collected.returncode == 0, collected.stderr
    assert (folder / CODE_ZIP).is_file()
    results, _ = grade(folder / CODE_ZIP, groups=[g for g in GROUPS if g != "weights"])
    assert lost_points(results), f"{bug}: the grader gave full marks"
