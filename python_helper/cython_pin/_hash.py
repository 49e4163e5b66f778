"""sha256 without paying for OpenSSL's import on the cache-hit path (hashlib when already loaded)."""

from __future__ import annotations

import sys


def sha256(data: bytes = b"") -> object:
    """A sha256 hash object (``update``/``hexdigest``)."""
    hashlib = sys.modules.get("hashlib")
    if hashlib is not None:
        return hashlib.sha256(data)
    try:
        from _sha2 import sha256 as _sha  # CPython >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256 as _sha  # CPython 3.11
        except ImportError:
            import hashlib

            return hashlib.sha256(data)
    return _sha(data)


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's content."""
    h = sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)  # type: ignore[attr-defined]
    return h.hexdigest()  # type: ignore[attr-defined]
