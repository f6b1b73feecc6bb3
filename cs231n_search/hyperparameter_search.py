"""Choose a softmax classifier's learning rate and regularization strength on a validation set.

Shapes: X_train (N_train, D), y_train (N_train,), X_val (N_val, D), y_val (N_val,); C classes,
C = max(y_train) + 1.

`grid_search` trains one softmax classifier for every (learning_rate, reg) pair of a grid, scores
each on the training and validation sets, and keeps the one with the best validation accuracy.
The test set plays no part: it is for the one final measurement of the chosen model.

The engine is self-contained: it trains with its own stacked SGD (`cs231n_search/stacked_sgd.py`)
and never calls the classifier's `loss`, `train` or `predict`. The classifier class the caller
passes (e.g. `cs231n.classifiers.Softmax`) only receives the chosen weights: `best_model` is an
instance of it with `W` set, ready for its own `predict` and `save`.

How the models train: all configurations of the grid train at once, stacked, and **share their
minibatches**, drawn by `np.random.RandomState(seed)`; configuration k (lr-major, reg-minor order)
starts from `initial_weights(D, C, seed + k)` (0.001 times standard normal numbers) with its own
learning rate and reg. A configuration whose loss overflows leaves the stack at once and is listed
as diverged.

The configurations are dealt to n_jobs worker processes (configuration k to worker k % n_jobs),
each running BLAS on one thread and copying its own minibatches out of X_train (see
`cs231n_search/worker_processes.py` for Ctrl-C, a killed parent and errors). A configuration's
result does not depend on which others share its worker, so the results are the same for every
n_jobs. Off Linux the workers run one after the other in this process.
"""

import sys
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from .checks import check_data, check_number, check_numbers, check_positive_int, check_seed
from .stacked_sgd import compute_dtype, initial_weights, train_stacked
from .worker_processes import forking_available, run_tasks

__all__ = ["SearchResult", "grid_search"]

# Rows of X scored per matrix product when measuring accuracies.
SCORE_CHUNK = 4096
# A worker reports its progress every this many SGD steps.
REPORT_EVERY = 25


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
    best_model : object
        A `model_class()` instance whose W, shape (D, C), holds the weights of the run with the
        highest validation accuracy. If every run diverged, W holds the starting weights of the
        run that diverged last (its accuracy is at chance level), so the cells that use it still
        run.
    best_params : (learning_rate, reg)
        The parameters of best_model's run (if every run diverged: the run that diverged last).
    best_val : float
        best_model's validation accuracy.
    seconds : float
        Wall-clock time of the training and scoring.
    all_diverged : bool
        True if every run diverged: then `results` is empty and `table()` says so.
    """

    results: dict = field(default_factory=dict)
    diverged: list = field(default_factory=list)
    best_model: object = None
    best_params: tuple = None
    best_val: float = -1.0
    seconds: float = 0.0
    all_diverged: bool = False

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
        if self.all_diverged:
            lr, reg = self.best_params
            lines.append(
                f"every run diverged: lower the learning rates. best_model holds the untrained "
                f"starting weights of the run that diverged last (learning rate {lr:.2e}, reg "
                f"{reg:.2e}), at chance accuracy ({self.best_val:.4f} on validation)"
            )
        return "\n".join(lines)


@dataclass
class _Job:
    """Everything a worker needs besides its runs. Forked workers inherit it: no copy is made."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    num_classes: int
    grid: list
    seed: int
    num_iters: int
    batch_size: int
    lr_decay: float
    average_last_epochs: float


@dataclass
class _Outcome:
    """One run's result: W (D, C) or None if it diverged, at iteration diverged_at."""

    k: int
    W: object
    train_acc: float
    val_acc: float
    diverged_at: object


