"""The grader's worker: runs one task on the submitted code, inside the sandbox (see sandbox.py).

Run as `python -I -S worker.py` in a task folder holding `request.json` ({"task", "args",
"site"}), `inputs.npz` and the starter-shaped `cs231n` package with the submitted files. It
writes its answer to `reply.json` and `reply.npz`, and only when the task is done; every call
into the submitted code is wrapped so that an exception, or a SystemExit, becomes a message in
the reply. This file imports nothing but the standard library, numpy and the submitted package,
and knows nothing of the reference solution: it computes nothing the grader scores, it only
reports what the submitted code returned.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import errno
import json
import os
import sys
import time
import traceback
import warnings

TASK_DIR = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(TASK_DIR, "request.json"), encoding="utf-8") as request_file:
    REQUEST = json.load(request_file)
sys.path[:0] = [TASK_DIR]  # isolated mode (-I) leaves the script's folder off sys.path
sys.path.append(REQUEST["site"])

import numpy as np  # noqa: E402


def where_in_submission(err):
    """`file:line: code` of the deepest frame of the traceback inside the submitted package."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = os.path.abspath(frame.filename)
        if path.startswith(os.path.join(TASK_DIR, "cs231n")):
            name = os.path.relpath(path, TASK_DIR)
            return f" (at {name}, line {frame.lineno}: {(frame.line or '').strip()})"
    return ""


def describe_error(err):
    if isinstance(err, OSError) and err.errno == errno.EFBIG:
        return f"the code printed or wrote more than the grader's limit{where_in_submission(err)}"
    if isinstance(err, SystemExit):
        return f"the code called sys.exit({err.code!r}){where_in_submission(err)}"
    text = str(err).strip().splitlines()
    message = text[0][:300] if text else ""
    return f"{type(err).__name__}: {message}{where_in_submission(err)}"


def call(function, *args, **kwargs):
    """(result, None) or (None, error message); catches everything, SystemExit included."""
    try:
        return function(*args, **kwargs), None
    except BaseException as err:  # noqa: BLE001 - the submission may raise anything
        return None, describe_error(err)


def as_float(value):
    """`value` as a Python float, or None if it is not a real scalar."""
    try:
        array = np.asarray(value)
        if array.size != 1 or not np.issubdtype(array.dtype, np.number):
            return None
        return float(array.reshape(()))
    except (TypeError, ValueError, OverflowError):
        return None


def type_name(value):
    if isinstance(value, np.ndarray):
        return f"ndarray of dtype {value.dtype} and shape {value.shape}"
    return type(value).__name__


