"""The rules for names: cache keys, identifiers (aliases, module and package names) and the module names
Python itself owns."""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (keeps import and cache hits cheap)
    from typing import Any

# \Z, not $: "$" would also accept a trailing newline
KEY_RE = re.compile(r"^[0-9a-f]{64}\Z")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
_reserved: frozenset[str] | None = None


def validate_key(key: Any) -> str:
    """Return ``key`` if it is 64 lowercase hex, else raise ValueError."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise ValueError(
            f"Invalid cache key {key!r}: expected 64 lowercase hex characters "
            "(BuildResult.key or list_cached())."
        )
    return key


def default_module_name(key: str) -> str:
    """``cython_pin_`` + the first 16 hex digits of the key."""
    return "cython_pin_" + key[:16]


def reserved_module_names() -> frozenset[str]:
    """Module names a build must never take: the interpreter's built-in and standard-library modules."""
    global _reserved
    if _reserved is None:
        import sys

        _reserved = frozenset(sys.builtin_module_names) | frozenset(getattr(sys, "stdlib_module_names", ()))
    return _reserved
