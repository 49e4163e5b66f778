"""sha256 of files, as the cache's entries and keys record them."""

from __future__ import annotations

import hashlib


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
