"""numpy needed without being imported by name (e.g. ``@cython.ufunc``): found in what Cython generates.

The source alone does not say it, so the first build finds out after Cython ran: the generated C includes
numpy's headers. That build is then redone under the key that includes numpy (and its version), and the
original key is remembered as "needs numpy" (an empty marker file in the cache), so later lookups go straight
to the numpy key, with no Cython run.
"""

from __future__ import annotations

import os

from ..cache.paths import NUMPY_MARKERS, numpy_marker
from ..cache.paths import numpy_remembered as remembered  # noqa: F401 - this module's name for it

_NUMPY_INCLUDES = ("#include <numpy/", '#include "numpy/')


class NumpyNeeded(Exception):  # noqa: N818 - a signal to the engine, not an error the user sees
    """Raised by the builder when the generated C needs numpy's headers but the build was keyed without."""


def generated_code_needs_numpy(c_paths: list[str]) -> bool:
    """True if any of the C/C++ files Cython generated includes a numpy header."""
    for p in c_paths:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if any(inc in text for inc in _NUMPY_INCLUDES):
                return True
        except OSError:
            continue
    return False


def remember(root: str, key: str) -> None:
    """Record that the build of ``key`` needs numpy (best effort: without the marker, the next build finds
    out again)."""
    try:
        os.makedirs(os.path.join(root, NUMPY_MARKERS), exist_ok=True)
        with open(numpy_marker(root, key), "w", encoding="utf-8"):
            pass
    except OSError:
        pass
