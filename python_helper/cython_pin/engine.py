"""The engine: hash, hit or build, load. Never imports IPython/ipykernel; a cache hit never imports Cython,
setuptools or numpy."""

from __future__ import annotations

import os
import sys
import time
from types import ModuleType

from . import loader
from .entries import META, key_lock, read_meta, verify_entry
from .names import default_module_name, validate_key
from .paths import ensure_root, entry_dir, get_cache_dir
from .result import BuildResult

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (keeps import and cache hits cheap)
    from typing import Any

    from .diagnostics import Diagnostic
    from .job import Job
    from .options import BuildOptions

_meta_by_key: dict[str, dict[str, Any]] = {}


def _named_module_warning(name: str) -> Diagnostic:
    from .diagnostics import Diagnostic

    return Diagnostic(
        0,
        0,
        "warning",
        f"module_name '{name}' given: the build is registered as sys.modules['{name}']. Edits still rebuild "
        "(the source is in the key) and the new build replaces that entry, but objects and modules that "
        "imported an earlier build keep its code; restart the kernel if in doubt.",
        "helper",
        None,
    )


def _load_entry(root: str, key: str, meta: dict[str, Any]) -> ModuleType:
    d = entry_dir(root, key)
    arts = meta["artifacts"]
    if meta.get("kind") == "package":
        subs = [(a["module"].split(".", 1)[1], os.path.join(d, a["path"])) for a in arts if a.get("module")]
        return loader.load_package(
            key, meta["module_name"], os.path.join(d, meta["module_name"], "__init__.py"), subs
        )
    return loader.load_module(key, meta["module_name"], os.path.join(d, arts[0]["path"]))


def _result(
    root: str,
    key: str,
    meta: dict[str, Any],
    module: ModuleType,
    *,
    used_cache: bool,
    reused: bool,
    timings: dict[str, float],
    profile: str | None = None,
    extra_diags: tuple[Diagnostic, ...] = (),
) -> BuildResult:
    d = entry_dir(root, key)
    diags = extra_diags
    if meta.get("diagnostics"):
        from .diagnostics import Diagnostic

        diags = tuple(Diagnostic.from_json(x) for x in meta["diagnostics"]) + extra_diags
    ann = os.path.join(d, meta["annotation"]) if meta.get("annotation") else None
    return BuildResult(
        module=module,
        key=key,
        module_name=meta["module_name"],
        artifact_path=os.path.join(d, meta["artifacts"][0]["path"]),
        build_dir=d,
        used_cache=used_cache,
        created_utc=meta.get("created_utc", ""),
        profile=profile or meta.get("profile", ""),
        timings=timings,
        diagnostics=diags,
        annotation_path=ann,
        cache_dir=root,
        reused_module=reused,
        kind=meta.get("kind", "module"),
        source_path=os.path.join(d, meta["source"]) if meta.get("source") else None,
    )


def _try_hit(
    root: str, key: str, t0: float, t_hash: float, profile: str | None, extra: tuple[Diagnostic, ...] = ()
) -> BuildResult | None:
    """Memo or disk hit: check meta, verify sha256, load. None if there is no entry."""
    t1 = time.perf_counter()
    mod = loader.loaded(key)
    meta = _meta_by_key.get(key) if mod is not None else None
    if meta is not None and not os.path.exists(os.path.join(entry_dir(root, key), META)):
        return None  # entry removed (gc) or not in this root: rebuild it on disk; the loaded module stays
    reused = meta is not None
    if mod is None or meta is None:
        meta = read_meta(root, key)
        if meta is None:
            return None
        if mod is None:
            verify_entry(root, key, meta)
            mod = _load_entry(root, key, meta)
        _meta_by_key[key] = meta
    t_load = time.perf_counter() - t1
    timings = {
        "hash": t_hash,
        "cythonize": 0.0,
        "compile": 0.0,
        "load": t_load,
        "total": time.perf_counter() - t0,
    }
    return _result(
        root,
        key,
        meta,
        mod,
        used_cache=True,
        reused=reused,
        timings=timings,
        profile=profile,
        extra_diags=extra,
    )


