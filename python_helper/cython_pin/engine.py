"""The engine: hash, hit or build, load. Never imports IPython/ipykernel; a cache hit never imports Cython,
setuptools or numpy."""

from __future__ import annotations

import os
import sys
import time
from types import ModuleType
from typing import TYPE_CHECKING

from .cache import loader
from .cache.entries import META, key_lock, read_meta, verify_entry
from .cache.paths import ensure_root, entry_dir, get_cache_dir, numpy_remembered
from .names import default_module_name, validate_key
from .report.result import BuildResult

if TYPE_CHECKING:
    from typing import Any

    from .build.job import Job
    from .build.options import BuildOptions
    from .cache.tiers import TeamTier
    from .report.diagnostics import Diagnostic

_meta_by_key: dict[str, dict[str, Any]] = {}


def _named_module_warning(name: str) -> Diagnostic:
    from .report.diagnostics import Diagnostic

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
    if meta.get("shared") is not None:  # the shared utility module it imports, loaded first
        from .build.shared_utility import load

        load(root, meta["shared"])
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
    origin: str | None = None,
    signer: str | None = None,
    log: str | None = None,
    built_ahead_utc: str | None = None,
) -> BuildResult:
    d = entry_dir(root, key)
    diags = extra_diags
    if meta.get("diagnostics"):
        from .report.diagnostics import Diagnostic

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
        origin=origin or ("local" if used_cache else "built"),
        signer=signer,
        log=log,
        built_ahead_utc=built_ahead_utc,
    )


def _try_hit(
    root: str,
    key: str,
    t0: float,
    t_hash: float,
    profile: str | None,
    extra: tuple[Diagnostic, ...] = (),
    origin: str | None = None,
    signer: str | None = None,
    phases: dict[str, float] | None = None,
) -> BuildResult | None:
    """Memo or disk hit: check meta, verify sha256, load. None if there is no entry. ``phases``: time spent
    before the lookup (waiting for the key lock, the team cache), so the timings add up."""
    t1 = time.perf_counter()
    mod = loader.loaded(key)
    meta = _meta_by_key.get(key) if mod is not None else None
    if meta is not None and not os.path.exists(os.path.join(entry_dir(root, key), META)):
        return None  # entry removed (gc) or not in this root: rebuild it on disk; the loaded module stays
    reused = meta is not None
    ahead = None
    if mod is None or meta is None:
        meta = read_meta(root, key)
        if meta is None:
            return None
        if mod is None:
            verify_entry(root, key, meta)
            mod = _load_entry(root, key, meta)
            # its first load in this process says when the build ahead made it (when published, not started)
            ahead = meta.get("created_utc") if meta.get("built_ahead") else None
            fetched = meta.get("fetched_ahead")
            if isinstance(fetched, dict):  # a build ahead brought it from the team cache: say who signed it
                ahead, origin, signer = fetched.get("utc"), "remote", fetched.get("signer")
        _meta_by_key[key] = meta
    t_load = time.perf_counter() - t1
    timings = {
        **(phases or {}),
        "hash": t_hash,
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
        origin=origin,
        signer=signer,
        built_ahead_utc=ahead,
    )


def _remote_hit(
    team: TeamTier,
    root: str,
    key: str,
    t0: float,
    t_hash: float,
    profile: str | None,
    extra: tuple[Diagnostic, ...],
    opts: Any,
    phases: dict[str, float] | None = None,
) -> tuple[BuildResult | None, tuple[Diagnostic, ...]]:
    """The local cache missed (caller holds the key lock): fetch ``key`` from the team cache into the local
    cache and load it from there. Returns (hit or None, diagnostics); ``phases`` gains the time the lookup
    took ("fetch"), hit or not."""
    phases = {} if phases is None else phases
    t1 = time.perf_counter()
    signer, diags = team.fetch(root, key, opts)
    phases["fetch"] = phases.get("fetch", 0.0) + time.perf_counter() - t1
    extra = (*extra, *diags)
    if signer is None:
        return None, extra
    return _try_hit(root, key, t0, t_hash, profile, extra, "remote", signer, phases), extra


def _hit_first(
    root: str,
    key: str,
    name: str,
    o: BuildOptions,
    t0: float,
    t_hash: float,
    phases: dict[str, float] | None = None,
) -> BuildResult | None:
    """The cache hit for ``key`` without taking its lock, or None (no entry, or a rebuild was asked for)."""
    if o.force_rebuild or not o.use_cache:
        return None
    extra = (_named_module_warning(name),) if o.module_name else ()
    hit = _try_hit(root, key, t0, t_hash, o.profile, extra, phases=phases)
    if hit is not None:
        _report(hit, o.verbose)
    return hit


