#!/usr/bin/env bash
# Collect the assignment 1 (softmax) submission from the repository this script lives in:
#
#   a1_code_submission.zip    softmax.ipynb, the cs231n package's .py files, and the two weight
#                             files cs231n/saved/softmax.npy and cs231n/saved/best_softmax.npy
#   a1_inline_submission.pdf  the notebook as saved (it is not run again), for the inline answers
#
#   bash collectSubmission.sh           # a finished worksheet
#   bash collectSubmission.sh --force   # hand in your work as it is, for partial credit
#
# The file names come from cs231n/submission.py, their one home (the grader reads them there too).
# Without --force it refuses a missing file, and a notebook with error outputs or code cells that
# were not run, naming each and saying what to do. With --force it packs whatever exists (missing
# weights, error outputs, cells not run) and lists what is missing or wrong. It always refuses a
# symlink among the files to pack (it never follows one). Both files are built in a temporary
# folder and put in place together only when both succeeded; after any failure neither is left,
# so an older zip or PDF can never pass for the current one.
#
# The PDF comes from `jupyter nbconvert --to pdf`, which needs xelatex and pandoc. Without them it
# falls back to nbconvert's HTML printed to PDF by headless Chromium, with formulas typeset by a
# local MathJax (Debian's libjs-mathjax) and code and output lines wrapped at the page width.

# Run by sh (sh collectSubmission.sh): start again under bash. Only POSIX sh before this point.
if [ -z "${BASH_VERSION:-}" ]; then
    if command -v bash >/dev/null 2>&1; then
        exec bash "$0" "$@"
    fi
    echo "collectSubmission.sh: error: this script needs bash; run: bash collectSubmission.sh" >&2
    exit 1
fi
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

NAMES=cs231n/submission.py
LATEX_APT_PACKAGES="texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc"
CHROMIUM_APT_PACKAGES="chromium libjs-mathjax"
# Debian's libjs-mathjax: lets Chromium typeset the notebook's formulas without a network.
LOCAL_MATHJAX=/usr/share/javascript/mathjax/MathJax.js

usage() {
    echo "usage: bash collectSubmission.sh [--force]"
    echo "  --force  hand in your work as it is: missing files, error outputs, cells not run"
}

force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; echo "collectSubmission.sh: error: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

fail() {
    echo "collectSubmission.sh: error: $*" >&2
    exit 1
}

warn() {
    echo "collectSubmission.sh: warning: $*" >&2
}

# Print the path of the first of the given commands found on PATH; fail quietly if none is.
first_on_path() {
    local name
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

# What --force handed in anyway, repeated at the end.
problems=()

# On any failure, remove the outputs of an earlier run too: they no longer match the project.
workdir=""
finish() {
    local status=$?
    if [ -n "$workdir" ]; then
        rm -rf "$workdir"
    fi
    if [ "$status" -ne 0 ]; then
        for output in "${CODE_ZIP:-}" "${INLINE_PDF:-}"; do
            if [ -n "$output" ] && { [ -e "$output" ] || [ -L "$output" ]; }; then
                rm -f "$output"
                echo "collectSubmission.sh: removed the earlier $output (it is not current)." >&2
            fi
        done
    fi
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. Everything the submission needs, checked before anything is built. ---------------------

if [ -x .venv/bin/python ]; then
    PYTHON=.venv/bin/python
elif ! PYTHON=$(first_on_path python3 python); then
    fail "no Python found: expected .venv/bin/python (run: bash setup_env.sh) or python3 on PATH."
fi

if [ -x .venv/bin/jupyter ]; then
    JUPYTER=.venv/bin/jupyter
elif ! JUPYTER=$(first_on_path jupyter); then
    fail "jupyter not found: expected .venv/bin/jupyter (run: bash setup_env.sh) or jupyter on PATH."
fi

# The names, read from their one home. It runs as a plain script, not through the cs231n package,
# so that an error in a student file cannot stop a hand-in.
if [ ! -f "$NAMES" ]; then
    fail "$NAMES not found in $PWD: run this script from the assignment's folder, as shipped."
fi
names=$("$PYTHON" "$NAMES" --shell) || fail "could not read the submission's file names from $NAMES."
eval "$names"

missing=()
for file in "${REQUIRED_FILES[@]}"; do
    if [ ! -f "$file" ]; then
        missing+=("$file")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    level=error
    [ "$force" = 1 ] && level=warning
    echo "collectSubmission.sh: $level: ${#missing[@]} file(s) of the submission not found in $PWD:" >&2
    for file in "${missing[@]}"; do
        case "$file" in
            *.npy) hint="the notebook saves it when its cell runs" ;;
            *) hint="it ships with the assignment; restore it" ;;
        esac
        echo "  $file ($hint)" >&2
        problems+=("missing: $file")
    done
    if [ "$force" != 1 ]; then
        {
            echo "Run every cell of $NOTEBOOK (Kernel > Restart & Run All), save it and try again;"
            echo "or hand in your work as it is, for partial credit: bash collectSubmission.sh --force"
        } >&2
        fail "nothing was written."
    fi
