"""Tests specific to softmax.py: known values, the notebook's sparse gradient check, huge
scores, and the file as the release ships it (each marker block removed, as the course's 2025
starter has it). The contract both losses share is in test_loss_contract.py.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import math
from pathlib import Path

import numpy as np
import pytest
from loss_problems import SHAPES, make_problem, marker_blocks, outside_markers, release_stub, ulps

import cs231n.classifiers.softmax
from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.gradient_check import grad_check_sparse

SOFTMAX_PY = Path(cs231n.classifiers.softmax.__file__)
LOSSES = [softmax_loss_naive, softmax_loss_vectorized]


# Known values


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
def test_zero_weights_give_log_num_classes(loss_fn, dtype, num_train, dim, num_classes):
    # With W = 0 every class has probability 1/C, so every example costs log C.
    _, X, y = make_problem(num_train, dim, num_classes, dtype)
    W = np.zeros((dim, num_classes), dtype=dtype)

    loss, dW = loss_fn(W, X, y, reg=1.0)

    assert loss == pytest.approx(math.log(num_classes), rel=ulps(dtype), abs=ulps(dtype))
    one_hot = np.eye(num_classes)[y]  # (N, C)
    expected_dW = X.astype(np.float64).T @ (1 / num_classes - one_hot) / num_train  # (D, C)
    np.testing.assert_allclose(dW, expected_dW, rtol=ulps(dtype, 64), atol=ulps(dtype, 64))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_hand_computed_case(loss_fn, reg):
    # X is the identity, so example i's scores are row i of W.
    # Example 0: scores (0, log 3), probabilities (1/4, 3/4), label 0: loss log 4.
    # Example 1: scores (0, 0), probabilities (1/2, 1/2), label 1: loss log 2.
    X = np.eye(2)
    W = np.array([[0.0, math.log(3)], [0.0, 0.0]])
    y = np.array([0, 1])

    loss, dW = loss_fn(W, X, y, reg)

    expected_loss = (math.log(4) + math.log(2)) / 2 + reg * math.log(3) ** 2
    # (P - Y) / N with rows (1/4 - 1, 3/4) and (1/2, 1/2 - 1), times X^T = I, plus 2 reg W.
    expected_dW = np.array([[-3 / 8, 3 / 8], [1 / 4, -1 / 4]]) + 2 * reg * W
    assert loss == pytest.approx(expected_loss, rel=1e-15)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-15, atol=1e-16)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("reg", [0.0, 50.0])
def test_sparse_gradient_check_as_in_the_notebook_passes(reg, capsys):
    # The notebook's check: the naive loss probed at random entries of W, scale 1e-4.
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 20))  # (N, D)
    W = 1e-4 * rng.standard_normal((20, 10))  # (D, C)
    y = rng.integers(0, 10, size=30)  # (N,)
    _, dW = softmax_loss_naive(W, X, y, reg)

    errors = grad_check_sparse(lambda w: softmax_loss_naive(w, X, y, reg)[0], W, dW, 10, seed=5)

    assert errors.max() < 1e-7
    assert capsys.readouterr().out.splitlines()[-1].startswith("PASS: all 10")


# Huge scores


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "label, expected_loss, expected_dW",
    [(0, 1e5, [[-1.0, 1.0, 0.0]]), (1, 0.0, [[0.0, 0.0, 0.0]]), (2, 2e5, [[0.0, 1.0, -1.0]])],
)
def test_vectorized_is_exact_for_scores_1e5_apart(dtype, label, expected_loss, expected_dW):
    # One example with x = 1, so the scores are W's row (0, 1e5, -1e5); exp(-1e5) is 0 even in
    # float64, and the loss is log(sum_k exp(s_k - max)) - (s_y - max).
    X = np.array([[1.0]], dtype=dtype)  # (1, 1)
    W = np.array([[0.0, 1e5, -1e5]], dtype=dtype)  # (1, 3)

    loss, dW = softmax_loss_vectorized(W, X, np.array([label]), 0.0)

    assert loss == expected_loss
    np.testing.assert_array_equal(dW, np.array(expected_dW, dtype=dtype))


def test_the_courses_naive_loss_shows_numpys_warning_for_a_zero_probability():
    # The course's pre-filled loss takes log(p), which is -inf where p underflows to 0: the
    # student sees numpy's own warning (nothing silences it) and an infinite loss.
    X = np.array([[1.0]])
    W = np.array([[0.0, 1e5, -1e5]])

    with pytest.warns(RuntimeWarning, match="divide by zero encountered in log"):
        loss, _ = softmax_loss_naive(W, X, np.array([2]), 0.0)
    assert loss == math.inf


# The file as the release ships it


def stubbed_losses(tmp_path):
    """softmax.py with its marker blocks removed, imported: (naive, vectorized)."""
    path = tmp_path / "softmax_as_released.py"
    path.write_text(release_stub(SOFTMAX_PY.read_text()))
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["softmax_loss_naive"], namespace["softmax_loss_vectorized"]


def test_the_three_todo_blocks_hold_our_answers_and_the_rest_is_the_courses():
    text = SOFTMAX_PY.read_text()
    blocks = marker_blocks(text)
    assert len(blocks) == 3  # naive gradient; vectorized loss; vectorized gradient
    released = outside_markers(text)
    assert sum("# TODO:" in line for line in released) == 3
    # Outside the blocks, np.exp appears only in the course's pre-filled naive loss, and no
    # gradient (a product with X transposed) appears at all.
    assert [line.strip() for line in released if "np.exp" in line] == ["p = np.exp(scores)"]
    for line in released:
        assert ".T" not in line and "X^T" not in line and "P - Y" not in line, line


def test_released_naive_loss_is_the_courses_and_its_gradient_is_zero(tmp_path):
    naive, _ = stubbed_losses(tmp_path)
    W, X, y = make_problem(12, 6, 4, seed=3)

    loss, dW = naive(W, X, y, 0.5)

    assert loss == softmax_loss_naive(W, X, y, 0.5)[0]
    np.testing.assert_array_equal(dW, np.zeros_like(W))


def test_released_naive_loss_fails_the_gradient_check_with_relative_error_1(tmp_path, capsys):
    # As in the official starter: the loss is there, the gradient is the student's to write.
    naive, _ = stubbed_losses(tmp_path)
    W, X, y = make_problem(12, 6, 4, seed=3)
    _, dW = naive(W, X, y, 0.0)

    errors = grad_check_sparse(lambda w: naive(w, X, y, 0.0)[0], W, dW, 5, seed=0)

    np.testing.assert_array_equal(errors, np.ones(5))
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("FAIL: 5 of 5 relative errors are not below the tolerance")


def test_released_vectorized_loss_returns_zero_and_a_zero_gradient(tmp_path):
    _, vectorized = stubbed_losses(tmp_path)
    W, X, y = make_problem(12, 6, 4, seed=3)
    loss, dW = vectorized(W, X, y, 0.5)
    assert loss == 0.0
    np.testing.assert_array_equal(dW, np.zeros_like(W))


def test_no_line_of_our_answers_appears_outside_the_blocks():
    # The release builder's check: a line of a block found in the release would give it away.
    text = SOFTMAX_PY.read_text()
    released = {line.strip() for line in outside_markers(text)}
    assert [line for block in marker_blocks(text) for line in block
            if line.strip() in released] == []