def _hit_first(
    root: str, key: str, name: str, o: BuildOptions, t0: float, t_hash: float
) -> BuildResult | None:
    """The cache hit for ``key`` without taking its lock, or None (no entry, or a rebuild was asked for)."""
    if o.force_rebuild or not o.use_cache:
        return None
    extra = (_named_module_warning(name),) if o.module_name else ()
    hit = _try_hit(root, key, t0, t_hash, o.profile, extra)
    if hit is not None:
        _report(hit, o.verbose)
    return hit


def run_job(job: Job, *, hit_checked: bool = False) -> BuildResult:
    """The entry for ``job``: a cache hit, else built under the key lock (``hit_checked``: the caller has
    already looked for a hit with :func:`_hit_first`)."""
    o = job.opts
    extra = (_named_module_warning(job.name),) if o.module_name else ()
    fresh = o.force_rebuild or not o.use_cache
    if not hit_checked:
        hit = _hit_first(job.root, job.key, job.name, o, job.t0, job.t_hash)
        if hit is not None:
            return hit
    # force_rebuild with the module already loaded: the entry is rebuilt on disk, but the process keeps its
    # module object (same key = same inputs; CPython cannot load a second copy from the same path).
    ensure_root(job.root)
    with key_lock(job.root, job.key, o.lock_timeout_s):
        if not fresh:  # another process may have built it while we waited
            hit = _try_hit(job.root, job.key, job.t0, job.t_hash, o.profile, extra)
            if hit is not None:
                _report(hit, o.verbose)
                return hit
        from .build_entry import build

        meta, timings = build(job)
    from . import events

    events.emit("cache_changed", {"cache_dir": job.root})
    t1 = time.perf_counter()
    reused = loader.loaded(job.key) is not None
    mod = _load_entry(job.root, job.key, meta)
    _meta_by_key[job.key] = meta
    timings["load"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - job.t0
    res = _result(
        job.root,
        job.key,
        meta,
        mod,
        used_cache=False,
        reused=reused,
        timings=timings,
        profile=o.profile,
        extra_diags=extra,
    )
    _report(res, o.verbose)
    return res


def _report(res: BuildResult, verbose: int) -> None:
    if verbose >= 1:
        print("\n".join(res.summary_lines()))


MAX_SOURCE_CHARS = 8 << 20  # Cython needs minutes on tens of MB; real modules are far smaller


def check_source(source: object, label: str = "source") -> None:
    """Refuse what cannot be one module's Cython source: not a str, blank, or over MAX_SOURCE_CHARS."""
    if not isinstance(source, str):
        raise ValueError(f"{label} must be a str of Cython code, got {type(source).__name__}.")
    if not source.strip():
        raise ValueError(f"{label} {source[:20]!r} is empty: there is nothing to compile.")
    if len(source) > MAX_SOURCE_CHARS:
        raise ValueError(
            f"{label} is {len(source) / 2**20:.1f} MB ({len(source)} characters); the limit is "
            f"{MAX_SOURCE_CHARS >> 20} MB. Split it into modules (build_package) or use extra_sources."
        )


def _module_key(source: str, opts: dict[str, Any]) -> tuple[str, BuildOptions, str, bool]:
    check_source(source)
    from .keys import compute_key  # here, like options: import_pinned/import_cached never need them
    from .options import resolve_options, uses_numpy

    o = resolve_options(opts)
    root = ensure_root(o.cache_dir)
    numpy_used = o.numpy if o.numpy is not None else uses_numpy(source, o.support_files)
    return compute_key("module", {"": source}, o, numpy_used, root), o, root, numpy_used


def check_name_free(name: str) -> None:
    """Refuse to shadow a module this process imported by other means (e.g. module_name='json')."""
    mod = sys.modules.get(name)
    if mod is not None and not loader.is_ours(mod):
        raise ValueError(
            f"module name '{name}' is already used by {getattr(mod, '__file__', None) or mod!r} in this "
            "process; pick another module_name/package_name."
        )


def key_for(source: str, **opts: Any) -> str:
    """The cache key :func:`compile_and_load_result` would use for these inputs (nothing is built)."""
    return _module_key(source, opts)[0]


def compile_and_load_result(source: str, **opts: Any) -> BuildResult:
    """Compile Cython ``source`` (or reuse the cached build with the same key), load it, return a BuildResult.

    Options (keyword-only): module_name, cache_dir, profile ('fast-debug' | 'release' | 'annotate'), annotate,
    force_rebuild, use_cache, verbose, language ('c' | 'c++'), compiler_directives, include_dirs,
    library_dirs, libraries, define_macros, extra_compile_args, extra_link_args, extra_sources,
    support_files ({name: text|bytes}), numpy (None = auto), lock_timeout_s.
    Raises BuildError (with ``diagnostics``) when Cython or the compiler fails.
    """
    t0 = time.perf_counter()
    key, o, root, numpy_used = _module_key(source, opts)
    name = o.module_name or default_module_name(key)
    check_name_free(name)

    def prepare(staging: str) -> tuple[list[Any], dict[str, str | None], str]:
        from .builder import Unit
        from .toolchain import ext_suffix

        pyx = os.path.join(staging, name + ".pyx")
        with open(pyx, "w", encoding="utf-8") as f:
            f.write(source)
        for fname, content in o.support_files.items():
            with open(os.path.join(staging, fname), "wb") as f:
                f.write(content)
        user_files: dict[str, str | None] = {fname: fname for fname in o.support_files}
        user_files[name + ".pyx"] = None
        unit = Unit(name, pyx, os.path.join(staging, name + ext_suffix()))
        return [unit], user_files, name + ".pyx"

    t_hash = time.perf_counter() - t0
    hit = _hit_first(root, key, name, o, t0, t_hash)
    if hit is not None:
        return hit
    from .job import Job  # here: a hit needs no Job

    return run_job(Job("module", key, name, root, o, numpy_used, prepare, t0, t_hash), hit_checked=True)


def compile_and_load(source: str, **opts: Any) -> ModuleType:
    """Like :func:`compile_and_load_result` but returns just the module."""
    return compile_and_load_result(source, **opts).module


def import_cached_result(key: str, *, cache_dir: str | os.PathLike[str] | None = None) -> BuildResult:
    """Load the cached build for ``key`` (sha256-verified). FileNotFoundError if there is no entry."""
    t0 = time.perf_counter()
    validate_key(key)
    root = get_cache_dir(cache_dir)
    res = _try_hit(root, key, t0, 0.0, None)
    if res is None:
        raise FileNotFoundError(
            f"No cache entry for key {key[:16]}... in {root}. Rebuild it with compile_and_load_result (same "
            "source and options give the same key) or bring it in with import_exported()."
        )
    return res


def import_cached(key: str, *, cache_dir: str | os.PathLike[str] | None = None) -> ModuleType:
    """Module for a cached ``key`` (see :func:`import_cached_result`)."""
    return import_cached_result(key, cache_dir=cache_dir).module


def import_pinned_result(alias: str, *, cache_dir: str | os.PathLike[str] | None = None) -> BuildResult:
    """Load the build pinned under ``alias``. KeyError for an unknown alias; FileNotFoundError if the pinned
    key has no cache entry."""
    from .pins import resolve_pinned_key

    key = resolve_pinned_key(alias, cache_dir=cache_dir)
    try:
        return import_cached_result(key, cache_dir=cache_dir)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Alias '{alias}' is pinned to key {key[:16]}... but {get_cache_dir(cache_dir)} has no entry "
            "for it (deleted or a different cache). Rebuild the source, then "
            f"pin(key, alias='{alias}', overwrite=True)."
        ) from None


def import_pinned(alias: str, *, cache_dir: str | os.PathLike[str] | None = None) -> ModuleType:
    """Module pinned under ``alias`` (see :func:`import_pinned_result`)."""
    return import_pinned_result(alias, cache_dir=cache_dir).module
