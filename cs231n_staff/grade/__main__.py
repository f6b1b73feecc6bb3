"""Command line: python -m cs231n_staff.grade SUBMISSION [--out FILE] [--quick] [--data DIR].

A results.json is written in every case, so that Gradescope always has something to show.
Exit status: 0 when graded; 1 when the submission cannot be read (results.json then holds a
score of 0 and the reason, for the student); 2 when the grader cannot score the saved weights
because CIFAR-10 is missing (pass --data, fetch the data set with `python -m cs231n.datasets`,
or leave the weights out with --quick); 3 on any other failure of the grader itself
(results.json says "grader error" and keeps the tests graded before it); 4 when the submitted
code cannot be isolated (the grader is not root) and --allow-unisolated was not given; 5 for
an unknown --groups name.
"""

import argparse
import json
import sys
import time
import traceback

from cs231n.datasets import CIFAR10_DIR, FETCH_COMMAND

from . import DATA_GROUPS, DEADLINE_SECONDS, GROUPS, GraderError, grade
from . import isolation as iso
from .results import results_json, summary
from .unpack import SubmissionError

GRADER_ERROR = (
    "Grader error: the autograder itself failed, not your code. Course staff have been told; "
    "the tests listed were graded before it failed."
)


def parse_args(argv):
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
    parser.add_argument(
        "--groups",
        default=",".join(GROUPS),
        help="comma-separated groups of tests to run (default: all: %(default)s)",
    )
    parser.add_argument(
        "--isolation",
        default="auto",
        choices=("auto", *iso.MODES),
        help="how the submitted code is isolated (default: the strongest available; root only)",
    )
    parser.add_argument(
        "--allow-unisolated",
        action="store_true",
        help="grade even when the submitted code cannot be isolated (not root): for trusted "
        "code only",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=DEADLINE_SECONDS,
        help="overall time limit of the grading in seconds (default: %(default)g)",
    )
    return parser.parse_args(argv)


def write(path, results, seconds, notes, isolation=None, status=None):
    """Write results.json: Gradescope's schema, plus how the code was isolated (extra_data).

    The results are shown to the students at once (`visibility`), the grader's own printed
    output is not (`stdout_visibility`), and each test is marked passed or failed (`status`).
    """
    data = results_json(results, seconds, notes)
    data["output_format"] = "md"
    data["visibility"] = "visible"
    data["stdout_visibility"] = "hidden"
    for test in data["tests"]:
        test["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
    extra = {"grader_status": status or "graded"}
    if isolation is not None:
        extra["isolation"] = {"mode": isolation.mode, "protections": isolation.protections()}
    data["extra_data"] = extra
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    chosen = [g.strip() for g in args.groups.split(",") if g.strip()]
    unknown = sorted(set(chosen) - set(GROUPS))
    if unknown:
        print(f"cs231n_staff.grade: unknown --groups {unknown}; expected some of {GROUPS}",
              file=sys.stderr)
        return 5
    groups = [g for g in chosen if not (args.quick and g in DATA_GROUPS)]
    notes = ["--quick: the saved weights were not scored; this is not a full grade"] * args.quick
    isolation = None
    try:
        isolation = iso.choose(args.isolation)
        if not isolation.isolated and args.allow_unisolated:
            print(
                "cs231n_staff.grade: WARNING: not root, the submitted code cannot be isolated: "
                "it runs as your own user, with your files in reach.",
                file=sys.stderr,
            )
        results, more_notes = grade(
            args.submission,
            groups=groups,
            cifar10_dir=args.data,
            isolation=isolation,
            allow_unisolated=args.allow_unisolated,
            deadline_seconds=args.deadline,
        )
    except SubmissionError as err:
        seconds = time.perf_counter() - start
        write(args.out, [], seconds, [f"The submission could not be graded: {err}"], isolation)
        print(f"cs231n_staff.grade: {err}", file=sys.stderr)
        return 1
    except FileNotFoundError as err:
        seconds = time.perf_counter() - start
        write(args.out, [], seconds, [GRADER_ERROR], isolation, "grader error: no CIFAR-10")
        print(
            f"cs231n_staff.grade: cannot score the saved weights: {err}. Fetch CIFAR-10 with "
            f"{FETCH_COMMAND}, point --data at it, or pass --quick to leave those tests out.",
            file=sys.stderr,
        )
        return 2
    except iso.IsolationUnavailable as err:
        seconds = time.perf_counter() - start
        write(args.out, [], seconds, [GRADER_ERROR], isolation, f"grader error: {err}")
        print(f"cs231n_staff.grade: {err}", file=sys.stderr)
        return 4
    except GraderError as err:
        seconds = time.perf_counter() - start
        write(args.out, err.results, seconds, [GRADER_ERROR, *err.notes], isolation, str(err))
        traceback.print_exception(err.__cause__ or err, file=sys.stderr)
        return 3
    except Exception as err:  # noqa: BLE001 - whatever fails, Gradescope gets a results.json
        seconds = time.perf_counter() - start
        status = f"grader error: {type(err).__name__}: {err}"
        write(args.out, [], seconds, [GRADER_ERROR], isolation, status)
        traceback.print_exc(file=sys.stderr)
        return 3
    seconds = time.perf_counter() - start
    notes = more_notes + notes
    write(args.out, results, seconds, notes, isolation)
    print(summary(results, notes))
    print(f"results written to {args.out} ({seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
