"""``python -m cython_pin``: team-cache administration (see cython_pin.remote.cli)."""

from __future__ import annotations

import sys

from .remote.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