def run_job(job: Job, *, hit_checked: bool = False) -> BuildResult:
    """The entry for ``job``: a cache hit, else built under the key lock (``hit_checked``: the caller has
    already looked for a hit with :func:`_hit_first`). A build whose generated C turns out to need numpy
    (e.g. ``@cython.ufunc``) is remembered and redone under the key with numpy (its version is then part of
    the key)."""
    from .build.numpy_detect import NumpyNeeded, remember

    t1 = time.perf_counter()
    try:
        return _run_job(job, hit_checked)
    except NumpyNeeded:
        if job.with_numpy is None:
            raise
        remember(job.root, job.key)
        redo = job.with_numpy()
        # the first build's time is "rebuild", not the redo's hashing
        redo.t_hash = job.t_hash
        redo.extra_timings["rebuild"] = time.perf_counter() - t1
        return _run_job(redo, False)


def _run_job(job: Job, hit_checked: bool) -> BuildResult:
    from . import events
    from .cache.tiers import team_tier

    o = job.opts
    extra: tuple[Diagnostic, ...] = (_named_module_warning(job.name),) if o.module_name else ()
    fresh = o.force_rebuild or not o.use_cache
    if not hit_checked:
        hit = _hit_first(job.root, job.key, job.name, o, job.t0, job.t_hash, job.extra_timings)
        if hit is not None:
            return hit
    # force_rebuild with the module already loaded: the entry is rebuilt on disk, but the process keeps its
    # module object (same key = same inputs; CPython cannot load a second copy from the same path).
    ensure_root(job.root)
    team = team_tier()
    lock = key_lock(job.root, job.key, o.lock_timeout_s)
    if not fresh:
        from .cache.locks import is_locked

        if is_locked(lock.path):  # e.g. a build ahead of this very source: wait for it, then load it
            from .build import progress

            progress.stage("waiting", job.key, job.name, job.t0)
    t_lock = time.perf_counter()
    with lock:
        job.extra_timings["wait"] = time.perf_counter() - t_lock
        if not fresh:  # another process may have built it while we waited
            hit = _try_hit(job.root, job.key, job.t0, job.t_hash, o.profile, extra, phases=job.extra_timings)
            if hit is not None:
                _report(hit, o.verbose)
                return hit
            if team is not None:
                hit, extra = _remote_hit(
                    team, job.root, job.key, job.t0, job.t_hash, o.profile, extra, o, job.extra_timings
                )
                if hit is not None:
                    events.emit("cache_changed", {"cache_dir": job.root})
                    _report(hit, o.verbose)
                    return hit
        from .server.client import build

        meta, timings = build(job)
    if team is not None:
        extra = (*extra, *team.after_build(job.root, job.key, o))
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
        log="".join(job.log),
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


def _may_carry_build_comments(source: str, support_files: dict[str, bytes]) -> bool:
    """False when headers.needs_reading is surely False (it needs one of these words, or a .pxd), so
    most sources never import the headers module."""
    return "distutils:" in source or "cython:" in source or any(n.endswith(".pxd") for n in support_files)


def module_key(source: str, opts: dict[str, Any]) -> tuple[str, BuildOptions, str, bool]:
    check_source(source)
    from .build.options import resolve_options, uses_numpy
    from .cache.keys import compute_key  # here, like options: import_pinned/import_cached never need them

    o = resolve_options(opts)
    root = ensure_root(o.cache_dir)
    if _may_carry_build_comments(source, o.support_files):
        from .build import headers

        if headers.needs_reading(source, o.support_files):
            file_name = (o.module_name or "module") + (".py" if o.pure_python else ".pyx")
            o = resolve_options(headers.apply(source, file_name, opts, o.support_files, o.include_dirs, root))
    numpy_used = o.numpy if o.numpy is not None else uses_numpy(source, o.support_files)
    key = compute_key("module", {"": source}, o, numpy_used, root)
    if o.numpy is None and not numpy_used and numpy_remembered(root, key):
        numpy_used = True  # an earlier build found that Cython's output needs numpy
        key = compute_key("module", {"": source}, o, numpy_used, root)
    return key, o, root, numpy_used


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
    return module_key(source, opts)[0]


def compile_and_load_result(source: str, **opts: Any) -> BuildResult:
    """Compile Cython ``source`` (or reuse the cached build with the same key), load it, return a BuildResult.

    Options (keyword-only): module_name, cache_dir, profile ('fast-debug' | 'release' | 'annotate'), annotate,
    force_rebuild, use_cache, verbose, language ('c' | 'c++'), compiler_directives, include_dirs,
    library_dirs, libraries, define_macros, extra_compile_args, extra_link_args, extra_sources,
    support_files ({name: text|bytes}), numpy (None = auto), lock_timeout_s, pure_python, pgo (profile-guided
    optimisation: instrumented build, training run of the module code, optimised rebuild); annotate='fullc'
    puts the whole generated C in the annotation. The result's ``log`` holds the command lines and output.
    Raises BuildError (with ``diagnostics``) when Cython or the compiler fails.
    """
    t0 = time.perf_counter()
    key, o, root, numpy_used = module_key(source, opts)
    name = o.module_name or default_module_name(key)
    check_name_free(name)
    hit = _hit_first(root, key, name, o, t0, time.perf_counter() - t0)
    if hit is not None:
        return hit
    return run_job(module_job(source, key, o, root, numpy_used, t0), hit_checked=True)


