"""Tests of the SGD loop, prediction and saving in cs231n/classifiers/linear_classifier.py."""

import numpy as np
import pytest

from cs231n.classifiers import (
    LinearClassifier,
    LinearSVM,
    Softmax,
    TrainingDivergedError,
    TrainingDivergedWarning,
)
from cs231n.classifiers.softmax import softmax_loss_vectorized


def blobs(num_per_class=100, num_classes=3, dim=5, spread=0.3, seed=0):
    """A linearly separable toy problem: Gaussian blobs around well-separated centers, plus a
    bias column. Returns X (N, dim + 1) float64 and y (N,) int64."""
    rng = np.random.default_rng(seed)
    centers = 3.0 * rng.standard_normal((num_classes, dim))  # (C, dim)
    y = np.repeat(np.arange(num_classes), num_per_class)  # (N,)
    X = centers[y] + spread * rng.standard_normal((len(y), dim))  # (N, dim)
    return np.hstack([X, np.ones((len(y), 1))]), y


@pytest.fixture
def data():
    return blobs()


def test_train_returns_one_loss_per_iteration_and_creates_W(data):
    X, y = data
    model = Softmax()
    np.random.seed(0)
    history = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=37, batch_size=16)
    assert len(history) == 37
    assert all(isinstance(loss, float) for loss in history)
    assert model.W.shape == (X.shape[1], 3)
    assert model.W.dtype == np.float64


def test_initial_W_is_course_initialization():
    """One step with learning_rate tiny leaves W at 0.001 * randn(D, C) drawn from the global
    state right after np.random.seed."""
    X, y = blobs(num_classes=4)
    np.random.seed(123)
    expected = 0.001 * np.random.randn(X.shape[1], 4)
    model = Softmax()
    np.random.seed(123)
    model.train(X, y, learning_rate=1e-300, reg=0.0, num_iters=1)
    np.testing.assert_array_equal(model.W, expected)


def test_same_global_seed_gives_identical_weights(data):
    X, y = data
    weights = []
    for _ in range(2):
        model = Softmax()
        np.random.seed(7)
        model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=50, batch_size=20)
        weights.append(model.W)
    np.testing.assert_array_equal(weights[0], weights[1])


def test_seed_keyword_matches_global_seed_and_leaves_global_state_alone(data):
    X, y = data
    by_global = Softmax()
    np.random.seed(5)
    by_global.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=30, batch_size=10)

    np.random.seed(99)
    state_before = np.random.get_state()[1].copy()
    by_keyword = Softmax()
    by_keyword.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=30, batch_size=10, seed=5)
    np.testing.assert_array_equal(by_global.W, by_keyword.W)
    np.testing.assert_array_equal(np.random.get_state()[1], state_before)


def test_training_matches_a_reference_sgd_loop(data):
    """The optimized loop takes exactly the steps of the textbook loop, written out here."""
    X, y = data
    lr, reg, iters, batch = 5e-3, 1e-2, 25, 8
    model = Softmax()
    history = model.train(X, y, lr, reg, iters, batch, seed=3)

    rng = np.random.RandomState(3)
    W = 0.001 * rng.randn(X.shape[1], 3)
    expected_history = []
    for _ in range(iters):
        idx = rng.choice(X.shape[0], batch)
        loss, grad = softmax_loss_vectorized(W, X[idx], y[idx], reg)
        W = W - lr * grad
        expected_history.append(loss)
    np.testing.assert_allclose(model.W, W, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(history, expected_history, rtol=1e-12)


def test_lr_decay_multiplies_step_after_every_epoch():
    """The step size is multiplied by lr_decay after every N // batch_size iterations, as a
    reference loop that does so explicitly shows."""
    X, y = blobs(num_per_class=2, num_classes=2)
    N, batch = X.shape[0], 2  # 2 iterations per epoch
    lr, decay, iters = 1e-2, 0.5, 6
    model = Softmax()
    model.train(X, y, lr, 0.0, iters, batch, lr_decay=decay, seed=0)

    rng = np.random.RandomState(0)
    W = 0.001 * rng.randn(X.shape[1], 2)
    step = lr
    for it in range(iters):
        idx = rng.choice(N, batch)
        _, grad = softmax_loss_vectorized(W, X[idx], y[idx], 0.0)
        W = W - step * grad
        if (it + 1) % (N // batch) == 0:
            step *= decay
    np.testing.assert_allclose(model.W, W, rtol=1e-12, atol=1e-15)


def test_second_call_continues_training(data):
    X, y = data
    model = Softmax()
    model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=20, seed=0)
    W_after_first = model.W.copy()
    history = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=20, seed=1)

    fresh = Softmax()
    fresh.W = W_after_first
    fresh_history = fresh.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=20, seed=1)
    np.testing.assert_allclose(history, fresh_history)
    assert not np.array_equal(model.W, W_after_first)


