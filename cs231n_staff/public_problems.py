"""Build `cs231n/public_problems.npz`, the public problems of `cs231n.checks`, with their expected
answers precomputed by the grader's reference (`python -m cs231n_staff.public_problems`).

The students' package holds only these numbers, never the code that computed them. The problems
are drawn like the grader's hidden ones (`grade.problems`) but from the public seed PUBLIC_SEED,
so they are not the hidden ones. Arrays of the file (all numeric; read with allow_pickle=False):

    loss problem k:  W{k} (D, C), X{k} (N, D), y{k} (N,), reg{k} (), large{k} () bool,
                     data_loss{k} (), reg_loss{k} (), data_grad{k} (D, C), reg_grad{k} (D, C)
    training:        X_train (N, D+1), y_train (N,), X_heldout (M, D+1), y_heldout (M,)
    prediction:      W_predict (D, C), X_predict (N, D), labels_predict (N,)
"""

import argparse
from pathlib import Path

import numpy as np

from .grade import problems as pb

PUBLIC_SEED = 20250231
PATH = Path(__file__).resolve().parent.parent / "cs231n" / "public_problems.npz"
LOSS_SHAPES = [
    (5, 7, 3, np.float64, 0.0, 0.5),
    (10, 20, 4, np.float64, 0.3, 0.5),
    (20, 101, 10, np.float64, 2.5e-2, 5e-2),
    (25, 60, 10, np.float32, 0.7, 0.2),
]
LARGE_SCORE_SHAPE = (12, 30, 5, np.float64, 0.0, 5000.0)


def build(seed=PUBLIC_SEED):
    """The arrays of the public problems file (name -> ndarray)."""
    rng = np.random.default_rng([seed, 1])
    problems = [pb.random_problem(rng, *shape) for shape in LOSS_SHAPES]
    problems.append(pb.random_problem(rng, *LARGE_SCORE_SHAPE, large_scores=True))
    arrays = {}
    for k, problem in enumerate(problems):
        arrays.update(problem.arrays(k))
        parts = problem.parts
        arrays[f"large{k}"] = np.array(problem.large_scores)
        arrays[f"data_loss{k}"] = np.array(parts.data_loss)
        arrays[f"reg_loss{k}"] = np.array(parts.reg_loss)
        arrays[f"data_grad{k}"] = parts.data_grad
        arrays[f"reg_grad{k}"] = parts.reg_grad
    X, y, X_heldout, y_heldout = pb.train_problem(seed)
    arrays.update(X_train=X, y_train=y, X_heldout=X_heldout, y_heldout=y_heldout)
    W, X, labels = pb.predict_problem(seed)
    arrays.update(W_predict=W, X_predict=X, labels_predict=labels)
    return arrays


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_staff.public_problems", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", default=str(PATH), help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    np.savez_compressed(args.out, **build())
    print(f"public problems written to {args.out}")


if __name__ == "__main__":
    main()