fi

# A notebook with errors or cells not run is not a finished worksheet: name those cells.
notebook_report="$(mktemp)"
if [ ! -f "$NOTEBOOK" ]; then
    : # --force without a notebook: listed above; no PDF can be made of it.
elif ! "$PYTHON" - "$NOTEBOOK" "$force" >"$notebook_report" <<'PY'
import json
import sys

path, force = sys.argv[1], sys.argv[2] == "1"
try:
    with open(path, encoding="utf-8") as f:
        notebook = json.load(f)
except (OSError, ValueError) as err:
    sys.exit(f"collectSubmission.sh: error: {path} is not a readable notebook (JSON): {err}")


def first_line(cell):
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    if not lines:
        return None
    return lines[0] if len(lines[0]) <= 70 else lines[0][:67] + "..."


problems = []
for number, cell in enumerate(notebook.get("cells", []), start=1):
    line = first_line(cell)
    if cell.get("cell_type") != "code" or line is None:
        continue
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        what = f"{errors[0].get('ename', 'error')}: {errors[0].get('evalue', '')}".strip(": ")
        what = what if len(what) <= 60 else what[:57] + "..."
        problems.append(f"cell {number} has an error output ({what}): {line}")
    elif cell.get("execution_count") is None:
        problems.append(f"cell {number} was not run: {line}")
for problem in problems:
    print(problem)
