"""The tests of the submitted code: the two losses, training and prediction.

Each function here runs one or more tasks of worker.py in the sandbox, and turns the VALUES the
submission's process returned into TestResults: every verdict is computed here, in the grader's
process, against the grader's own reference (`reference.py`, through `problems.py`) and its own
copies of the inputs. The student's process judges nothing:

- losses and gradients are compared with the reference on hidden problems drawn per submission;
- "inputs left unchanged" compares the arrays as the process reports them after each call with
  the grader's own copies (a process that forges that report could as well forge its results);
- "naive loops, vectorized does not" reads the submitted source (`source_checks`), and counts
  only for a function whose results are right; there is no timing test, since nothing the
  grader could time is out of the submission's reach;
- `train` returns its final W, which the grader scores on held-out data of the same classes
  with its reference loss; the loss history counts only if it agrees with that W;
- `predict`'s labels are compared with the argmax the grader computes.

Feedback names what is wrong (the likely mistake, what was received) but never an expected
value; exception text from the student's process is shortened and cleaned (`clean_text`). A
test that cannot run (the code does not import, crashes, loops forever) scores 0 and says why;
the other tests still run. A test whose passing could be met by code that does nothing (inputs
not mutated, numerical gradient, loops) only gives credit where the answers are also correct,
so the unfinished starter scores 0 on every code test.
"""

import math
from pathlib import Path

import numpy as np

from cs231n import diagnostics as dg
from cs231n.submission import LINEAR_CLASSIFIER, SOFTMAX

from . import problems as pb
from . import source_checks
from .reference import loss_parts
from .results import TestResult, clean_text
from .sandbox import run_task

LOSSES = ("softmax_loss_naive", "softmax_loss_vectorized")
NUMGRAD_H = 1e-5
NUMGRAD_CHECKS = 10
NUMGRAD_TOL = 1e-6
TRAIN = {"learning_rate": 1e-4, "reg": 1.0, "num_iters": 200, "batch_size": 50}
TRAIN_MIN_ACCURACY = 0.75  # right SGD: >= 0.83 on 200 seeds; labels not following rows: ~0.3
HISTORY_TOL = 0.25  # |mean of the last losses - loss of the returned W on the training set|
SUBMITTED = (SOFTMAX, LINEAR_CLASSIFIER)
WORKER_LINES = frozenset(
    line.strip()
    for line in (Path(__file__).resolve().parent / "worker.py").read_text().splitlines()
    if len(line.strip()) >= 16
)
WITHHELD = "(message withheld: it quotes the grader's own files)"


def source_line(submission, name, lineno):
    """The stripped line `lineno` of the submitted file `name`, from the grader's own copy."""
    path = submission.path(name) if name in SUBMITTED else None
    if path is None or not isinstance(lineno, int) or lineno < 1:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for k, line in enumerate(f, 1):
                if k == lineno:
                    return clean_text(line, 100)
                if k > 100_000:
                    break
    except OSError:
        pass
    return ""


def clean_message(text, withheld=()):
    """`clean_text` of a message from the student's process, withheld entirely if it quotes a
    line of the grader's worker, and with each string of `withheld` (e.g. a seed) masked."""
    text = text if isinstance(text, str) else ""
    if any(line in text for line in WORKER_LINES):
        return WITHHELD
    for secret in withheld:
        text = text.replace(secret, "<withheld>")
    return clean_text(text, 120)


def error_line(error, submission, withheld=()):
    """One clean line for an error record of the worker: type, message, place in the code."""
    if not isinstance(error, dict):
        return clean_text(str(error), 300)
    kind = error.get("type")
    kind = kind if isinstance(kind, str) and kind.isidentifier() and len(kind) <= 40 else None
    message = clean_message(error.get("message"), withheld)
    text = f"{kind}: {message}" if kind else message
    name, lineno = error.get("file"), error.get("line")
    if name in SUBMITTED and isinstance(lineno, int):
        code = source_line(submission, name, lineno)
        text += f" (at {name}, line {lineno}" + (f": {code})" if code else ")")
    return text


