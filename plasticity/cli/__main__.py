"""``python -m plasticity.cli``: the same command line as ``python -m plasticity``."""

import sys

from plasticity.cli.main import main

sys.exit(main())
