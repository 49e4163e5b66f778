"""cython_pin: content-addressed Cython builds with a cache and pins, for any Python or notebook kernel.

Importing this package is cheap: submodules (and Cython, numpy, IPython) load only when used.
``%load_ext cython_pin`` registers the ``%%cython_pin`` cell magic.
"""

from __future__ import annotations

from ._version import __version__ as __version__

_EXPORTS = {
    "compile_and_load": "engine",
    "compile_and_load_result": "engine",
    "compile": "decorator",
    "build_package": "build.package",
    "key_for": "engine",
    "import_cached": "engine",
    "import_cached_result": "engine",
    "import_pinned": "engine",
    "import_pinned_result": "engine",
    "list_cached": "cache.catalogue",
    "cache_stats": "cache.catalogue",
    "list_toolchain": "cache.catalogue",
    "gc_cache": "cache.catalogue",
    "export_cached": "cache.transfer",
    "import_exported": "cache.transfer",
    "get_cache_dir": "cache.paths",
    "pin": "pins.registry",
    "unpin": "pins.registry",
    "list_pins": "pins.registry",
    "resolve_pinned_key": "pins.registry",
    "rename_pin": "pins.registry",
    "remote_flush": "remote",
    "check_build_prereqs": "build.prereqs",
    "take_over_cython_magic": "jupyter.takeover",
    "BuildResult": "report.result",
    "Diagnostic": "report.diagnostics",
    "BuildError": "errors",
    "PinRegistryError": "errors",
    "RemoteError": "errors",
    "CacheIntegrityError": "errors",
    "BuildUnavailableError": "errors",
    "AliasCollisionError": "errors",
    "KeyCollisionError": "errors",
}

__all__ = sorted([*_EXPORTS, "__version__", "load_ipython_extension"])


def __getattr__(name: str) -> object:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'cython_pin' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext cython_pin``: register the ``%%cython_pin`` magic and ``%cython_pin_takeover``."""
    from .jupyter.magic import load_ipython_extension as _load
    from .jupyter.takeover import TakeoverMagics

    _load(ipython)
    ipython.register_magics(TakeoverMagics)  # type: ignore[attr-defined]
