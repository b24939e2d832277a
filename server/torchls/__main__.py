"""``python -m torchls``."""

import sys

from torchls.cli import main

if __name__ == "__main__":
    sys.exit(main())
