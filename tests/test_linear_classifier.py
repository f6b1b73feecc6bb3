"""Tests of the SGD loop, prediction and saving in cs231n/classifiers/linear_classifier.py, and of
the signals it gives for a TODO left unfilled, a typical bug and divergence, run on the files as
the release ships them (marker blocks removed) or with the bug written in."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from loss_problems import import_classifiers, marker_blocks, outside_markers, release_stub

import cs231n.classifiers
from cs231n.classifiers import (
    LinearClassifier,
    LinearSVM,
    Softmax,
    TrainingDivergedError,
    TrainingDivergedWarning,
)
from cs231n.classifiers.softmax import softmax_loss_vectorized

CLASSIFIERS_DIR = Path(cs231n.classifiers.__file__).parent
SOFTMAX_PY = (CLASSIFIERS_DIR / "softmax.py").read_text()
LINEAR_CLASSIFIER_PY = (CLASSIFIERS_DIR / "linear_classifier.py").read_text()


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


def variant(tmp_path, softmax_py=SOFTMAX_PY, linear_classifier_py=LINEAR_CLASSIFIER_PY):
    """linear_classifier.py of these two file texts, imported as a package of its own."""
    name = f"variant_{abs(hash((softmax_py, linear_classifier_py, str(tmp_path))))}"
    modules = import_classifiers(
        tmp_path, name, {"softmax.py": softmax_py, "linear_classifier.py": linear_classifier_py}
    )
    return modules["linear_classifier"]


ASCENT = LINEAR_CLASSIFIER_PY.replace("self.W -= learning_rate * grad",
                                      "self.W += learning_rate * grad")


def without_block(text, index):
    """`text` with only its index-th START..END marker block removed, as the release does."""
    lines = text.splitlines(keepends=True)
    starts = [k for k, line in enumerate(lines) if "*****START OF YOUR CODE" in line]
    ends = [k for k, line in enumerate(lines) if "*****END OF YOUR CODE" in line]
    return "".join(lines[: starts[index]] + lines[ends[index] + 1 :])


# Training and prediction


def test_train_returns_one_loss_per_iteration_and_creates_W(data):
    X, y = data
    model = Softmax()
    np.random.seed(0)
    history = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=37, batch_size=16)
    assert len(history) == 37
    assert all(np.isfinite(loss) for loss in history)
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


def test_seed_keyword_is_np_random_seed_first(data):
    X, y = data
    by_global, by_keyword = Softmax(), Softmax()
    np.random.seed(5)
    by_global.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=30, batch_size=10)
    np.random.seed(99)
    by_keyword.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=30, batch_size=10, seed=5)
    np.testing.assert_array_equal(by_global.W, by_keyword.W)


def test_training_matches_a_reference_sgd_loop(data):
    """train takes exactly the steps of the textbook loop, written out here."""
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


def test_second_call_continues_training(data):
    X, y = data
    model = Softmax()
    model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=20, seed=0)
    W_after_first = model.W.copy()
    history = model.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=20, seed=1)

    fresh = Softmax()
    fresh.W = W_after_first.copy()  # train updates W in place, as the course's code does
    fresh_history = fresh.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=20, seed=1)
    np.testing.assert_allclose(history, fresh_history)
    assert not np.array_equal(model.W, W_after_first)


def test_separable_toy_problem_is_learned():
    X, y = blobs(num_per_class=200, num_classes=4, seed=1)
    model = Softmax()
    history = model.train(X, y, learning_rate=1e-2, reg=1e-4, num_iters=400, batch_size=50, seed=0)
    assert np.mean(model.predict(X) == y) > 0.95
    assert np.mean(history[-20:]) < history[0]


def test_integer_data_trains_in_float64_as_the_course_does_and_float32_data_in_float32(data):
    X, y = data
    for X_typed, dtype in [(np.rint(10 * X).astype(np.int16), np.float64),
                           (X.astype(np.float32), np.float32)]:
        model = Softmax()
        model.train(X_typed, y, learning_rate=1e-4, reg=1e-3, num_iters=30, seed=0)
        assert model.W.dtype == dtype and np.isfinite(model.W).all()


def test_float32_training_follows_the_float64_run(data):
    X, y = data
    runs = {}
    for dtype in (np.float32, np.float64):
        model = Softmax()
        runs[dtype] = model.train(X.astype(dtype), y, learning_rate=1e-3, reg=1e-3,
                                  num_iters=50, seed=0)
        runs[dtype] = (np.array(runs[dtype]), model.W)
    np.testing.assert_allclose(runs[np.float32][0], runs[np.float64][0], rtol=1e-4)
    np.testing.assert_allclose(runs[np.float32][1], runs[np.float64][1], rtol=1e-3, atol=1e-5)


def test_predict_is_argmax_of_scores(data):
    X, _ = data
    model = Softmax()
    model.W = np.random.default_rng(0).standard_normal((X.shape[1], 3))
    pred = model.predict(X)
    assert pred.shape == (X.shape[0],)
    assert np.issubdtype(pred.dtype, np.integer)
    np.testing.assert_array_equal(pred, np.argmax(X @ model.W, axis=1))


def test_loss_uses_the_subclass_loss(data):
    X, y = data
    W = np.random.default_rng(0).standard_normal((X.shape[1], 3))
    model = Softmax()
    model.W = W
    loss, grad = model.loss(X, y, 0.1)
    expected_loss, expected_grad = softmax_loss_vectorized(W, X, y, 0.1)
    assert loss == expected_loss
    np.testing.assert_array_equal(grad, expected_grad)
    with pytest.raises(NotImplementedError, match="LinearClassifier has no loss: use a subclass"):
        LinearClassifier().loss(X, y, 0.1)


def test_linear_svm_is_the_courses_class_and_names_the_missing_loss(data):
    from cs231n.classifiers.linear_classifier import LinearSVM as course_import

    assert course_import is LinearSVM and issubclass(LinearSVM, LinearClassifier)
    X, y = data
    with pytest.raises(NotImplementedError, match=r"^LinearSVM needs svm_loss_vectorized from "
                       r"cs231n/classifiers/linear_svm.py, which this assignment"):
        LinearSVM().train(X, y, num_iters=1, seed=0)


def test_verbose_prints_every_100_iterations(data, capsys):
    X, y = data
    Softmax().train(X, y, learning_rate=1e-3, num_iters=250, batch_size=10, verbose=True, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "iteration 0 / 250",
        "iteration 100 / 250",
        "iteration 200 / 250",
    ]


# Bad input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(X=np.ones(5)), r"X must be a numpy array of numbers of shape \(N, D\), N >= 1; "
                             r"got shape \(5,\)"),
        (dict(X=[[1.0] * 6] * 300), "X must be a numpy array .* got <class 'list'>"),
        (dict(X=np.ones((300, 6), dtype=complex)), "X must be a numpy array of numbers"),
        (dict(y=np.zeros(3, dtype=int)), r"y must be an integer array of shape \(N,\) = \(300,\); "
                                         r"got shape \(3,\)"),
        (dict(y=np.full(300, 0.5)), "y must be an integer array .* dtype float64"),
        (dict(y=np.full(300, -1)), r"labels y must lie in \[0, C\); got -1 to -1"),
        (dict(num_iters=2.5), "num_iters must be an integer >= 0; got 2.5"),
        (dict(num_iters=-1), "num_iters must be an integer >= 0; got -1"),
        (dict(batch_size=0), "batch_size must be an integer >= 1; got 0"),
        (dict(batch_size=True), "batch_size must be an integer >= 1; got True"),
        (dict(learning_rate=0.0), "learning_rate must be a finite number > 0; got 0.0"),
        (dict(learning_rate=float("nan")), "learning_rate must be a finite number > 0"),
        (dict(learning_rate="fast"), "learning_rate must be a finite number > 0; got 'fast'"),
        (dict(reg=-1.0), "reg must be a finite number >= 0; got -1.0"),
        (dict(on_divergence="ignore"), 'on_divergence must be "warn" or "raise"'),
    ],
)
def test_bad_training_input_raises_value_error(data, change, message):
    X, y = data
    args = dict(X=X, y=y, learning_rate=1e-2, reg=1e-3, num_iters=10, batch_size=10)
    args.update(change)
    model = Softmax()
    with pytest.raises(ValueError, match=message):
        model.train(**args)


def test_data_that_does_not_fit_the_existing_W_is_rejected(data):
    X, y = data
    model = Softmax()
    model.train(X, y, learning_rate=1e-2, num_iters=5, seed=0)
    W_before = model.W.copy()
    with pytest.raises(ValueError, match=r"labels y must lie in \[0, 3\) for the existing W"):
        model.train(X, np.where(y == 2, 3, y), learning_rate=1e-2, num_iters=5)
    with pytest.raises(ValueError, match=r"X must have D = 6 columns, the rows of W; got"):
        model.train(X[:, :-1], y, learning_rate=1e-2, num_iters=5)
    np.testing.assert_array_equal(model.W, W_before)


def test_nan_in_X_is_rejected_when_a_minibatch_meets_it(data):
    X, y = data
    X = X.copy()
    X[:, 2] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite values"):
        Softmax().train(X, y, learning_rate=1e-3, num_iters=5, batch_size=10, seed=0)


def test_predict_without_weights_or_with_the_wrong_width_raises(data):
    X, y = data
    with pytest.raises(ValueError, match="no weights yet: call train"):
        Softmax().predict(X)
    model = Softmax()
    model.train(X, y, num_iters=2, seed=0)
    with pytest.raises(ValueError, match=r"X must be a numpy array of shape \(N, 6\); got shape "
                       r"\(300, 5\)"):
        model.predict(X[:, :-1])


# Divergence


DIVERGING = dict(learning_rate=10.0, reg=1e6, num_iters=500)  # learning_rate * reg = 1e7


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # numpy's, in the student's code
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_divergence_warns_once_and_leaves_a_model_at_chance(data, dtype):
    X, y = data
    X = (1000.0 * X).astype(dtype)
    model = Softmax()
    with pytest.warns(TrainingDivergedWarning) as caught:
        history = model.train(X, y, seed=0, **DIVERGING)
    ours = [w for w in caught if w.category is TrainingDivergedWarning]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert message.startswith(f"training diverged at iteration {len(history)}: ")
    assert "learning_rate=10 and reg=1e+06. Lower the learning rate (or reg)" in message
    assert 0 < len(history) < 500 and np.isfinite(history).all()
    assert model.diverged and np.isnan(model.W).all() and model.W.shape == (X.shape[1], 3)

    with pytest.warns(TrainingDivergedWarning, match="training diverged") as caught:
        y_pred = model.predict(X)
    assert len(caught) == 1
    np.testing.assert_array_equal(y_pred, 0)  # every example gets class 0: chance accuracy


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_divergence_raises_when_asked(data):
    X, y = data
    model = Softmax()
    with pytest.raises(TrainingDivergedError, match=r"learning_rate=10 and reg=1e\+06"):
        model.train(1000 * X, y, seed=0, on_divergence="raise", **DIVERGING)
    assert model.diverged


def test_a_course_style_loop_sees_numpys_warnings_from_the_students_code(data):
    # Nothing silences numpy inside train: an overflow in the loss shows as numpy's warning.
    X, y = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Softmax().train(1000 * X, y, seed=0, **DIVERGING)
    categories = [w.category for w in caught]
    assert RuntimeWarning in categories and TrainingDivergedWarning in categories


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_a_wrong_sign_points_at_the_gradient_check(tmp_path, data):
    # W += learning_rate * grad: gradient ascent; learning_rate * reg = 0.5 < 1, yet the loss
    # climbs from the first step and W grows until the loss overflows.
    X, y = data
    module = variant(tmp_path, linear_classifier_py=ASCENT)
    with pytest.warns(module.TrainingDivergedWarning) as caught:
        module.Softmax().train(X, y, learning_rate=0.1, reg=5.0, num_iters=3000, seed=0)
    message = str([w for w in caught if w.category is module.TrainingDivergedWarning][0].message)
    assert "The loss rose from the first steps (" in message
    assert "check the gradient with grad_check_sparse" in message


def test_a_rising_loss_warns_at_the_end_of_training(tmp_path, data):
    # The same bug without reg: the loss rises but stays finite, so training runs to the end.
    X, y = data
    module = variant(tmp_path, linear_classifier_py=ASCENT)
    model = module.Softmax()
    with pytest.warns(module.TrainingDivergedWarning, match=r"^the loss rose during training, from "
                      r".* check the update's sign, and the gradient with grad_check_sparse"):
        history = model.train(X, y, learning_rate=1e-2, reg=0.0, num_iters=300, seed=0)
    assert len(history) == 300 and not model.diverged


@pytest.mark.filterwarnings("error")
def test_a_right_gradient_gives_no_warning(data):
    X, y = data
    Softmax().train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=300, seed=0)
    Softmax().train(X, y, learning_rate=1e-9, reg=0.0, num_iters=300, seed=0)  # a flat loss


# Unfilled TODOs, as the release ships them


@pytest.mark.parametrize(
    "block, message",
    [
        (0, r"^X_batch is None: fill in the sampling TODO in LinearClassifier.train "
            r"\(cs231n/classifiers/linear_classifier.py\)$"),
        (1, r"^self.W did not change in the first step although the gradient is not zero: fill "
            r"in the update TODO in LinearClassifier.train"),
    ],
)
def test_an_unfilled_train_todo_is_named(tmp_path, data, block, message):
    X, y = data
    model = variant(tmp_path, linear_classifier_py=without_block(LINEAR_CLASSIFIER_PY, block))
    model = model.Softmax()
    with pytest.raises(NotImplementedError, match=message):
        model.train(X, y, learning_rate=1e-2, num_iters=10, seed=0)


def test_a_minibatch_of_the_wrong_shape_is_named(tmp_path, data):
    X, y = data
    transposed = LINEAR_CLASSIFIER_PY.replace("X[indices]  #", "X[indices].T  #")
    model = variant(tmp_path, linear_classifier_py=transposed).Softmax()
    with pytest.raises(ValueError, match=r"^X_batch must have shape \(200, 6\) after sampling "
                       r"\(the sampling TODO in LinearClassifier.train\); got \(6, 200\)$"):
        model.train(X, y, num_iters=10, seed=0)


def test_an_unfilled_predict_todo_is_named(tmp_path, data):
    X, y = data
    model = variant(tmp_path, linear_classifier_py=without_block(LINEAR_CLASSIFIER_PY, 2)).Softmax()
    model.train(X, y, learning_rate=1e-2, num_iters=10, seed=0)
    with pytest.raises(NotImplementedError, match=r"^y_pred is still np.zeros\(N\): fill in the "
                       r"TODO in LinearClassifier.predict"):
        model.predict(X)


def test_an_unfilled_loss_is_named_at_the_first_step(tmp_path, data):
    X, y = data
    model = variant(tmp_path, softmax_py=release_stub(SOFTMAX_PY)).Softmax()
    with pytest.raises(NotImplementedError, match=r"^Softmax.loss, that is "
                       r"softmax_loss_vectorized in cs231n/classifiers/softmax.py, returned loss "
                       r"0.0 and an all-zero gradient at the first step: fill in its TODOs$"):
        model.train(X, y, num_iters=10, seed=0)


def test_the_released_files_raise_the_first_todo_first(tmp_path, data):
    # Both files as released: the sampling TODO comes first in train, so it is the one named.
    X, y = data
    released = variant(tmp_path, release_stub(SOFTMAX_PY), release_stub(LINEAR_CLASSIFIER_PY))
    model = released.Softmax()
    with pytest.raises(NotImplementedError, match="^X_batch is None: fill in the sampling TODO"):
        model.train(X, y, num_iters=10, seed=0)


def test_no_try_errstate_or_thread_machinery_around_the_students_code():
    # The code a student writes runs as written: no try around it, numpy's warnings on, one
    # BLAS thread count for the whole run (no timing), so the same run gives the same bytes.
    text = LINEAR_CLASSIFIER_PY
    for forbidden in ("try:", "errstate", "BaseException", "threadpool", "perf_counter"):
        assert forbidden not in text[: text.index("# Machinery, not part of the exercise")]


# Saving and loading


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


def test_saving_the_same_weights_twice_gives_the_same_bytes(tmp_path):
    model = Softmax()
    model.W = np.random.default_rng(0).standard_normal((7, 3))
    model.save("a.npy", directory=tmp_path)
    model.save("b.npy", directory=tmp_path)
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()


def test_save_names_the_file_as_np_save_does(tmp_path):
    model = Softmax()
    model.W = np.arange(6.0).reshape(3, 2)
    model.save("weights", directory=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npy"]


def test_load_reads_a_plain_array(tmp_path):
    W = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "plain.npy", W)
    model = Softmax()
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
    with pytest.raises(ValueError, match=r"bad.npy must hold \{'W': W\} or W, a 2-D numeric "
                       r"array; it holds a dict with keys \['weights'\]$"):
        Softmax().load("bad.npy", directory=tmp_path)


def test_save_without_weights_raises(tmp_path):
    with pytest.raises(ValueError, match="no weights to save"):
        Softmax().save("w.npy", directory=tmp_path)


def test_the_course_part_has_the_courses_todo_blocks_and_no_answer_outside_them():
    text = LINEAR_CLASSIFIER_PY
    blocks = marker_blocks(text)
    assert len(blocks) == 3  # train's sampling and update, predict
    released = outside_markers(text)
    assert sum("# TODO:" in line for line in released) == 3
    released_lines = {line.strip() for line in released}
    assert [line for block in blocks for line in block if line.strip() in released_lines] == []
    for line in released:
        assert "argmax" not in line and "np.random.choice(" not in line, line


def test_the_same_seed_gives_byte_identical_saved_weights(tmp_path, data):
    # Nothing in train depends on timing (no BLAS thread count chosen at run time).
    X, y = data
    for name in ("first.npy", "second.npy"):
        model = Softmax()
        model.train(X.astype(np.float32), y, learning_rate=1e-2, reg=1e-3, num_iters=200,
                    batch_size=50, seed=7)
        model.save(name, directory=tmp_path)
    assert (tmp_path / "first.npy").read_bytes() == (tmp_path / "second.npy").read_bytes()
