"""``python -m plasticity``: the command line (same as the ``plasticity`` command)."""

import sys

from plasticity.cli.main import main

sys.exit(main())
