"""How much faster `LinearClassifier.train` is than the textbook SGD loop, measured in one run.

The workload is the worksheet's first training run: 49,000 x 3,073 training set, 1,500 iterations,
batch 200, learning_rate 1e-7, reg 2.5e4, softmax loss. The baseline is the loop as the course
writes it, on float64 data, with NumPy's default BLAS threading:

    idx = np.random.choice(N, 200); X_batch = X[idx]; y_batch = y[idx]
    loss, grad = softmax_loss_vectorized(W, X_batch, y_batch, reg); W -= lr * grad

The floor is what no SGD loop can avoid: gathering each minibatch and its two matrix products,
X_batch @ W and X_batch.T @ dscores, timed alone on one BLAS thread.

Every variant runs three times over: on the idle machine, and with one or both cores kept busy by
other processes, as on a shared machine or during a parallel grid search. OpenBLAS's threads do the
skinny products of SGD faster on an idle machine, and stall when one of them must wait for a core.

Uses the real CIFAR-10 training set when cs231n/datasets/cifar-10-batches-py exists (and also
reports the accuracy each variant reaches), random data of the same shape otherwise.

    .venv/bin/python benchmarks/bench_sgd.py [--repeats 3]
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from cs231n.classifiers import Softmax
from cs231n.classifiers.softmax import softmax_loss_vectorized

NUM_TRAIN, DIM, NUM_CLASSES = 49000, 3073, 10
ITERS, BATCH, LR, REG = 1500, 200, 1e-7, 2.5e4


def load_data():
    """Training and validation sets (float64, bias column), and where they came from."""
    try:
        from cs231n.data_utils import load_CIFAR10
        from cs231n.datasets import CIFAR10_DIR

        Xtr, ytr, _, _ = load_CIFAR10(CIFAR10_DIR)
    except (ImportError, FileNotFoundError) as err:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((NUM_TRAIN + 1000, DIM))
        y = rng.integers(0, NUM_CLASSES, NUM_TRAIN + 1000)
        return X[:NUM_TRAIN], y[:NUM_TRAIN], X[NUM_TRAIN:], y[NUM_TRAIN:], f"random ({err})"
    X = Xtr.reshape(len(Xtr), -1).astype(np.float64)
    X -= X[:NUM_TRAIN].mean(axis=0)
    X = np.hstack([X, np.ones((len(X), 1))])  # (50000, 3073)
    return X[:NUM_TRAIN], ytr[:NUM_TRAIN], X[NUM_TRAIN:], ytr[NUM_TRAIN:], "CIFAR-10"


def textbook_sgd(X, y):
    N, D = X.shape
    W = 0.001 * np.random.randn(D, NUM_CLASSES)
    for _ in range(ITERS):
        idx = np.random.choice(N, BATCH)
        X_batch = X[idx]
        y_batch = y[idx]
        _, grad = softmax_loss_vectorized(W, X_batch, y_batch, REG)
        W -= LR * grad
    return W


def floor(X):
    """Gather + the two products of every step, nothing else, on one BLAS thread."""
    N, D = X.shape
    rng = np.random.RandomState(0)
    W = np.zeros((D, NUM_CLASSES), dtype=X.dtype)
    dscores = np.zeros((BATCH, NUM_CLASSES), dtype=X.dtype)
    X_batch = np.empty((BATCH, D), dtype=X.dtype)
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(ITERS):
            np.take(X, rng.choice(N, BATCH), axis=0, out=X_batch, mode="clip")
            X_batch @ W
            X_batch.T @ dscores


def ours(X, y, dtype=None):
    model = Softmax()
    model.train(X, y, LR, REG, ITERS, BATCH, dtype=dtype)
    return model.W


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        np.random.seed(0)
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    X64, y, X_val64, y_val, source = load_data()
    X32 = X64.astype(np.float32)
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info())
    print(f"data: {source}, X_train {X64.shape}; BLAS: {blas}; {os.cpu_count()} cores; "
          f"median of {args.repeats} runs")

    variants = [
        ("textbook loop, float64, default BLAS threads", lambda: textbook_sgd(X64, y)),
        ("Softmax.train, float64 data", lambda: ours(X64, y)),
        ("Softmax.train, float64 data, dtype=float32", lambda: ours(X64, y, np.float32)),
        ("Softmax.train, float32 data (as the notebook loads it)", lambda: ours(X32, y)),
        ("floor: gather + 2 products, float32, 1 thread", lambda: floor(X32)),
    ]
    conditions = [
        ("idle machine", contextlib.nullcontext),
        ("one core busy with another process (a shared machine)", lambda: cores_busy(1)),
        ("both cores busy with other processes (a loaded machine)", lambda: cores_busy(2)),
    ]
    for condition, make_context in conditions:
        rows = []
        with make_context():
            for name, fn in variants:
                seconds, W = median_seconds(fn, args.repeats)
                rows.append((name, seconds, W))
        baseline = rows[0][1]
        print(f"\n{condition}")
        print(f"{'variant':<58}{'seconds':>9}{'speed-up':>10}{'val acc':>9}")
        for name, seconds, W in rows:
            accuracy = "" if W is None else f"{np.mean(np.argmax(X_val64 @ W, 1) == y_val):9.3f}"
            print(f"{name:<58}{seconds:9.3f}{baseline / seconds:9.1f}x{accuracy}")
        print(f"Softmax.train on float32 data takes {rows[3][1] / rows[4][1]:.2f}x the floor.")


if __name__ == "__main__":
    main()