def module_job(
    source: str, key: str, o: BuildOptions, root: str, numpy_used: bool, t0: float, check_name: bool = True
) -> Job:
    """The Job that builds ``source`` under ``key`` (``check_name``: refuse a module name this process
    imported by other means; the build server, which loads nothing, skips it)."""
    name = o.module_name or default_module_name(key)
    if check_name:
        check_name_free(name)
    file_name = name + (".py" if o.pure_python else ".pyx")

    def prepare(staging: str) -> tuple[list[Any], dict[str, str | None], str]:
        from .build.builder import Unit
        from .build.toolchain import ext_suffix

        src = os.path.join(staging, file_name)
        with open(src, "w", encoding="utf-8") as f:
            f.write(source)
        for fname, content in o.support_files.items():
            with open(os.path.join(staging, fname), "wb") as f:
                f.write(content)
        user_files: dict[str, str | None] = {fname: fname for fname in o.support_files}
        user_files[file_name] = None
        unit = Unit(name, src, os.path.join(staging, name + ext_suffix()))
        return [unit], user_files, file_name

    def with_numpy() -> Job:
        from .cache.keys import compute_key

        key1 = compute_key("module", {"": source}, o, True, root)
        return module_job(source, key1, o, root, True, t0)

    from .build.job import Job  # here: a hit needs no Job

    job = Job("module", key, name, root, o, numpy_used, prepare, t0, time.perf_counter() - t0)
    job.with_numpy = with_numpy
    job.spec = {"kind": "module", "source": source}
    if o.pgo:
        from .build.pgo import use_opts

        job.build_opts = lambda staging: use_opts(job, staging)
    return job


def compile_and_load(source: str, **opts: Any) -> ModuleType:
    """Like :func:`compile_and_load_result` but returns just the module."""
    return compile_and_load_result(source, **opts).module


def import_cached_result(key: str, *, cache_dir: str | os.PathLike[str] | None = None) -> BuildResult:
    """Load the cached build for ``key`` (sha256-verified). FileNotFoundError if there is no entry."""
    t0 = time.perf_counter()
    validate_key(key)
    root = get_cache_dir(cache_dir)
    res = _try_hit(root, key, t0, 0.0, None)
    remote_diags: tuple[Diagnostic, ...] = ()
    team: TeamTier | None = None
    if res is None:
        from .cache.tiers import team_tier

        team = team_tier()
    if team is not None:
        ensure_root(root)
        with key_lock(root, key, None):
            res = _try_hit(root, key, t0, 0.0, None)
            if res is None:
                res, remote_diags = _remote_hit(team, root, key, t0, 0.0, None, (), None)
    if res is None:
        raise FileNotFoundError(
            f"No cache entry for key {key[:16]}... in {root}. Rebuild it with compile_and_load_result (same "
            "source and options give the same key) or bring it in with import_exported()."
            + "".join(f" {d.message}" for d in remote_diags)
        )
    return res


def import_cached(key: str, *, cache_dir: str | os.PathLike[str] | None = None) -> ModuleType:
    """Module for a cached ``key`` (see :func:`import_cached_result`)."""
    return import_cached_result(key, cache_dir=cache_dir).module


def import_pinned_result(
    alias: str, *, cache_dir: str | os.PathLike[str] | None = None, team: bool = False
) -> BuildResult:
    """Load the build pinned under ``alias`` (a personal pin first, then a team pin; ``team=True``: only the
    team pin). KeyError for an unknown alias; FileNotFoundError if the pinned key has no cache entry."""
    from .pins.registry import resolve_pinned_key

    key = resolve_pinned_key(alias, cache_dir=cache_dir, team=team)
    try:
        return import_cached_result(key, cache_dir=cache_dir)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Alias '{alias}' is pinned to key {key[:16]}... but {get_cache_dir(cache_dir)} has no entry "
            "for it (deleted or a different cache). Rebuild the source, then "
            f"pin(key, alias='{alias}', overwrite=True)."
        ) from None


def import_pinned(
    alias: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    team: bool = False,
    into: dict[str, object] | None = None,
) -> ModuleType:
    """Module pinned under ``alias`` (see :func:`import_pinned_result`). With ``into`` (e.g. ``globals()``),
    also binds the module's public names there, as the magic and the panel's Import do."""
    module = import_pinned_result(alias, cache_dir=cache_dir, team=team).module
    if into is not None:
        from .cache.loader import bind_public_names

        bind_public_names(module, into)
    return module
