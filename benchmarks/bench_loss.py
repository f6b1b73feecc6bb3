"""Speed of the softmax loss: vectorized against naive, and against its floor.

The floor of a vectorized loss is the time of its two matrix products alone, X @ W for the scores
and X.T @ dscores for the gradient: everything else (input validation, exp and log, the (N, C)
bookkeeping, the regularization) should add less than half of it, a ratio below 1.5x.

Two batches are timed:
- the worksheet's dev batch, X (500, 3073) float64 with 10 classes, from CIFAR-10 when
  cs231n/datasets/cifar-10-batches-py exists (500 random images of data_batch_1, minus that
  batch's mean image, with a bias column of ones), otherwise random normal data of that shape;
- an SGD minibatch, X (200, 3073) float32, the batch that training evaluates 1500+ times.

OpenBLAS threading matters on a small machine, so the floor ratios are measured with the default
number of BLAS threads and with one (the SGD loop runs with one). Times are medians over
interleaved repeats (each repeat times every function in turn, so a noisy neighbour slows all of
them alike); ratios compare times measured in this run.

Goal: on one BLAS thread (the reliable comparison on a shared machine), the vectorized loss
takes at most 1.5x its floor, i.e. floor / loss >= 0.67x, on both batches. The default-threads
figures are reported too. Exits 1 if a goal is missed; with --record (as `make bench` runs it)
writes benchmarks/results/bench_loss.json.

Run from the repository root:  .venv/bin/python benchmarks/bench_loss.py [--quick] [--record]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import add_output_options, finish, load_now, row
from threadpoolctl import threadpool_info, threadpool_limits

from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.data_utils import load_CIFAR_batch

CIFAR10_BATCH = Path(__file__).resolve().parents[1] / "cs231n/datasets/cifar-10-batches-py"
NUM_CLASSES = 10
SEED = 0
GOAL_FLOOR_RATIO = 1.5  # a vectorized loss takes at most this many times its floor


def dev_batch(num_dev=500):
    """X (num_dev, 3073) float64, y (num_dev,) int64 and a sentence saying where they came from."""
    rng = np.random.default_rng(SEED)
    path = CIFAR10_BATCH / "data_batch_1"
    if path.exists():
        images, labels = load_CIFAR_batch(str(path))  # (10000, 32, 32, 3), (10000,)
        pixels = images.reshape(len(images), -1).astype(np.float64)  # (10000, 3072)
        rows = rng.choice(len(pixels), size=num_dev, replace=False)  # (num_dev,)
        X = pixels[rows] - pixels.mean(axis=0)  # (num_dev, 3072)
        y = labels[rows]  # (num_dev,)
        source = f"CIFAR-10 {path.name}: {num_dev} random images, mean-subtracted, bias column"
    else:
        X = rng.standard_normal((num_dev, 3072))  # (num_dev, 3072)
        y = rng.integers(0, NUM_CLASSES, size=num_dev)  # (num_dev,)
        source = f"random normal data ({path} not found)"
    X = np.hstack([X, np.ones((num_dev, 1))])  # (num_dev, 3073)
    return X, y, source


def medians_ms(functions, repeats, number=1):
    """Median milliseconds per call of each function, over interleaved repeats of `number` calls."""
    for function in functions.values():
        function()  # warm up: first-call allocations and BLAS thread start-up
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            for _ in range(number):
                function()
            times[name].append((time.perf_counter() - start) / number)
    return {name: 1e3 * float(np.median(t)) for name, t in times.items()}


def floor_functions(W, X, y, reg):
    """The vectorized loss on (W, X, y) and the two matrix products that are its floor."""
    dscores = np.ones((X.shape[0], W.shape[1]), dtype=np.result_type(W, X))  # (N, C)
    return {
        "softmax_loss_vectorized": lambda: softmax_loss_vectorized(W, X, y, reg),
        "floor: X @ W, X.T @ dscores": lambda: (X @ W, X.T @ dscores),
    }


def print_times(title, times):
    print(f"\n{title}")
    for name, ms in times.items():
        print(f"  {name:32s} {ms:9.3f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few repeats")
    add_output_options(parser)
    args = parser.parse_args(argv)
    load_before = load_now()
    scale = 10 if args.quick else 1
    X_dev, y_dev, source = dev_batch()
    rng = np.random.default_rng(SEED + 1)
    W_dev = 1e-4 * rng.standard_normal((X_dev.shape[1], NUM_CLASSES))  # (3073, 10)
    X_sgd = X_dev[:200].astype(np.float32)  # (200, 3073)
    y_sgd = y_dev[:200]  # (200,)
    W_sgd = W_dev.astype(np.float32)  # (3073, 10)
    reg = 5e-6
    blas = ", ".join(
        f"{pool['internal_api']} {pool['version']} ({pool['num_threads']} threads)"
        for pool in threadpool_info()
        if pool["user_api"] == "blas"
    )
    load = os.getloadavg()[0]
    print(f"numpy {np.__version__}; BLAS: {blas or 'none found by threadpoolctl'}")
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} over the last minute")
    if load > (os.cpu_count() or 1) - 0.5:
        print(
            "  (busy machine: multithreaded BLAS calls stall while a thread waits for a core, so "
            "the default-threads times are noisy; the 1-thread ones are the reliable comparison)"
        )
    print(f"dev batch: {source}; X {X_dev.shape} {X_dev.dtype}, W {W_dev.shape}, reg {reg}")

    batches = [
        ("dev batch (500, 3073) float64", W_dev, X_dev, y_dev, 40 // scale),
        ("SGD batch (200, 3073) float32", W_sgd, X_sgd, y_sgd, 100 // scale),
    ]
    ratios, rows = [], []
    for threads in (None, 1):
        thread_text = "default threads" if threads is None else "1 thread"
        with threadpool_limits(limits=threads, user_api="blas"):
            times = medians_ms(
                {
                    "softmax_loss_naive": lambda: softmax_loss_naive(W_dev, X_dev, y_dev, reg),
                    "softmax_loss_vectorized": (
                        lambda: softmax_loss_vectorized(W_dev, X_dev, y_dev, reg)
                    ),
                },
                repeats=1 if args.quick else 5,
            )
            print_times(f"dev batch, naive and vectorized, {thread_text}", times)
            ratios.append((
                f"softmax naive / vectorized, dev batch, {thread_text}",
                times["softmax_loss_naive"] / times["softmax_loss_vectorized"],
            ))

            for batch_name, W, X, y, repeats in batches:
                times = medians_ms(floor_functions(W, X, y, reg), repeats=repeats, number=5)
                print_times(f"{batch_name}, {thread_text}", times)
                short_name = batch_name.split(" (")[0]
                floor_ms = times["floor: X @ W, X.T @ dscores"]
                loss_ms = times["softmax_loss_vectorized"]
                ratios.append(
                    (f"softmax vectorized / floor, {short_name}, {thread_text}", loss_ms / floor_ms)
                )
                judged = threads == 1 and not args.quick
                rows.append(row(
                    f"softmax_loss_vectorized vs its floor (the two products), {batch_name}, "
                    f"{thread_text}",
                    f"{floor_ms:.3f} ms (floor)", f"{loss_ms:.3f} ms", floor_ms / loss_ms,
                    f">= {1 / GOAL_FLOOR_RATIO:.2f}x" if threads == 1 else None,
                    bool(loss_ms <= GOAL_FLOOR_RATIO * floor_ms) if judged else None,
                ))

    print("\nratios (vectorized / floor should be below 1.5x)")
    for name, ratio in ratios:
        print(f"  {name:68s} {ratio:7.3f}x")
    return finish(
        "bench_loss", rows, data=source, load_before=load_before, results_dir=args.results_dir,
        quick=args.quick,
        notes=[f"BLAS: {blas}; medians over interleaved repeats; ratio = floor / loss"],
    )


if __name__ == "__main__":
    sys.exit(main())
