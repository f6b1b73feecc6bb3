"""Choose a linear classifier's learning rate and regularization strength on a validation set.

Shapes: X_train (N_train, D), y_train (N_train,), X_val (N_val, D), y_val (N_val,); C classes,
C = max(y_train) + 1.

`grid_search` trains one model for every (learning_rate, reg) pair of a grid, scores each on the
training and validation sets, and keeps the model with the best validation accuracy. The test set
plays no part: it is for the one final measurement of the chosen model.

How the models train:
- For `Softmax` (make_model=Softmax), all configurations of the grid train at once, stacked
  (see `cs231n_search/stacked_sgd.py`): **the configurations share their minibatches**, drawn by
  `np.random.RandomState(seed)`, while configuration k (lr-major, reg-minor order) starts from the
  weights `Softmax().train(..., seed=seed + k)` would start from, with its own learning rate and
  reg. A configuration whose loss overflows leaves the stack at once and is listed as diverged.
- For any other classifier (LinearSVM, a subclass with its own loss), every configuration trains
  with its own `train(..., seed=seed + k)` call.

The configurations are dealt to n_jobs worker processes (configuration k to worker k % n_jobs),
each running BLAS on one thread and copying its own minibatches out of X_train (see
`cs231n_search/worker_processes.py` for Ctrl-C, a killed parent and errors). A configuration's
result does not depend on which others share its worker, so the results are the same for every
n_jobs. Off Linux the workers run one after the
other in this process.
"""

import inspect
import math
import numbers
import sys
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from cs231n.classifiers.linear_classifier import Softmax, TrainingDivergedError, training_dtype

from .stacked_sgd import initial_weights, train_stacked
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
    best_model : LinearClassifier
        A `make_model()` instance holding the weights of the run with the highest validation
        accuracy. If every run diverged, it holds the untrained starting weights of the run
        that diverged last (its accuracy is at chance level), so the cells that use it still run.
    best_params : (learning_rate, reg)
        The parameters of best_model's run (if every run diverged: the run that diverged last).
    best_val : float
        best_model's validation accuracy.
    seconds : float
        Wall-clock time of the whole search.
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


# ---------------------------------------------------------------- input checks


def _numbers(values, name, *, positive):
    """The values of an iterable (a generator is read once) as floats, checked."""
    values = list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one value; got none")
    checked = []
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must hold real numbers; got {value!r}")
        value = float(value)
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"{name} must hold finite numbers {bound}; got {value}")
        checked.append(value)
    return checked


def _positive_int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return int(value)


def _matrix(X, name, dim=None):
    X = np.asarray(X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"{name} must be a 2-D array (N, D) with N >= 1; got shape {X.shape}")
    if X.dtype == bool or not (
        np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)
    ):
        raise ValueError(f"{name} must hold real numbers; got dtype {X.dtype}")
    if dim is not None and X.shape[1] != dim:
        raise ValueError(
            f"{name} must have D = {dim} columns, as X_train has; got shape {X.shape}"
        )
    return X


def _labels(y, name, num_rows, x_name):
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != num_rows:
        raise ValueError(
            f"{name} must be a 1-D array with one label per row of {x_name} ({num_rows}); "
            f"got shape {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must hold integer labels; got dtype {y.dtype}")
    if y.min() < 0:
        raise ValueError(f"{name} must hold labels >= 0; got {y.min()}")
    return y


def _check_data(X_train, y_train, X_val, y_val):
    """The four arrays, checked, and the number of classes C = max(y_train) + 1."""
    X_train = _matrix(X_train, "X_train")
    X_val = _matrix(X_val, "X_val", X_train.shape[1])
    y_train = _labels(y_train, "y_train", len(X_train), "X_train")
    y_val = _labels(y_val, "y_val", len(X_val), "X_val")
    num_classes = int(y_train.max()) + 1
    if y_val.max() >= num_classes:
        raise ValueError(
            f"y_val must hold labels in [0, {num_classes}), the classes of y_train; "
            f"got {y_val.max()}"
        )
    for name, X in (("X_train", X_train), ("X_val", X_val)):
        # A clear error before any training, for a fraction of a percent of a search's time: the
        # sum is finite when every entry is (one fast pass, no (N, D) temporary); only if it is
        # not are the entries looked at one by one, since finite entries can add up to inf.
        if not (np.isfinite(np.sum(X)) or np.isfinite(X).all()):
            raise ValueError(f"{name} must contain only finite values; it holds NaN or infinity")
    return X_train, y_train, X_val, y_val, num_classes


# ---------------------------------------------------------------- the work of one worker


@dataclass
class _Job:
    """Everything a worker needs besides its runs. Forked workers inherit it: no copy is made."""

    make_model: object
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