@pytest.mark.parametrize("model_class", [Softmax, LinearSVM])
def test_separable_toy_problem_is_learned(model_class):
    X, y = blobs(num_per_class=200, num_classes=4, seed=1)
    model = model_class()
    history = model.train(X, y, learning_rate=1e-2, reg=1e-4, num_iters=400, batch_size=50, seed=0)
    assert np.mean(model.predict(X) == y) > 0.95
    assert np.mean(history[-20:]) < history[0]


def test_predict_is_argmax_of_scores(data):
    X, y = data
    model = Softmax()
    model.W = np.random.default_rng(0).standard_normal((X.shape[1], 3))
    pred = model.predict(X)
    assert pred.shape == (X.shape[0],)
    assert np.issubdtype(pred.dtype, np.integer)
    np.testing.assert_array_equal(pred, np.argmax(X @ model.W, axis=1))


def test_float32_data_trains_in_float32(data):
    X, y = data
    model = Softmax()
    model.train(X.astype(np.float32), y, learning_rate=1e-2, reg=1e-3, num_iters=30, seed=0)
    assert model.W.dtype == np.float32


def test_dtype_float32_on_float64_data_matches_float32_data(data):
    X, y = data
    a, b = Softmax(), Softmax()
    a.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=30, seed=0, dtype=np.float32)
    b.train(X.astype(np.float32), y, learning_rate=1e-2, reg=1e-3, num_iters=30, seed=0)
    assert a.W.dtype == np.float32
    np.testing.assert_array_equal(a.W, b.W)


def test_loss_uses_the_subclass_loss(data):
    X, y = data
    W = np.random.default_rng(0).standard_normal((X.shape[1], 3))
    model = Softmax()
    model.W = W
    loss, grad = model.loss(X, y, 0.1)
    expected_loss, expected_grad = softmax_loss_vectorized(W, X, y, 0.1)
    assert loss == expected_loss
    np.testing.assert_array_equal(grad, expected_grad)
    with pytest.raises(NotImplementedError, match="subclass"):
        LinearClassifier().loss(X, y, 0.1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(X=np.ones(5)), "2-D"),
        (dict(y=np.zeros(3, dtype=int)), r"y must be a 1-D integer array of N = 300 .*\(3,\)"),
        (dict(y=np.full(300, 0.5)), "integer"),
        (dict(y=np.full(300, -1)), r"labels y must be >= 0; got labels from -1"),
        (dict(num_iters=0), "num_iters must be a positive integer"),
        (dict(num_iters=2.5), "num_iters must be a positive integer"),
        (dict(batch_size=0), "batch_size must be a positive integer"),
        (dict(learning_rate=0.0), "learning_rate must be a finite number"),
        (dict(learning_rate=-1e-3), "learning_rate must be a finite number"),
        (dict(learning_rate=float("nan")), "learning_rate must be a finite number"),
        (dict(learning_rate="fast"), "learning_rate must be a finite number"),
        (dict(lr_decay=0.0), "lr_decay must be a finite number > 0"),
        (dict(reg=-1.0), "reg"),
        (dict(dtype=np.int32), "floating-point dtype"),
        (dict(on_divergence="ignore"), 'on_divergence must be "warn" or "raise"'),
        (dict(X=np.ones((300, 6), dtype=complex)), "2-D array of numbers"),
    ],
)
def test_bad_training_input_raises_value_error(data, change, message):
    X, y = data
    args = dict(X=X, y=y, learning_rate=1e-2, reg=1e-3, num_iters=10, batch_size=10)
    args.update(change)
    model = Softmax()
    with pytest.raises(ValueError, match=message):
        model.train(**args)
    assert model.W is None


