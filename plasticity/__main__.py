"""``python -m plasticity``: the command line (same as the ``plasticity`` command)."""

import sys

from .cli import main

sys.exit(main())
