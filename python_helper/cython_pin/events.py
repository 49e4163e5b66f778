"""A tiny plain-Python listener registry (no IPython): the kernel bridge subscribes to push events.

Events: ``pins_changed`` with ``{"cache_dir", "pins"}``, ``cache_changed`` with ``{"cache_dir"}``,
``prebuild_state`` (a build ahead's stages, from the scheduler's thread) and ``build_progress`` (a build's
stages, from :mod:`cython_pin.build.progress`); the data of each is the schema's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Listener = Callable[[str, dict[str, Any]], None]


_listeners: list[Listener] = []


def subscribe(fn: Listener) -> Listener:
    """Call ``fn(event, data)`` after every pin or cache change made in this process. Idempotent."""
    if fn not in _listeners:
        _listeners.append(fn)
    return fn


def unsubscribe(fn: Listener) -> None:
    """Remove a listener added with :func:`subscribe` (no error if absent)."""
    if fn in _listeners:
        _listeners.remove(fn)


def has_listeners() -> bool:
    """Whether any listener is subscribed (an event whose data is costly to gather can then be skipped)."""
    return bool(_listeners)


def emit(event: str, data: dict[str, Any]) -> None:
    """Notify listeners; a failing listener never breaks the caller."""
    for fn in list(_listeners):
        try:
            fn(event, data)
        except Exception:  # noqa: BLE001 - listeners must not break builds or pins
            pass
