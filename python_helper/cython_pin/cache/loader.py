"""Load built extension modules; one module object per key per process."""

from __future__ import annotations

import _thread
import sys
from types import ModuleType

_by_key: dict[str, ModuleType] = {}
_lock = _thread.allocate_lock()  # one loader at a time, so two threads never load the same key twice


def loaded(key: str) -> ModuleType | None:
    """The module already loaded in this process for ``key`` (None if not yet)."""
    return _by_key.get(key)


def is_ours(module: ModuleType) -> bool:
    """True if ``module`` was loaded by cython_pin (a build or a submodule of a package build)."""
    if any(m is module for m in _by_key.values()):
        return True
    parent = sys.modules.get(module.__name__.rpartition(".")[0]) if "." in module.__name__ else None
    return parent is not None and any(m is parent for m in _by_key.values())


def _load_extension(name: str, path: str) -> ModuleType:
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None:  # pragma: no cover - only for unsupported paths
        raise ImportError(f"cannot create a module spec for {path}")
    previous = sys.modules.get(name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
        raise
    return module


def load_module(key: str, name: str, path: str) -> ModuleType:
    """Load the extension at ``path`` as ``name`` (registered in sys.modules) and remember it for ``key``."""
    with _lock:
        mod = _by_key.get(key)
        new = mod is None
        if mod is None:
            mod = _by_key[key] = _load_extension(name, path)
    if new:
        _loaded(key, mod, path)
    return mod


def load_package(key: str, package: str, init_path: str, submodules: list[tuple[str, str]]) -> ModuleType:
    """Load a built package: ``__init__.py`` then every ``package.sub`` extension, bound as attributes."""
    with _lock:
        mod = _by_key.get(key)
        new = mod is None
        if mod is None:
            mod = _by_key[key] = _load_package(package, init_path, submodules)
    if new:
        _loaded(key, mod, init_path)
    return mod


def _loaded(key: str, module: ModuleType, path: str) -> None:
    """After a build's first load here: its functions now pickle by reference (workers.tracking)."""
    from ..workers.tracking import track

    track(key, module, path)


def _load_package(package: str, init_path: str, submodules: list[tuple[str, str]]) -> ModuleType:
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location(
        package, init_path, submodule_search_locations=[os.path.dirname(init_path)]
    )
    if spec is None or spec.loader is None:  # pragma: no cover
        raise ImportError(f"cannot create a package spec for {init_path}")
    pkg = importlib.util.module_from_spec(spec)
    saved = {n: m for n, m in sys.modules.items() if n == package or n.startswith(package + ".")}
    for n in saved:
        del sys.modules[n]
    sys.modules[package] = pkg
    try:
        spec.loader.exec_module(pkg)
        for sub, path in submodules:
            full = f"{package}.{sub}"
            if full in sys.modules:  # already imported by a sibling's cimport
                m = sys.modules[full]
            else:
                m = _load_extension(full, path)
            setattr(pkg, sub, m)
    except BaseException:
        for n in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[n]
        sys.modules.update(saved)
        raise
    return pkg


def _public_names(module: ModuleType) -> list[str]:
    """``__all__`` if the module defines it, else its names not starting with ``_``."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return [str(n) for n in names]
    return sorted(n for n in vars(module) if not n.startswith("_"))


def bind_public_names(module: ModuleType, namespace: dict[str, object]) -> list[str]:
    """Bind the module's public names (:func:`_public_names`) in ``namespace``; return the names bound
    (a name listed in ``__all__`` that the module lacks is skipped)."""
    bound = [n for n in _public_names(module) if hasattr(module, n)]
    for n in bound:
        namespace[n] = getattr(module, n)
    return bound
