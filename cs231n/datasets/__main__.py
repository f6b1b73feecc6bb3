"""``python -m cs231n.datasets``: fetch CIFAR-10 into cs231n/datasets/cifar-10-batches-py."""

import sys

from cs231n.datasets.fetch import main

if __name__ == "__main__":
    sys.exit(main())
