"""The tests of the submitted code: the two losses, training and prediction.

Each function here runs one or more tasks of worker.py in the sandbox and turns what the
submission returned into TestResults, comparing against the expected answers of problems.py.
A test that cannot run (the code does not import, crashes the process, loops forever) scores 0
and says why; the other tests still run.

A test whose passing could be met by code that does nothing (inputs not mutated, numerical
gradient consistent with the analytic one, speed) only gives credit where the function's answers
are also correct, so the unfinished starter scores 0 on every code test.
"""

import math

import numpy as np

from . import problems as pb
from .results import TestResult
from .sandbox import run_task

LOSSES = ("softmax_loss_naive", "softmax_loss_vectorized")
MIN_SPEEDUP = 5.0
SPEED_ATTEMPTS = 3
SPEED_REPEATS = 5
NUMGRAD_H = 1e-5
NUMGRAD_CHECKS = 10
NUMGRAD_TOL = 1e-6
TRAIN = {"learning_rate": 1e-4, "reg": 1.0, "num_iters": 200, "batch_size": 50, "seed": 231}
TRAIN_SHAPE = (400, 12, 4)  # N, D (before the bias column), C
TRAIN_FIRST_LOSS_TOL = 0.25
TRAIN_FINAL_FRACTION = 0.5
TRAIN_TAIL = 20


def not_run(reply):
    """Feedback when a task gave no usable reply (crash, timeout, import error), else None."""
    if not reply.ok:
        return reply.problem
    if reply.data.get("import_error"):
        return f"the submitted code could not be imported: {reply.data['import_error']}"
    return None


def loss_lines(problem, entry, received_dW, part):
    """Feedback for one problem where `part` ("loss" or "gradient") is wrong."""
    head = f"problem ({problem.describe()}):"
    if entry["error"]:
        hint = f" -- {pb.OVERFLOW_HINT}" if problem.large_scores else ""
        return [f"{head} raised {entry['error']}{hint}"]
    if entry["problem"] and (part == "loss" or received_dW is None):
        return [f"{head} {entry['problem']}"]
    if part == "loss":
        received = entry["loss"]
        hint = pb.diagnose_loss(problem, received)
        line = f"{head} expected loss {problem.loss:.8g}, received {received:.8g}"
    else:
        hint = pb.diagnose_grad(problem, received_dW)
        line = f"{head} dW is wrong; {pb.largest_difference(problem, received_dW)}"
    return [line + (f" -- {hint}" if hint else "")]


def explain(good, problem, entry, received_dW, part):
    """No lines for a correct answer, else `loss_lines`."""
    return [] if good else loss_lines(problem, entry, received_dW, part)


def failed_checks(reason, count):
    """`count` failed checks for a task that did not run, the reason given once."""
    return [(False, [reason])] + [(False, [])] * (count - 1)


def score_problems(test, checks, what="hidden problems correct", max_lines=3):
    """Award `test` the fraction of passed checks; `checks` is a list of (passed, lines).

    The lines of a passed check are ignored.
    """
    passed = sum(1 for ok, _ in checks if ok)
    explained = [lines for ok, lines in checks if not ok and lines]  # failed, with a reason
    detail = [line for lines in explained[:max_lines] for line in lines]
    if len(explained) > max_lines:
        detail.append(f"... and {len(explained) - max_lines} more")
    return test.award(passed / len(checks), f"{passed} of {len(checks)} {what}", *detail)


