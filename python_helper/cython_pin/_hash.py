"""sha256 without paying for OpenSSL's import on the cache-hit path (hashlib when already loaded)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (keeps import and cache hits cheap)
    from collections.abc import Callable
    from typing import Protocol

    class Hash(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def hexdigest(self) -> str: ...

    Constructor = Callable[[bytes], Hash]

_ctor: Constructor | None = None


def _constructor() -> Constructor:
    """hashlib.sha256 if hashlib is already imported, else CPython's small built-in sha256 module."""
    global _ctor
    loaded = sys.modules.get("hashlib")
    if loaded is not None:
        ctor: Constructor = loaded.sha256
        return ctor
    if _ctor is None:
        try:
            if sys.version_info >= (3, 12):
                from _sha2 import sha256 as builtin
            else:
                from _sha256 import sha256 as builtin  # type: ignore[import-not-found]  # no stub in typeshed
            _ctor = builtin
        except ImportError:  # other implementations
            import hashlib

            _ctor = hashlib.sha256
    return _ctor


def sha256(data: bytes = b"") -> Hash:
    """A sha256 hash object (``update``/``hexdigest``)."""
    return _constructor()(data)


def sha256_file(path: str) -> str:
    """Hex sha256 of a file's content."""
    h = sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
