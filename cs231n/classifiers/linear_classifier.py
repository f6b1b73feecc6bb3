"""A linear classifier trained by minibatch stochastic gradient descent (SGD).

Shapes: N examples, D features per example (3073 for CIFAR-10 with the bias column), C classes.
    X (N, D) one example per row, y (N,) integer labels in [0, C), W (D, C) weights.
A linear classifier scores every class with one matrix product, `scores = X @ W  # (N, C)`, and
predicts the class with the highest score. Subclasses choose the loss that training minimizes:
`Softmax` the cross-entropy loss (`LinearSVM`, in linear_svm.py, the multiclass hinge loss).

The code between the course's TODO blocks is what a student writes. The rest is machinery that
students don't write, kept apart and short:
- checks of the inputs, once per call (not once per SGD step), with clear messages;
- divergence: when the loss stops being a finite number (learning_rate or reg too large), `train`
  stops at once with one `TrainingDivergedWarning` (or, with `on_divergence="raise"`, a
  `TrainingDivergedError`), instead of running on with NaN weights and a flood of warnings;
- speed: two BLAS threads do the skinny products of an SGD step 1.5x faster than one on an idle
  machine, but 5-10x slower when another process needs a core, so `train` times both choices on
  real steps and re-checks now and then (`BlasThreads`; needs threadpoolctl, else a no-op);
- saving and loading in the course's format, `np.save(path, {"W": W})`: saves are atomic, and
  `load_weights` reads a file without ever running code from it (safe for files from others).

This file imports only numpy, the standard library and `softmax_loss_vectorized` from the sibling
softmax.py (threadpoolctl if installed), so it works when copied alone into the course's starter
package.
"""

import io
import os
import pickle
import tempfile
import time
import warnings

import numpy as np

from .softmax import softmax_loss_vectorized

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional: without it BLAS keeps its own thread count
    ThreadpoolController = None

SAVED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved")


class TrainingDivergedError(FloatingPointError):
    """Raised by `train(..., on_divergence="raise")` when the loss stops being a finite number."""


class TrainingDivergedWarning(RuntimeWarning):
    """Warned once by `train` when the loss stops being a finite number, and by `predict` when
    the model's scores are not finite (its weights diverged or overflow)."""