def grade_losses(submission, limits, points):
    """Loss and gradient of both functions, large scores, and inputs left unchanged."""
    problems = pb.loss_problems()
    arrays = {}
    for k, problem in enumerate(problems):
        arrays.update(problem.arrays(k))
    tests = {
        "naive_loss": TestResult("softmax_loss_naive: loss", points["naive_loss"]),
        "naive_grad": TestResult("softmax_loss_naive: gradient dW", points["naive_grad"]),
        "vec_loss": TestResult("softmax_loss_vectorized: loss", points["vec_loss"]),
        "vec_grad": TestResult("softmax_loss_vectorized: gradient dW", points["vec_grad"]),
        "large": TestResult("both losses: large scores (numerical stability)", points["large"]),
        "mutation": TestResult("both losses: inputs W, X, y left unchanged", points["mutation"]),
    }
    large_checks, mutation_checks = [], []
    for function, prefix in zip(LOSSES, ("naive", "vec")):
        reply = run_task(
            submission, "loss", {"function": function, "count": len(problems)}, arrays, limits
        )
        reason = not_run(reply)
        if reason:
            for key in (f"{prefix}_loss", f"{prefix}_grad"):
                tests[key].award(0, reason)
            large_count = sum(1 for p in problems if p.large_scores)
            large_checks += failed_checks(f"{function}: {reason}", large_count)
            mutation_checks += failed_checks(f"{function}: {reason}", len(problems))
            continue
        loss_checks, grad_checks = [], []
        for k, (problem, entry) in enumerate(zip(problems, reply.data["problems"])):
            dW = reply.arrays.get(f"dW{k}")
            good_loss = entry["error"] is None and pb.loss_ok(problem, entry["loss"])
            good_grad = entry["error"] is None and pb.grad_ok(problem, dW)
            if problem.large_scores:
                good = good_loss and good_grad
                part = "gradient" if good_loss else "loss"
                lines = explain(good, problem, entry, dW, part)
                large_checks.append((good, [f"{function}: {line}" for line in lines]))
            else:
                loss_checks.append((good_loss, explain(good_loss, problem, entry, dW, "loss")))
                grad_checks.append((good_grad, explain(good_grad, problem, entry, dW, "gradient")))
            mutation_checks.append(
                mutation_check(function, problem, entry, good_loss and good_grad)
            )
        score_problems(tests[f"{prefix}_loss"], loss_checks)
        score_problems(tests[f"{prefix}_grad"], grad_checks)
    score_problems(tests["large"], large_checks)
    score_problems(
        tests["mutation"],
        mutation_checks,
        "calls left their inputs unchanged and returned correct results",
        max_lines=2,
    )
    uncounted = sum(1 for passed, lines in mutation_checks if not passed and not lines)
    if uncounted:
        tests["mutation"].lines.append(
            f"{uncounted} calls earned no credit because their results are wrong (see the tests "
            "above): code that does nothing also modifies nothing"
        )
    return list(tests.values())


def mutation_check(function, problem, entry, correct):
    """(passed, lines): credit only for a call that returned correct results and mutated nothing."""
    if entry["mutated"]:
        names = ", ".join(entry["mutated"])
        return (
            False,
            [
                f"{function} ({problem.describe()}) modified its input {names}: compute "
                "on copies (e.g. `scores = X @ W`), never `W -= ...` or `X *= ...` on the "
                "arguments"
            ],
        )
    return (correct, [])


