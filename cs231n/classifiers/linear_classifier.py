import os
import pickle
import tempfile
import warnings

import numpy as np

from .softmax import softmax_loss_naive, softmax_loss_vectorized

__all__ = ["LinearClassifier", "LinearSVM", "Softmax", "TrainingDivergedError",
           "TrainingDivergedWarning", "load_weights",
           "softmax_loss_naive", "softmax_loss_vectorized"]


class LinearClassifier:
    def __init__(self):
        self.W = None
        self.diverged = False  # True after a train() whose loss stopped being a finite number

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
        seed=None,
        on_divergence="warn",
    ):
        """
        Train this linear classifier using stochastic gradient descent.

        Inputs:
        - X: A numpy array of shape (N, D) containing training data; there are N
          training samples each of dimension D.
        - y: A numpy array of shape (N,) containing training labels; y[i] = c
          means that X[i] has label 0 <= c < C for C classes.
        - learning_rate: (float) learning rate for optimization.
        - reg: (float) regularization strength.
        - num_iters: (integer) number of steps to take when optimizing
        - batch_size: (integer) number of training examples to use at each step.
        - verbose: (boolean) If true, print progress during optimization.
        - seed: (integer, keyword-only) if given, np.random.seed(seed) first.
        - on_divergence: (keyword-only) what happens when the loss stops being a
          finite number: "warn" (one TrainingDivergedWarning; W becomes all NaN and
          self.diverged True) or "raise" (the same, then TrainingDivergedError).

        Outputs:
        A list containing the value of the loss function at each training iteration.
        """
        check_training_data(X, y, self.W, learning_rate, reg, num_iters, batch_size)
        if seed is not None:
            np.random.seed(seed)
        num_train, dim = X.shape
        num_classes = (
            np.max(y) + 1
        )  # assume y takes values 0...K-1 where K is number of classes
        if self.W is None:
            # lazily initialize W
            self.W = 0.001 * np.random.randn(dim, num_classes)
        self.W = in_training_dtype(self.W, X)  # float32 data trains in float32, the rest float64
        steps = StepChecks(self, learning_rate, reg, on_divergence)

        # Run stochastic gradient descent to optimize W
        loss_history = []
        for it in range(num_iters):
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
            # Hint: Use np.random.choice to generate indices. Sampling with         #
            # replacement is faster than sampling without replacement.              #
            #########################################################################
            # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
            indices = np.random.choice(num_train, batch_size)  # (batch_size,)
            X_batch = X[indices]  # (batch_size, dim)
            y_batch = y[indices]  # (batch_size,)
            # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****


            # evaluate loss and gradient
            steps.check_minibatch(X_batch, y_batch, batch_size, dim)
            loss, grad = self.loss(X_batch, y_batch, reg)
            if steps.stop(it, loss, grad, X_batch, loss_history):
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


            steps.check_update(it, grad)
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")

        steps.check_trend(loss_history)
        return loss_history

    def predict(self, X):
        """
        Use the trained weights of this linear classifier to predict labels for
        data points.

        Inputs:
        - X: A numpy array of shape (N, D) containing training data; there are N
          training samples each of dimension D.

        Returns:
        - y_pred: Predicted labels for the data in X. y_pred is a 1-dimensional
          array of length N, and each element is an integer giving the predicted
          class.
        """
        check_prediction_data(X, self.W)
        y_pred = np.zeros(X.shape[0])
        ###########################################################################
        # TODO:                                                                   #
        # Implement this method. Store the predicted labels in y_pred.            #
        ###########################################################################
        # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
        scores = X.dot(self.W)  # (N, C)
        y_pred = np.argmax(scores, axis=1)  # (N,)
        # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

        check_predictions(y_pred, self.diverged)
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """
        Compute the loss function and its derivative.
        Subclasses will override this.

        Inputs:
        - X_batch: A numpy array of shape (N, D) containing a minibatch of N
          data points; each point has dimension D.
        - y_batch: A numpy array of shape (N,) containing labels for the minibatch.
        - reg: (float) regularization strength.

        Returns: A tuple containing:
        - loss as a single float
        - gradient with respect to self.W; an array of the same shape as W
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no loss: use a subclass such as Softmax"
        )

    def save(self, fname, directory=None):
        """Save model parameters (to cs231n/saved/ unless directory is given)."""
        if self.W is None:
            raise ValueError("there are no weights to save: call train() or load() first")
        fpath = os.path.join(directory or SAVED_DIR, fname)
        params = {"W": self.W}
        save_atomically(fpath, params)  # np.save(fpath, params), and a failure keeps the old file
        print(fname, "saved.")

    def load(self, fname, directory=None):
        """Load model parameters, without running code from the file (see load_weights)."""
        fpath = os.path.join(directory or SAVED_DIR, fname)
        if not os.path.exists(fpath):
            print(fname, "not available.")
            return False
        else:
            self.W = load_weights(fpath)
            self.diverged = False
            print(fname, "loaded.")
            return True


class LinearSVM(LinearClassifier):
    """ A subclass that uses the Multiclass SVM loss function """

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """ A subclass that uses the Softmax + Cross-entropy loss function """

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)


# ------------------------------------------------------------------------------------------------
# Machinery, not part of the exercise: checks of the inputs, clear errors for a TODO left
# unfilled, divergence, and reading weights without running code from the file. This file must
# also work copied alone into the course's starter package (numpy and the sibling softmax.py
# only), so it keeps these helpers to itself rather than importing them from elsewhere in cs231n.
# ------------------------------------------------------------------------------------------------

SAVED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved")


class TrainingDivergedWarning(RuntimeWarning):
    """Warned by train when the loss stops being a finite number or rises over training, and by
    predict when the model's training diverged."""


