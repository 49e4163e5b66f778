"""Cache entries on disk: meta.json, integrity check, atomic publish, listing, stats, gc, export/import.

Layout: ``<root>/<key>/`` holds the artifact(s), the ``.pyx``, ``meta.json`` and, when made, the annotation.
Builds happen in ``<root>/.staging/<key>.<pid>.<random>`` and are published with one ``os.rename``.
"""

from __future__ import annotations

import json
import os
import time

from . import _hash, events
from .errors import CacheIntegrityError
from .keys import KEY_RE, validate_key
from .locks import FileLock, is_locked
from .paths import STAGING, TRASH, ensure_dir, ensure_root, entry_dir, get_cache_dir, lock_path

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (keeps import and cache hits cheap)
    from typing import Any

META = "meta.json"
META_FORMAT = 1


def utc_now() -> str:
    """ISO 8601 UTC timestamp ending in Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def sha256_file(path: str) -> str:
    """Hex sha256 of a file."""
    return _hash.sha256_file(path)


def read_meta(root: str, key: str) -> dict[str, Any] | None:
    """The entry's meta.json, or None when there is no (complete) entry for ``key``."""
    try:
        with open(os.path.join(root, key, META), encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise CacheIntegrityError(
            f"Cache entry {key[:16]}... in {root} has an unreadable meta.json ({e}). Remove the folder "
            f"{os.path.join(root, key)} (or run gc) and rebuild."
        ) from e
    return meta if isinstance(meta, dict) else None


def _meta_problem(d: str, key: str, meta: dict[str, Any]) -> str | None:
    """Why ``meta`` cannot describe a loadable entry for ``key`` in folder ``d`` (None if it can)."""
    import re
    import sys

    ident = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
    if meta.get("key") != key:
        return f"it is for another key ({str(meta.get('key'))[:16]}...)"
    name = meta.get("module_name")
    reserved = set(sys.builtin_module_names) | set(getattr(sys, "stdlib_module_names", ()))
    if not isinstance(name, str) or not ident.match(name) or name in reserved:
        return f"module_name {name!r} is not a valid, non-reserved module name"
    arts = meta.get("artifacts")
    if not isinstance(arts, list) or not arts:
        return "it lists no artifacts"
    real_d = os.path.realpath(d) + os.sep
    for art in arts:
        if (
            not isinstance(art, dict)
            or not isinstance(art.get("path"), str)
            or not isinstance(art.get("sha256"), str)
        ):
            return f"artifact record {art!r} lacks a path or sha256"
        path = art["path"]
        if (
            "\0" in path
            or os.path.isabs(path)
            or not os.path.realpath(os.path.join(d, path)).startswith(real_d)
        ):
            return f"artifact path {path!r} points outside the entry folder"
        mod = art.get("module")
        if mod is not None and (not isinstance(mod, str) or not all(ident.match(p) for p in mod.split("."))):
            return f"artifact module {mod!r} is not a dotted module name"
        if meta.get("kind") == "package" and mod is not None and not mod.startswith(name + "."):
            return f"artifact module {mod!r} is not inside package {name!r}"
    return None


def verify_entry(root: str, key: str, meta: dict[str, Any]) -> None:
    """Check meta.json's shape and every artifact's sha256; raise CacheIntegrityError on any problem."""
    d = entry_dir(root, key)
    why = _meta_problem(d, key, meta)
    if why:
        raise CacheIntegrityError(
            f"Refusing to load cache entry {key[:16]}... in {root}: its meta.json is invalid ({why}). "
            f"Delete the folder {d} (or rebuild with force_rebuild=True)."
        )
    for art in meta["artifacts"]:
        path = os.path.join(d, art["path"])
        try:
            digest = sha256_file(path)
        except OSError as e:
            raise CacheIntegrityError(
                f"Cache entry {key[:16]}... is missing {art['path']} ({e}). Rebuild with force_rebuild=True."
            ) from e
        if digest != art["sha256"]:
            raise CacheIntegrityError(
                f"Refusing to load {path}: its sha256 does not match meta.json (the file was modified or "
                "corrupted). Rebuild with force_rebuild=True, or delete the entry folder."
            )


def new_staging(root: str, key: str) -> str:
    """A fresh private staging directory for building ``key``."""
    d = os.path.join(root, STAGING, f"{key}.{os.getpid()}.{os.urandom(4).hex()}")
    os.mkdir(d, 0o700)
    return d


def write_meta(staging: str, meta: dict[str, Any]) -> None:
    """Write meta.json into a staging directory (before publish)."""
    tmp = os.path.join(staging, META + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(staging, META))


def _remove_tree(root: str, path: str) -> None:
    """Move ``path`` into the trash (atomic disappearance) and delete it."""
    import shutil

    trash = ensure_dir(os.path.join(root, TRASH))
    dest = os.path.join(trash, f"{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}")
    try:
        os.rename(path, dest)
    except FileNotFoundError:
        return
    shutil.rmtree(dest, ignore_errors=True)


def publish(root: str, key: str, staging: str, replace: bool = False) -> str:
    """Atomically move a complete staging directory to ``<root>/<key>`` (caller holds the key lock)."""
    import shutil

    final = entry_dir(root, key)
    if os.path.exists(final):
        if not replace:
            shutil.rmtree(staging, ignore_errors=True)
            return final
        _remove_tree(root, final)
    os.chmod(staging, 0o700)
    os.rename(staging, final)
    return final


def key_lock(root: str, key: str, timeout: float | None) -> FileLock:
    """The per-key build lock."""
    return FileLock(lock_path(root, key), timeout=timeout, what=f"cache entry {key[:16]}...")


def disk_size(path: str) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
    return total


def _keys(root: str) -> list[str]:
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    return [n for n in names if KEY_RE.match(n) and os.path.isfile(os.path.join(root, n, META))]


def entry_row(root: str, key: str, meta: dict[str, Any] | None, aliases: list[str]) -> dict[str, Any]:
    """A CacheRow (protocol §3)."""
    meta = meta or {}
    return {
        "key": key,
        "module_name": meta.get("module_name"),
        "size_bytes": disk_size(entry_dir(root, key)),
        "created_utc": meta.get("created_utc"),
        "profile": meta.get("profile"),
        "aliases": sorted(aliases),
    }


def _aliases_by_key(root: str) -> dict[str, list[str]]:
    from .pins import read_pins

    out: dict[str, list[str]] = {}
    for alias, key in read_pins(root).items():
        out.setdefault(key, []).append(alias)
    return out


def _rows(root: str) -> list[dict[str, Any]]:
    by_key = _aliases_by_key(root)
    rows = []
    for key in _keys(root):
        try:
            meta = read_meta(root, key)
        except CacheIntegrityError:
            meta = None
        rows.append(entry_row(root, key, meta, by_key.get(key, [])))
    rows.sort(key=lambda r: (r["created_utc"] or "", r["key"]), reverse=True)
    return rows


def list_cached(*, cache_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every cache entry, newest first: ``{key, module_name, size_bytes, created_utc, profile, aliases}``."""
    return _rows(get_cache_dir(cache_dir))


def cache_stats(*, cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``{cache_dir, entries, total_bytes, pins}`` for the cache root."""
    from .pins import read_pins

    root = get_cache_dir(cache_dir)
    rows = _rows(root)
    return {
        "cache_dir": root,
        "entries": len(rows),
        "total_bytes": sum(r["size_bytes"] for r in rows),
        "pins": len(read_pins(root)),
    }


def _age_days(created: str | None, now: float) -> float:
    if not created:
        return float("inf")
    try:
        import calendar

        t = calendar.timegm(time.strptime(created, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return float("inf")
    return (now - t) / 86400.0


def _clean_private_dirs(root: str) -> None:
    """Remove staging dirs whose builder is gone (key lock not held) and leftover trash."""
    import shutil

    staging = os.path.join(root, STAGING)
    for name in os.listdir(staging) if os.path.isdir(staging) else []:
        key = name.split(".", 1)[0]
        if KEY_RE.match(key) and is_locked(lock_path(root, key)):
            continue
        shutil.rmtree(os.path.join(staging, name), ignore_errors=True)
    shutil.rmtree(os.path.join(root, TRASH), ignore_errors=True)
    # pins.json.<pid>.<rand>.tmp files exist only while a writer holds the pins lock: if we get the lock,
    # any left over come from a writer that was killed.
    tmps = [n for n in os.listdir(root) if n.startswith("pins.json.") and n.endswith(".tmp")]
    if tmps:
        try:
            with FileLock(lock_path(root, "pins"), timeout=0):
                for n in tmps:
                    try:
                        os.unlink(os.path.join(root, n))
                    except OSError:
                        pass
        except TimeoutError:
            pass


def gc_cache(
    *,
    max_bytes: int | None = None,
    max_age_days: float | None = None,
    keep_n_newest: int | None = None,
    dry_run: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Remove cache entries: older than ``max_age_days``, beyond the ``keep_n_newest`` newest, then oldest
    first until the total is at most ``max_bytes``. Pinned entries and entries being built are never removed.
    Returns ``{dry_run, removed: [CacheRow], freed_bytes, kept}``."""
    if max_bytes is None and max_age_days is None and keep_n_newest is None:
        raise ValueError("gc_cache needs at least one criterion: max_bytes, max_age_days or keep_n_newest.")
    for name, v in (
        ("max_bytes", max_bytes),
        ("max_age_days", max_age_days),
        ("keep_n_newest", keep_n_newest),
    ):
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0
        ):  # NaN too
            raise ValueError(f"{name} must be a non-negative number or None, got {v!r}.")
    root = get_cache_dir(cache_dir)
    rows = _rows(root)  # newest first
    now = time.time()

    def removable(r: dict[str, Any]) -> bool:
        return not r["aliases"] and not is_locked(lock_path(root, r["key"]))

    doomed: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows):
        too_old = max_age_days is not None and _age_days(r["created_utc"], now) > max_age_days
        beyond = keep_n_newest is not None and i >= keep_n_newest
        if (too_old or beyond) and removable(r):
            doomed[r["key"]] = r
    if max_bytes is not None:
        total = sum(r["size_bytes"] for r in rows if r["key"] not in doomed)
        for r in reversed(rows):
            if total <= max_bytes:
                break
            if r["key"] not in doomed and removable(r):
                doomed[r["key"]] = r
                total -= r["size_bytes"]
    removed: list[dict[str, Any]] = []
    if not dry_run:
        if os.path.isdir(root):
            ensure_root(root)
            _clean_private_dirs(root)
        for key, r in doomed.items():
            try:
                with key_lock(root, key, timeout=0):
                    _remove_tree(root, entry_dir(root, key))
            except TimeoutError:
                continue
            removed.append(r)
        if removed:
            events.emit("cache_changed", {"cache_dir": root})
    else:
        removed = list(doomed.values())
    return {
        "dry_run": bool(dry_run),
        "removed": removed,
        "freed_bytes": sum(r["size_bytes"] for r in removed),
        "kept": len(rows) - len(removed),
    }


def export_cached(
    key: str, dest: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None
) -> str:
    """Write the entry for ``key`` as one ``.tar.gz`` archive. ``dest`` is a file path or an existing
    directory (then ``<dest>/<key>.tar.gz``). Returns the archive path."""
    import tarfile

    validate_key(key)
    root = get_cache_dir(cache_dir)
    meta = read_meta(root, key)
    if meta is None:
        raise FileNotFoundError(
            f"No cache entry for key {key[:16]}... in {root}; list_cached() shows what exists."
        )
    verify_entry(root, key, meta)
    dest = os.fspath(dest)
    if os.path.isdir(dest):
        dest = os.path.join(dest, f"{key}.tar.gz")
    tmp = f"{dest}.{os.getpid()}.tmp"
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(entry_dir(root, key), arcname=key)
    os.replace(tmp, dest)
    return dest


def import_exported(path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Add an archive made by :func:`export_cached` to the cache (verified); returns its key."""
    import shutil
    import tarfile

    path = os.fspath(path)
    root = ensure_root(cache_dir)
    staging_parent = os.path.join(root, STAGING)
    with tarfile.open(path, "r:*") as tar:
        members = tar.getmembers()
        tops = {m.name.split("/", 1)[0] for m in members}
        if len(tops) != 1 or not KEY_RE.match(next(iter(tops))):
            raise ValueError(f"{path} is not a cython_pin export (expected one top folder named by a key).")
        key = next(iter(tops))
        for m in members:
            if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in m.name.split("/"):
                raise ValueError(f"{path}: refusing unsafe archive member {m.name!r}.")
        # the key lock is held for the whole import so gc never removes the half-extracted staging dir
        with key_lock(root, key, timeout=60):
            tmp = os.path.join(staging_parent, f"{key}.{os.getpid()}.{os.urandom(4).hex()}.import")
            os.mkdir(tmp, 0o700)
            try:
                tar.extractall(tmp, members=members)
                meta = read_meta(tmp, key)
                if meta is None or meta.get("key") != key:
                    raise ValueError(f"{path}: meta.json missing or for another key.")
                verify_entry(tmp, key, meta)
                publish(root, key, os.path.join(tmp, key), replace=False)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    events.emit("cache_changed", {"cache_dir": root})
    return key
