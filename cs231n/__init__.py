"""CS231n Softmax classifier exercise: data loading, linear classifiers and gradient checking."""
