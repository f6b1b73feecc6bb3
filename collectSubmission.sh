#!/usr/bin/env bash
# Collect the assignment 1 (softmax) submission from the repository this script lives in:
#
#   a1_code_submission.zip    softmax.ipynb, every project .py file (tests/ and benchmarks/ left
#                             out) and cs231n/saved/, the trained weights
#   a1_inline_submission.pdf  the notebook as saved (it is not run again), for the inline answers
#
#   bash collectSubmission.sh        # or: make submit
#
# The PDF comes from `jupyter nbconvert --to pdf`, which needs xelatex and pandoc. Without them it
# falls back to nbconvert's HTML printed to PDF by headless Chromium. With neither, or with a
# required file missing, the script writes nothing and exits non-zero, saying what to do.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

NOTEBOOK=softmax.ipynb
CODE_ZIP=a1_code_submission.zip
INLINE_PDF=a1_inline_submission.pdf
REQUIRED_FILES=(
    "$NOTEBOOK"
    cs231n/classifiers/softmax.py
    cs231n/classifiers/linear_classifier.py
    cs231n/saved/softmax.npy
    cs231n/saved/best_softmax.npy
)
LATEX_APT_PACKAGES="texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc"
CHROMIUM_APT_PACKAGES="chromium libjs-mathjax"
# Debian's libjs-mathjax: lets Chromium typeset the notebook's formulas without a network.
LOCAL_MATHJAX=/usr/share/javascript/mathjax/MathJax.js

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

# --- 1. Everything the submission needs, checked before anything is written. -------------------

missing=()
for file in "${REQUIRED_FILES[@]}"; do
    if [ ! -f "$file" ]; then
        missing+=("$file")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    for file in "${missing[@]}"; do
        echo "collectSubmission.sh: error: required file not found: $file" >&2
    done
    fail "${#missing[@]} required file(s) missing in $PWD; nothing was written." \
        "Finish the notebook (it saves the cs231n/saved/*.npy weights) and try again."
fi

if [ -x .venv/bin/python ]; then
    PYTHON=.venv/bin/python
elif ! PYTHON=$(first_on_path python3 python); then
    fail "no Python found: expected .venv/bin/python (run 'make setup') or python3 on PATH."
fi

if [ -x .venv/bin/jupyter ]; then
    JUPYTER=.venv/bin/jupyter
elif ! JUPYTER=$(first_on_path jupyter); then
    fail "jupyter not found: expected .venv/bin/jupyter (run 'make setup') or jupyter on PATH" \
        "(pip install jupyter)."
fi

# A notebook saved without running it gives a PDF with no results in it.
"$PYTHON" - "$NOTEBOOK" <<'PY'
import json
import sys

path = sys.argv[1]
try:
    with open(path, encoding="utf-8") as f:
        notebook = json.load(f)
except (OSError, ValueError) as err:
    sys.exit(f"collectSubmission.sh: error: {path} is not a readable notebook (JSON): {err}")
code_cells = [c for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
if not any(c.get("outputs") for c in code_cells):
    print(
        f"collectSubmission.sh: warning: {path} has no outputs in any of its {len(code_cells)} "
        "code cells. Run all cells and save the notebook, or the PDF will show no results.",
        file=sys.stderr,
    )
PY

pdf_route=""
if first_on_path xelatex >/dev/null && first_on_path pandoc >/dev/null; then
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

# --- 2. The code zip. ---------------------------------------------------------------------------

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
rm -f "$CODE_ZIP" "$INLINE_PDF"

# Deterministic: members sorted, fixed timestamps and permissions, so the same files give the
# same bytes. Hidden directories (.venv, .git, .ipynb_checkpoints), __pycache__, tests/ and
# benchmarks/ are never entered; the CIFAR-10 batches are not .py files, so they stay out too.
"$PYTHON" - "$CODE_ZIP" "$NOTEBOOK" <<'PY'
import os
import sys
import zipfile

zip_path, notebook = sys.argv[1], sys.argv[2]
SKIPPED_DIRS = {"__pycache__", "tests", "benchmarks"}
SAVED_DIR = os.path.join("cs231n", "saved")

members = {notebook}
for root, dirs, files in os.walk("."):
    dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
    for name in files:
        path = os.path.normpath(os.path.join(root, name))
        in_saved = os.path.dirname(path) == SAVED_DIR and not name.startswith(".")
        if name.endswith(".py") or in_saved:
            members.add(path)

partial = zip_path + ".partial"
with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
    for path in sorted(members):
        info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # Unix, so the permissions below are read as such
        info.external_attr = 0o644 << 16
        with open(path, "rb") as f:
            archive.writestr(info, f.read())
os.replace(partial, zip_path)

print(f"wrote {zip_path}: {len(members)} files, {os.path.getsize(zip_path):,} bytes")
for path in sorted(members):
    print(f"  {os.path.getsize(path):>12,}  {path}")
PY

# --- 3. The inline PDF, from the notebook as saved. ---------------------------------------------

# Merging consecutive stream outputs and applying their carriage returns shows a progress bar
# as its final state, as a notebook front end does, instead of every update on its own line.
COALESCE=--Exporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor
if [ "$pdf_route" = latex ]; then
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

if [ ! -s "$workdir/inline.pdf" ] || [ "$(head -c 4 "$workdir/inline.pdf")" != "%PDF" ]; then
    fail "the $pdf_route route did not produce a PDF; $INLINE_PDF was not written."
fi
mv "$workdir/inline.pdf" "$INLINE_PDF"
echo "wrote $INLINE_PDF (via $pdf_route): $(wc -c <"$INLINE_PDF" | tr -d ' ') bytes"
echo "Submit both files: $CODE_ZIP and $INLINE_PDF."
