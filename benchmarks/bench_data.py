"""Benchmark the worksheet's CIFAR-10 data steps: the course's float64 way against cs231n's.

The data steps: load the six batch files; split 49000 train / 1000 val / 1000 test, plus 500
dev images drawn from train; flatten each image to a row; subtract the training mean image;
append a bias column of ones (D = 3073).

- course: the course's loader (each batch cast to float64, then np.concatenate) followed by
  the worksheet's cells (list masks, np.reshape, np.mean, in-place subtraction, np.hstack),
  float64 everywhere.
- cs231n: ``load_CIFAR10(root, dtype=np.uint8)`` then ``preprocess_CIFAR10(...)`` (float32).

Every run of a pipeline is a fresh subprocess, so the two never share memory or caches. It
reports the wall time of the data steps (interpreter start-up and imports excluded) and its
peak resident memory (VmHWM in /proc/self/status); a run that only imports gives the part of
that peak the interpreter and numpy account for. Runs alternate between the pipelines and the
script prints medians and the course / cs231n ratios, then checks that both give the same
arrays. Goal: cs231n's steps in <= 3 s and <= 1.5 GB. Exits 1 if the goal is missed; with
--record (as `make bench` runs it) writes benchmarks/results/bench_data.json.

Usage:  .venv/bin/python benchmarks/bench_data.py [--repeat N] [--root DIR] [--quick] [--record]
"""

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import add_output_options, finish, load_now, row

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO / "cs231n" / "datasets" / "cifar-10-batches-py"
BATCHES = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
GOAL_SECONDS = 3.0
GOAL_GB = 1.5
NUM_TRAINING, NUM_VALIDATION, NUM_TEST, NUM_DEV = 49000, 1000, 1000, 500


# ---------------------------------------------------------------- the course's way


def course_load_batch(filename):
    """The course's batch loader: unpickle, make (10000, 32, 32, 3) float64."""
    with open(filename, "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    X = batch["data"].reshape(10000, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
    Y = np.array(batch["labels"])
    return X, Y


def course_load(root):
    """The course's load_CIFAR10: a list of float64 batches joined by np.concatenate."""
    xs, ys = [], []
    for name in BATCHES[:5]:
        X, Y = course_load_batch(os.path.join(root, name))
        xs.append(X)
        ys.append(Y)
    Xtr = np.concatenate(xs)  # (50000, 32, 32, 3)
    Ytr = np.concatenate(ys)
    del X, Y
    Xte, Yte = course_load_batch(os.path.join(root, "test_batch"))
    return Xtr, Ytr, Xte, Yte


def course_pipeline(root):
    """The worksheet's cells, float64 everywhere (the dev draw seeded, as cs231n's is)."""
    rng = np.random.default_rng(0)
    X_train, y_train, X_test, y_test = course_load(root)
    mask = list(range(NUM_TRAINING, NUM_TRAINING + NUM_VALIDATION))
    X_val, y_val = X_train[mask], y_train[mask]
    mask = list(range(NUM_TRAINING))
    X_train, y_train = X_train[mask], y_train[mask]
    mask = rng.choice(NUM_TRAINING, NUM_DEV, replace=False)
    X_dev, y_dev = X_train[mask], y_train[mask]
    mask = list(range(NUM_TEST))
    X_test, y_test = X_test[mask], y_test[mask]

    X_train = np.reshape(X_train, (X_train.shape[0], -1))  # (49000, 3072)
    X_val = np.reshape(X_val, (X_val.shape[0], -1))  # (1000, 3072)
    X_test = np.reshape(X_test, (X_test.shape[0], -1))  # (1000, 3072)
    X_dev = np.reshape(X_dev, (X_dev.shape[0], -1))  # (500, 3072)

    mean_image = np.mean(X_train, axis=0)  # (3072,)
    X_train -= mean_image
    X_val -= mean_image
    X_test -= mean_image
    X_dev -= mean_image

    X_train = np.hstack([X_train, np.ones((X_train.shape[0], 1))])  # (49000, 3073)
    X_val = np.hstack([X_val, np.ones((X_val.shape[0], 1))])  # (1000, 3073)
    X_test = np.hstack([X_test, np.ones((X_test.shape[0], 1))])  # (1000, 3073)
    X_dev = np.hstack([X_dev, np.ones((X_dev.shape[0], 1))])  # (500, 3073)
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_val": X_val,
        "y_val": y_val,
        "X_test": X_test,
        "y_test": y_test,
        "X_dev": X_dev,
        "y_dev": y_dev,
        "mean_image": mean_image,
    }


# ---------------------------------------------------------------- cs231n's way


def lean_pipeline(root):
    """cs231n.data_utils: uint8 pixels until one float32 copy per split."""
    from cs231n.data_utils import load_CIFAR10, preprocess_CIFAR10

    Xtr, ytr, Xte, yte = load_CIFAR10(root, dtype=np.uint8)
    return preprocess_CIFAR10(
        Xtr, ytr, Xte, yte, NUM_TRAINING, NUM_VALIDATION, NUM_TEST, NUM_DEV, np.float32, seed=0
    )


PIPELINES = {"course": course_pipeline, "cs231n": lean_pipeline}


# ---------------------------------------------------------------- one measurement per process


