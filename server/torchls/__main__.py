"""``python -m torchls``."""

import sys

from torchls.cli import main

sys.exit(main())
