"""Task functions the workers import by name (no side effects on import, unlike conftest)."""

from __future__ import annotations


def total(acc: object) -> int:
    """``acc.add(1)`` on a cdef class instance that travelled to the worker."""
    return acc.add(1)  # type: ignore[attr-defined,no-any-return]


def loaded_builds() -> list[str]:
    """The cython_pin build modules loaded in this process (run on the Dask scheduler)."""
    import sys

    from cython_pin.cache import loader

    return sorted(m for m in sys.modules if loader.is_ours(sys.modules[m]))
