"""The course's linear classifiers: the softmax loss and SGD training."""

from .linear_classifier import (
    LinearClassifier,
    LinearSVM,
    Softmax,
    TrainingDivergedError,
    TrainingDivergedWarning,
    load_weights,
)
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
]
