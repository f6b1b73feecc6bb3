"""Public checks of your code: run one after each TODO, e.g. `check("softmax_loss_naive")`.

    from cs231n.checks import check
    check("softmax_loss_naive")        # or "softmax_loss_vectorized", "train", "predict"

or from a shell: `python -m cs231n.checks softmax_loss_naive`. A check runs your code on a few
small PUBLIC problems (`cs231n/public_problems.npz`, read with allow_pickle=False) and prints
PASSED or FAILED with the same diagnostics the course's grader gives (the missing /N, the
missing factor 2 in the regularization gradient, a wrong sign, ...). The grader runs the same
kind of tests on other, hidden problems, so passing here is a good sign, not a guarantee. The
checks need nothing but numpy: no grader, Jupyter or internet.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,) labels in [0, C).
"""

import argparse
import importlib
import inspect
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import diagnostics as dg

PUBLIC_PROBLEMS = Path(__file__).resolve().parent / "public_problems.npz"
NAMES = ("softmax_loss_naive", "softmax_loss_vectorized", "train", "predict")
TRAIN = {"learning_rate": 1e-4, "reg": 1.0, "num_iters": 200, "batch_size": 50}
TRAIN_SEED = 0


@dataclass
class Verdict:
    """The outcome of one check: `passed`, and the lines explaining it."""

    name: str
    passed: bool = True
    lines: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def fail(self, line):
        self.passed = False
        self.lines.append(line)

    def __str__(self):
        head = f"check({self.name!r}): {'PASSED' if self.passed else 'FAILED'}"
        return "\n".join([head] + [f"  {line}" for line in self.lines + self.notes])


def load_problems(path=PUBLIC_PROBLEMS):
    """The public problems file as a dict name -> ndarray."""
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def loss_problems(data):
    """[(W, X, y, reg, large_scores, LossParts)] of the public loss problems."""
    result, k = [], 0
    while f"W{k}" in data:
        parts = dg.LossParts(
            num_examples=len(data[f"y{k}"]),
            reg=float(data[f"reg{k}"]),
            data_loss=float(data[f"data_loss{k}"]),
            reg_loss=float(data[f"reg_loss{k}"]),
            data_grad=data[f"data_grad{k}"],
            reg_grad=data[f"reg_grad{k}"],
        )
        W, X, y = data[f"W{k}"], data[f"X{k}"], data[f"y{k}"]
        result.append((W, X, y, float(data[f"reg{k}"]), bool(data[f"large{k}"]), parts))
        k += 1
    return result


def describe(W, X, reg):
    N, D = X.shape
    return f"N={N}, D={D}, C={W.shape[1]}, {X.dtype}, reg={reg:g}"


def subtracts_max(function):
    """Whether the function's source mentions a maximum (None if the source is unavailable)."""
    try:
        return "max" in inspect.getsource(function)
    except (OSError, TypeError):
        return None


def check_loss(name, function, data):
    verdict = Verdict(name)
    for W0, X0, y0, reg, large, parts in loss_problems(data):
        W, X, y = W0.copy(), X0.copy(), y0.copy()
        where = f"problem ({describe(W, X, reg)})"
        if large:
            with np.errstate(all="ignore"):
                try:
                    loss, _, problem = dg.read_loss_result(function(W, X, y, reg), W.shape)
                except Exception as err:  # noqa: BLE001 - only a note, the checks go on
                    loss, problem = None, f"{type(err).__name__}: {err}"
            if problem is None and loss is not None and not np.isfinite(loss):
                verdict.notes.append(dg.stability_note(name, loss, subtracts_max(function)))
            elif problem is not None:
                verdict.notes.append(f"on very large scores: {problem} (not graded)")
            continue
        loss, dW, problem = dg.read_loss_result(function(W, X, y, reg), W.shape)
        mutated = [n for n, a, o in zip("WXy", (W, X, y), (W0, X0, y0)) if not np.array_equal(a, o)]
        if mutated:
            verdict.fail(dg.mutation_hint(name, mutated))
        if problem is not None:
            verdict.fail(f"{where}: {problem}")
            continue
        if not dg.loss_ok(parts, loss, X.dtype):
            hint = dg.diagnose_loss(parts, loss)
            verdict.fail(f"{where}: the loss {loss:.8g} is wrong" + (f" -- {hint}" if hint else ""))
        if not dg.grad_ok(parts, dW, X.dtype):
            hint = dg.diagnose_grad(parts, dW)
            verdict.fail(f"{where}: dW is wrong" + (f" -- {hint}" if hint else ""))
    if verdict.passed:
        verdict.lines.append("loss and dW right on every public problem; inputs left unchanged")
    return verdict


