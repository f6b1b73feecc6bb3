"""Tests of cs231n/hyperparameter_search.py on a small separable problem."""

import math

import numpy as np
import pytest

import cs231n.hyperparameter_search as search_module
from cs231n.classifiers import Softmax
from cs231n.hyperparameter_search import grid_search


def split_blobs(seed=0):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((3, 6))  # (C, dim)
    y = rng.integers(0, 3, 600)  # (N,)
    X = centers[y] + rng.standard_normal((600, 6))  # (N, dim)
    X = np.hstack([X, np.ones((600, 1))])
    return X[:500], y[:500], X[500:], y[500:]


LEARNING_RATES = [1e-3, 1e-1]
REGS = [1e-3, 1.0]


@pytest.fixture(scope="module")
def serial():
    X_train, y_train, X_val, y_val = split_blobs()
    return grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS,
        num_iters=200, batch_size=32, seed=4, n_jobs=1, progress=False,
    )


def test_every_pair_is_trained_and_scored(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    assert set(serial.results) == {(lr, reg) for lr in LEARNING_RATES for reg in REGS}
    for k, ((lr, reg), (train_acc, val_acc)) in enumerate(sorted(serial.results.items())):
        model = Softmax()
        model.train(X_train, y_train, lr, reg, num_iters=200, batch_size=32, seed=4 + k)
        assert train_acc == np.mean(model.predict(X_train) == y_train)
        assert val_acc == np.mean(model.predict(X_val) == y_val)


def test_best_is_the_highest_validation_accuracy(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    best = max(serial.results.values(), key=lambda accs: accs[1])[1]
    assert serial.best_val == best
    assert serial.results[serial.best_params][1] == best
    assert np.mean(serial.best_model.predict(X_val) == y_val) == best
    assert best > 0.9


def test_parallel_workers_give_the_same_results(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    parallel = grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS,
        num_iters=200, batch_size=32, seed=4, n_jobs=2, progress=False,
    )
    assert parallel.results == serial.results
    assert parallel.best_params == serial.best_params
    np.testing.assert_array_equal(parallel.best_model.W, serial.best_model.W)


def test_diverged_runs_are_listed_not_scored():
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Softmax, 1e3 * X_train, y_train, 1e3 * X_val, y_val, [1e-6, 10.0], [1e6],
        num_iters=300, seed=0, n_jobs=1, progress=False,
    )
    assert found.diverged == [(10.0, 1e6)]
    assert list(found.results) == [(1e-6, 1e6)]
    table = found.table()
    assert "diverged" in table
    assert table.count("*") == 1


def test_table_lists_every_run(serial):
    lines = serial.table().splitlines()
    assert len(lines) == 1 + len(LEARNING_RATES) * len(REGS)
    starred = [line for line in lines if line.endswith("*")]
    assert len(starred) == 1
    assert math.isclose(float(starred[0].split()[3]), serial.best_val, abs_tol=5e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(learning_rates=[]), "at least one value"),
        (dict(n_jobs=0), "n_jobs must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, message):
    X_train, y_train, X_val, y_val = split_blobs()
    args = dict(learning_rates=[1e-3], regularization_strengths=[1e-3], n_jobs=1, progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        grid_search(Softmax, X_train, y_train, X_val, y_val, **args)


def test_non_linux_platforms_run_serially_with_the_same_results(serial, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("no worker processes off Linux")

    monkeypatch.setattr(search_module.sys, "platform", "darwin")
    monkeypatch.setattr(search_module, "ProcessPoolExecutor", no_pool)
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS,
        num_iters=200, batch_size=32, seed=4, n_jobs=2, progress=False,
    )
    assert found.results == serial.results
