"""Tests of benchmarks/bench_common.py: a missed goal makes a benchmark fail; the oracles agree."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_common  # noqa: E402

from cs231n.classifiers.softmax import softmax_loss_naive  # noqa: E402


def rows(*mets):
    return [bench_common.row(f"case {i}", "2.0 s", "1.0 s", 2.0, ">= 1.5x", met)
            for i, met in enumerate(mets)]


@pytest.mark.parametrize(("mets", "status"), [((True, None), 0), ((True, False), 1)])
def test_finish_writes_the_rows_and_fails_when_a_goal_is_missed(tmp_path, capsys, mets, status):
    code = bench_common.finish("bench_x", rows(*mets), data="test data", load_before=[0.5] * 3,
                               results_dir=tmp_path)
    assert code == status
    record = json.loads((tmp_path / "bench_x.json").read_text())
    assert [r["met"] for r in record["rows"]] == list(mets)
    assert record["load_average_before_run"] == [0.5] * 3
    assert ("goal NOT met" in capsys.readouterr().err) == (status == 1)


def test_a_smoke_run_writes_nothing_unless_told_where(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_common, "RESULTS_DIR", tmp_path / "results")
    assert bench_common.finish("bench_x", rows(None), data="d", load_before=[0.0] * 3,
                               quick=True) == 0
    assert not (tmp_path / "results").exists()


def test_textbook_loss_is_the_course_softmax_loss():
    rng = np.random.default_rng(0)
    W = 0.01 * rng.standard_normal((7, 4))
    X = rng.standard_normal((20, 7))
    y = rng.integers(0, 4, 20)
    loss, dW = bench_common.textbook_loss(W, X, y, 0.3)
    expected_loss, expected_dW = softmax_loss_naive(W, X, y, 0.3)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-10, atol=1e-12)
