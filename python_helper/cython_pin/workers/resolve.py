"""A build reference resolved in the process that unpickles it. Order: already loaded; the local cache, then
the team cache when configured (both through the engine: sha256-verified, signed); a rebuild from the recipe
the reference carries (the key recomputed here must match, else it is refused); else BuildUnavailableError
naming the build and the remedies. No path is ever taken from a pickle: only the key, checked as a key.

An unpickled function whose build is not at hand (nothing loaded or cached here) stays an :class:`Unresolved`
stand-in that resolves on its first call, so unpickling never fails and never compiles: a pool gets the task's
own error, and a Dask scheduler (which unpickles the task graph) never needs the binary."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from .. import engine
from ..cache import loader
from ..cache.paths import get_cache_dir
from ..errors import BuildError, BuildUnavailableError, CacheIntegrityError
from ..names import default_module_name, is_identifier, is_key
from .tracking import REFERENCE_FORMAT

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

_state = {"defer": False}
_rebuild_failed: dict[str, str] = {}  # key -> why its rebuild failed in this process (not tried again)


def defer_loading() -> None:
    """Functions unpickled in this process from now on stay references until called (a Dask scheduler)."""
    _state["defer"] = True


def _check_reference(ref: object) -> tuple[str, str, tuple[str, ...], bytes | None]:
    """(key, module name, aliases, recipe) of a reference; BuildUnavailableError if it is not one."""
    if (
        isinstance(ref, tuple)
        and len(ref) == 5
        and ref[0] == REFERENCE_FORMAT
        and is_key(ref[1])
        and is_identifier(ref[2])
        and isinstance(ref[3], tuple)
        and all(isinstance(a, str) for a in ref[3])
        and isinstance(ref[4], (bytes, type(None)))
    ):
        return ref[1], ref[2], ref[3], ref[4]
    raise BuildUnavailableError(
        f"Not a cython_pin build reference (format {REFERENCE_FORMAT} expected): {str(ref)[:120]}. It was "
        "pickled by another cython-pin version, or altered."
    )


def _attr(module: ModuleType, path: str) -> Any:
    obj: Any = module
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def load_global(ref: object, path: str) -> Any:
    """The object at ``path`` (e.g. ``f`` or ``Klass.method``) in the build ``ref`` names: the real one when
    the build is loaded or cached here, else an :class:`Unresolved` stand-in. Registers the build's module
    name with the import hook, so its classes resolve by name in this process."""
    import _cython_pin_import_hook as hook

    key, name, _aliases, _recipe = _check_reference(ref)
    assert isinstance(ref, tuple)
    hook.names[name] = ref
    module = None
    if not _state["defer"] or loader.loaded(key) is not None:
        try:
            module = _from_caches(ref)[0]
        except BuildUnavailableError:
            module = None  # a refused entry: the call reports it
    if module is None:
        return Unresolved(ref, path)
    return _attr(module, path)


class Unresolved:
    """Stands in for a function whose build was not at hand when it was unpickled: resolves the build
    (:func:`resolve`) on its first call, then calls through; pickles as the same reference."""

    __slots__ = ("_target", "path", "reference")

    def __init__(self, reference: tuple[Any, ...], path: str) -> None:
        self.reference, self.path = reference, path
        self._target: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._target is None:
            self._target = _attr(resolve(self.reference), self.path)
        return self._target(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        import _cython_pin_import_hook as hook

        return hook.load_global, (self.reference, self.path)

    def __repr__(self) -> str:
        key, name, _a, _r = _check_reference(self.reference)
        return f"<cython_pin function {self.path} of {name} (key {key[:16]}...), not loaded yet>"


def _from_caches(ref: tuple[Any, ...]) -> tuple[ModuleType | None, str]:
    """The build from the local cache, else the team cache; (None, why) when neither has it."""
    key, name, _a, _r = _check_reference(ref)
    module = loader.loaded(key)
    try:
        if module is None:
            engine.check_name_free(name)
            module = engine.import_cached(key)
    except FileNotFoundError as e:
        why = str(e)
        if not os.environ.get("CYTHON_PIN_REMOTE"):
            why += " No team cache is configured here (CYTHON_PIN_REMOTE)."
        return None, why
    except (CacheIntegrityError, ValueError) as e:
        raise unavailable(ref, [f"its cache entry was refused: {e}"]) from e
    if module.__name__ != name:
        raise unavailable(ref, [f"key {key[:16]}... is the build of module {module.__name__}, not of {name}"])
    return module, ""


def resolve(ref: object) -> ModuleType:
    """The module of the build ``ref`` names, loaded and verified in this process (see the module's doc).
    BuildUnavailableError, naming the build and the remedies, when it cannot be had."""
    key, name, _aliases, recipe = _check_reference(ref)
    assert isinstance(ref, tuple)
    module, why = _from_caches(ref)
    if module is not None:
        return module
    reasons = [why]
    if recipe is None:
        reasons.append(
            "its reference carries no recipe (a package build, or one with support files), so it cannot be "
            "rebuilt here"
        )
    elif key in _rebuild_failed:
        reasons.append(_rebuild_failed[key])
    else:
        try:
            return _rebuild(ref, key, name, recipe)
        except BuildUnavailableError:
            raise
        except BuildError as e:
            first = next((line for line in str(e).splitlines() if line.strip()), "")
            _rebuild_failed[key] = f"rebuilding it from its recipe failed: {first}"
        except (OSError, ValueError) as e:
            _rebuild_failed[key] = f"rebuilding it from its recipe failed: {e}"
        reasons.append(_rebuild_failed[key])
    raise unavailable(ref, reasons)


def _rebuild(ref: tuple[Any, ...], key: str, name: str, blob: bytes) -> ModuleType:
    from ..cache.keys import compute_key
    from ..cache.paths import ensure_root
    from . import recipe

    try:
        rec = recipe.read(blob)
        opts = rec.options()
    except ValueError as e:
        raise unavailable(ref, [f"its recipe was refused: {e}"]) from e
    root = ensure_root(None)
    got = compute_key("module", {"": rec.source}, opts, rec.numpy, root)
    if got != key or (opts.module_name or default_module_name(key)) != name:
        raise unavailable(
            ref,
            [
                f"its recipe was refused: here it gives key {got[:16]}... (module "
                f"{opts.module_name or default_module_name(got)}), not the reference's. Either the recipe "
                "was altered, or this process's Python, Cython, C compiler or numpy differ from the builder's"
            ],
        )
    job = engine.module_job(rec.source, key, opts, root, rec.numpy, time.perf_counter())
    result = engine.run_job(job)
    if result.key != key:  # the build turned out to need numpy: another key, not the one named
        raise unavailable(ref, [f"its rebuild here gave key {result.key[:16]}..., not the reference's"])
    return result.module


def unavailable(ref: tuple[Any, ...], reasons: list[str]) -> BuildUnavailableError:
    """The error for a build this process cannot have: the build (module, key prefix, aliases), why, and
    the remedies."""
    key, name, aliases, _r = _check_reference(ref)
    pinned = f", pinned as {', '.join(repr(a) for a in aliases)}" if aliases else ""
    import socket

    err = BuildUnavailableError(
        f"cython_pin build '{name}' (key {key[:16]}...{pinned}) is not available in process {os.getpid()} "
        f"on {socket.gethostname()}: " + "; ".join(r.rstrip(". ") for r in reasons if r) + ". Remedies: let "
        "this process use the cache directory of the process that built it (CYTHON_PIN_CACHE_DIR on a shared "
        "disk); configure the team cache on every node (CYTHON_PIN_REMOTE, CYTHON_PIN_TRUSTED_KEYS) so it is "
        "fetched from there; give this process Cython and a C compiler (the reference carries the recipe); "
        "on Dask, call cython_pin.distributed.register(client) before submitting work.",
        name=name,
    )
    err.key = key  # type: ignore[attr-defined]
    return err


class _Handover:
    """The import system's loader for a build this module already loaded: hands the module over as is."""

    def __init__(self, module: ModuleType) -> None:
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # the import system set ours; the extension's own spec stays


def find_spec(name: str, ref: object) -> ModuleSpec:
    """For the import hook: load build ``name`` (from ``ref``, or for a default name alone, the local cache
    entry whose key starts with its 16 digits) and hand it to the import system."""
    from importlib.machinery import ModuleSpec

    module = resolve(ref if ref is not None else _by_default_name(name))
    sys.modules.pop(name, None)  # the import system puts it back, through _Handover
    # a plain class, not importlib.abc.Loader: importing importlib.abc costs more than a cache hit
    return ModuleSpec(name, _Handover(module), origin=getattr(module, "__file__", None))  # type: ignore[arg-type]


def _by_default_name(name: str) -> tuple[Any, ...]:
    root = get_cache_dir()
    prefix = name[len("cython_pin_") :]
    try:
        keys = sorted(d for d in os.listdir(root) if d.startswith(prefix) and is_key(d))
    except OSError:
        keys = []
    if len(keys) == 1:
        return (REFERENCE_FORMAT, keys[0], name, (), None)
    import socket

    raise BuildUnavailableError(
        f"cython_pin build '{name}' (key {prefix}...) is not available in process {os.getpid()} on "
        f"{socket.gethostname()}: it was imported by its module name alone (a class or module pickled "
        f"without a function of it, which would carry its full key and recipe), and the cache {root} has "
        f"{'no entry' if not keys else 'several entries'} for it. Remedies: let this process use the cache "
        "directory of the process that built it (CYTHON_PIN_CACHE_DIR on a shared disk); send a function or "
        "instance of the build along; on Dask, call cython_pin.distributed.register(client).",
        name=name,
    )
