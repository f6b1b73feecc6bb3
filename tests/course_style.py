"""A course-style solution, written for the tests: the official 2025 starter's shape, with its
pre-filled naive loss (p = exp(s - max s); p /= p.sum(); logp = np.log(p)) and a plain
`probs = exp / sum; -log(probs[y])` vectorized answer, as students write them. The grader and the
public checks must give it full marks.

tests/ is not a package: the test files import this module by its bare name.
"""

from pathlib import Path

SOFTMAX = """\
from builtins import range
import numpy as np
from random import shuffle
from past.builtins import xrange


def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)

    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= scores.max()
        p = np.exp(scores)
        p /= p.sum()
        logp = np.log(p)
        loss -= logp[y[i]]
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]

    loss /= num_train
    loss += reg * np.sum(W * W)
    dW /= num_train
    dW += 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(num_train), y])) / num_train
    loss += reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    return loss, dW
"""

LINEAR_CLASSIFIER = """\
from __future__ import print_function

from builtins import range
from builtins import object
import os

import numpy as np
from ..classifiers.softmax import *
from past.builtins import xrange


class LinearClassifier(object):
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
              verbose=False):
        num_train, dim = X.shape
        num_classes = np.max(y) + 1
        if self.W is None:
            self.W = 0.001 * np.random.randn(dim, num_classes)

        loss_history = []
        for it in range(num_iters):
            idx = np.random.choice(num_train, batch_size, replace=True)
            X_batch = X[idx]
            y_batch = y[idx]

            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(loss)

            self.W -= learning_rate * grad

            if verbose and it % 100 == 0:
                print("iteration %d / %d: loss %f" % (it, num_iters, loss))

        return loss_history

    def predict(self, X):
        y_pred = np.zeros(X.shape[0])
        y_pred = np.argmax(X.dot(self.W), axis=1)
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        pass

    def save(self, fname):
        fpath = os.path.join(os.path.dirname(__file__), "../saved/", fname)
        params = {"W": self.W}
        np.save(fpath, params)
        print(fname, "saved.")

    def load(self, fname):
        fpath = os.path.join(os.path.dirname(__file__), "../saved/", fname)
        params = np.load(fpath, allow_pickle=True).item()
        self.W = params["W"]
        return True


class Softmax(LinearClassifier):
    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
"""


def write_course_style(folder):
    """Write the course-style softmax.py and linear_classifier.py under `folder`; return it."""
    classifiers = Path(folder) / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True, exist_ok=True)
    (classifiers / "softmax.py").write_text(SOFTMAX)
    (classifiers / "linear_classifier.py").write_text(LINEAR_CLASSIFIER)
    return Path(folder)