def check_train(data, model_class):
    verdict = Verdict("train")
    X, y = data["X_train"], data["y_train"]
    num_classes = int(y.max()) + 1
    state = np.random.get_state()  # the course's train samples from the global generator:
    np.random.seed(TRAIN_SEED)  # seed it for the check, then give the notebook its state back
    try:
        model = model_class()
        history = model.train(X, y, verbose=False, **TRAIN)
    finally:
        np.random.set_state(state)
    setting = ", ".join(f"{k}={v:g}" for k, v in TRAIN.items())
    try:
        history = np.array([float(v) for v in history])
    except (TypeError, ValueError):
        verdict.fail(f"train returned {dg.type_name(history)}; expected a list of losses")
        return verdict
    for line in dg.history_problems(history, TRAIN["num_iters"], num_classes):
        verdict.fail(f"with {setting}: {line}")
    if model.W is None or np.shape(model.W) != (X.shape[1], num_classes):
        verdict.fail(
            f"after train, self.W is {dg.type_name(model.W)}; expected shape "
            f"{(X.shape[1], num_classes)}"
        )
        return verdict
    target = dg.TRAIN_FINAL_FRACTION * math.log(num_classes)
    heldout, _ = model.loss(data["X_heldout"], data["y_heldout"], 0.0)
    if not np.isfinite(heldout) or heldout >= target:
        first = history[0] if len(history) else np.nan
        advice = dg.training_advice(first, heldout, not np.all(np.isfinite(history)))
        verdict.fail(
            f"with {setting} on well-separated classes, the trained W has a held-out loss of "
            f"{heldout:.4g} (by your loss); expected below {target:.4f}: {advice}"
        )
    if verdict.passed:
        verdict.lines.append("the loss history looks right and the trained W fits held-out data")
    verdict.notes.append(
        "this check uses your Softmax.loss: pass check('softmax_loss_vectorized') first"
    )
    return verdict


def check_predict(data, model_class):
    verdict = Verdict("predict")
    model = model_class()
    model.W = data["W_predict"].copy()
    for line in dg.predict_problems(model.predict(data["X_predict"]), data["labels_predict"]):
        verdict.fail(line)
    if verdict.passed:
        verdict.lines.append(f"all {len(data['labels_predict'])} labels right")
    return verdict


def run_check(name, function=None, path=PUBLIC_PROBLEMS):
    """The `Verdict` of check `name` (one of NAMES) on the public problems.

    Parameters
    ----------
    name : str
        "softmax_loss_naive", "softmax_loss_vectorized", "train" or "predict".
    function : callable or class, optional
        What to check: the loss function, or the classifier class for "train" and "predict"
        (default: the one in cs231n/classifiers, `Softmax` for "train" and "predict").
    path : str or os.PathLike
        The public problems file.
    """
    if name not in NAMES:
        raise ValueError(f"unknown check {name!r}; expected one of {', '.join(NAMES)}")
    data = load_problems(path)
    if name in NAMES[:2]:
        if function is None:
            function = getattr(importlib.import_module("cs231n.classifiers.softmax"), name)
        return check_loss(name, function, data)
    if function is None:
        function = importlib.import_module("cs231n.classifiers.linear_classifier").Softmax
    return check_train(data, function) if name == "train" else check_predict(data, function)


def check(name, function=None):
    """Run check `name` (see `run_check`) and print its verdict."""
    print(run_check(name, function))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n.checks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"checks to run (default: all of {NAMES})"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in NAMES]
    if unknown:
        parser.error(f"unknown check {unknown[0]!r}; expected some of {', '.join(NAMES)}")
    verdicts = [run_check(name) for name in args.names or NAMES]
    for verdict in verdicts:
        print(verdict)
    return 0 if all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
