"""Linear classifiers: the softmax and SVM losses and the SGD training loop."""

from .linear_classifier import LinearClassifier, LinearSVM, Softmax, TrainingDivergedError
from .linear_svm import svm_loss_naive, svm_loss_vectorized
from .softmax import softmax_loss_naive, softmax_loss_vectorized

__all__ = [
    "LinearClassifier",
    "LinearSVM",
    "Softmax",
    "TrainingDivergedError",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "svm_loss_naive",
    "svm_loss_vectorized",
]
