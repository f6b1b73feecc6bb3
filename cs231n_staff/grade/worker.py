"""The grader's worker: runs one task on the submitted code, inside the sandbox (see sandbox.py).

Run as `python -I -S worker.py` in a task folder holding `request.json` ({"task", "args",
"site"}), `inputs.npz` and the starter-shaped `cs231n` package with the submitted files. It
writes its answer to `reply.json` and `reply.npz`, and only when the task is done; every call
into the submitted code is wrapped so that an exception, or a SystemExit, becomes an error
record in the reply (its type, its message and where in the submitted files it was raised; the
grader shortens and cleans it). This file imports nothing but the standard library, numpy and
the submitted package, and knows nothing of the reference solution. It judges nothing: it only
reports what the submitted code returned (losses, gradients, the arrays it was given as they
are after each call, the trained W, the predicted labels), and the grader computes every
verdict from those values against its own reference.

Shapes: N examples, D features, C classes; W (D, C), X (N, D), y (N,).
"""

import errno
import json
import os
import sys
import traceback
import warnings

TASK_DIR = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(TASK_DIR, "request.json"), encoding="utf-8") as request_file:
    REQUEST = json.load(request_file)
sys.path[:0] = [TASK_DIR]  # isolated mode (-I) leaves the script's folder off sys.path
sys.path.append(REQUEST["site"])

import numpy as np  # noqa: E402


def where_in_submission(err):
    """(file, line) of the deepest frame of the traceback inside the submitted package."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = os.path.abspath(frame.filename)
        if path.startswith(os.path.join(TASK_DIR, "cs231n")):
            return os.path.relpath(path, TASK_DIR), frame.lineno
    return None, None


def describe_error(err):
    """The error record of an exception: {"type", "message", "file", "line"}."""
    if isinstance(err, OSError) and err.errno == errno.EFBIG:
        kind, message = "OutputLimit", "the code printed or wrote more than the grader's limit"
    elif isinstance(err, SystemExit):
        kind, message = "SystemExit", f"the code called sys.exit({str(err.code)[:40]})"
    else:
        kind, message = type(err).__name__, str(err)[:2000]
    file, line = where_in_submission(err)
    return {"type": kind, "message": message, "file": file, "line": line}


def call(function, *args, **kwargs):
    """(result, None) or (None, error record); catches everything, SystemExit included."""
    try:
        return function(*args, **kwargs), None
    except BaseException as err:  # noqa: BLE001 - the submission may raise anything
        return None, describe_error(err)


def problem_record(message):
    """An error record for a result of the wrong kind (not an exception)."""
    return {"type": None, "message": message, "file": None, "line": None}


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


def unpack_loss_result(result, shape):
    """Check that `result` is (loss, dW) with dW of `shape`; return (loss, dW, problem)."""
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
    if dW_array.shape != tuple(shape):
        return loss_value, None, f"returned dW of shape {dW_array.shape}; expected {tuple(shape)}"
    return loss_value, dW_array, None


def loss_function(name):
    from cs231n.classifiers import softmax

    return getattr(softmax, name)


def task_loss(args, inputs):
    """Call the loss function `args["function"]` on every problem; report its outputs and the
    inputs W, X, y as they are after the call (the grader compares them with its own copies)."""
    function, err = call(loss_function, args["function"])
    if err:
        return {"import_error": err}, {}
    problems, arrays = [], {}
    for k in range(args["count"]):
        W, X, y, reg = (inputs[f"{name}{k}"] for name in ("W", "X", "y", "reg"))
        shape = W.shape
        result, err = call(function, W, X, y, reg.item())
        for name, array in zip("WXy", (W, X, y)):
            arrays[f"{name}_after{k}"] = array
        entry = {"error": err, "loss": None, "problem": None}
        if err is None:
            loss, dW, problem = unpack_loss_result(result, shape)
            entry.update(loss=loss, problem=problem)
            if dW is not None:
                arrays[f"dW{k}"] = dW
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
    loss, dW, problem = unpack_loss_result(result, W.shape)
    if problem:
        return {"error": problem_record(problem)}, {}
    plus, minus = [], []
    for i, j in args["indices"]:
        for step, out in ((h, plus), (-h, minus)):
            shifted = W.copy()
            shifted[i, j] += step
            result, err = call(function, shifted, X, y, reg)
            if err:
                return {"error": err}, {}
            value, _, problem = unpack_loss_result(result, W.shape)
            if problem:
                return {"error": problem_record(problem)}, {}
            out.append(value)
    rows, cols = np.array(args["indices"]).T
    return {"loss": loss}, {
        "analytic": dW[rows, cols],
        "plus": np.array(plus),
        "minus": np.array(minus),
    }


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
    """Train a subclass of the submitted LinearClassifier whose loss is `oracle_softmax_loss`;
    report the loss history it returned and its final weights self.W (the grader scores them)."""
    from cs231n.classifiers import linear_classifier

    base = getattr(linear_classifier, "LinearClassifier", None)
    if base is None:
        return {
            "import_error": problem_record("linear_classifier.py defines no LinearClassifier")
        }, {}

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
    if err is not None:
        return reply, {}
    arrays = {}
    W = getattr(model, "W", None)
    reply["W_type"] = type_name(W)
    if isinstance(W, np.ndarray) and W.dtype.kind in "iuf":
        arrays["W"] = W
    reply["history_type"] = type_name(history)
    try:
        values = [as_float(v) for v in history]
    except TypeError:
        values = None
    if values is not None and all(v is not None for v in values):
        arrays["history"] = np.array(values, dtype=np.float64)
    else:
        reply["history_problem"] = "it is not a sequence of numbers"
    return reply, arrays


def task_predict(args, inputs):
    """Predict with the submitted Softmax given the weights inputs["W"]."""
    from cs231n.classifiers import linear_classifier

    cls = getattr(linear_classifier, "Softmax", None) or getattr(
        linear_classifier, "LinearClassifier", None
    )
    if cls is None:
        return {"import_error": problem_record("linear_classifier.py defines no Softmax")}, {}
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
