"""sha256 without paying for OpenSSL's import on the cache-hit path (hashlib when already loaded)."""

from __future__ import annotations

import sys

_ctor: object = None


def _constructor() -> object:
    """hashlib.sha256 if hashlib is already imported, else CPython's small built-in sha256 module."""
    global _ctor
    hashlib = sys.modules.get("hashlib")
    if hashlib is not None:
        return hashlib.sha256
    if _ctor is None:
        try:
            if sys.version_info >= (3, 12):
                from _sha2 import sha256 as ctor
            else:
                from _sha256 import sha256 as ctor
        except ImportError:  # other implementations
            import hashlib

            ctor = hashlib.sha256
        _ctor = ctor
    return _ctor


def sha256(data: bytes = b"") -> object:
    """A sha256 hash object (``update``/``hexdigest``)."""
    return _constructor()(data)  # type: ignore[operator]


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's content."""
    h = sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)  # type: ignore[attr-defined]
    return h.hexdigest()  # type: ignore[attr-defined]