def _accuracies(X, y, weights, num_classes):
    """Accuracy of every (D, C) weight matrix on (X, y), scored with one wide product per chunk.

    A column of a matrix product does not depend on its neighbours, so the predictions are those
    of `predict` with each W alone.
    """
    W = np.hstack(weights)  # (D, M * C)
    correct = np.zeros(len(weights), dtype=np.int64)  # (M,)
    for start in range(0, len(X), SCORE_CHUNK):
        rows = slice(start, start + SCORE_CHUNK)
        scores = (X[rows] @ W).reshape(-1, len(weights), num_classes)  # (n, M, C)
        correct += np.sum(scores.argmax(axis=2) == y[rows, np.newaxis], axis=0)
    return [float(count) / len(X) for count in correct]


def _train_stacked_runs(job, runs, report):
    """Train the runs together (Softmax); return [(k, W or None, train_acc, val_acc, it)]."""

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
            dtype=training_dtype(None, job.X_train),
            average_last_epochs=job.average_last_epochs, on_step=on_step,
        )
        report(job.num_iters)
        finished = [j for j, W in enumerate(trained.weights) if W is not None]
        train_accs, val_accs = [], []
        if finished:
            Ws = [trained.weights[j] for j in finished]
            train_accs = _accuracies(job.X_train, job.y_train, Ws, job.num_classes)
            val_accs = _accuracies(job.X_val, job.y_val, Ws, job.num_classes)
    scores = dict(zip(finished, zip(train_accs, val_accs)))
    return [
        (k, trained.weights[j], *scores.get(j, (math.nan, math.nan)), trained.diverged_at[j])
        for j, k in enumerate(runs)
    ]


def _train_each_run(job, runs, report):
    """Train the runs one by one with the model's own train(); same return as above."""
    outcomes = []
    with threadpool_limits(limits=1, user_api="blas"):
        for k in runs:
            lr, reg = job.grid[k]
            model = job.make_model()
            try:
                model.train(
                    job.X_train, job.y_train, learning_rate=lr, reg=reg,
                    num_iters=job.num_iters, batch_size=job.batch_size, lr_decay=job.lr_decay,
                    seed=job.seed + k, **_strict_divergence(model),
                )
            except TrainingDivergedError:
                outcomes.append((k, None, math.nan, math.nan, 0))
            except Exception as err:
                raise RuntimeError(
                    f"the run learning_rate={lr:g}, reg={reg:g} failed: {type(err).__name__}: {err}"
                ) from err
            else:
                train_acc = float(np.mean(model.predict(job.X_train) == job.y_train))
                val_acc = float(np.mean(model.predict(job.X_val) == job.y_val))
                outcomes.append((k, model.W, train_acc, val_acc, None))
            report(1)
    return outcomes


def _computes_the_softmax_loss(model, X, y, num_classes, num_probe=16, reg=0.5):
    """True if model.loss gives the softmax loss and gradient that the stacked trainer computes.

    Checked on the first num_probe examples with small random weights, against the formulas
    written out here. The stacked trainer does the model's arithmetic itself, so it may stand in
    only for a loss that is right: an unfinished or wrong `softmax.py` (a student's, say) makes
    the search train each model with its own loss instead, and its mistakes show.
    """
    X, y = np.asarray(X[:num_probe], dtype=np.float64), y[:num_probe]  # (n, D), (n,)
    W = 0.001 * np.random.RandomState(0).randn(X.shape[1], num_classes)  # (D, C)
    rows = np.arange(len(y))
    scores = X @ W  # (n, C)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)  # (n, C)
    expected_loss = -np.mean(np.log(probs[rows, y])) + reg * np.sum(W * W)
    probs[rows, y] -= 1
    expected_grad = X.T @ probs / len(y) + 2 * reg * W  # (D, C)
    model.W = W
    try:
        with np.errstate(all="ignore"):
            loss, grad = model.loss(X, y, reg)
        return bool(
            np.isclose(loss, expected_loss, rtol=1e-6)
            and np.allclose(grad, expected_grad, rtol=1e-5, atol=1e-8)
        )
    except Exception:  # an unfinished loss fails in any way: train each model with it instead
        return False


def _strict_divergence(model):
    """Ask train() to raise TrainingDivergedError on divergence, if it takes that option."""
    try:
        parameters = inspect.signature(model.train).parameters
    except (TypeError, ValueError):
        return {}
    return {"on_divergence": "raise"} if "on_divergence" in parameters else {}


