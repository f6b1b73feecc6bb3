"""``.venv/bin/python -m cs231n.datasets [--source PATH]``: fetch CIFAR-10 into cs231n/datasets."""

import sys

from cs231n.datasets.fetch import main

if __name__ == "__main__":
    sys.exit(main())
