"""``python -m benchmarks [--repeat N | --quick] [--out bench-results.json] [--keep]``."""

import sys

from .run import main

sys.exit(main())
