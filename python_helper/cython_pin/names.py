"""The rules for names: cache keys, identifiers (aliases, module and package names) and the module names
Python itself owns."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

_HEX = "0123456789abcdef"


def is_key(value: object) -> bool:
    """True if ``value`` is a cache key: 64 lowercase hex characters (string tests, so no regex is compiled
    on a cache hit)."""
    return isinstance(value, str) and len(value) == 64 and not value.strip(_HEX)


def is_identifier(value: object) -> bool:
    """True if ``value`` is an ASCII identifier, ``[A-Za-z_][A-Za-z0-9_]*`` (aliases, module names)."""
    return isinstance(value, str) and value.isascii() and value.isidentifier()


_reserved: frozenset[str] | None = None


def validate_key(key: Any) -> str:
    """Return ``key`` if it is 64 lowercase hex, else raise ValueError."""
    if not isinstance(key, str) or not is_key(key):
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
