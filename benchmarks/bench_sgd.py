"""How much faster `Softmax.train` is than the textbook SGD loop, measured in one run.

The workload is the worksheet's first training run: 49,000 x 3,073 training set, 1,500 iterations,
batch 200, learning_rate 1e-7, reg 2.5e4, softmax loss. The baseline is the loop as the course
writes it (bench_common.textbook_sgd), on float64 data, with NumPy's default BLAS threading:

    idx = np.random.choice(N, 200); X_batch = X[idx]; y_batch = y[idx]
    loss, grad = softmax_loss(W, X_batch, y_batch, reg); W -= lr * grad

The floor is what no SGD loop can avoid: gathering each minibatch and its two matrix products,
X_batch @ W and X_batch.T @ dscores, timed alone, on one BLAS thread and on two (float32 and
float64 data): a course-shaped loop, which gathers and then computes, cannot beat it.

Every variant runs under three conditions: the machine as it is (idle, when the benchmark is run
as it should be), and with one or both cores kept busy by spinning processes, as on a shared
machine. Within a condition the variants are timed in turn, round after round (interleaved), and
the medians compared. Goals: on the idle machine, Softmax.train >= 1.8x the textbook
loop on float32 data and >= 1.2x on float64 data; with one core busy, never slower (>= 1.0x).
Exits 1 if a goal is missed; with --record (as `make bench` runs it) writes
benchmarks/results/bench_sgd.json.

Uses the notebook's data (CIFAR-10 rebuilt from JPEG, float32; float64 is its exact cast) when
cs231n/datasets/cifar-10-batches-py exists, random pixels otherwise.

    .venv/bin/python benchmarks/bench_sgd.py [--repeats 3] [--quick] [--record]
"""

import contextlib
import os
import sys

import numpy as np
from bench_common import (
    accuracy,
    cores_busy,
    finish,
    interleaved,
    load_now,
    make_parser,
    median,
    notebook_data,
    row,
    textbook_sgd,
)
from threadpoolctl import threadpool_info, threadpool_limits

from cs231n.classifiers import Softmax

NUM_CLASSES = 10
ITERS, BATCH, LR, REG = 1500, 200, 1e-7, 2.5e4
GOALS = {  # (condition, variant) -> the least ratio textbook / variant
    ("idle", "Softmax.train, float32 data"): 1.8,
    ("idle", "Softmax.train, float64 data"): 1.2,
    ("one core busy", "Softmax.train, float32 data"): 1.0,
    ("one core busy", "Softmax.train, float64 data"): 1.0,
}


def floor(X, iters, threads=1):
    """Gather + the two products of every step, nothing else, on `threads` BLAS threads."""
    N, D = X.shape
    rng = np.random.RandomState(0)
    W = np.zeros((D, NUM_CLASSES), dtype=X.dtype)
    dscores = np.zeros((BATCH, NUM_CLASSES), dtype=X.dtype)
    X_batch = np.empty((BATCH, D), dtype=X.dtype)
    with threadpool_limits(limits=threads, user_api="blas"):
        for _ in range(iters):
            np.take(X, rng.choice(N, BATCH), axis=0, out=X_batch, mode="clip")
            X_batch @ W
            X_batch.T @ dscores


def ours(X, y, iters):
    model = Softmax()
    model.train(X, y, LR, REG, iters, BATCH, seed=0)
    return model.W


def main(argv=None):
    parser = make_parser(__doc__, "5,000 images, 100 iterations, 1 round, idle only", repeats=3)
    args = parser.parse_args(argv)
    load_before = load_now()
    data = notebook_data(args.quick)
    X32, y = data["X_train"], data["y_train"]
    X64 = X32.astype(np.float64)
    iters, repeats = (100, 1) if args.quick else (ITERS, args.repeats)
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info())
    print(f"data: {data['source']}, X_train {X32.shape}; BLAS: {blas}; {os.cpu_count()} cores; "
          f"{iters} steps; medians of {repeats} interleaved rounds")

    variants = {
        "textbook loop, float64 data, default BLAS threads": (
            lambda: textbook_sgd(X64, y, LR, REG, iters, BATCH)),
        "Softmax.train, float64 data": lambda: ours(X64, y, iters),
        "Softmax.train, float32 data": lambda: ours(X32, y, iters),
        "floor: gather + 2 products, float32, 1 thread": lambda: floor(X32, iters),
        "floor: gather + 2 products, float32, 2 threads": lambda: floor(X32, iters, 2),
        "floor: gather + 2 products, float64, 2 threads": lambda: floor(X64, iters, 2),
    }
    conditions = {
        "idle": contextlib.nullcontext,
        "one core busy": lambda: cores_busy(1),
        "both cores busy": lambda: cores_busy(2),
    }
    if args.quick:
        conditions = {"idle": contextlib.nullcontext}
    rows = []
    for condition, make_context in conditions.items():
        with make_context():
            times, weights = interleaved(variants, repeats)
        seconds = {name: median(t) for name, t in times.items()}
        baseline_name = next(iter(variants))
        baseline = seconds[baseline_name]
        print(f"\n{condition}")
        for name, W in weights.items():
            val = "" if W is None else f"  val acc {accuracy(W, data['X_val'], data['y_val']):.3f}"
            print(f"  {name:50s} {seconds[name]:7.3f} s {baseline / seconds[name]:6.2f}x{val}")
        for name in variants:
            if name == baseline_name:
                continue
            goal = GOALS.get((condition, name))
            ratio = baseline / seconds[name]
            rows.append(row(
                f"{iters}-step run, {condition}: {name} vs the textbook loop (float64)",
                f"{baseline:.2f} s", f"{seconds[name]:.2f} s", ratio,
                None if goal is None else f">= {goal:g}x",
                None if goal is None or args.quick else bool(ratio >= goal),
            ))
    return finish(
        "bench_sgd", rows, data=data["source"], load_before=load_before,
        results_dir=args.results_dir, quick=args.quick,
        notes=[f"BLAS: {blas}; the busy conditions spin 1 or 2 extra processes"],
    )


if __name__ == "__main__":
    sys.exit(main())