# ---------------------------------------------------------------- the search


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
    average_last_epochs=0,
):
    """Train a model for every (learning_rate, reg) pair and keep the best on validation.

    Parameters
    ----------
    make_model : callable
        Returns a new, untrained classifier, e.g. `Softmax` (trained stacked, see the module
        docstring) or `LinearSVM` (each run trained by its own `train` call).
    X_train, y_train : ndarray, shapes (N_train, D) and (N_train,)
    X_val, y_val : ndarray, shapes (N_val, D) and (N_val,), labels in [0, max(y_train)]
    learning_rates, regularization_strengths : iterables of float
        The grid is their Cartesian product (generators are read once).
    num_iters, batch_size, lr_decay : as in `train`
        The learning rate is multiplied by lr_decay after each epoch (max(1, N // batch_size)
        steps).
    seed : int
        Run k of the grid (lr-major, reg-minor) starts from the weights of `train(...,
        seed=seed + k)`. Softmax runs share minibatches drawn by RandomState(seed); other models'
        runs draw their own, as `train(..., seed=seed + k)` does.
    n_jobs : int
        How many worker processes share the runs.
    progress : bool
        Show a progress bar (on stdout).
    average_last_epochs : float
        Softmax only: if > 0, each run's model is the mean of its SGD iterates over the last
        average_last_epochs epochs (Polyak averaging) rather than the last iterate.

    Returns
    -------
    SearchResult
        Ties in validation accuracy go to the run that comes first in the grid.

    Raises
    ------
    ValueError
        Before any training, if an input is malformed (shapes, labels out of range, an empty or
        non-numeric grid, NaN in X_train or X_val).
    cs231n_search.worker_processes.WorkerError
        If a run fails; the message names the run.
    """
    learning_rates = _numbers(learning_rates, "learning_rates", positive=True)
    regs = _numbers(regularization_strengths, "regularization_strengths", positive=False)
    grid = [(lr, reg) for lr in learning_rates for reg in regs]
    X_train, y_train, X_val, y_val, num_classes = _check_data(X_train, y_train, X_val, y_val)
    num_iters = _positive_int(num_iters, "num_iters")
    batch_size = _positive_int(batch_size, "batch_size")
    n_jobs = _positive_int(n_jobs, "n_jobs")
    (lr_decay,) = _numbers([lr_decay], "lr_decay", positive=True)
    (average_last_epochs,) = _numbers([average_last_epochs], "average_last_epochs", positive=False)
    if not callable(make_model):
        raise ValueError(f"make_model must be callable, e.g. Softmax; got {make_model!r}")
    stacked = type(make_model()) is Softmax and _computes_the_softmax_loss(
        make_model(), X_train, y_train, num_classes
    )
    if average_last_epochs and not stacked:
        raise ValueError("average_last_epochs needs make_model=Softmax (the stacked trainer)")

    job = _Job(
        make_model, X_train, y_train, X_val, y_val, num_classes, grid, seed, num_iters,
        batch_size, lr_decay, average_last_epochs,
    )
    num_workers = min(n_jobs, len(grid))
    tasks = [list(range(j, len(grid), num_workers)) for j in range(num_workers)]
    start = time.perf_counter()
    outcomes = _run(job, tasks, stacked, progress)
    return _summarize(job, outcomes, time.perf_counter() - start)


def _run(job, tasks, stacked, progress):
    """Run the workers' tasks under a progress bar; return all (k, W, train, val, it) sorted."""
    if stacked:
        total, desc = job.num_iters, f"grid search ({len(job.grid)} runs stacked)"
    else:
        total, desc = len(job.grid), "grid search"
    done = [0] * len(tasks)

    def on_progress(i, value):
        done[i] = value if stacked else done[i] + value
        shown = min(done) if stacked else sum(done)
        bar.update(shown - bar.n)

    def describe(i):
        runs = ", ".join(f"(lr={job.grid[k][0]:g}, reg={job.grid[k][1]:g})" for k in tasks[i])
        return f"grid search worker {i} with the runs {runs}"

    work = partial(_train_stacked_runs if stacked else _train_each_run, job)
    # A text bar on stdout: it renders the same in a terminal, a notebook and a saved one.
    with tqdm(total=total, desc=desc, disable=not progress, file=sys.stdout) as bar:
        results = run_tasks(
            work, tasks, describe=describe, on_progress=on_progress,
            processes=forking_available(),
        )
    return sorted(outcome for result in results for outcome in result)


def _summarize(job, outcomes, seconds):
    found = SearchResult(seconds=seconds)
    for k, W, train_acc, val_acc, _ in outcomes:
        params = job.grid[k]
        if W is None:
            found.diverged.append(params)
            continue
        found.results[params] = (train_acc, val_acc)
        if val_acc > found.best_val:
            found.best_val, found.best_params = val_acc, params
            found.best_model = job.make_model()
            found.best_model.W = W
    if found.best_model is None:
        # Every run diverged: keep the starting weights of the run that lasted longest.
        k = max(outcomes, key=lambda outcome: (outcome[4], -outcome[0]))[0]
        dtype = training_dtype(None, job.X_train)
        found.all_diverged = True
        found.best_params = job.grid[k]
        found.best_model = job.make_model()
        found.best_model.W = initial_weights(job.X_train.shape[1], job.num_classes, job.seed + k,
                                             dtype)
        found.best_val = float(np.mean(found.best_model.predict(job.X_val) == job.y_val))
    return found
