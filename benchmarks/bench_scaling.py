"""How the stacked trainer's cost grows with steps, batch size, grid size and training-set size.

Issue 10's goal: the cost grows linearly in the number of steps, the batch size and the number of
configurations, with no fixed cost that grows with N. This script times
`cs231n_search.stacked_sgd.train_stacked` in this process on one BLAS thread (the work of one
grid-search worker) on random float32 data of the notebook's shape (N = 49,000, D = 3,073,
C = 10), varying one factor at a time around K = 8 configurations, B = 200, 200 steps;
the sizes are timed in turn,
round after round, and the medians fitted by least squares, t = fixed + slope * size.

Reported: the per-step, per-example and per-configuration costs (the slopes), the fixed costs,
and the largest deviation of a median from its fit. Goals: every fit within 10% of every median
(linear); a configuration costs at most what it costs alone (t(K) <= K t(1): stacking never
costs more than separate runs); and the time for N = 49,000 within 10% of that for N = 10,000 (no
cost that grows with N). Exits 1 if a goal is missed; writes benchmarks/results/bench_scaling.json.

    .venv/bin/python benchmarks/bench_scaling.py [--repeats 3] [--quick]
"""

import sys

import numpy as np
from bench_common import finish, interleaved, load_now, make_parser, median, row
from threadpoolctl import threadpool_limits

from cs231n_search.stacked_sgd import train_stacked

N, D, C = 49000, 3073, 10
LINEAR_TOLERANCE = 0.10
N_TOLERANCE = 0.10


def timer(X, y, num_configs, batch_size, num_iters):
    lrs, regs = [1e-7] * num_configs, [1e3] * num_configs
    seeds = list(range(num_configs))

    def run():
        with threadpool_limits(limits=1, user_api="blas"):
            train_stacked(X, y, lrs, regs, seeds, num_classes=C, num_iters=num_iters,
                          batch_size=batch_size, seed=0)
    return run


def fit(sizes, seconds):
    """(fixed, slope, largest |relative deviation| of a median from the line)."""
    slope, fixed = np.polyfit(sizes, seconds, 1)
    predicted = fixed + slope * np.asarray(sizes)
    return fixed, slope, float(np.max(np.abs(predicted - seconds) / seconds))


def main(argv=None):
    parser = make_parser(__doc__, "small sizes, 1 round", repeats=3)
    args = parser.parse_args(argv)
    load_before = load_now()
    rng = np.random.default_rng(0)
    num_train = 5000 if args.quick else N
    X = (50 * rng.standard_normal((num_train, D))).astype(np.float32)  # (N, D)
    y = rng.integers(0, C, num_train)  # (N,)
    steps, batch, configs = (20, 200, 8) if args.quick else (200, 200, 8)
    repeats = 1 if args.quick else args.repeats

    factors = {
        "steps": ([steps // 2, steps, 2 * steps], lambda s: timer(X, y, configs, batch, s)),
        "batch size": ([batch // 2, batch, 2 * batch], lambda b: timer(X, y, configs, b, steps)),
        "configurations": ([1, 2, 4, 8, 16], lambda k: timer(X, y, k, batch, steps)),
        "training-set size N": (
            [num_train // 5, num_train],
            lambda n: timer(X[:n], y[:n], configs, batch, steps),
        ),
    }
    functions = {(factor, size): make(size)
                 for factor, (sizes, make) in factors.items() for size in sizes}
    times, _ = interleaved(functions, repeats)
    seconds = {key: median(t) for key, t in times.items()}
    judged = not args.quick
    rows = []
    units = {"steps": "step", "batch size": "example", "configurations": "configuration"}
    for factor, (sizes, _) in factors.items():
        medians = [seconds[(factor, size)] for size in sizes]
        print(f"{factor}: " + ", ".join(f"{s} -> {t:.3f} s" for s, t in zip(sizes, medians)))
        if factor == "training-set size N":
            change = medians[1] / medians[0] - 1
            rows.append(row(
                f"N {sizes[0]} -> {sizes[1]} ({configs} configurations, {steps} steps)",
                f"{medians[0]:.3f} s", f"{medians[1]:.3f} s", medians[0] / medians[1],
                f"within {N_TOLERANCE:.0%}", bool(abs(change) <= N_TOLERANCE) if judged else None,
            ))
            continue
        fixed, slope, deviation = fit(sizes, medians)
        per = f"{1e3 * slope:.3f} ms per {units[factor]}"
        if factor == "steps":
            per = f"{1e3 * slope:.3f} ms per step ({configs} configurations, batch {batch})"
        elif factor == "batch size":
            per = (f"{1e6 * slope / steps:.2f} us per example per step ({configs} "
                   "configurations)")
        else:
            per = f"{1e3 * slope / steps:.3f} ms per configuration per step (batch {batch})"
        rows.append(row(
            f"cost vs {factor}: {per}; fixed {1e3 * fixed:.0f} ms",
            "", f"largest deviation from the line {deviation:.1%}", None,
            f"linear within {LINEAR_TOLERANCE:.0%}",
            bool(deviation <= LINEAR_TOLERANCE) if judged else None,
        ))
        if factor == "configurations":
            alone = medians[0]
            worst = max(t / (k * alone) for k, t in zip(sizes, medians))
            rows.append(row(
                "stacking K configurations vs K separate runs: largest t(K) / (K t(1))",
                f"{alone:.3f} s per configuration alone", f"{worst:.2f}", None, "<= 1",
                bool(worst <= 1.0) if judged else None,
            ))
    return finish(
        "bench_scaling", rows, data=f"random float32 ({num_train}, {D}), C = {C}",
        load_before=load_before, results_dir=args.results_dir, quick=args.quick,
        notes=[f"train_stacked on one BLAS thread; medians of {repeats} interleaved rounds"],
    )


if __name__ == "__main__":
    sys.exit(main())