if problems:
    level = "warning" if force else "error"
    print(
        f"collectSubmission.sh: {level}: {path} is not a finished run; {len(problems)} code "
        "cell(s) (cells counted from 1, markdown cells included):",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    if not force:
        print(
            "Fix the cells named above, run every cell (Kernel > Restart & Run All), save the "
            "notebook and try again; or hand in your work as it is, for partial credit: "
            "bash collectSubmission.sh --force",
            file=sys.stderr,
        )
        sys.exit(1)
PY
then
    rm -f "$notebook_report"
    fail "the notebook was refused; nothing was written."
fi
while IFS= read -r line; do
    problems+=("$line")
done <"$notebook_report"
rm -f "$notebook_report"

pdf_route=""
if [ ! -f "$NOTEBOOK" ]; then
    pdf_route=none
elif first_on_path xelatex >/dev/null && first_on_path pandoc >/dev/null; then
    pdf_route=latex
elif CHROMIUM=$(first_on_path chromium chromium-browser google-chrome google-chrome-stable); then
    pdf_route=chromium
    absent=""
    for tool in xelatex pandoc; do
        first_on_path "$tool" >/dev/null || absent+=" $tool"
    done
    warn "'nbconvert --to pdf' needs xelatex and pandoc (not found:$absent);" \
        "printing the PDF with $CHROMIUM instead."
else
    {
        echo "collectSubmission.sh: error: cannot write $INLINE_PDF: no PDF tool found;" \
            "nothing was written."
        echo "  'jupyter nbconvert --to pdf' needs xelatex and pandoc; the fallback needs Chromium"
        echo "  (chromium, chromium-browser or google-chrome on PATH). On Debian/Ubuntu install either:"
        echo "    sudo apt-get install --no-install-recommends $LATEX_APT_PACKAGES"
        echo "  or:"
        echo "    sudo apt-get install --no-install-recommends $CHROMIUM_APT_PACKAGES"
    } >&2
    exit 1
fi

# Both outputs are built here, beside their final place, and renamed into it at the end.
workdir=$(mktemp -d "$PWD/.collectSubmission.XXXXXX")

# --- 2. The code zip. ---------------------------------------------------------------------------

# Exactly these files: the notebook, the package's .py files and the two weight files. Hidden
# folders and __pycache__ are not entered; a symlinked folder is not entered either (said so),
# and a symlink among the files is refused. Deterministic: members sorted, fixed timestamps and
# permissions, so the same files give the same bytes.
present=()
for file in "$NOTEBOOK" "${WEIGHTS[@]}"; do
    [ -f "$file" ] && present+=("$file")
done
"$PYTHON" - "$workdir/code.zip" "$workdir/code.summary" "$PACKAGE" ${present[@]+"${present[@]}"} <<'PY'
import os
import stat
import sys
import zipfile

zip_path, summary_path, package, *fixed = sys.argv[1:]


def symlink_on(path):
    """The first part of the relative path that is a symlink, or None."""
    prefix = ""
    for part in path.split(os.sep):
        prefix = os.path.join(prefix, part)
        if os.path.islink(prefix):
            return prefix
    return None


members = set(fixed)
for root, dirs, files in os.walk(package):
    entered = []
    for name in sorted(dirs):
        folder = os.path.join(root, name)
        if name.startswith(".") or name == "__pycache__":
            continue
        if os.path.islink(folder):
            print(f"  (not entered, a symlink: {folder})")
            continue
        entered.append(name)
    dirs[:] = entered
    members.update(os.path.join(root, name) for name in files if name.endswith(".py"))

refused = []
for path in sorted(members):
    link = symlink_on(path)
    if link is not None:
        refused.append(f"{path}: {link} is a symlink to {os.readlink(link)}")
    elif not stat.S_ISREG(os.lstat(path).st_mode):
        refused.append(f"{path}: not a regular file")
if refused:
    print(
        "collectSubmission.sh: error: the submission must hold the files themselves; the script "
        "never follows symlinks. Replace these with real files:",
        file=sys.stderr,
    )
    for line in refused:
        print(f"  {line}", file=sys.stderr)
    sys.exit(1)

with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(members):
        info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # Unix, so the permissions below are read as such
        info.external_attr = 0o644 << 16
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as f:
            archive.writestr(info, f.read())

with open(summary_path, "w") as f:
    f.write(f"{len(members)} files, {os.path.getsize(zip_path):,} bytes\n")
for path in sorted(members):
    print(f"  {os.path.getsize(path):>12,}  {path}")
PY

# --- 3. The inline PDF, from the notebook as saved. ---------------------------------------------

# Merging consecutive stream outputs and applying their carriage returns shows a progress bar
# as its final state, as a notebook front end does, instead of every update on its own line.
COALESCE=--Exporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor
if [ "$pdf_route" = none ]; then
    : # no notebook (--force): only the zip
elif [ "$pdf_route" = latex ]; then
    # nbconvert's LaTeX template wraps long code and output lines itself.
    "$JUPYTER" nbconvert --to pdf --log-level=ERROR "$COALESCE" \
        --output-dir "$workdir" --output inline "$NOTEBOOK"
else
    html_options=()
    if [ -f "$LOCAL_MATHJAX" ]; then
        html_options+=("--HTMLExporter.mathjax_url=file://$LOCAL_MATHJAX?config=TeX-AMS_CHTML-full,Safe")
    else
        warn "no local MathJax ($LOCAL_MATHJAX); formulas will show as TeX source." \
            "Install it with: sudo apt-get install libjs-mathjax"
    fi
    "$JUPYTER" nbconvert --to html --log-level=ERROR "$COALESCE" ${html_options[@]+"${html_options[@]}"} \
        --output-dir "$workdir" --output inline "$NOTEBOOK"
    # The page layout for print: narrow margins and prompts, a smaller monospace size so that a
    # 100-character line (the project's limit) fits the width, and lines wrapped at the page
    # width instead of cut at the margin; output lines break between words, not inside a number.
    "$PYTHON" - "$workdir/inline.html" <<'PY'
import sys

PRINT_CSS = """<style>
@page { size: letter; margin: 12mm 11mm; }
:root { --jp-cell-prompt-width: 46px; --jp-code-font-size: 8pt; --jp-code-line-height: 1.3; }
body { padding: 0 !important; margin: 0 !important; }
.jp-Notebook { padding: 0 !important; }
.jp-InputPrompt, .jp-OutputPrompt { font-size: 7pt !important; }
.jp-InputArea-editor, .jp-InputArea-editor .highlight, .jp-OutputArea-output {
  overflow: visible !important;
}
.jp-InputArea-editor pre, .jp-OutputArea-output pre {
  font-size: 8pt !important;
  white-space: pre-wrap !important;
  word-break: normal !important;
  overflow-wrap: anywhere !important;
}
</style>
"""
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    page = f.read()
head_end = page.index("</head>")
with open(path, "w", encoding="utf-8") as f:
    f.write(page[:head_end] + PRINT_CSS + page[head_end:])
PY
    # These flags keep headless Chromium from reaching for the network (and hanging offline);
    # the virtual time budget lets MathJax finish typesetting before the page is printed.
    chromium_command=(
        "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run
        --disable-background-networking --disable-component-update --disable-sync --disable-quic
        --user-data-dir="$workdir/chromium-profile" --no-pdf-header-footer
        --virtual-time-budget=10000 --print-to-pdf="$workdir/inline.pdf"
        "file://$workdir/inline.html"
    )
    if first_on_path timeout >/dev/null; then
        chromium_command=(timeout 300 "${chromium_command[@]}")
    fi
    if ! "${chromium_command[@]}" >"$workdir/chromium.log" 2>&1; then
        cat "$workdir/chromium.log" >&2
        fail "$CHROMIUM could not print the notebook to PDF (its output is above)."
    fi
fi

if [ "$pdf_route" != none ]; then
    if [ ! -s "$workdir/inline.pdf" ] || [ "$(head -c 4 "$workdir/inline.pdf")" != "%PDF" ]; then
        fail "the $pdf_route route did not produce a PDF; nothing was written."
    fi
fi

# --- 4. Both built: put them in place together. -------------------------------------------------

mv -f "$workdir/code.zip" "$CODE_ZIP"
echo "wrote $CODE_ZIP: $(cat "$workdir/code.summary")"
if [ "$pdf_route" = none ]; then
    rm -f "$INLINE_PDF"
    echo "Submit $CODE_ZIP (no $INLINE_PDF: there is no $NOTEBOOK to print)."
else
    mv -f "$workdir/inline.pdf" "$INLINE_PDF"
    echo "wrote $INLINE_PDF (via $pdf_route): $(wc -c <"$INLINE_PDF" | tr -d ' ') bytes"
    echo "Submit both files: $CODE_ZIP and $INLINE_PDF."
fi
if [ "${#problems[@]}" -gt 0 ]; then
    echo "Handed in as it is (--force), with ${#problems[@]} problem(s) that may cost points:"
    for problem in "${problems[@]}"; do
        echo "  $problem"
    done
fi