def test_labels_beyond_existing_W_are_rejected(data):
    X, y = data
    model = Softmax()
    model.train(X, y, learning_rate=1e-2, num_iters=5, seed=0)
    W_before = model.W.copy()
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        model.train(X, np.where(y == 2, 3, y), learning_rate=1e-2, num_iters=5)
    np.testing.assert_array_equal(model.W, W_before)


@pytest.mark.parametrize("row", [0, 299])
def test_nan_in_X_is_rejected_when_a_minibatch_meets_it(data, row):
    # X is not scanned up front (that would read all of it every call); the first minibatch
    # holding the NaN row makes the loss non-finite, and only then is the cause looked for.
    X, y = data
    X = X.copy()
    X[row, 2] = np.nan
    model = Softmax()
    with pytest.raises(ValueError, match="X must contain only finite values"):
        model.train(X, y, learning_rate=1e-3, num_iters=50, batch_size=100, seed=0)
    assert model.W is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_raises_when_asked_and_keeps_old_W(data, dtype):
    X, y = data
    X = (1000.0 * X).astype(dtype)
    model = Softmax()
    model.train(X, y, learning_rate=1e-9, reg=1.0, num_iters=5, seed=0)
    W_before = model.W.copy()
    with pytest.raises(TrainingDivergedError, match=r"learning_rate=10 and reg=1e\+06"):
        model.train(X, y, learning_rate=10.0, reg=1e6, num_iters=500, seed=0,
                    on_divergence="raise")
    np.testing.assert_array_equal(model.W, W_before)
    assert not model.diverged


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_warns_once_and_leaves_a_model_at_chance(data, dtype):
    X, y = data
    X = (1000.0 * X).astype(dtype)
    model = Softmax()
    with pytest.warns(TrainingDivergedWarning) as caught:
        history = model.train(X, y, learning_rate=10.0, reg=1e6, num_iters=500, seed=0)
    assert len(caught) == 1  # one clear warning, none of numpy's
    message = str(caught[0].message)
    assert f"iteration {len(history)}" in message
    assert "learning_rate=10 and reg=1e+06" in message
    assert 0 < len(history) < 500 and np.isfinite(history).all()
    assert model.diverged and np.isnan(model.W).all() and model.W.shape == (X.shape[1], 3)

    with pytest.warns(TrainingDivergedWarning, match="training diverged") as caught:
        y_pred = model.predict(X)
    assert len(caught) == 1
    np.testing.assert_array_equal(y_pred, 0)  # every example gets class 0: chance accuracy
    assert np.mean(y_pred == y) <= 1 / 3


def test_predict_warns_once_when_scores_overflow(data):
    X, _ = data
    X = np.abs(X) + 1.0  # positive entries: each score sums 6 terms of about 3e307
    model = Softmax()
    model.W = np.full((X.shape[1], 3), 1e307)
    with pytest.warns(TrainingDivergedWarning, match="overflowed") as caught:
        y_pred = model.predict(X)
    assert len(caught) == 1
    assert y_pred.shape == (len(X),)


def test_predict_without_weights_raises(data):
    X, _ = data
    with pytest.raises(ValueError, match="no weights"):
        Softmax().predict(X)


def test_predict_with_wrong_width_raises(data):
    X, y = data
    model = Softmax()
    model.train(X, y, num_iters=2, seed=0)
    with pytest.raises(ValueError, match="W"):
        model.predict(X[:, :-1])


