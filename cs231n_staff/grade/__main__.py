"""Command line: python -m cs231n_staff.grade SUBMISSION [--out FILE] [--quick] [--data DIR].

Exit status: 0 when graded; 1 when the submission cannot be read (results.json then holds a
score of 0 and the reason, for the student); 2 when the grader itself cannot score the saved
weights because CIFAR-10 is missing (nothing is written: pass --data, fetch the data set with
`python -m cs231n.datasets`, or leave the weights out with --quick).
"""

import argparse
import sys

from cs231n.datasets import CIFAR10_DIR, FETCH_COMMAND

from . import DATA_GROUPS, GROUPS, timed_grade
from .results import summary, write_results
from .unpack import SubmissionError


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_staff.grade",
        description="Grade a Softmax exercise submission (a zip from collectSubmission.sh, or a "
        "folder) and write Gradescope's results.json.",
    )
    parser.add_argument("submission", help="a1_code_submission.zip, or a submission folder")
    parser.add_argument("--out", default="results.json", help="where to write results.json")
    parser.add_argument(
        "--data", default=CIFAR10_DIR, help="the CIFAR-10 folder (default: %(default)s)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="leave out the tests that need CIFAR-10 (the saved weights): not a full grade",
    )
    args = parser.parse_args(argv)

    groups = [g for g in GROUPS if not (args.quick and g in DATA_GROUPS)]
    notes = ["--quick: the saved weights were not scored; this is not a full grade"] * args.quick
    try:
        results, more_notes, seconds = timed_grade(
            args.submission, groups=groups, cifar10_dir=args.data
        )
    except SubmissionError as err:
        write_results(args.out, [], 0.0, [f"The submission could not be graded: {err}"])
        print(f"cs231n_staff.grade: {err}", file=sys.stderr)
        return 1
    except FileNotFoundError as err:
        print(
            f"cs231n_staff.grade: cannot score the saved weights: {err}. Fetch CIFAR-10 with "
            f"{FETCH_COMMAND}, point --data at it, or pass --quick to leave those tests out.",
            file=sys.stderr,
        )
        return 2
    notes = more_notes + notes
    write_results(args.out, results, seconds, notes)
    print(summary(results, notes))
    print(f"results written to {args.out} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
