#!/usr/bin/env bash
# Install what collectSubmission.sh needs to write a1_inline_submission.pdf, when it is missing.
#
#   bash .ci/install_pdf_tools.sh
#
# collectSubmission.sh prints the PDF with xelatex + pandoc, or else with headless Chromium. Of the
# two, Chromium is the cheaper install; measured on this project's machine (Debian 12, 2 cores,
# apt-get install --no-install-recommends, downloads included):
#   chromium                                  25 packages, 124 MB of .debs, 404 MB installed, 15 s
#   texlive-xetex texlive-fonts-recommended   31 packages, 159 MB of .debs, 581 MB installed, 42 s
#     texlive-plain-generic pandoc
# so this installs chromium, with libjs-mathjax (8 MB) for offline formulas and poppler-utils
# (pdftotext, 2 MB) for the tests that read the PDF back. Nothing is installed when the tools are
# already there. It never fails the caller: without apt, root or network it prints a notice and
# exits 0, and the PDF test is skipped.
set -uo pipefail

UPDATE_SECONDS=90
INSTALL_SECONDS=240
LOCAL_MATHJAX=/usr/share/javascript/mathjax/MathJax.js

notice() {
    echo "install_pdf_tools.sh: $*"
}

have() {
    command -v "$1" >/dev/null 2>&1
}

have_chromium() {
    have chromium || have chromium-browser || have google-chrome || have google-chrome-stable
}

packages=()
if have xelatex && have pandoc; then
    :
elif have_chromium; then
    [ -f "$LOCAL_MATHJAX" ] || packages+=(libjs-mathjax)
else
    packages+=(chromium libjs-mathjax)
fi
have pdftotext || packages+=(poppler-utils)

if [ "${#packages[@]}" -eq 0 ]; then
    notice "PDF tools already present; nothing to install."
    exit 0
fi

if ! have apt-get; then
    notice "no apt-get here; not installing ${packages[*]} (the PDF test will be skipped)."
    exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        notice "not root and no password-less sudo; not installing ${packages[*]}" \
            "(the PDF test will be skipped)."
        exit 0
    fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
export DEBIAN_FRONTEND=noninteractive

if ! timeout "$UPDATE_SECONDS" ${as_root[@]+"${as_root[@]}"} apt-get update -qq >"$log" 2>&1; then
    notice "apt-get update failed or took over ${UPDATE_SECONDS}s; trying the install anyway."
fi
if ! timeout "$INSTALL_SECONDS" ${as_root[@]+"${as_root[@]}"} apt-get install -y -qq \
    --no-install-recommends -o DPkg::Lock::Timeout=60 "${packages[@]}" >>"$log" 2>&1; then
    notice "could not install ${packages[*]} (apt-get failed or ran over ${INSTALL_SECONDS}s)" \
        "(the PDF test will be skipped). Last lines of apt's output:"
    tail -n 15 "$log"
    exit 0
fi
notice "installed ${packages[*]} in $((SECONDS - started))s."