class LinearClassifier:
    """Base class: weights `W` of shape (D, C), created by the first call of `train`.

    Attributes
    ----------
    W : ndarray, shape (D, C), or None
    diverged : bool
        True after a `train` call whose loss stopped being finite; W is then all NaN, so the
        model predicts class 0 for every example (chance accuracy or below).
    """

    def __init__(self):
        self.W = None
        self.diverged = False

    def train(
        self,
        X,
        y,
        learning_rate=1e-3,
        reg=1e-5,
        num_iters=100,
        batch_size=200,
        verbose=False,
        *,
        lr_decay=1.0,
        seed=None,
        dtype=None,
        on_divergence="warn",
    ):
        """Train this linear classifier using stochastic gradient descent.

        Each iteration samples `batch_size` rows of X with replacement, computes the loss and its
        gradient on them with `self.loss`, and steps `W -= learning_rate * grad`. On the first
        call W is created as `0.001 * randn(D, C)` with C = max(y) + 1; later calls continue from
        the W they find.

        Parameters
        ----------
        X : array_like, shape (N, D)
            Training examples, one per row (float32, float64, or integers computed in float64).
        y : array_like, shape (N,), integer dtype
            Labels: y[i] = c means X[i] has label c, 0 <= c < C.
        learning_rate : float
            Step size, finite and > 0.
        reg : float
            Regularization strength (the loss adds reg * sum(W * W)), finite and >= 0.
        num_iters : int
            Number of SGD steps, >= 1.
        batch_size : int
            Examples per step, >= 1.
        verbose : bool
            Print the loss every 100 iterations.
        lr_decay : float, keyword-only
            Factor applied to the learning rate after each epoch (every max(1, N // batch_size)
            iterations); 1.0, the default, keeps it constant as the course does.
        seed : int or None, keyword-only
            With None the initial W and the minibatches are drawn from NumPy's global random
            state, so `np.random.seed(s)` before `train` makes a run repeatable. With an int they
            come from `np.random.RandomState(seed)`: the same numbers as after
            `np.random.seed(seed)`, without touching the global state.
        dtype : numpy floating dtype or None, keyword-only
            Dtype of W and of the minibatch arithmetic. None keeps W's dtype, or on the first
            call takes X's (float64 for integer X). np.float32 with float64 X converts each
            minibatch, not X.
        on_divergence : {"warn", "raise"}, keyword-only
            What happens when the loss stops being a finite number. "warn" (the default, so a
            course-style search loop goes on): one TrainingDivergedWarning, W becomes all NaN,
            `self.diverged` becomes True, and the losses so far are returned. "raise": a
            TrainingDivergedError, with W left as it was before the call.

        Returns
        -------
        loss_history : list of float
            The minibatch loss at each iteration, before that iteration's step; shorter than
            num_iters only if training diverged.

        Raises
        ------
        ValueError
            If an input does not have the shape, dtype or range described above, or X holds a
            NaN or an infinity (found when it makes the loss non-finite).
        TrainingDivergedError
            With on_divergence="raise", if the loss stops being finite.
        """
        X, y = check_training_data(X, y)
        learning_rate = check_number(learning_rate, "learning_rate", positive=True)
        reg = check_number(reg, "reg")
        lr_decay = check_number(lr_decay, "lr_decay", positive=True)
        num_iters = check_count(num_iters, "num_iters")
        batch_size = check_count(batch_size, "batch_size")
        if on_divergence not in ("warn", "raise"):
            raise ValueError(f'on_divergence must be "warn" or "raise"; got {on_divergence!r}')
        rng = np.random if seed is None else np.random.RandomState(seed)
        dtype = training_dtype(dtype, X if self.W is None else self.W)
        W_before = self.W

        num_train, dim = X.shape
        num_classes = np.max(y) + 1  # assume y takes values 0...K-1 where K is number of classes
        if self.W is None:
            # lazily initialize W
            self.W = 0.001 * rng.randn(dim, num_classes)
        self.W = training_weights(self.W, dim, num_classes, dtype)  # a copy: W_before is kept
        iters_per_epoch = max(1, num_train // batch_size)

        # Run stochastic gradient descent to optimize W
        loss_history = []
        try:
            for it in BlasThreads().timed_range(num_iters):
                X_batch = None
                y_batch = None

                #########################################################################
                # TODO:                                                                 #
                # Sample batch_size elements from the training data and their           #
                # corresponding labels to use in this round of gradient descent.        #
                # Store the data in X_batch and their corresponding labels in           #
                # y_batch; after sampling X_batch should have shape (batch_size, dim)   #
                # and y_batch should have shape (batch_size,)                           #
                #                                                                       #
                # Hint: Use rng.choice to generate indices (rng is np.random, or a      #
                # seeded generator when train is given a seed). Sampling with           #
                # replacement is faster than sampling without replacement.              #
                #########################################################################
                # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
                batch_indices = rng.choice(num_train, batch_size)  # (batch_size,), with replacement
                X_batch = X[batch_indices]  # (batch_size, dim)
                y_batch = y[batch_indices]  # (batch_size,)
                # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

                # Hold this minibatch until the next one exists: freed first (by `X_batch = None`
                # above), its memory goes back to the system and the next (B, D) array is paged
                # in afresh, which costs about 0.1 ms a step (6% of a float64 run).
                _held_batch = X_batch
                if dtype != X.dtype:
                    X_batch = np.asarray(X_batch, dtype=dtype)

                # evaluate loss and gradient
                loss, grad = self.checked_step_loss(X_batch, y_batch, reg, it)
                if grad is None:
                    self.stop_diverged(it, learning_rate, reg, on_divergence, W_before)
                    break
                loss_history.append(loss)

                # perform parameter update
                #########################################################################
                # TODO:                                                                 #
                # Update the weights using the gradient and the learning rate.          #
                #########################################################################
                # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
                self.W -= learning_rate * grad
                # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

                if verbose and it % 100 == 0:
                    print(f"iteration {it} / {num_iters}: loss {loss:f}")
                if (it + 1) % iters_per_epoch == 0:
                    learning_rate *= lr_decay
        except BaseException:  # an error or an interrupt: W goes back to what it was
            self.W = W_before
            raise
        return loss_history

    def predict(self, X):
        """Use the trained weights of this linear classifier to predict labels for data points.

        Parameters
        ----------
        X : array_like, shape (N, D)
            N examples, one per row.

        Returns
        -------
        y_pred : ndarray, shape (N,), integer dtype
            y_pred[i] is the class with the highest score for X[i].

        Warns
        -----
        TrainingDivergedWarning
            Once, if the scores are not finite numbers (the weights diverged in training, or
            X @ W overflows); the predictions are still returned, and are meaningless.
        """
        X = check_prediction_data(X, self.W)
        overflow = []
        y_pred = np.zeros(X.shape[0])
        with np.errstate(all="call", call=lambda kind, flag: overflow.append(kind)):
            ###########################################################################
            # TODO:                                                                   #
            # Implement this method. Store the predicted labels in y_pred.            #
            ###########################################################################
            # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            scores = X.dot(self.W)  # (N, C)
            y_pred = np.argmax(scores, axis=1)  # (N,)
            # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        if overflow or not np.isfinite(self.W).all():
            cause = "training diverged" if self.diverged else "X @ W overflowed, or W is not finite"
            warnings.warn(
                TrainingDivergedWarning(
                    f"the scores X @ W are not all finite numbers ({cause}): these predictions "
                    "are meaningless"
                ),
                stacklevel=2,
            )
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """Compute the loss function and its derivative.

        Subclasses will override this.

        Parameters
        ----------
        X_batch : ndarray, shape (N, D)
            A minibatch of N data points; each point has dimension D.
        y_batch : ndarray, shape (N,)
            Labels for the minibatch.
        reg : float
            Regularization strength.

        Returns
        -------
        loss : float
        grad : ndarray, shape (D, C), the gradient with respect to self.W
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no loss: use a subclass such as Softmax or LinearSVM"
        )

    def save(self, fname, directory=None):
        """Save W as the course does, `np.save(path, {"W": W})`, and print `<fname> saved.`

        The path is `directory/fname` (directory defaults to cs231n/saved/, created if missing;
        an absolute fname is used as it is), with ".npy" appended unless fname ends with it, as
        np.save does. The write is atomic: a temporary file in the same folder, flushed, then
        renamed over the old file, so a failed save leaves the previous file intact.
        """
        if self.W is None:
            raise ValueError("there are no weights to save: call train() or load() first")
        path = weights_path(fname, directory)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        write_atomically(path, {"W": self.W})
        print(fname, "saved.")

    def load(self, fname, directory=None):
        """Load W saved by `save` (or any .npy of a dict {"W": W} or of a plain W array).

        Prints `<fname> loaded.` and returns True, or prints `<fname> not available.` and returns
        False when there is no such file. The same path rule as `save`. Reading never runs code
        from the file (see `load_weights`).

        Raises
        ------
        ValueError
            If the file is not a weights file; the message names it and what it holds.
        """
        path = weights_path(fname, directory)
        if not os.path.exists(path):
            print(fname, "not available.")
            return False
        self.W = load_weights(path)
        self.diverged = False
        print(fname, "loaded.")
        return True

    def checked_step_loss(self, X_batch, y_batch, reg, it):
        """self.loss on a minibatch, or (loss, None) if the loss is not finite (divergence).

        Told apart only when something goes wrong: a NaN or infinity in the minibatch is bad
        input (ValueError), and so is a ValueError from the loss at the first step, where W is
        the starting W; after that, a ValueError (our losses raise one when the result
        overflows) or a non-finite loss means that the steps made W diverge.
        """
        with np.errstate(all="ignore"):
            try:
                loss, grad = self.loss(X_batch, y_batch, reg)
            except ValueError:
                if it == 0:
                    raise
                loss, grad = np.nan, None
        if grad is None or not np.isfinite(loss):
            check_finite_batch(X_batch)
            return loss, None
        return loss, grad

    def stop_diverged(self, it, learning_rate, reg, on_divergence, W_before):
        """Stop training at iteration it: raise, or warn once and leave W all NaN."""
        message = (
            f"training diverged at iteration {it}: the loss stopped being a finite number with "
            f"learning_rate={learning_rate:g} and reg={reg:g}. Lower the learning rate (or reg): "
            "SGD on this loss is stable only when learning_rate * reg is well below 1"
        )
        if on_divergence == "raise":
            self.W = W_before
            raise TrainingDivergedError(message)
        self.W = np.full_like(self.W, np.nan)
        self.diverged = True
        warnings.warn(TrainingDivergedWarning(message), stacklevel=3)


class Softmax(LinearClassifier):
    """A subclass that uses the Softmax + Cross-entropy loss function."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)


# ------------------------------------------------------------------------------------------------
# Machinery, not part of the exercise. This file must work copied alone into the course's starter
# package, beside whatever softmax.py is there, so it keeps its own small checks (softmax.py has
# the loss's) and its own weights unpickler (cs231n/safe_pickle.py serves the CIFAR-10 batches).
# ------------------------------------------------------------------------------------------------


class BlasThreads:
    """Run SGD steps on 1 or on all BLAS threads, whichever is faster now.

    Every `period` steps, `trial` steps run on one thread and `trial` on the default number,
    each timed; the rest of the period runs on the faster choice. So an idle machine gets two
    threads, and a busy one (another process, the other worker of a search) gets one, within a
    few steps of the change. The choice compares total times, not medians: on a busy machine a
    second thread costs little in most steps and a whole scheduler slice in a few, and those few
    are what makes it slow. Without threadpoolctl, or with one BLAS thread to begin with, it
    changes nothing. One and two threads may round a product differently, so two runs with the
    same seed draw the same minibatches and agree to rounding, not always bit for bit.
    """

    def __init__(self, period=250, trial=8):
        self.period, self.trial = period, trial

    def timed_range(self, num_iters):
        """Yield 0 .. num_iters - 1, with the BLAS thread count chosen before each step."""
        blas = None if ThreadpoolController is None else ThreadpoolController().select(
            user_api="blas"
        )
        most = max([lib["num_threads"] for lib in blas.info()], default=1) if blas else 1
        if most < 2 or num_iters < 4 * self.trial:
            yield from range(num_iters)
            return
        limiter = blas.limit(limits=1)
        try:
            yield from self.steps(num_iters, blas, most)
        finally:
            limiter.restore_original_limits()

    def steps(self, num_iters, blas, most):
        times = {1: [], most: []}
        threads = 1
        for it in range(num_iters):
            phase = it % self.period
            if phase in (0, self.trial, 2 * self.trial):
                if phase == 2 * self.trial:  # total times, the first step of each left out
                    threads = min(times, key=lambda n: sum(times[n][1:]))
                else:
                    threads = 1 if phase == 0 else most
                    times[threads] = []
                blas.limit(limits=threads)
            start = time.perf_counter()
            yield it
            if phase < 2 * self.trial:
                times[threads].append(time.perf_counter() - start)


def check_count(value, name):
    """Return value as an int after checking that it is an integer >= 1."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value}")
    return int(value)


def check_number(value, name, positive=False):
    """Return value as a float: a finite real number, >= 0 (or > 0 when positive)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a finite number; got {type(value).__name__} {value!r}")
    value = float(value)
    if not (np.isfinite(value) and (value > 0 if positive else value >= 0)):
        raise ValueError(f"{name} must be a finite number {'> 0' if positive else '>= 0'}; "
                         f"got {value}")
    return value


def check_training_data(X, y):
    """Return X (N, D) and y (N,) as arrays after checking shapes and dtypes, not values of X."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[0] == 0 or X.dtype.kind not in "iuf":
        raise ValueError(
            "X must be a 2-D array of numbers of shape (N, D) with N >= 1; "
            f"got a {X.ndim}-D array of dtype {X.dtype} and shape {X.shape}"
        )
    if y.shape != (X.shape[0],) or y.dtype.kind not in "iu":
        raise ValueError(
            f"y must be a 1-D integer array of N = {X.shape[0]} labels, one per row of X; "
            f"got dtype {y.dtype} and shape {y.shape}"
        )
    if y.min() < 0:
        raise ValueError(f"labels y must be >= 0; got labels from {y.min()} to {y.max()}")
    return X, y


def check_prediction_data(X, W):
    """Return X as an array after checking it against the weights W (D, C)."""
    if W is None:
        raise ValueError("this classifier has no weights yet: call train() or load() first")
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != W.shape[0] or X.dtype.kind not in "iuf":
        raise ValueError(
            f"X must be a 2-D array of numbers of shape (N, D) with D = {W.shape[0]}, the rows "
            f"of W; got a {X.ndim}-D array of dtype {X.dtype} and shape {X.shape}"
        )
    return X


def check_finite_batch(X_batch):
    """Raise ValueError if the minibatch holds a NaN or an infinity (bad input, not divergence)."""
    finite = np.isfinite(X_batch)
    if not finite.all():
        raise ValueError(
            f"X must contain only finite values; a minibatch held {int((~finite).sum())} NaN "
            "or infinite entries"
        )


def training_dtype(dtype, source):
    """The floating dtype training computes in: dtype if given, else source's (float64 for
    an integer source)."""
    if dtype is None:
        return np.dtype(np.float64) if source.dtype.kind in "iu" else source.dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating-point dtype; got {dtype}")
    return dtype


def training_weights(W, dim, num_classes, dtype):
    """A new copy of W (D, C) in dtype, after checking that it fits the data."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != dim or W.dtype.kind not in "iuf":
        raise ValueError(
            f"W must be a real (D, C) array with D = {dim}, the columns of X; "
            f"got dtype {W.dtype} and shape {W.shape}"
        )
    if W.shape[1] < num_classes:
        raise ValueError(
            f"labels y must lie in [0, C) = [0, {W.shape[1]}) for the existing W of shape "
            f"{W.shape}; got labels up to {num_classes - 1}"
        )
    return W.astype(dtype)


