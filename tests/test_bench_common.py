"""Tests of benchmarks/bench_common.py: a missed goal makes a benchmark fail; the oracles agree."""

import argparse
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


@pytest.mark.parametrize("quick", [False, True])
def test_a_run_by_hand_writes_nothing(tmp_path, monkeypatch, capsys, quick):
    monkeypatch.setattr(bench_common, "RESULTS_DIR", tmp_path / "results")
    args = bench_common.make_parser("A benchmark.", "small").parse_args(
        ["--quick"] if quick else [])
    assert args.results_dir is None
    assert bench_common.finish("bench_x", rows(True), data="d", load_before=[0.0] * 3,
                               results_dir=args.results_dir, quick=quick) == 0
    assert not (tmp_path / "results").exists()
    assert "not written (--record writes benchmarks/results/" in capsys.readouterr().out


def test_record_writes_into_benchmarks_results(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_common, "RESULTS_DIR", tmp_path / "results")
    args = bench_common.make_parser("A benchmark.", "small", repeats=3).parse_args(["--record"])
    assert args.results_dir == str(bench_common.RESULTS_DIR)
    bench_common.finish("bench_x", rows(True), data="d", load_before=[0.0] * 3,
                        results_dir=args.results_dir)
    assert json.loads((tmp_path / "results" / "bench_x.json").read_text())["data"] == "d"


def test_a_smoke_run_is_never_recorded_in_benchmarks_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_common, "RESULTS_DIR", tmp_path / "results")
    args = bench_common.make_parser("A benchmark.", "small").parse_args(["--quick", "--record"])
    bench_common.finish("bench_x", rows(None), data="d", load_before=[0.0] * 3,
                        results_dir=args.results_dir, quick=args.quick)
    assert not (tmp_path / "results").exists()
    assert "a smoke run (--quick) is never recorded" in capsys.readouterr().out


def test_record_and_results_dir_exclude_each_other(tmp_path, capsys):
    parser = bench_common.add_output_options(argparse.ArgumentParser(prog="bench_x"))
    assert parser.parse_args(["--results-dir", str(tmp_path)]).results_dir == str(tmp_path)
    with pytest.raises(SystemExit):
        parser.parse_args(["--record", "--results-dir", str(tmp_path)])
    assert "not allowed with argument" in capsys.readouterr().err


def test_textbook_loss_is_the_course_softmax_loss():
    rng = np.random.default_rng(0)
    W = 0.01 * rng.standard_normal((7, 4))
    X = rng.standard_normal((20, 7))
    y = rng.integers(0, 4, 20)
    loss, dW = bench_common.textbook_loss(W, X, y, 0.3)
    expected_loss, expected_dW = softmax_loss_naive(W, X, y, 0.3)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(dW, expected_dW, rtol=1e-10, atol=1e-12)
