"""What a submission holds and how the solution marks the student's work: one home for the names.

collectSubmission.sh reads them (``python cs231n/submission.py --shell``, run as a plain script so
that a broken student file cannot stop a hand-in), and the course staff's grader and release
builder import them. The solution's code is written between the marker lines ``START_MARKER``
and ``END_MARKER``; the release builder replaces each such block by ``STUB`` at the markers'
indentation, so that the release shows the course's TODO comment followed by an empty body.
"""

import shlex
import sys

NOTEBOOK = "softmax.ipynb"
SOFTMAX = "cs231n/classifiers/softmax.py"
LINEAR_CLASSIFIER = "cs231n/classifiers/linear_classifier.py"
STUDENT_FILES = (SOFTMAX, LINEAR_CLASSIFIER)
WEIGHTS = ("cs231n/saved/softmax.npy", "cs231n/saved/best_softmax.npy")
REQUIRED_FILES = (NOTEBOOK, *STUDENT_FILES, *WEIGHTS)
PACKAGE = "cs231n"
CODE_ZIP = "a1_code_submission.zip"
INLINE_PDF = "a1_inline_submission.pdf"

START_MARKER = "# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
END_MARKER = "# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
STUB = "pass"
SOLUTION_TAG = "solution"
EMPTY_ANSWER = "*fill this in*"


def shell_assignments():
    """Bash lines assigning the names collectSubmission.sh needs (arrays for the tuples)."""
    scalars = {
        "NOTEBOOK": NOTEBOOK,
        "PACKAGE": PACKAGE,
        "CODE_ZIP": CODE_ZIP,
        "INLINE_PDF": INLINE_PDF,
    }
    arrays = {"WEIGHTS": WEIGHTS, "REQUIRED_FILES": REQUIRED_FILES}
    lines = [f"{name}={shlex.quote(value)}" for name, value in scalars.items()]
    lines += [f"{name}=({' '.join(map(shlex.quote, values))})" for name, values in arrays.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] != ["--shell"]:
        sys.exit("usage: python cs231n/submission.py --shell")
    print(shell_assignments())
