"""Tests of cs231n_search/hyperparameter_search.py on a small separable problem."""

import math
import threading

import numpy as np
import pytest

import cs231n_search.hyperparameter_search as search_module
from cs231n.classifiers import Softmax
from cs231n_search.hyperparameter_search import grid_search
from cs231n_search.worker_processes import WorkerError


def split_blobs(seed=0):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((3, 6))  # (C, dim)
    y = rng.integers(0, 3, 600)  # (N,)
    X = centers[y] + rng.standard_normal((600, 6))  # (N, dim)
    X = np.hstack([X, np.ones((600, 1))])
    return X[:500], y[:500], X[500:], y[500:]


LEARNING_RATES = [1e-3, 1e-1]
REGS = [1e-3, 1.0]
OPTIONS = dict(num_iters=200, batch_size=32, seed=4, progress=False)


def plain_sgd(X, y, lr, reg, init_seed, batch_seed, num_iters, batch_size):
    """The course's loop written out, minibatches from RandomState(batch_seed): the oracle."""
    num_train, dim = X.shape
    W = 0.001 * np.random.RandomState(init_seed).randn(dim, 3)  # (D, C)
    rng = np.random.RandomState(batch_seed)
    for _ in range(num_iters):
        idx = rng.choice(num_train, batch_size)
        scores = X[idx] @ W  # (B, C)
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(batch_size), y[idx]] -= 1
        W = W - lr * (X[idx].T @ probs / batch_size + 2 * reg * W)
    return W


@pytest.fixture(scope="module")
def serial():
    X_train, y_train, X_val, y_val = split_blobs()
    return grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS, n_jobs=1, **OPTIONS
    )


def test_every_pair_is_trained_on_shared_minibatches_and_scored(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    grid = [(lr, reg) for lr in LEARNING_RATES for reg in REGS]
    assert set(serial.results) == set(grid)
    for k, (lr, reg) in enumerate(grid):
        W = plain_sgd(X_train, y_train, lr, reg, 4 + k, 4, 200, 32)
        train_acc, val_acc = serial.results[(lr, reg)]
        assert train_acc == np.mean(np.argmax(X_train @ W, axis=1) == y_train)
        assert val_acc == np.mean(np.argmax(X_val @ W, axis=1) == y_val)
        if (lr, reg) == serial.best_params:
            np.testing.assert_allclose(serial.best_model.W, W, rtol=1e-10, atol=1e-13)


def test_best_is_a_real_model_with_the_highest_validation_accuracy(serial, tmp_path):
    X_train, y_train, X_val, y_val = split_blobs()
    best = max(serial.results.values(), key=lambda accs: accs[1])[1]
    assert serial.best_val == best
    assert serial.results[serial.best_params][1] == best
    assert type(serial.best_model) is Softmax
    assert serial.best_model.W.shape == (7, 3)
    assert np.mean(serial.best_model.predict(X_val) == y_val) == best
    serial.best_model.save("best.npy", directory=tmp_path)
    assert (tmp_path / "best.npy").exists()
    assert best > 0.9
    assert not serial.all_diverged


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_results_are_the_same_for_any_n_jobs(serial, n_jobs):
    X_train, y_train, X_val, y_val = split_blobs()
    parallel = grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS, n_jobs=n_jobs, **OPTIONS
    )
    assert parallel.results == serial.results
    assert parallel.best_params == serial.best_params
    np.testing.assert_array_equal(parallel.best_model.W, serial.best_model.W)