def unpack_loss_result(result, W):
    """Check that `result` is (loss, dW) with dW shaped like W; return (loss, dW, problem)."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None, None, f"returned {type_name(result)}; expected a pair (loss, dW)"
    loss, dW = result
    loss_value = as_float(loss)
    if loss_value is None:
        return None, None, f"returned a loss of type {type_name(loss)}; expected a number"
    try:
        dW_array = np.array(dW, dtype=np.float64)
    except (TypeError, ValueError):
        return loss_value, None, f"returned dW of type {type_name(dW)}; expected an ndarray"
    if dW_array.shape != W.shape:
        return loss_value, None, f"returned dW of shape {dW_array.shape}; expected {W.shape}"
    return loss_value, dW_array, None


def loss_function(name):
    from cs231n.classifiers import softmax

    return getattr(softmax, name)


def task_loss(args, inputs):
    """Call the loss function `args["function"]` on every problem; report outputs and mutations."""
    function, err = call(loss_function, args["function"])
    if err:
        return {"import_error": err}, {}
    problems, arrays = [], {}
    for k in range(args["count"]):
        W, X, y, reg = (inputs[f"{name}{k}"] for name in ("W", "X", "y", "reg"))
        originals = [a.copy() for a in (W, X, y)]
        result, err = call(function, W, X, y, reg.item())
        mutated = [
            name
            for name, a, o in zip("WXy", (W, X, y), originals)
            if not np.array_equal(a, o, equal_nan=True)
        ]
        entry = {"error": err, "mutated": mutated, "loss": None, "problem": None}
        if err is None:
            loss, dW, problem = unpack_loss_result(result, originals[0])
            entry.update(loss=loss, problem=problem)
            if dW is not None:
                arrays[f"dW{k}"] = dW
                entry["dW_dtype"] = str(np.asarray(result[1]).dtype)
        problems.append(entry)
    return {"problems": problems}, arrays


def task_numgrad(args, inputs):
    """The loss at W and at W +- h at each index of args["indices"], and dW at those indices."""
    function, err = call(loss_function, args["function"])
    if err:
        return {"import_error": err}, {}
    W, X, y, reg = inputs["W"], inputs["X"], inputs["y"], inputs["reg"].item()
    h = args["h"]
    result, err = call(function, W.copy(), X, y, reg)
    if err:
        return {"error": err}, {}
    loss, dW, problem = unpack_loss_result(result, W)
    if problem:
        return {"error": problem}, {}
    plus, minus = [], []
    for i, j in args["indices"]:
        for step, out in ((h, plus), (-h, minus)):
            shifted = W.copy()
            shifted[i, j] += step
            result, err = call(function, shifted, X, y, reg)
            if err:
                return {"error": err}, {}
            value, _, problem = unpack_loss_result(result, W)
            if problem:
                return {"error": problem}, {}
            out.append(value)
    rows, cols = np.array(args["indices"]).T
    return {"loss": loss}, {
        "analytic": dW[rows, cols],
        "plus": np.array(plus),
        "minus": np.array(minus),
    }


def task_speed(args, inputs):
    """Time the naive and the vectorized loss, interleaved; the best of args["repeats"] each."""
    naive, err = call(loss_function, "softmax_loss_naive")
    vectorized, err2 = call(loss_function, "softmax_loss_vectorized")
    if err or err2:
        return {"import_error": err or err2}, {}
    W, X, y, reg = inputs["W"], inputs["X"], inputs["y"], inputs["reg"].item()
    times = {"naive": [], "vectorized": []}
    outputs = {}
    for _ in range(args["repeats"]):
        for name, function in (("naive", naive), ("vectorized", vectorized)):
            start = time.perf_counter()
            result, err = call(function, W, X, y, reg)
            times[name].append(time.perf_counter() - start)
            if err:
                return {"error": f"{name}: {err}"}, {}
            loss, dW, problem = unpack_loss_result(result, W)
            if problem:
                return {"error": f"{name}: {problem}"}, {}
            outputs[name] = (loss, dW)
    return {
        "best": {name: min(t) for name, t in times.items()},
        "loss": {name: outputs[name][0] for name in outputs},
    }, {f"dW_{name}": outputs[name][1] for name in outputs}


def oracle_softmax_loss(W, X, y, reg):
    """The loss training is tested with, so that the training test depends only on `train`."""
    scores = X @ W  # (N, C)
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)  # (N, C)
    probs /= probs.sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.mean(np.log(probs[np.arange(n), y])) + reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    return loss, X.T @ probs / n + 2 * reg * W  # (D, C)


def task_train(args, inputs):
    """Train a subclass of the submitted LinearClassifier whose loss is `oracle_softmax_loss`."""
    from cs231n.classifiers import linear_classifier

    base = getattr(linear_classifier, "LinearClassifier", None)
    if base is None:
        return {"import_error": "linear_classifier.py defines no LinearClassifier"}, {}

    class OracleSoftmax(base):
        def loss(self, X_batch, y_batch, reg, W=None):
            return oracle_softmax_loss(self.W if W is None else W, X_batch, y_batch, reg)

    np.random.seed(args["seed"])
    model = OracleSoftmax()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history, err = call(
            model.train,
            inputs["X"],
            inputs["y"],
            learning_rate=args["learning_rate"],
            reg=args["reg"],
            num_iters=args["num_iters"],
            batch_size=args["batch_size"],
            verbose=False,
        )
    reply = {"error": err, "warnings": [f"{w.category.__name__}: {w.message}" for w in caught[:3]]}
    if err is None:
        reply["history_type"] = type_name(history)
        try:
            values = [as_float(v) for v in history]
        except TypeError:
            values = None
        if values is not None and all(v is not None for v in values):
            return reply, {"history": np.array(values, dtype=np.float64)}
        reply["history_problem"] = "it is not a sequence of numbers"
    return reply, {}


def task_predict(args, inputs):
    """Predict with the submitted Softmax given the weights inputs["W"]."""
    from cs231n.classifiers import linear_classifier

    cls = getattr(linear_classifier, "Softmax", None) or getattr(
        linear_classifier, "LinearClassifier", None
    )
    if cls is None:
        return {"import_error": "linear_classifier.py defines no Softmax"}, {}
    model, err = call(cls)
    if err:
        return {"error": err}, {}
    model.W = inputs["W"].copy()
    y_pred, err = call(model.predict, inputs["X"])
    if err:
        return {"error": err}, {}
    if not isinstance(y_pred, np.ndarray):
        return {"error": None, "type": type_name(y_pred)}, {}
    reply = {"error": None, "type": type_name(y_pred), "dtype": str(y_pred.dtype)}
    if y_pred.dtype.kind in "biuf":
        return reply, {"y_pred": y_pred}
    return reply, {}


TASKS = {
    "loss": task_loss,
    "numgrad": task_numgrad,
    "speed": task_speed,
    "train": task_train,
    "predict": task_predict,
}


def main():
    with np.load(os.path.join(TASK_DIR, "inputs.npz"), allow_pickle=False) as npz:
        inputs = {name: npz[name] for name in npz.files}
    imported, err = call(__import__, "cs231n.classifiers")
    if err:
        data, arrays = {"import_error": err}, {}
    else:
        data, arrays = TASKS[REQUEST["task"]](REQUEST["args"], inputs)
    np.savez(os.path.join(TASK_DIR, "reply.npz"), **arrays)
    partial = os.path.join(TASK_DIR, "reply.json.partial")
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(partial, os.path.join(TASK_DIR, "reply.json"))


if __name__ == "__main__":
    main()