class TrainingDivergedError(FloatingPointError):
    """Raised by train(..., on_divergence="raise") when the loss stops being a finite number."""


def svm_loss_vectorized(W, X, y, reg):
    """The SVM loss of linear_svm.py, which the 2025 softmax assignment does not include."""
    try:
        from .linear_svm import svm_loss_vectorized as svm_loss
    except ImportError:
        raise NotImplementedError(
            "LinearSVM needs svm_loss_vectorized from cs231n/classifiers/linear_svm.py, which "
            "this assignment (the 2025 softmax exercise) does not include"
        ) from None
    return svm_loss(W, X, y, reg)


def check_training_data(X, y, W, learning_rate, reg, num_iters, batch_size):
    """Raise ValueError naming the first argument of train that is not what it must be."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or len(X) == 0 or X.dtype.kind not in "iuf":
        got = f"shape {X.shape}, dtype {X.dtype}" if isinstance(X, np.ndarray) else type(X)
        raise ValueError(f"X must be a numpy array of numbers of shape (N, D), N >= 1; got {got}")
    if not isinstance(y, np.ndarray) or y.shape != (len(X),) or y.dtype.kind not in "iu":
        got = f"shape {y.shape}, dtype {y.dtype}" if isinstance(y, np.ndarray) else type(y)
        raise ValueError(f"y must be an integer array of shape (N,) = ({len(X)},); got {got}")
    if y.min() < 0 or (W is not None and y.max() >= W.shape[1]):
        bound = "[0, C)" if W is None else f"[0, {W.shape[1]}) for the existing W"
        raise ValueError(f"labels y must lie in {bound}; got {y.min()} to {y.max()}")
    if W is not None and W.shape[0] != X.shape[1]:
        raise ValueError(f"X must have D = {W.shape[0]} columns, the rows of W; got {X.shape}")
    check_number("learning_rate", learning_rate, positive=True)
    check_number("reg", reg, positive=False)
    for name, value, low in [("num_iters", num_iters, 0), ("batch_size", batch_size, 1)]:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")


def in_training_dtype(W, X):
    """W in X's dtype if X is float32 (products of mixed dtypes convert X's minibatch to float64
    at every step, 2.5x slower), else in float64 as the course's W; W itself if already so."""
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return W.astype(dtype, copy=False)