def weights_path(fname, directory=None):
    """directory/fname (directory defaults to cs231n/saved/), with ".npy" as np.save adds it."""
    path = os.path.join(SAVED_DIR if directory is None else directory, os.fspath(fname))
    return path if path.endswith(".npy") else path + ".npy"


def write_atomically(path, params):
    """np.save(path, params) through a temporary file in the same folder, then os.replace."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, params)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class WeightsUnpickler(pickle.Unpickler):
    """Unpickles only what `np.save(path, {"W": W})` writes: numpy arrays, dicts and strings."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"it refers to {module}.{name}, which a weights file never does"
        )


def load_weights(path):
    """Read the weights W from a .npy file without ever running code from it.

    Accepts the course's format (a dict {"W": W} saved with np.save, read with a restricted
    unpickler that admits only numpy arrays, dicts and strings) and a plain array saved with
    np.save (read with allow_pickle=False). Safe to call on any file, e.g. a student's.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    W : ndarray, shape (D, C), floating dtype (integer arrays become float64)

    Raises
    ------
    FileNotFoundError
        If there is no file at path.
    ValueError
        If the file is not such a weights file; the message names it and what it holds.
    """
    with open(path, "rb") as f:
        data = f.read()
    what = describe_npy(data)
    if what is not None:
        raise ValueError(f"{path} is not a weights file: {what}")
    stream = io.BytesIO(data)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"{path}: .npy format version {version} is not supported")
    if not dtype.hasobject:
        W = np.load(io.BytesIO(data), allow_pickle=False)
    else:
        try:
            content = WeightsUnpickler(stream).load()
        except Exception as exc:  # a damaged or hostile pickle can fail in almost any way
            raise ValueError(f"{path} is not a weights file: {exc}") from None
        W = weights_from_content(content, path)
    return checked_weights(W, path)