def test_save_and_load_round_trip_course_format(tmp_path, data, capsys):
    X, y = data
    model = Softmax()
    model.train(X, y, num_iters=3, seed=0)
    assert model.save("weights.npy", directory=tmp_path) is None
    assert capsys.readouterr().out == "weights.npy saved.\n"

    stored = np.load(tmp_path / "weights.npy", allow_pickle=True).item()
    assert set(stored) == {"W"}
    np.testing.assert_array_equal(stored["W"], model.W)

    loaded = Softmax()
    assert loaded.load("weights.npy", directory=tmp_path) is True
    assert capsys.readouterr().out == "weights.npy loaded.\n"
    np.testing.assert_array_equal(loaded.W, model.W)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_save_and_load_agree_on_names_without_npy(tmp_path):
    model = Softmax()
    model.W = np.arange(6.0).reshape(3, 2)
    model.save("weights", directory=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npy"]  # as np.save names it
    loaded = Softmax()
    assert loaded.load("weights", directory=tmp_path) is True
    np.testing.assert_array_equal(loaded.W, model.W)


def test_load_reads_a_plain_array(tmp_path):
    W = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "plain.npy", W)
    model = LinearSVM()
    assert model.load("plain.npy", directory=tmp_path) is True
    np.testing.assert_array_equal(model.W, W)


def test_load_missing_file_returns_false_and_keeps_W(tmp_path, capsys):
    model = Softmax()
    model.W = np.ones((3, 2))
    assert model.load("nope.npy", directory=tmp_path) is False
    assert capsys.readouterr().out == "nope.npy not available.\n"
    np.testing.assert_array_equal(model.W, np.ones((3, 2)))


def test_load_rejects_a_dict_without_W(tmp_path):
    np.save(tmp_path / "bad.npy", {"weights": np.ones((3, 2))})
    with pytest.raises(ValueError, match=r"has no 'W': its keys are \['weights'\]"):
        Softmax().load("bad.npy", directory=tmp_path)


def test_save_without_weights_raises(tmp_path):
    with pytest.raises(ValueError, match="no weights to save"):
        Softmax().save("w.npy", directory=tmp_path)


def test_verbose_prints_every_100_iterations(data, capsys):
    X, y = data
    Softmax().train(X, y, learning_rate=1e-3, num_iters=250, batch_size=10, verbose=True, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "iteration 0 / 250",
        "iteration 100 / 250",
        "iteration 200 / 250",
    ]


class FakeBlas:
    """Stands in for threadpoolctl's BLAS controller: records the thread count it is set to."""

    def __init__(self, num_threads):
        self.default = self.threads = num_threads
        self.restored = False

    def info(self):
        return [{"num_threads": self.threads}]

    def limit(self, limits):
        self.threads = limits
        return self

    def restore_original_limits(self):
        self.threads, self.restored = self.default, True


class FakeController:
    def __init__(self, blas):
        self.blas = blas

    def __call__(self):
        return self

    def select(self, user_api):
        assert user_api == "blas"
        return self.blas


@pytest.mark.parametrize("faster", [1, 2])
def test_blas_threads_picks_the_faster_thread_count_and_rechecks(monkeypatch, faster):
    import time

    from cs231n.classifiers import linear_classifier

    blas = FakeBlas(num_threads=2)
    monkeypatch.setattr(linear_classifier, "ThreadpoolController", FakeController(blas))
    chooser = linear_classifier.BlasThreads(period=40, trial=4)
    used = []
    for _ in chooser.timed_range(100):
        used.append(blas.threads)
        time.sleep(0.001 if blas.threads == faster else 0.01)  # a step on the slower choice
    assert used[:4] == [1] * 4 and used[4:8] == [2] * 4  # a trial of each
    assert used[8:40] == [faster] * 32  # then the faster one, until the next period
    assert used[40:44] == [1] * 4 and used[48:80] == [faster] * 32
    assert blas.restored and blas.threads == 2


def test_blas_threads_changes_nothing_with_one_thread_or_without_threadpoolctl(monkeypatch):
    from cs231n.classifiers import linear_classifier

    blas = FakeBlas(num_threads=1)
    monkeypatch.setattr(linear_classifier, "ThreadpoolController", FakeController(blas))
    assert list(linear_classifier.BlasThreads().timed_range(50)) == list(range(50))
    assert not blas.restored
    monkeypatch.setattr(linear_classifier, "ThreadpoolController", None)
    assert list(linear_classifier.BlasThreads().timed_range(50)) == list(range(50))