def check_number(name, value, positive):
    """Raise ValueError unless value is a finite real number, > 0 if positive, else >= 0."""
    is_real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not (is_real and np.isfinite(value) and (value > 0 if positive else value >= 0)):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")


def check_prediction_data(X, W):
    """Raise ValueError unless there are weights W (D, C) and X is a numeric (N, D) array."""
    if W is None:
        raise ValueError("this classifier has no weights yet: call train() or load() first")
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != W.shape[0]:
        got = f"shape {X.shape}" if isinstance(X, np.ndarray) else type(X)
        raise ValueError(f"X must be a numpy array of shape (N, {W.shape[0]}); got {got}")


def check_predictions(y_pred, diverged):
    """Raise NotImplementedError if y_pred is still np.zeros; warn if training diverged."""
    if diverged:
        warnings.warn(TrainingDivergedWarning(
            "this model's training diverged (its W is NaN): these predictions are meaningless"
        ), stacklevel=3)
    elif np.asarray(y_pred).dtype.kind == "f" and np.size(y_pred) and not np.any(y_pred):
        raise NotImplementedError(
            "y_pred is still np.zeros(N): fill in the TODO in LinearClassifier.predict "
            "(cs231n/classifiers/linear_classifier.py); y_pred must hold each example's class"
        )


class StepChecks:
    """What train checks at each step besides the student's code: a TODO left unfilled, a loss
    that stops being finite (divergence), and a loss that rises over training."""

    def __init__(self, model, learning_rate, reg, on_divergence):
        if on_divergence not in ("warn", "raise"):
            raise ValueError(f'on_divergence must be "warn" or "raise"; got {on_divergence!r}')
        self.model, self.learning_rate, self.reg = model, learning_rate, reg
        self.on_divergence = on_divergence
        self.W_first = None
        model.diverged = False

    def check_minibatch(self, X_batch, y_batch, batch_size, dim):
        """Raise if the sampling TODO left X_batch or y_batch unset or of the wrong shape."""
        for name, batch, shape in [("X_batch", X_batch, (batch_size, dim)),
                                   ("y_batch", y_batch, (batch_size,))]:
            if batch is None:
                raise NotImplementedError(
                    f"{name} is None: fill in the sampling TODO in LinearClassifier.train "
                    "(cs231n/classifiers/linear_classifier.py)"
                )
            if np.shape(batch) != shape:
                raise ValueError(f"{name} must have shape {shape} after sampling (the sampling "
                                 f"TODO in LinearClassifier.train); got {np.shape(batch)}")

    def stop(self, it, loss, grad, X_batch, loss_history):
        """True if training must stop (the loss is not finite); raise if the loss is unfilled."""
        if it == 0:
            self.W_first = self.model.W.copy()
            if not np.any(grad) and np.any(X_batch):
                raise NotImplementedError(
                    f"{self.loss_name()} returned loss {loss} and an all-zero gradient at the "
                    "first step: fill in its TODOs"
                )
        if np.isfinite(loss):
            return False
        if not np.isfinite(X_batch).all():
            raise ValueError("X must contain only finite values; a minibatch held NaN or inf")
        message = divergence_message(it, loss_history, self.learning_rate, self.reg)
        self.model.W = np.full_like(self.model.W, np.nan)
        self.model.diverged = True
        if self.on_divergence == "raise":
            raise TrainingDivergedError(message)
        warnings.warn(TrainingDivergedWarning(message), stacklevel=3)
        return True

    def check_update(self, it, grad):
        """Raise if the update TODO left W as it was after the first step (a step too small
        to change any entry of W, as with learning_rate=1e-300, is not a missing update)."""
        if it > 0 or not np.array_equal(self.model.W, self.W_first):
            return
        if np.any(np.abs(self.learning_rate * np.asarray(grad)) > np.spacing(np.abs(self.W_first))):
            raise NotImplementedError(
                "self.W did not change in the first step although the gradient is not zero: "
                "fill in the update TODO in LinearClassifier.train "
                "(cs231n/classifiers/linear_classifier.py)"
            )

    def check_trend(self, loss_history):
        """Warn if the mean loss of the last tenth of training is over 1.5x that of the first
        tenth: SGD with a right gradient and a stable learning rate lowers the loss."""
        n = len(loss_history) // 10
        if self.model.diverged or n == 0:
            return
        first, last = np.mean(loss_history[:n]), np.mean(loss_history[-n:])
        if last > 1.5 * first:
            warnings.warn(TrainingDivergedWarning(
                f"the loss rose during training, from {first:g} (mean of the first {n} "
                f"iterations) to {last:g} (the last {n}): check the update's sign, and the "
                "gradient with grad_check_sparse, before lowering the learning rate"
            ), stacklevel=3)

    def loss_name(self):
        name = f"{type(self.model).__name__}.loss"
        if isinstance(self.model, Softmax):
            name += ", that is softmax_loss_vectorized in cs231n/classifiers/softmax.py,"
        return name