def describe_npy(data):
    """None if data starts like a .npy file, else what it seems to be instead."""
    if not data:
        return "it is empty"
    if data.startswith(b"\x93NUMPY"):
        return None
    if data.startswith(b"PK"):
        return "it is a zip archive (an .npz?), expected a .npy file written by np.save"
    return f"it does not start like a .npy file (first bytes {data[:8]!r})"


def weights_from_content(content, path):
    """W from the unpickled content of a course-format file: a 0-d object array of a dict."""
    if isinstance(content, np.ndarray) and content.dtype == object and content.shape == ():
        content = content[()]
    if not isinstance(content, dict) or not all(isinstance(key, str) for key in content):
        keys = sorted(map(repr, content)) if isinstance(content, dict) else None
        raise ValueError(
            f"{path} is not a weights file: expected a dict with str keys such as 'W', got "
            f"{type(content).__name__}" + (f" with keys {keys}" if keys else "")
        )
    for key, value in content.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
            raise ValueError(
                f"{path}: expected every value to be a numeric array, got {key!r}: "
                f"{type(value).__name__}" + (f" of dtype {value.dtype}" if
                                            isinstance(value, np.ndarray) else "")
            )
    if "W" not in content:
        raise ValueError(f"{path} has no 'W': its keys are {sorted(content)}")
    return content["W"]


def checked_weights(W, path):
    """W as a 2-D floating array, or ValueError naming the file."""
    if not isinstance(W, np.ndarray) or W.ndim != 2 or W.dtype.kind not in "iuf":
        found = f"dtype {W.dtype} and shape {W.shape}" if isinstance(W, np.ndarray) else type(W)
        raise ValueError(f"{path} must hold a 2-D numeric W of shape (D, C); got {found}")
    return W.astype(np.float64) if W.dtype.kind in "iu" else W
