"""Linear classifiers: the softmax and SVM losses and the SGD training loop."""

from .linear_classifier import (
    LinearClassifier,
    Softmax,
    TrainingDivergedError,
    TrainingDivergedWarning,
    load_weights,
)
from .linear_svm import LinearSVM, svm_loss_naive, svm_loss_vectorized
from .softmax import softmax_loss_naive, softmax_loss_vectorized

__all__ = [
    "LinearClassifier",
    "LinearSVM",
    "Softmax",
    "TrainingDivergedError",
    "TrainingDivergedWarning",
    "load_weights",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "svm_loss_naive",
    "svm_loss_vectorized",
]