def grade_numgrad(submission, limits, points):
    """softmax_loss_naive's dW against centered differences of its own loss."""
    test = TestResult("softmax_loss_naive: dW matches the numerical gradient", points)
    rng = np.random.default_rng(pb.SEED + 2)
    problem = pb.random_problem(rng, 6, 15, 4, np.float64, 0.2, 0.5)
    D, C = problem.W.shape
    flat = rng.choice(D * C, NUMGRAD_CHECKS, replace=False)
    indices = [[int(i) // C, int(i) % C] for i in flat]
    reply = run_task(
        submission,
        "numgrad",
        {"function": "softmax_loss_naive", "h": NUMGRAD_H, "indices": indices},
        problem.arrays(""),
        limits,
    )
    reason = not_run(reply) or reply.data.get("error")
    if reason:
        return test.award(0, reason)
    if not pb.loss_ok(problem, reply.data["loss"]):
        return test.award(
            0,
            f"no credit: the loss is wrong (expected {problem.loss:.8g}, received "
            f"{reply.data['loss']:.8g}), so its gradient cannot be checked",
        )
    analytic = reply.arrays["analytic"]
    numerical = (reply.arrays["plus"] - reply.arrays["minus"]) / (2 * NUMGRAD_H)
    errors = np.abs(analytic - numerical) / np.maximum(np.abs(analytic) + np.abs(numerical), 1e-8)
    bad = np.flatnonzero(~(errors <= NUMGRAD_TOL))
    lines = [
        f"{NUMGRAD_CHECKS - len(bad)} of {NUMGRAD_CHECKS} checked entries agree "
        f"(relative error <= {NUMGRAD_TOL:g})"
    ]
    for b in bad[:3]:
        i, j = indices[b]
        lines.append(f"dW[{i}, {j}]: numerical {numerical[b]:.6g}, analytic {analytic[b]:.6g}")
    return test.award((NUMGRAD_CHECKS - len(bad)) / NUMGRAD_CHECKS, *lines)


def grade_speed(submission, limits, points):
    """The vectorized loss at least MIN_SPEEDUP times faster than the naive one (dev shape)."""
    test = TestResult(
        f"softmax_loss_vectorized: at least {MIN_SPEEDUP:g}x faster than naive "
        f"on the dev batch {pb.DEV_SHAPE}",
        points,
    )
    problem = pb.dev_problem()
    best = 0.0
    for _ in range(SPEED_ATTEMPTS):
        reply = run_task(
            submission, "speed", {"repeats": SPEED_REPEATS}, problem.arrays(""), limits
        )
        reason = not_run(reply) or reply.data.get("error")
        if reason:
            return test.award(0, reason)
        wrong = [
            name
            for name in ("naive", "vectorized")
            if not (
                pb.loss_ok(problem, reply.data["loss"][name])
                and pb.grad_ok(problem, reply.arrays[f"dW_{name}"])
            )
        ]
        if wrong:
            return test.award(
                0,
                f"no credit: the {' and '.join(wrong)} loss or gradient is wrong "
                "on the dev batch, and only a correct result's speed counts",
            )
        times = reply.data["best"]
        speedup = times["naive"] / max(times["vectorized"], 1e-9)
        best = max(best, speedup)
        line = (
            f"naive {times['naive']:.4f} s, vectorized {times['vectorized']:.4f} s "
            f"(best of {SPEED_REPEATS}): {speedup:.1f}x faster, at least {MIN_SPEEDUP:g}x "
            "expected"
        )
        if speedup >= MIN_SPEEDUP:
            return test.award(1, line)
    return test.award(0, line, f"best of {SPEED_ATTEMPTS} measurements: {best:.1f}x")


def train_problem():
    """Well-separated Gaussian classes, with a bias column; features on the scale of pixels."""
    rng = np.random.default_rng(pb.SEED + 3)
    N, D, C = TRAIN_SHAPE
    centers = 30 * rng.standard_normal((C, D))  # (C, D)
    y = rng.permutation(np.arange(N) % C)  # (N,)
    X = centers[y] + 30 * rng.standard_normal((N, D))  # (N, D)
    return np.hstack([X, np.ones((N, 1))]), y


def grade_train(submission, limits, points):
    """`train` returns one loss per iteration, starting near log(C), and lowers the loss."""
    history_test = TestResult("LinearClassifier.train: returns the loss history", points["history"])
    lower_test = TestResult("LinearClassifier.train: SGD lowers the loss", points["lowers"])
    X, y = train_problem()
    C = TRAIN_SHAPE[2]
    setting = ", ".join(f"{k}={v:g}" for k, v in TRAIN.items() if k != "seed")
    reply = run_task(submission, "train", TRAIN, {"X": X, "y": y}, limits)
    reason = not_run(reply) or (reply.data["error"] and f"train raised {reply.data['error']}")
    if reason:
        return [history_test.award(0, reason), lower_test.award(0, reason)]
    history = reply.arrays.get("history")
    warned = "; ".join(reply.data["warnings"])
    if history is None:
        message = (
            f"train returned {reply.data.get('history_type')}: expected a list of "
            f"{TRAIN['num_iters']} losses"
        )
        return [history_test.award(0, message), lower_test.award(0, message)]
    n = TRAIN["num_iters"]
    first_ok = len(history) > 0 and abs(history[0] - math.log(C)) <= TRAIN_FIRST_LOSS_TOL
    if len(history) == n and np.all(np.isfinite(history)) and first_ok:
        history_test.award(
            1,
            f"{n} finite losses, the first {history[0]:.4f} (about "
            f"log({C}) = {math.log(C):.4f} for small random W)",
        )
    else:
        problems = []
        if len(history) != n:
            problems.append(f"{len(history)} losses for num_iters={n}")
        if not np.all(np.isfinite(history)):
            problems.append("non-finite losses (the steps diverged?)")
        if not first_ok:
            first = f"{history[0]:.4f}" if len(history) else "missing"
            problems.append(
                f"the first loss is {first}; expected about log({C}) = "
                f"{math.log(C):.4f}, the loss of the small random initial W"
            )
        history_test.award(
            0,
            f"with {setting}: "
            + "; ".join(problems)
            + (f" (warnings: {warned})" if warned else ""),
        )
    lower_test.award(*lowers_verdict(history, setting, C))
    if warned and not lower_test.full:
        lower_test.lines.append(f"warnings: {warned}")
    return [history_test, lower_test]


def lowers_verdict(history, setting, num_classes):
    """(fraction, line) for the loss history of the training problem."""
    n = TRAIN["num_iters"]
    tail = history[-TRAIN_TAIL:]
    target = TRAIN_FINAL_FRACTION * math.log(num_classes)
    if len(history) < n or not np.all(np.isfinite(history)):
        stop = next((k for k, v in enumerate(history) if not np.isfinite(v)), len(history))
        return 0, (
            f"with {setting}, training diverged after {stop} of {n} iterations although this "
            "learning rate is small for the problem: check that the step is "
            "W -= learning_rate * grad"
        )
    if tail.mean() < target:
        return 1, f"mean of the last {TRAIN_TAIL} losses {tail.mean():.4f} < {target:.4f}"
    if tail.mean() > history[0]:
        advice = "the loss grew: check that the step is W -= learning_rate * grad"
    else:
        advice = (
            "check that each minibatch takes the labels of the SAME rows "
            "(y_batch = y[idx] with X_batch = X[idx]) and that the step is "
            "W -= learning_rate * grad"
        )
    return 0, (
        f"with {setting} on well-separated classes, the mean of the last {TRAIN_TAIL} losses is "
        f"{tail.mean():.4g}; expected below {target:.4f} (half the initial loss): {advice}"
    )


def grade_predict(submission, limits, points):
    """`predict` returns the (N,) integer array of each row's highest-scoring class."""
    test = TestResult("LinearClassifier.predict: labels of the highest scores", points)
    rng = np.random.default_rng(pb.SEED + 4)
    W = rng.standard_normal((13, 5))  # (D, C)
    X = rng.standard_normal((37, 13))  # (N, D)
    expected = np.argmax(X @ W, axis=1)  # (N,)
    reply = run_task(submission, "predict", {}, {"W": W, "X": X}, limits)
    reason = not_run(reply) or (reply.data["error"] and f"predict raised {reply.data['error']}")
    if reason:
        return test.award(0, reason)
    y_pred = reply.arrays.get("y_pred")
    if y_pred is None:
        return test.award(
            0,
            f"predict returned {reply.data['type']}; expected an integer ndarray "
            f"of shape ({len(X)},)",
        )
    if y_pred.shape != expected.shape:
        return test.award(0, f"predict returned shape {y_pred.shape}; expected {expected.shape}")
    wrong = int(np.sum(y_pred != expected))
    if wrong:
        k = int(np.flatnonzero(y_pred != expected)[0])
        return test.award(
            0,
            f"{wrong} of {len(X)} labels differ from argmax(X @ W, axis=1); "
            f"row {k}: expected {expected[k]}, received {y_pred[k]}",
        )
    if y_pred.dtype.kind not in "iu":
        return test.award(0.5, f"labels are right but of dtype {y_pred.dtype}; expected integers")
    return test.award(1, f"all {len(X)} labels correct, dtype {y_pred.dtype}")
