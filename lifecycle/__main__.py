"""``python -m lifecycle``: the same as the ``lifecycle`` command."""

import sys

from lifecycle.cli import main

sys.exit(main())