def test_two_searches_at_once_from_two_threads(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    found = [None, None]

    def search(i):
        found[i] = grid_search(
            Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS, n_jobs=2, **OPTIONS
        )

    threads = [threading.Thread(target=search, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in found:
        assert result.results == serial.results
        np.testing.assert_array_equal(result.best_model.W, serial.best_model.W)


def test_a_diverging_run_among_many_is_listed_and_spares_the_others():
    X_train, y_train, X_val, y_val = split_blobs()
    args = (Softmax, 1e3 * X_train, y_train, 1e3 * X_val, y_val)
    found = grid_search(*args, [1e-6, 10.0, 1e-7], [1e6, 1e2], n_jobs=2, **OPTIONS)
    assert found.diverged == [(10.0, 1e6), (10.0, 1e2)]
    assert set(found.results) == {(1e-6, 1e6), (1e-6, 1e2), (1e-7, 1e6), (1e-7, 1e2)}
    table = found.table()
    assert table.count("diverged") == 2
    assert table.count("*") == 1
    # Run k keeps seed + k: drop the diverging learning rate and shift the seed to match.
    alone = grid_search(*args, [1e-6], [1e6, 1e2], n_jobs=1, **OPTIONS)
    assert {p: found.results[p] for p in alone.results} == alone.results


def test_a_search_whose_other_worker_diverges_at_once_matches_the_serial_search():
    X_train, y_train, X_val, y_val = split_blobs()
    args = (Softmax, X_train, y_train, X_val, y_val, [1e-2], [1e-3, 1e9])
    together = grid_search(*args, n_jobs=2, **OPTIONS)  # worker 1 has only the diverging run
    serial = grid_search(*args, n_jobs=1, **OPTIONS)
    assert together.diverged == serial.diverged == [(1e-2, 1e9)]
    assert together.results == serial.results
    np.testing.assert_array_equal(together.best_model.W, serial.best_model.W)


def test_every_run_diverging_still_gives_a_usable_model():
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Softmax, 1e3 * X_train, y_train, 1e3 * X_val, y_val, [10.0, 100.0], [1e6],
        n_jobs=2, **OPTIONS,
    )
    assert found.all_diverged
    assert found.results == {}
    assert found.diverged == [(10.0, 1e6), (100.0, 1e6)]
    assert found.best_params in found.diverged
    predictions = found.best_model.predict(1e3 * X_val)
    assert found.best_val == np.mean(predictions == y_val)
    assert found.best_val < 0.6
    assert "every run diverged" in found.table()


def test_generators_give_the_whole_grid(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Softmax, X_train, y_train, X_val, y_val, (lr for lr in LEARNING_RATES),
        iter(REGS), n_jobs=1, **OPTIONS,
    )
    assert found.results == serial.results


class Untouchable:
    """A model class whose methods all fail: the engine may only construct it and set W."""

    def loss(self, *args, **kwargs):
        raise AssertionError("the search called loss")

    def train(self, *args, **kwargs):
        raise AssertionError("the search called train")

    def predict(self, *args, **kwargs):
        raise AssertionError("the search called predict")


def test_the_engine_never_calls_the_model_class_but_to_make_best_model(serial):
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Untouchable, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS, n_jobs=2, **OPTIONS
    )
    assert type(found.best_model) is Untouchable
    assert found.results == serial.results
    np.testing.assert_array_equal(found.best_model.W, serial.best_model.W)


def test_a_broken_student_loss_does_not_change_the_search(serial, monkeypatch):
    # The release's stub loss returns 0 and a zero gradient: the engine trains with its own.
    from cs231n.classifiers import linear_classifier

    def stub_loss(W, X, y, reg):
        return 0.0, np.zeros_like(W)

    monkeypatch.setattr(linear_classifier, "softmax_loss_vectorized", stub_loss)
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS, n_jobs=1, **OPTIONS
    )
    assert found.results == serial.results


def test_integer_data_give_the_same_search_as_the_same_data_in_float64():
    X_train, y_train, X_val, y_val = split_blobs()
    X_train, X_val = np.round(4 * X_train), np.round(4 * X_val)
    grid = ([1e-4, 1e-3], [1e-3])
    as_int = grid_search(Softmax, X_train.astype(np.int32), y_train, X_val.astype(np.int32),
                         y_val, *grid, n_jobs=1, **OPTIONS)
    as_float = grid_search(Softmax, X_train, y_train, X_val, y_val, *grid, n_jobs=1, **OPTIONS)
    assert as_int.best_model.W.dtype == np.float64
    assert as_int.results == as_float.results
    np.testing.assert_array_equal(as_int.best_model.W, as_float.best_model.W)


def test_a_failing_run_is_named(monkeypatch):
    train_stacked = search_module.train_stacked

    def fragile(X, y, learning_rates, regs, *args, **kwargs):
        if 1.0 in regs:
            raise ArithmeticError("boom")
        return train_stacked(X, y, learning_rates, regs, *args, **kwargs)

    monkeypatch.setattr(search_module, "train_stacked", fragile)  # forked workers inherit it
    X_train, y_train, X_val, y_val = split_blobs()
    named = r"worker 1 with the runs \(lr=0\.1, reg=1\) failed.*ArithmeticError: boom"
    with pytest.raises(WorkerError, match=named):
        grid_search(
            Softmax, X_train, y_train, X_val, y_val, [0.1], [1e-3, 1.0], n_jobs=2, **OPTIONS
        )