def divergence_message(it, loss_history, learning_rate, reg):
    """Why training stopped at iteration it, and what to look at first."""
    message = (f"training diverged at iteration {it}: the loss stopped being a finite number "
               f"with learning_rate={learning_rate:g} and reg={reg:g}. ")
    if learning_rate * reg >= 1:
        return message + (f"Lower the learning rate (or reg): with learning_rate * reg = "
                          f"{learning_rate * reg:g} >= 1 the regularization alone makes W grow")
    if len(loss_history) < 2 or loss_history[1] > loss_history[0]:
        rise = f" ({loss_history[0]:g}, then {loss_history[1]:g})" if len(loss_history) > 1 else ""
        return message + (
            f"The loss rose from the first steps{rise}: check the gradient with grad_check_sparse "
            "(one not divided by N, or of the wrong sign, does this), then the learning rate"
        )
    return message + "Lower the learning rate"


def save_atomically(path, params):
    """np.save(path, params) through a temporary file in the same folder, then os.replace."""
    path = os.fspath(path)
    path = path if path.endswith(".npy") else path + ".npy"  # as np.save names it
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, params)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class WeightsUnpickler(pickle.Unpickler):
    """Rebuilds only numpy arrays, what np.save(path, {"W": W}) writes; refuses anything else.
    (cs231n/safe_pickle.py, for the CIFAR-10 batches, is the package's general one.)"""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"it refers to {module}.{name}, as a weights file never does")


def load_weights(path):
    """W (D, C) from a .npy file of {"W": W} (or of a plain W) without running code from it.

    Raises ValueError, naming the file and what it holds, if it is not such a weights file.
    """
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"its .npy format version {version} is not supported")
            read_header = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
            _, _, dtype = read_header(f)
            if dtype.hasobject:
                content = WeightsUnpickler(f).load()
                content = content[()] if isinstance(content, np.ndarray) else content
            else:
                f.seek(0)
                content = np.load(f, allow_pickle=False)
        except Exception as exc:  # a damaged or hostile file can fail in almost any way
            raise ValueError(f"{path} is not a weights file written by np.save: {exc}") from None
    if isinstance(content, dict):
        W = content.get("W")
        found = f"a dict with keys {sorted(map(str, content))}"
    else:
        W, found = content, f"a {type(content).__name__}"
    if isinstance(W, np.ndarray) and W.ndim == 2 and W.dtype.kind in "iuf":
        return W.astype(np.float64) if W.dtype.kind in "iu" else W
    if isinstance(W, np.ndarray):
        found += f", W of dtype {W.dtype} and shape {W.shape}"
    raise ValueError(f"{path} must hold {{'W': W}} or W, a 2-D numeric array; it holds {found}")