def peak_rss_gb():
    """Peak resident memory of this process so far, in GB (10**9 bytes), from VmHWM."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e9
    raise RuntimeError("no VmHWM line in /proc/self/status (this benchmark needs Linux)")


def child(mode, root):
    """Run one pipeline (or only the imports, or the comparison) and print a JSON line."""
    import cs231n.data_utils  # noqa: F401  (imports belong to the baseline, not the timing)

    if mode == "imports":
        print(json.dumps({"seconds": 0.0, "peak_gb": peak_rss_gb()}))
    elif mode == "compare":
        course, lean = course_pipeline(root), lean_pipeline(root)
        diffs = {
            key: float(np.max(np.abs(course[key] - lean[key])))
            for key in ("X_train", "X_val", "X_test", "mean_image")
        }
        labels = all(np.array_equal(course[k], lean[k]) for k in ("y_train", "y_val", "y_test"))
        print(json.dumps({"diffs": diffs, "labels_equal": labels}))
    else:
        start = time.perf_counter()
        PIPELINES[mode](root)
        seconds = time.perf_counter() - start
        print(json.dumps({"seconds": seconds, "peak_gb": peak_rss_gb()}))


def spawn(mode, root):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--root", str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"bench_data.py: the {mode} run failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per pipeline (default 5)")
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="cifar-10-batches-py folder")
    parser.add_argument("--child", choices=[*PIPELINES, "imports", "compare"], help="internal")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one run per pipeline, no comparison of the arrays")
    add_output_options(parser)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root)
        return 0
    load_before = load_now()
    if args.quick:
        args.repeat = 1

    missing = [name for name in BATCHES if not (Path(args.root) / name).is_file()]
    if missing:
        sys.exit(
            f"bench_data.py needs the real CIFAR-10 at {args.root} (missing "
            f"{', '.join(missing)}). Fetch it with: python -m cs231n.datasets"
        )
    if args.repeat < 1:
        sys.exit(f"--repeat must be at least 1, got {args.repeat}")
    for name in BATCHES:  # read once so that every run finds the files in the page cache
        (Path(args.root) / name).read_bytes()

    imports = spawn("imports", args.root)
    runs = {name: [] for name in PIPELINES}
    for _ in range(args.repeat):
        for name in PIPELINES:
            runs[name].append(spawn(name, args.root))
    median = {
        name: {
            key: statistics.median(run[key] for run in results) for key in ("seconds", "peak_gb")
        }
        for name, results in runs.items()
    }
    course, lean = median["course"], median["cs231n"]

    print(
        f"CIFAR-10 data steps (load; split {NUM_TRAINING}/{NUM_VALIDATION}/{NUM_TEST} + "
        f"{NUM_DEV} dev; flatten; subtract mean; bias column), median of {args.repeat} runs "
        f"each, numpy {np.__version__}"
    )
    print(f"{'':32}{'time (s)':>10}{'peak memory (GB)':>20}")
    print(f"{'course (float64 everywhere)':32}{course['seconds']:10.2f}{course['peak_gb']:20.2f}")
    print(f"{'cs231n (uint8 -> float32)':32}{lean['seconds']:10.2f}{lean['peak_gb']:20.2f}")
    ratio_time = course["seconds"] / lean["seconds"]
    ratio_memory = course["peak_gb"] / lean["peak_gb"]
    print(f"{'ratio course / cs231n':32}{ratio_time:9.1f}x{ratio_memory:19.1f}x")
    for name, results in runs.items():
        seconds = ", ".join(f"{run['seconds']:.2f}" for run in results)
        print(f"  {name} runs (s): {seconds}")
    print(f"(interpreter + numpy + cs231n imports alone: {imports['peak_gb']:.2f} GB peak)")

    judged = not args.quick
    rows = [
        row("CIFAR-10 data steps, time: course (float64) vs cs231n (uint8 -> float32)",
            f"{course['seconds']:.2f} s", f"{lean['seconds']:.2f} s", ratio_time,
            f"<= {GOAL_SECONDS:g} s", bool(lean["seconds"] <= GOAL_SECONDS) if judged else None),
        row("CIFAR-10 data steps, peak memory: course vs cs231n",
            f"{course['peak_gb']:.2f} GB", f"{lean['peak_gb']:.2f} GB", ratio_memory,
            f"<= {GOAL_GB:g} GB", bool(lean["peak_gb"] <= GOAL_GB) if judged else None),
    ]
    if not args.quick:
        check = spawn("compare", args.root)
        diffs = ", ".join(f"{key} {value:.1e}" for key, value in check["diffs"].items())
        same = "equal" if check["labels_equal"] else "DIFFERENT"
        print(f"same arrays? max |course - cs231n|: {diffs} (float32 rounding); labels {same}")
        rows.append(row("the same arrays: labels equal, X within float32 rounding", "", same,
                        None, "equal", bool(check["labels_equal"])))
    return finish(
        "bench_data", rows, data=f"CIFAR-10 at {args.root}", load_before=load_before,
        results_dir=args.results_dir, quick=args.quick,
        notes=[f"medians of {args.repeat} runs per pipeline, each a fresh process, alternating; "
               f"interpreter + imports alone peak at {imports['peak_gb']:.2f} GB"],
    )


if __name__ == "__main__":
    sys.exit(main())