def not_run(reply, submission):
    """Feedback when a task gave no usable reply (crash, timeout, import error), else None."""
    if not reply.ok:
        quotes = any(line in (reply.problem or "") for line in WORKER_LINES)
        return WITHHELD if quotes else clean_text(reply.problem, 400)
    if reply.data.get("import_error"):
        return "the submitted code could not be imported: " + error_line(
            reply.data["import_error"], submission
        )
    return None


def failed_checks(reason, count):
    """`count` failed checks for a task that did not run, the reason given once."""
    return [(False, [reason])] + [(False, [])] * (count - 1)


def score_problems(test, checks, what="hidden problems correct", max_lines=3):
    """Award `test` the fraction of passed checks; `checks` is a list of (passed, lines)."""
    passed = sum(1 for ok, _ in checks if ok)
    explained = [lines for ok, lines in checks if not ok and lines]  # failed, with a reason
    detail = [line for lines in explained[:max_lines] for line in lines]
    if len(explained) > max_lines:
        detail.append(f"... and {len(explained) - max_lines} more")
    return test.award(passed / len(checks), f"{passed} of {len(checks)} {what}", *detail)


def as_number(value):
    """`value` as a float if the reply holds a number there, else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def finite(value):
    value = as_number(value)
    return value is not None and math.isfinite(value)


def answer_lines(problem, entry, dW, submission):
    """([loss line], [gradient line]): what is wrong with one answer (empty lists if right)."""
    head = f"problem ({problem.describe()}):"
    if entry.get("error"):
        line = [f"{head} raised {error_line(entry['error'], submission)}"]
        return line, line
    if entry.get("problem") and not finite(entry.get("loss")):
        line = [f"{head} {clean_text(entry['problem'], 200)}"]
        return line, line
    loss_lines, grad_lines = [], []
    loss = as_number(entry.get("loss"))
    if not problem.loss_ok(loss):
        hint = dg.diagnose_loss(problem.parts, loss)
        received = f"{loss:.6g}" if isinstance(loss, float) else "nothing usable"
        loss_lines.append(
            f"{head} the loss is wrong (received {received})" + (f" -- {hint}" if hint else "")
        )
    if dW is None:
        grad_lines.append(f"{head} {clean_text(entry.get('problem') or 'no dW returned', 200)}")
    elif not problem.grad_ok(dW):
        hint = dg.diagnose_grad(problem.parts, dW)
        error = dg.grad_error(dW, problem.parts.dW)
        grad_lines.append(
            f"{head} dW is wrong (relative error {error:.2g})" + (f" -- {hint}" if hint else "")
        )
    return loss_lines, grad_lines


def mutated_inputs(problem, k, arrays):
    """Names of the inputs the reply shows changed (or does not show at all) after call k."""
    names = []
    for name, original in zip("WXy", (problem.W, problem.X, problem.y)):
        after = arrays.get(f"{name}_after{k}")
        same = (
            after is not None
            and after.shape == original.shape
            and after.dtype == original.dtype
            and np.array_equal(after, original, equal_nan=True)
        )
        if not same:
            names.append(name)
    return names


def stability_line(function, problem, entry, dW, tree):
    """The note for one large-score problem."""
    loss = as_number(entry.get("loss"))
    if not entry.get("error") and problem.loss_ok(loss) and problem.grad_ok(dW):
        return f"{function}: right on scores that differ by thousands"
    if entry.get("error") or not finite(loss):
        received = "an error" if entry.get("error") else f"{loss}"
        node = source_checks.function(tree, function)
        return dg.stability_note(function, received, source_checks.subtracts_max(node))
    return f"{function}: on scores that differ by thousands the result is finite but wrong"


def grade_losses(submission, limits, points, seed):
    """Loss and gradient of both functions, inputs left unchanged, loops where asked, and a
    0-point note on very large scores."""
    problems = pb.loss_problems(seed)
    arrays = {}
    for k, problem in enumerate(problems):
        arrays.update(problem.arrays(k))
    tests = {
        "naive_loss": TestResult("softmax_loss_naive: loss", points["naive_loss"]),
        "naive_grad": TestResult("softmax_loss_naive: gradient dW", points["naive_grad"]),
        "vec_loss": TestResult("softmax_loss_vectorized: loss", points["vec_loss"]),
        "vec_grad": TestResult("softmax_loss_vectorized: gradient dW", points["vec_grad"]),
        "mutation": TestResult("both losses: inputs W, X, y left unchanged", points["mutation"]),
        "loops": TestResult(
            "softmax_loss_naive uses explicit loops, softmax_loss_vectorized none",
            points["loops"],
        ),
        "large": TestResult(
            "both losses: very large scores (numerical stability; a note, not graded)",
            points["large"],
        ),
    }
    tree = source_checks.parse(submission.path(SOFTMAX))
    mutation_checks, correct, notes = [], {}, []
    ordinary = [k for k, p in enumerate(problems) if not p.large_scores]
    for function, prefix in zip(LOSSES, ("naive", "vec")):
        reply = run_task(
            submission, "loss", {"function": function, "count": len(problems)}, arrays, limits
        )
        reason = not_run(reply, submission)
        entries = reply.data.get("problems") if reason is None else None
        if reason is None and not (isinstance(entries, list) and len(entries) == len(problems)):
            reason = "the test's process gave a malformed reply"
        if reason:
            for key in (f"{prefix}_loss", f"{prefix}_grad"):
                tests[key].award(0, reason)
            mutation_checks += failed_checks(f"{function}: {reason}", len(ordinary))
            correct[function] = False
            notes.append(f"{function}: {reason}")
            continue
        loss_checks, grad_checks = [], []
        for k, (problem, entry) in enumerate(zip(problems, entries)):
            entry = entry if isinstance(entry, dict) else {"problem": "malformed reply"}
            dW = reply.arrays.get(f"dW{k}")
            dW = dW if dW is not None and dW.shape == problem.W.shape else None
            if problem.large_scores:
                notes.append(stability_line(function, problem, entry, dW, tree))
                continue
            loss_lines, grad_lines = answer_lines(problem, entry, dW, submission)
            loss_checks.append((not loss_lines, loss_lines))
            grad_checks.append((not grad_lines, grad_lines))
            mutated = mutated_inputs(problem, k, reply.arrays)
            if mutated:
                mutation_checks.append((False, [dg.mutation_hint(function, mutated)]))
            else:
                mutation_checks.append((not loss_lines and not grad_lines, []))
        score_problems(tests[f"{prefix}_loss"], loss_checks)
        score_problems(tests[f"{prefix}_grad"], grad_checks)
        correct[function] = all(ok for ok, _ in loss_checks + grad_checks)
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
    grade_loops(tests["loops"], tree, correct)
    tests["large"].award(0, *notes)
    return list(tests.values())


def grade_loops(test, tree, correct):
    """Half the points each: naive holds a loop, vectorized none; only for right answers."""
    naive = source_checks.function(tree, LOSSES[0])
    vectorized = source_checks.function(tree, LOSSES[1])
    halves, lines = 0, []
    if naive is None or vectorized is None:
        return test.award(0, "softmax.py does not parse, or lacks one of the two def statements")
    if not correct[LOSSES[0]]:
        lines.append("softmax_loss_naive: no credit, its results are wrong")
    elif not source_checks.has_loop(naive):
        lines.append("softmax_loss_naive holds no loop: write it with explicit loops")
    elif LOSSES[1] in source_checks.names_used(naive):
        lines.append("softmax_loss_naive calls softmax_loss_vectorized: write the loops")
    else:
        halves += 1
    if not correct[LOSSES[1]]:
        lines.append("softmax_loss_vectorized: no credit, its results are wrong")
    elif source_checks.has_loop(vectorized):
        lines.append(
            "softmax_loss_vectorized holds a loop (for, while or a comprehension): "
            "compute it with array operations only"
        )
    elif LOSSES[0] in source_checks.names_used(vectorized):
        lines.append("softmax_loss_vectorized calls softmax_loss_naive")
    else:
        halves += 1
    return test.award(halves / 2, *(lines or ["the naive loss loops, the vectorized one does not"]))


def grade_numgrad(submission, limits, points, seed):
    """softmax_loss_naive's dW against centered differences of its own loss."""
    test = TestResult("softmax_loss_naive: dW matches the numerical gradient", points)
    problem = pb.numgrad_problem(seed)
    D, C = problem.W.shape
    rng = np.random.default_rng([seed, 5])
    flat = rng.choice(D * C, NUMGRAD_CHECKS, replace=False)
    indices = [[int(i) // C, int(i) % C] for i in flat]
    reply = run_task(
        submission,
        "numgrad",
        {"function": "softmax_loss_naive", "h": NUMGRAD_H, "indices": indices},
        problem.arrays(""),
        limits,
    )
    reason = not_run(reply, submission)
    if reason is None and reply.data.get("error"):
        reason = error_line(reply.data["error"], submission)
    if reason:
        return test.award(0, reason)
    loss = as_number(reply.data.get("loss"))
    if not problem.loss_ok(loss):
        return test.award(0, "no credit: the loss is wrong, so its gradient cannot be checked")
    try:
        analytic, plus, minus = (
            np.asarray(reply.arrays[k], dtype=np.float64).reshape(NUMGRAD_CHECKS)
            for k in ("analytic", "plus", "minus")
        )
    except (KeyError, ValueError):
        return test.award(0, "the test's process gave a malformed reply")
    numerical = (plus - minus) / (2 * NUMGRAD_H)
    with np.errstate(all="ignore"):
        errors = np.abs(analytic - numerical) / np.maximum(
            np.abs(analytic) + np.abs(numerical), 1e-8
        )
    bad = np.flatnonzero(~(errors <= NUMGRAD_TOL))
    lines = [
        f"{NUMGRAD_CHECKS - len(bad)} of {NUMGRAD_CHECKS} checked entries agree "
        f"(relative error <= {NUMGRAD_TOL:g})"
    ]
    for b in bad[:3]:
        i, j = indices[b]
        lines.append(f"dW[{i}, {j}]: numerical {numerical[b]:.6g}, analytic {analytic[b]:.6g}")
    return test.award((NUMGRAD_CHECKS - len(bad)) / NUMGRAD_CHECKS, *lines)


def accuracy(W, X, y):
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def grade_train(submission, limits, points, seed):
    """`train`'s final W fits held-out data; its loss history agrees with that W."""
    history_test = TestResult("LinearClassifier.train: returns the loss history", points["history"])
    fits_test = TestResult(
        "LinearClassifier.train: SGD trains W (scored on held-out data)", points["lowers"]
    )
    X, y, X_heldout, y_heldout = pb.train_problem(seed)
    C = int(y.max()) + 1
    setting = ", ".join(f"{k}={v:g}" for k, v in TRAIN.items())
    args = dict(TRAIN, seed=seed % 2**32)
    reply = run_task(submission, "train", args, {"X": X, "y": y}, limits)
    withheld = (str(args["seed"]),)
    reason = not_run(reply, submission)
    if reason is None and reply.data.get("error"):
        reason = "train raised " + error_line(reply.data["error"], submission, withheld)
    if reason:
        return [history_test.award(0, reason), fits_test.award(0, reason)]
    warnings = reply.data.get("warnings")
    warnings = warnings[:3] if isinstance(warnings, list) else []
    warned = "; ".join(clean_message(w, withheld) for w in warnings)
    W = reply.arrays.get("W")
    history = reply.arrays.get("history")
    if W is None or W.shape != (X.shape[1], C) or not np.all(np.isfinite(W)):
        shape = f"shape {W.shape}" if W is not None else clean_text(reply.data.get("W_type"), 80)
        diverged = W is not None and W.shape == (X.shape[1], C)
        fits_test.award(
            0,
            f"with {setting}: after train, self.W is {shape}"
            + (" with NaN or inf" if diverged else "")
            + f"; expected finite weights of shape {(X.shape[1], C)}"
            + (f": {dg.training_advice(0.0, math.inf, True)}" if diverged else "")
            + (f" (warnings: {warned})" if warned else ""),
        )
        fitted, train_loss = False, math.inf
    else:
        W = W.astype(np.float64)
        heldout_loss = loss_parts(W, X_heldout, y_heldout, 0.0).loss
        heldout_acc = accuracy(W, X_heldout, y_heldout)
        train_loss = loss_parts(W, X, y, TRAIN["reg"]).loss
        target = dg.TRAIN_FINAL_FRACTION * math.log(C)
        fitted = heldout_loss < target and heldout_acc >= TRAIN_MIN_ACCURACY
        line = (
            f"the trained W on {len(y_heldout)} held-out examples: loss {heldout_loss:.4g} "
            f"(expected below {target:.4f}), accuracy {heldout_acc:.3f} (expected at least "
            f"{TRAIN_MIN_ACCURACY:g})"
        )
        if fitted:
            fits_test.award(1, line)
        else:
            usable = history is not None and len(history) > dg.TRAIN_TAIL
            first = history[0] if usable else math.log(C)
            final = float(np.mean(history[-dg.TRAIN_TAIL :])) if usable else heldout_loss
            advice = dg.training_advice(first, final, not np.isfinite(final))
            fits_test.award(0, f"with {setting}: {line}: {advice}")
            if warned:
                fits_test.lines.append(f"warnings: {warned}")
    grade_history(history_test, reply, history, fitted, train_loss, setting, C)
    return [history_test, fits_test]


def grade_history(test, reply, history, fitted, train_loss, setting, num_classes):
    """The history test: one loss per iteration, starting near log(C), ending near the loss
    the grader computes for the returned W; credit only when that W is trained."""
    n = TRAIN["num_iters"]
    if history is None:
        received = clean_text(reply.data.get("history_type"), 80)
        return test.award(0, f"train returned {received}: expected a list of {n} losses")
    history = history.reshape(-1)
    problems = dg.history_problems(history, n, num_classes)
    if problems:
        return test.award(0, f"with {setting}: " + "; ".join(problems))
    tail = float(np.mean(history[-dg.TRAIN_TAIL :]))
    if not fitted:
        return test.award(0, "no credit: the returned W is not trained (see the next test)")
    if not abs(tail - train_loss) <= HISTORY_TOL:
        return test.award(
            0,
            f"the last {dg.TRAIN_TAIL} losses average {tail:.4g}, but the returned W has a "
            f"training loss of {train_loss:.4g}: the history is not the losses of this training",
        )
    return test.award(
        1,
        f"{n} finite losses, the first {history[0]:.4f} (about log({num_classes}) = "
        f"{math.log(num_classes):.4f}), the last ones agree with the trained W",
    )


def grade_predict(submission, limits, points, seed):
    """`predict` returns the (N,) integer array of each row's highest-scoring class."""
    test = TestResult("LinearClassifier.predict: labels of the highest scores", points)
    W, X, expected = pb.predict_problem(seed)
    reply = run_task(submission, "predict", {}, {"W": W, "X": X}, limits)
    reason = not_run(reply, submission)
    if reason is None and reply.data.get("error"):
        reason = "predict raised " + error_line(reply.data["error"], submission)
    if reason:
        return test.award(0, reason)
    y_pred = reply.arrays.get("y_pred")
    if y_pred is None:
        received = clean_text(reply.data.get("type"), 80)
        return test.award(0, f"predict returned {received}; expected an integer ndarray")
    problems = dg.predict_problems(y_pred, expected)
    if not problems:
        return test.award(1, f"all {len(X)} labels correct, dtype {y_pred.dtype}")
    right_but_float = problems[0].startswith("the labels are right")
    return test.award(0.5 if right_but_float else 0, *problems)