def _accuracies(X, y, weights, num_classes):
    """Accuracy of every (D, C) weight matrix on (X, y), scored with one wide product per chunk.

    A column of a matrix product does not depend on its neighbours, so the predictions are those
    of argmax(X @ W) with each W alone.
    """
    W = np.hstack(weights)  # (D, M * C)
    correct = np.zeros(len(weights), dtype=np.int64)  # (M,)
    for start in range(0, len(X), SCORE_CHUNK):
        rows = slice(start, start + SCORE_CHUNK)
        scores = (X[rows] @ W).reshape(-1, len(weights), num_classes)  # (n, M, C)
        correct += np.sum(scores.argmax(axis=2) == y[rows, np.newaxis], axis=0)
    return [float(count) / len(X) for count in correct]


def _train_runs(job, runs, report):
    """The work of one worker: train the runs together, score them; return their _Outcomes."""

    def on_step(it):
        if (it + 1) % REPORT_EVERY == 0 or it + 1 == job.num_iters:
            report(it + 1)

    with threadpool_limits(limits=1, user_api="blas"):
        trained = train_stacked(
            job.X_train, job.y_train,
            [job.grid[k][0] for k in runs], [job.grid[k][1] for k in runs],
            [job.seed + k for k in runs],
            num_classes=job.num_classes, num_iters=job.num_iters,
            batch_size=job.batch_size, lr_decay=job.lr_decay, seed=job.seed,
            average_last_epochs=job.average_last_epochs, on_step=on_step,
        )
        report(job.num_iters)
        outcomes = [
            _Outcome(k, W, np.nan, np.nan, diverged_at)
            for k, W, diverged_at in zip(runs, trained.weights, trained.diverged_at)
        ]
        finished = [outcome for outcome in outcomes if outcome.W is not None]
        if finished:
            weights = [outcome.W for outcome in finished]
            train_accs = _accuracies(job.X_train, job.y_train, weights, job.num_classes)
            val_accs = _accuracies(job.X_val, job.y_val, weights, job.num_classes)
            for outcome, train_acc, val_acc in zip(finished, train_accs, val_accs):
                outcome.train_acc, outcome.val_acc = train_acc, val_acc
    # Plain tuples back to the parent: unpickling them needs no class of this module, which a
    # notebook's autoreload may have replaced since the fork.
    return [(o.k, o.W, o.train_acc, o.val_acc, o.diverged_at) for o in outcomes]


def grid_search(
    model_class,
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
    average_last_epochs=0,
):
    """Train a softmax classifier for every (learning_rate, reg) pair; keep the best on validation.

    Every run minimizes the softmax loss with L2 regularization reg * sum(W * W) by minibatch SGD
    (see `cs231n_search/stacked_sgd.py`).

    Parameters
    ----------
    model_class : callable
        Called once, with no arguments, to make `best_model`, which then receives the chosen
        weights as its attribute W; e.g. `cs231n.classifiers.Softmax`. Nothing else of it is
        used: the engine trains and scores the runs itself.
    X_train, y_train : array_like, shapes (N_train, D) and (N_train,)
    X_val, y_val : array_like, shapes (N_val, D) and (N_val,), labels in [0, max(y_train)]
    learning_rates, regularization_strengths : iterables of float
        The grid is their Cartesian product (generators are read once).
    num_iters, batch_size : int
        SGD steps per run, and examples per minibatch (drawn with replacement).
    lr_decay : float
        The learning rate is multiplied by lr_decay after each epoch (max(1, N // batch_size)
        steps).
    seed : int
        In [0, 2**32 - K] for a grid of K runs. The minibatches, shared by all runs, are drawn
        by RandomState(seed); run k of the grid (lr-major, reg-minor) starts from
        `initial_weights(D, C, seed + k)`.
    n_jobs : int
        How many worker processes share the runs.
    progress : bool
        Show a progress bar (on stdout).
    average_last_epochs : float
        If > 0, each run's model is the mean of its SGD iterates over the last
        average_last_epochs epochs (Polyak averaging) rather than the last iterate.

    Returns
    -------
    SearchResult
        Ties in validation accuracy go to the run that comes first in the grid. The weights are
        in X_train's floating dtype (float64 for integer X_train).

    Raises
    ------
    ValueError
        Before any training, if an input is malformed (shapes, labels out of range, an empty or
        non-numeric grid, NaN in X_train or X_val).
    cs231n_search.worker_processes.WorkerError
        If a run fails; the message names the runs of its worker.
    """
    learning_rates = check_numbers(learning_rates, "learning_rates", positive=True)
    regs = check_numbers(regularization_strengths, "regularization_strengths", positive=False)
    grid = [(lr, reg) for lr in learning_rates for reg in regs]
    X_train, y_train, X_val, y_val, num_classes = check_data(X_train, y_train, X_val, y_val)
    job = _Job(
        X_train, y_train, X_val, y_val, num_classes, grid,
        seed=check_seed(seed, "seed", len(grid)),
        num_iters=check_positive_int(num_iters, "num_iters"),
        batch_size=check_positive_int(batch_size, "batch_size"),
        lr_decay=check_number(lr_decay, "lr_decay", positive=True),
        average_last_epochs=check_number(average_last_epochs, "average_last_epochs",
                                         positive=False),
    )
    num_workers = min(check_positive_int(n_jobs, "n_jobs"), len(grid))
    best_model = _new_model(model_class)

    tasks = [list(range(j, len(grid), num_workers)) for j in range(num_workers)]
    start = time.perf_counter()
    outcomes = _run(job, tasks, progress)
    found = _summarize(job, outcomes, best_model)
    found.seconds = time.perf_counter() - start
    return found