def test_off_linux_the_runs_are_serial_with_the_same_results(serial, monkeypatch):
    monkeypatch.setattr(search_module, "forking_available", lambda: False)
    monkeypatch.setattr("cs231n_search.worker_processes.forking_available", lambda: False)
    X_train, y_train, X_val, y_val = split_blobs()
    found = grid_search(
        Softmax, X_train, y_train, X_val, y_val, LEARNING_RATES, REGS, n_jobs=2, **OPTIONS
    )
    assert found.results == serial.results


def test_table_lists_every_run(serial):
    lines = serial.table().splitlines()
    assert len(lines) == 1 + len(LEARNING_RATES) * len(REGS)
    starred = [line for line in lines if line.endswith("*")]
    assert len(starred) == 1
    assert math.isclose(float(starred[0].split()[3]), serial.best_val, abs_tol=5e-5)


def wrong(**changes):
    X_train, y_train, X_val, y_val = split_blobs()
    X_nan = X_train.copy()
    X_nan[3, 1] = np.nan
    arrays = dict(X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val, X_nan=X_nan)
    return {key: arrays[value] if isinstance(value, str) and value in arrays else value
            for key, value in changes.items()}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(learning_rates=[]), "learning_rates must hold at least one value"),
        (dict(learning_rates=iter([])), "learning_rates must hold at least one value"),
        (dict(learning_rates=[1e-3, -1.0]), "learning_rates must be a finite number > 0; got -1.0"),
        (dict(regularization_strengths=["a"]), "must be a real number; got 'a'"),
        (dict(regularization_strengths=[np.inf]), "must be a finite number >= 0; got inf"),
        (dict(n_jobs=0), "n_jobs must be a positive integer; got 0"),
        (dict(n_jobs=True), "n_jobs must be a positive integer; got True"),
        (dict(num_iters=2.5), "num_iters must be a positive integer; got 2.5"),
        (dict(batch_size=None), "batch_size must be a positive integer; got None"),
        (dict(lr_decay=0.0), "lr_decay must be a finite number > 0; got 0.0"),
        (dict(average_last_epochs=-1), "average_last_epochs must be a finite number >= 0"),
        (dict(seed=None), r"seed must be an integer in \[0, 4294967295\].*got None"),
        (dict(seed=-1), r"seed must be an integer in \[0, 4294967295\]"),
        (dict(y_val=np.full(100, 3)), r"y_val must hold labels in \[0, 3\), the classes"),
        (dict(y_val=np.zeros(99, dtype=int)), "one label per row of X_val"),
        (dict(y_train=np.zeros((500, 1), dtype=int)), "y_train must be a 1-D array"),
        (dict(y_val=np.zeros(100)), "integer labels"),
        (dict(X_val=np.ones((100, 5))), "X_val must have D = 7 columns"),
        (dict(X_val=np.ones((100, 7), dtype=complex)), "X_val must hold real numbers; got dtype"),
        (dict(X_train="X_nan"), "X_train must contain only finite values"),
        (dict(model_class=None), "model_class must be a classifier class such as Softmax"),
    ],
)
def test_bad_arguments_fail_before_any_training(changes, message, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(search_module, "run_tasks", no_training)
    args = dict(
        model_class=Softmax, **wrong(X_train="X_train", y_train="y_train", X_val="X_val",
                                    y_val="y_val"),
        learning_rates=[1e-3], regularization_strengths=[1e-3], n_jobs=1, progress=False,
    )
    args.update(wrong(**changes))
    with pytest.raises(ValueError, match=message):
        grid_search(**args)


def test_progress_bar_counts_the_stacked_steps(capsys):
    X_train, y_train, X_val, y_val = split_blobs()
    grid_search(Softmax, X_train, y_train, X_val, y_val, [1e-3], [1e-3], n_jobs=2,
                num_iters=60, progress=True)
    out = capsys.readouterr().out
    assert "grid search (1 runs stacked)" in out
    assert "60/60" in out
