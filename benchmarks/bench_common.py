"""What the benchmark scripts share (not a benchmark itself).

- `notebook_data`: the worksheet's data, as the notebook builds it (float32, mean-subtracted, bias
  column), with all 10,000 test images (the course's test set is their first 1,000).
- `textbook_loss` and `textbook_sgd`: the course's SGD loop as a student writes it, the baseline
  of every speed ratio. It is written out here, not imported, so the baseline stays the same
  whatever happens to cs231n's own loss and training loop.
- `interleaved`: times functions in turn, repeat after repeat, so that a noisy neighbour slows
  all of them alike.
- `cores_busy`: keeps some cores busy, to measure on a loaded machine on purpose.
- `make_parser`: the options every benchmark takes (--quick, --record, --results-dir,
  --repeats); `add_output_options` adds --record and --results-dir to a parser of its own.
- `finish`: prints the rows, writes them with results.write_result when asked (--record writes
  benchmarks/results/<name>.json, as `make bench` does; --results-dir DIR writes DIR/<name>.json),
  and returns the exit status: 1 if a goal was not met. A benchmark run by hand, without either
  option, writes nothing, so the committed results change only when a maintainer records them.
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from results import RESULTS_DIR, write_result

SEED = 231


def notebook_data(quick=False):
    """The worksheet's splits (float32) plus all 10,000 test images, and a description.

    quick: 5,000 training images and 500 validation images, for a smoke run of a few seconds.
    Random data of the same shape if the CIFAR-10 folder is missing.
    """
    from cs231n.data_utils import load_CIFAR10, preprocess_CIFAR10
    from cs231n.datasets import CIFAR10_DIR

    num_training, num_validation = (5000, 500) if quick else (49000, 1000)
    try:
        Xtr, ytr, Xte, yte = load_CIFAR10(CIFAR10_DIR, dtype=np.uint8)
        source = "CIFAR-10 rebuilt from JPEG (cs231n/datasets/cifar-10-batches-py)"
    except (OSError, ValueError) as err:
        rng = np.random.default_rng(0)
        Xtr = rng.integers(0, 256, (50000, 32, 32, 3), dtype=np.uint8)
        ytr = rng.integers(0, 10, 50000)
        Xte = rng.integers(0, 256, (10000, 32, 32, 3), dtype=np.uint8)
        yte = rng.integers(0, 10, 10000)
        source = f"random pixels ({type(err).__name__}: {err})"
    data = preprocess_CIFAR10(
        Xtr, ytr, Xte, yte, num_training=num_training, num_validation=num_validation,
        num_test=len(Xte), num_dev=0, dtype=np.float32, seed=SEED,
    )
    data["source"] = source + (", quick subset" if quick else "")
    return data


def textbook_loss(W, X, y, reg):
    """The course's vectorized softmax loss, as a student writes it."""
    num_train = X.shape[0]
    scores = X @ W  # (N, C)
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)  # (N, C)
    loss = -np.sum(np.log(probs[np.arange(num_train), y])) / num_train + reg * np.sum(W * W)
    dscores = probs
    dscores[np.arange(num_train), y] -= 1
    dW = X.T @ dscores / num_train + 2 * reg * W  # (D, C)
    return loss, dW


def textbook_sgd(X, y, learning_rate, reg, num_iters, batch_size=200, lr_decay=1.0, seed=0):
    """The course's SGD loop (np.random seeded, default BLAS threads); returns W (D, C)."""
    np.random.seed(seed)
    num_train, dim = X.shape
    W = 0.001 * np.random.randn(dim, int(y.max()) + 1)  # (D, C), float64 as in the course
    iters_per_epoch = max(1, num_train // batch_size)
    with np.errstate(all="ignore"):
        for it in range(num_iters):
            idx = np.random.choice(num_train, batch_size)
            X_batch = X[idx]
            y_batch = y[idx]
            loss, grad = textbook_loss(W, X_batch, y_batch, reg)
            if not np.isfinite(loss):
                return None
            W -= learning_rate * grad
            if (it + 1) % iters_per_epoch == 0:
                learning_rate *= lr_decay
    return W


def accuracy(W, X, y):
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def interleaved(functions, repeats):
    """{name: [seconds of each repeat]} and {name: last result}, the functions timed in turn."""
    times = {name: [] for name in functions}
    results = {}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            results[name] = function()
            times[name].append(time.perf_counter() - start)
    return times, results


def median(values):
    return statistics.median(values)


@contextlib.contextmanager
def cores_busy(count, seconds=600):
    """Keep `count` cores busy with spinning subprocesses (ended on exit, or after `seconds`)."""
    spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
    burners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
    try:
        time.sleep(0.2)
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def add_output_options(parser):
    """Add --record and --results-dir to parser; both set args.results_dir (None: write
    nothing, the default)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--record", dest="results_dir", action="store_const",
                       const=str(RESULTS_DIR), help="write the results file into "
                       "benchmarks/results/, whose files the docs' tables are made from "
                       "(make bench does)")
    where.add_argument("--results-dir", dest="results_dir", metavar="DIR",
                       help="write the results file into DIR")
    return parser


def make_parser(doc, quick_help, repeats=None):
    """An argument parser with --quick, --record, --results-dir and, if repeats is given,
    --repeats."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if repeats is not None:
        parser.add_argument("--repeats", type=int, default=repeats,
                            help=f"interleaved rounds (default {repeats})")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {quick_help}")
    return add_output_options(parser)


def load_now():
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else [float("nan")] * 3


def row(what, baseline, ours, ratio=None, goal=None, met=None):
    return {"what": what, "baseline": baseline, "ours": ours, "ratio": ratio, "goal": goal,
            "met": met}


def finish(name, rows, *, data, load_before, notes=(), results_dir=None, quick=False):
    """Print the rows, write them to results_dir if given, and return 0, or 1 if a goal was
    missed. A smoke run (quick) is never written to benchmarks/results/ itself."""
    print(f"\n{name}: load average before the run {load_before[0]:.2f}, now {load_now()[0]:.2f}")
    for r in rows:
        ratio = "" if r["ratio"] is None else f"  {r['ratio']:.2f}x"
        verdict = {True: "met", False: "NOT met", None: "not judged (smoke run)"}[r["met"]]
        goal = "" if r["goal"] is None else f"  goal {r['goal']}: {verdict}"
        print(f"  {r['what']}: {r['baseline'] or '-'} -> {r['ours']}{ratio}{goal}")
    for note in notes:
        print(f"  note: {note}")
    if results_dir is not None and quick and Path(results_dir).resolve() == RESULTS_DIR:
        print(f"  not written: a smoke run (--quick) is never recorded in {RESULTS_DIR}")
    elif results_dir is not None:
        path = write_result(name, rows, data=data, load_before=load_before, notes=notes,
                            directory=results_dir)
        print(f"  written to {path}")
    else:
        print("  not written (--record writes benchmarks/results/, --results-dir DIR elsewhere)")
    missed = [r["what"] for r in rows if r["met"] is False]
    if missed:
        print(f"{name}: goal NOT met: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0