def _new_model(model_class):
    """model_class(), made before any training so that a bad model_class fails at once."""
    if not callable(model_class):
        raise ValueError(
            f"model_class must be a classifier class such as Softmax; got {model_class!r}"
        )
    return model_class()


def _run(job, tasks, progress):
    """Run the workers' tasks under a progress bar; return all their _Outcomes, by k."""
    done = [0] * len(tasks)

    def on_progress(i, steps):
        done[i] = steps
        bar.update(min(done) - bar.n)

    def describe(i):
        runs = ", ".join(f"(lr={job.grid[k][0]:g}, reg={job.grid[k][1]:g})" for k in tasks[i])
        return f"grid search worker {i} with the runs {runs}"

    desc = f"grid search ({len(job.grid)} runs stacked)"
    # A text bar on stdout: it renders the same in a terminal, a notebook and a saved one.
    with tqdm(total=job.num_iters, desc=desc, disable=not progress, file=sys.stdout) as bar:
        results = run_tasks(
            partial(_train_runs, job), tasks, describe=describe, on_progress=on_progress,
            processes=forking_available(),
        )
    outcomes = [_Outcome(*outcome) for result in results for outcome in result]
    return sorted(outcomes, key=lambda outcome: outcome.k)


def _summarize(job, outcomes, best_model):
    """The SearchResult of the outcomes (sorted by k); best_model receives the chosen W."""
    found = SearchResult(best_model=best_model)
    best_W = None
    for outcome in outcomes:
        params = job.grid[outcome.k]
        if outcome.W is None:
            found.diverged.append(params)
            continue
        found.results[params] = (outcome.train_acc, outcome.val_acc)
        if outcome.val_acc > found.best_val:
            found.best_val, found.best_params, best_W = outcome.val_acc, params, outcome.W
    if best_W is None:
        # Every run diverged: keep the starting weights of the run that lasted longest.
        last = max(outcomes, key=lambda outcome: (outcome.diverged_at, -outcome.k))
        found.all_diverged = True
        found.best_params = job.grid[last.k]
        best_W = initial_weights(
            job.X_train.shape[1], job.num_classes, job.seed + last.k, compute_dtype(job.X_train)
        )
        (found.best_val,) = _accuracies(job.X_val, job.y_val, [best_W], job.num_classes)
    best_model.W = best_W
    return found
