"""The builds loaded in this process, and how their functions pickle: as a reference to the build (key,
module name, aliases, recipe) that the import hook's ``load_global`` resolves in the unpickling process.

The loader calls :func:`track` after each new load. The reducer goes into ``copyreg.dispatch_table`` for
Cython's function types (shared by every Cython 3 module of one Cython version), so it hands functions of
other Cython modules back to their own reduction unchanged.
"""

from __future__ import annotations

import copyreg
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

REFERENCE_FORMAT = 1
_FUNCTION_TYPES = ("cython_function_or_method", "fused_cython_function")

# top-level module name -> [(key, module, cache root)], newest last (a -n NAME build may be rebuilt)
_builds: dict[str, list[tuple[str, ModuleType, str]]] = {}
_references: dict[str, tuple[Any, ...]] = {}
_previous: dict[type, Callable[[Any], Any] | None] = {}
_listeners: list[Callable[[str, ModuleType], None]] = []


def track(key: str, module: ModuleType, path: str) -> None:
    """Remember that ``module`` (loaded from ``path`` inside the entry of ``key``) is build ``key``, make its
    functions pickle by reference, and tell the listeners (:func:`on_load`)."""
    root = path
    for _ in range(4):  # <root>/<key>/<artifact> or <root>/<key>/<package>/__init__.py
        root = os.path.dirname(root)
        if os.path.basename(root) == key:
            break
    _builds.setdefault(module.__name__, []).append((key, module, os.path.dirname(root)))
    _install_reducer(module)
    for listener in list(_listeners):
        listener(key, module)


def on_load(listener: Callable[[str, ModuleType], None]) -> None:
    """Call ``listener(key, module)`` after every build loaded from now on in this process."""
    _listeners.append(listener)


def loaded_builds() -> list[tuple[str, str, str]]:
    """(key, module name, cache root) of every build loaded in this process, oldest first."""
    return [(key, name, root) for name, rows in _builds.items() for key, _m, root in rows]


def _install_reducer(module: ModuleType) -> None:
    values = list(vars(module).values())
    prefix = module.__name__ + "."
    for sub in [v for v in values if getattr(v, "__name__", "").startswith(prefix)]:  # package builds
        values += list(vars(sub).values()) if hasattr(sub, "__dict__") else []
    for value in values:
        t = type(value)
        if t.__name__ in _FUNCTION_TYPES and t not in _previous:
            _previous[t] = copyreg.dispatch_table.get(t)
            copyreg.pickle(t, _reduce)


def find(fn: object) -> tuple[str, str, str, str] | None:
    """(key, module name, cache root, path from the module) of a build's function ``fn``; None when ``fn``
    is not reachable by its qualified name in a build loaded here."""
    module_name = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not isinstance(module_name, str) or not isinstance(qualname, str):
        return None
    top, _, sub = module_name.partition(".")
    rows = _builds.get(top)
    if not rows:
        return None
    path = f"{sub}.{qualname}" if sub else qualname
    for key, module, root in reversed(rows):
        obj: object = module
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        if obj is fn:
            return key, top, root, path
    return None


def reference(key: str, name: str, root: str) -> tuple[Any, ...]:
    """The reference a pickle carries for build ``key``: (format, key, module name, aliases, recipe or
    None). Made once per key per process."""
    ref = _references.get(key)
    if ref is None:
        from ..errors import PinRegistryError
        from ..pins.registry import aliases_for
        from .recipe import from_entry

        try:
            aliases = tuple(aliases_for(key, root))
        except (OSError, PinRegistryError):
            aliases = ()
        ref = _references[key] = (REFERENCE_FORMAT, key, name, aliases, from_entry(root, key))
    return ref


def _reduce(fn: Any) -> Any:
    found = find(fn)
    if found is None:
        previous = _previous.get(type(fn))
        return previous(fn) if previous is not None else fn.__reduce__()
    key, name, root, path = found
    import _cython_pin_import_hook as hook

    return hook.load_global, (reference(key, name, root), path)
