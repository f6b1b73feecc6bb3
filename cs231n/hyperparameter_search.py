"""Choose a linear classifier's learning rate and regularization strength on a validation set.

Shapes: X_train (N_train, D), y_train (N_train,), X_val (N_val, D), y_val (N_val,).

`grid_search` trains one model for every (learning_rate, reg) pair of a grid, scores each on the
training and validation sets, and keeps the model with the best validation accuracy. The test set
plays no part: it is for the one final measurement of the chosen model.

With n_jobs > 1 the models train in that many worker processes. The workers are forked, so they
read the parent's training data in place, with no copy. (Threads would be simpler, but OpenBLAS
serializes concurrent small matrix products from threads of one process: measured here, two
threads ran slower than one.) Workers are forked on Linux only: Windows has no fork, and on macOS
a forked child may hang in the system's BLAS (Accelerate), so there the runs are serial. Every
run draws its initial weights and minibatches from its own seeded generator, so the results are
the same whatever n_jobs is and whichever worker finishes first.
"""

import math
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from .classifiers.linear_classifier import TrainingDivergedError


@dataclass
class SearchResult:
    """What `grid_search` found.

    Attributes
    ----------
    results : dict
        (learning_rate, reg) -> (train_accuracy, val_accuracy) for every run that finished, the
        layout the course's worksheet prints.
    diverged : list of (learning_rate, reg)
        Runs stopped because SGD overflowed; they are not in `results`.
    best_model : LinearClassifier
        The model with the highest validation accuracy.
    best_params : (learning_rate, reg)
    best_val : float
    seconds : float
        Wall-clock time of the whole search.
    """

    results: dict = field(default_factory=dict)
    diverged: list = field(default_factory=list)
    best_model: object = None
    best_params: tuple = None
    best_val: float = -1.0
    seconds: float = 0.0

    def table(self):
        """The results as text: one row per run, best validation accuracy marked with '*'."""
        lines = [f"{'learning rate':>13}  {'reg':>9}  {'train acc':>9}  {'val acc':>7}"]
        for lr, reg in sorted(set(self.results) | set(self.diverged)):
            if (lr, reg) in self.results:
                train_acc, val_acc = self.results[(lr, reg)]
                mark = " *" if (lr, reg) == self.best_params else ""
                lines.append(f"{lr:13.2e}  {reg:9.2e}  {train_acc:9.4f}  {val_acc:7.4f}{mark}")
            else:
                lines.append(f"{lr:13.2e}  {reg:9.2e}  {'diverged':>9}  {'':>7}")
        return "\n".join(lines)


def _accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


# What every run needs besides its own (learning_rate, reg, seed): set in the parent before the
# workers fork, so they inherit it instead of receiving a pickled copy of the data.
_job = {}


def _train_one(lr, reg, seed):
    """Train and score one model of the grid; None for the model if SGD diverged."""
    model = _job["make_model"]()
    try:
        model.train(
            _job["X_train"], _job["y_train"], learning_rate=lr, reg=reg, seed=seed,
            on_divergence="raise",
            **_job["train_options"],
        )
    except TrainingDivergedError:
        return None, math.nan, math.nan
    train_acc = _accuracy(model, _job["X_train"], _job["y_train"])
    return model, train_acc, _accuracy(model, _job["X_val"], _job["y_val"])


def _run_all(grid, seed, n_jobs, progress):
    """Yield (k, (model, train_acc, val_acc)) for every run k of the grid, as runs finish."""
    # A text bar on stdout: it renders the same in a terminal, a notebook and a saved notebook.
    bar = tqdm(total=len(grid), desc="grid search", disable=not progress, file=sys.stdout)
    if n_jobs == 1 or not sys.platform.startswith("linux"):
        for k, (lr, reg) in enumerate(grid):
            yield k, _train_one(lr, reg, seed + k)
            bar.update()
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(n_jobs, mp_context=context) as pool:
            futures = {
                pool.submit(_train_one, lr, reg, seed + k): k for k, (lr, reg) in enumerate(grid)
            }
            for future in as_completed(futures):
                yield futures[future], future.result()
                bar.update()
    bar.close()


def grid_search(
    make_model,
    X_train,
    y_train,
    X_val,
    y_val,
    learning_rates,
    regularization_strengths,
    *,
    num_iters=1500,
    batch_size=200,
    lr_decay=1.0,
    seed=0,
    n_jobs=2,
    progress=True,
):
    """Train a model for every (learning_rate, reg) pair and keep the best on validation.

    Parameters
    ----------
    make_model : callable
        Returns a new, untrained classifier, e.g. `Softmax`.
    X_train, y_train : ndarray, shapes (N_train, D) and (N_train,)
    X_val, y_val : ndarray, shapes (N_val, D) and (N_val,)
    learning_rates, regularization_strengths : sequence of float
        The grid is their Cartesian product.
    num_iters, batch_size, lr_decay : passed to each model's `train`.
    seed : int
        Run k of the grid (in the order lr-major, reg-minor) trains with seed `seed + k`.
    n_jobs : int
        How many models train at once, each in its own process.
    progress : bool
        Show a progress bar.

    Returns
    -------
    SearchResult
        Ties in validation accuracy go to the run that comes first in the grid.
    """
    grid = [(float(lr), float(reg)) for lr in learning_rates for reg in regularization_strengths]
    if not grid:
        raise ValueError(
            "learning_rates and regularization_strengths must each hold at least one value; "
            f"got {len(learning_rates)} and {len(regularization_strengths)}"
        )
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer; got {n_jobs!r}")

    _job.update(
        make_model=make_model, X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val,
        train_options=dict(num_iters=num_iters, batch_size=batch_size, lr_decay=lr_decay),
    )
    outcomes = [None] * len(grid)
    start = time.perf_counter()
    try:
        # One BLAS thread per run: the products of an SGD step are too small to share.
        with threadpool_limits(limits=1, user_api="blas"):
            for k, outcome in _run_all(grid, seed, min(n_jobs, len(grid)), progress):
                outcomes[k] = outcome
    finally:
        _job.clear()

    found = SearchResult(seconds=time.perf_counter() - start)
    for params, (model, train_acc, val_acc) in zip(grid, outcomes):
        if model is None:
            found.diverged.append(params)
            continue
        found.results[params] = (train_acc, val_acc)
        if val_acc > found.best_val:
            found.best_val, found.best_params, found.best_model = val_acc, params, model
    return found
