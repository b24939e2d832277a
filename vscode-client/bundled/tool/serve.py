"""Start the torchls server bundled with the VS Code extension (``torchls.importStrategy: useBundled``).

The bundled libraries go first on ``sys.path`` here rather than through PYTHONPATH, which jedi's
environment subprocess would inherit and mix into the user's analysed environment.
"""

import os
import sys

if sys.version_info < (3, 10):  # noqa: UP036  (this file runs in any interpreter the user picked)
    sys.stderr.write(
        f"torchls needs Python 3.10 or newer to run, but {sys.executable} is Python {sys.version.split()[0]}."
        " Choose another interpreter (torchls.interpreter or the Python extension's selection).\n"
    )
    sys.exit(2)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs"))

from torchls.cli import main  # noqa: E402  (after the path change on purpose)

sys.exit(main(["serve"]))
