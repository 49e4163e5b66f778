"""The cache as a whole: list its entries and its toolchain entries (shared utility modules, precompiled
headers), sum them up, and remove old ones and those of toolchains that are gone (gc)."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, NamedTuple

from .. import events
from ..build import pch
from ..errors import CacheIntegrityError
from ..names import is_key
from ..pins.registry import pins_dir, pins_lock, read_pins
from . import toolchains
from .budget import clean_leftovers, empty_trash, remove_entry
from .entries import META, disk_size, read_meta, remove_tree
from .locks import is_locked
from .paths import STAGING, entry_dir, get_cache_dir, lock_path

if TYPE_CHECKING:
    from typing import Any


# (root, key) -> (identity of its meta.json, the fields a row shows): meta.json is written once, before the
# entry is published, so an unchanged identity means unchanged fields and a refresh parses no JSON.
_meta_memo: dict[tuple[str, str], tuple[tuple[int, int, int], dict[str, Any] | None]] = {}
_ROW_FIELDS = (
    "kind",
    "module_name",
    "created_utc",
    "profile",
    "pgo",
    "numpy",
    "shared",
    "toolchain",
    "options",
)


def _entries(root: str) -> list[tuple[str, dict[str, Any] | None]]:
    """(key, the row fields of its meta.json or None when unreadable) of every complete entry."""
    import stat

    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    out = []
    for key in names:
        if not is_key(key):
            continue
        try:
            st = os.stat(os.path.join(root, key, META))
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        ident = (st.st_ino, st.st_mtime_ns, st.st_size)
        memo = _meta_memo.get((root, key))
        if memo is not None and memo[0] == ident:
            out.append((key, memo[1]))
            continue
        try:
            meta = read_meta(root, key)
        except CacheIntegrityError:
            meta = None
        fields = {k: meta.get(k) for k in _ROW_FIELDS} if meta is not None else None
        _meta_memo[(root, key)] = (ident, fields)
        out.append((key, fields))
    return out


def _entry_row(root: str, key: str, meta: dict[str, Any] | None, aliases: list[str]) -> dict[str, Any]:
    """A CacheRow of the contract, for every kind of entry (cell module, package, the shared utility module,
    either step of a PGO build); ``meta`` None (unreadable) gives a row whose kind and details are None."""
    fields = meta or {}
    return {
        "key": key,
        "kind": None if meta is None else fields.get("kind") or "module",
        "module_name": fields.get("module_name"),
        "size_bytes": disk_size(entry_dir(root, key)),
        "created_utc": fields.get("created_utc"),
        "profile": fields.get("profile"),
        "pgo": fields.get("pgo"),
        "numpy": bool(fields.get("numpy")),
        "aliases": sorted(aliases),
    }


def _flags_text(flags: Any) -> str | None:
    """The flags a toolchain entry was made with beyond the fixed ones, as one string (None if unknown)."""
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        return None
    return " ".join(f for f in flags if f not in pch.BASE_FLAGS and f != "-DPY_SSIZE_T_CLEAN=")


def _shared_row(root: str, row: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The ToolchainRow of the shared utility module whose CacheRow is ``row``."""
    tc = toolchains.checked(fields.get("toolchain"))
    options = fields.get("options")
    return {
        "kind": "shared",
        "id": row["key"],
        "size_bytes": row["size_bytes"],
        "created_utc": row["created_utc"],
        "toolchain": toolchains.label(tc),
        "flags": _flags_text(options.get("opt_flags")) if isinstance(options, dict) else None,
        "present": toolchains.present(tc, root),
    }


def _pch_rows(root: str) -> list[dict[str, Any]]:
    """One ToolchainRow per precompiled-header folder."""
    out = []
    for folder in pch.published(root):
        meta = pch.read_meta(folder)
        created = meta.get("created_utc")
        if not isinstance(created, str):  # a folder made before meta.json said when: its own date
            try:
                created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(folder).st_mtime))
            except OSError:
                continue
        out.append(
            {
                "kind": "pch",
                "id": os.path.basename(folder),
                "size_bytes": disk_size(folder),
                "created_utc": created,
                "toolchain": toolchains.label(toolchains.checked(meta.get("toolchain"))),
                "flags": _flags_text(meta.get("flags")),
                "present": pch.toolchain_present(root, folder, meta),
            }
        )
    return out


def _aliases_by_key(pins: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for alias, key in pins.items():
        out.setdefault(key, []).append(alias)
    return out


def _newest_first(rows: list[dict[str, Any]], id_field: str) -> list[dict[str, Any]]:
    rows.sort(key=lambda r: (r["created_utc"] or "", r[id_field]), reverse=True)
    return rows


class _Walk(NamedTuple):
    """One walk of the cache: every keyed entry as a CacheRow (the shared utility modules too, newest
    first) and the shared utility modules' ToolchainRows by key."""

    rows: list[dict[str, Any]]
    shared: dict[str, dict[str, Any]]

    def cells(self) -> list[dict[str, Any]]:
        """The entries the panel lists as cache entries (all but the shared utility modules)."""
        return [r for r in self.rows if r["key"] not in self.shared]


def _walk(root: str, pins: dict[str, str] | None = None) -> _Walk:
    by_key = _aliases_by_key(read_pins(root) if pins is None else pins)
    rows, shared = [], {}
    for key, meta in _entries(root):
        row = _entry_row(root, key, meta, by_key.get(key, []))
        rows.append(row)
        if meta is not None and row["kind"] == "shared":
            shared[key] = _shared_row(root, row, meta)
    return _Walk(_newest_first(rows, "key"), shared)


def _rows(root: str, pins: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return _walk(root, pins).rows


def _toolchain_rows(root: str, walk: _Walk) -> list[dict[str, Any]]:
    return _newest_first([*walk.shared.values(), *_pch_rows(root)], "id")


def list_cached(*, cache_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every keyed cache entry, newest first, the shared utility modules (kind ``"shared"``) included:
    ``{key, kind, module_name, size_bytes, created_utc, profile, pgo, numpy, aliases}``."""
    return _rows(get_cache_dir(cache_dir))


def list_toolchain(*, cache_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The toolchain entries, newest first: the shared utility modules and the precompiled headers, each
    ``{kind, id, size_bytes, created_utc, toolchain, flags, present}`` (``toolchain``: a label such as
    ``CPython 3.11.7 · Cython 3.1.2 · gcc 12.2.0``; ``present``: False once that toolchain is gone, None
    when the entry predates the record)."""
    root = get_cache_dir(cache_dir)
    return _toolchain_rows(root, _walk(root))


def _stats(
    root: str, cells: list[dict[str, Any]], toolchain: list[dict[str, Any]], pins: int
) -> dict[str, Any]:
    return {
        "cache_dir": root,
        "entries": len(cells),
        "total_bytes": sum(r["size_bytes"] for r in cells) + sum(r["size_bytes"] for r in toolchain),
        "pins": pins,
    }


def cache_stats(*, cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``{cache_dir, entries, total_bytes, pins}`` for the cache root: ``entries`` counts the cache entries
    the panel lists (not the toolchain entries), ``total_bytes`` is the size of both."""
    root = get_cache_dir(cache_dir)
    walk = _walk(root)
    return _stats(root, walk.cells(), _toolchain_rows(root, walk), len(read_pins(root)))


def catalogue(*, cache_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """What :func:`pin_rows`, :func:`list_cached` (without the shared utility modules), :func:`list_toolchain`
    and :func:`cache_stats` return, from one read of the pins and one walk of the entries (each sized
    once): ``{cache_dir, pins, entries, toolchain, stats}``."""
    root = get_cache_dir(cache_dir)
    pins = read_pins(root)
    walk = _walk(root, pins)
    by_key = {r["key"]: r for r in walk.rows}
    pin_list = []
    for alias, key in sorted(pins.items()):
        r = by_key.get(key)
        found = r is not None and r["module_name"] is not None  # a readable entry
        pin_list.append(
            {
                "alias": alias,
                "key": key,
                "module_name": r["module_name"] if r and found else None,
                "size_bytes": r["size_bytes"] if r and found else None,
                "created_utc": r["created_utc"] if r and found else None,
                "in_cache": found,
            }
        )
    cells, toolchain = walk.cells(), _toolchain_rows(root, walk)
    return {
        "cache_dir": root,
        "pins": pin_list,
        "entries": cells,
        "toolchain": toolchain,
        "stats": _stats(root, cells, toolchain, len(pins)),
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
    """Remove staging dirs whose builder is gone (key lock not held) and temporary files of pin writers that
    were killed (the caller holds the pins lock, without which no pin is written)."""
    import shutil

    staging = os.path.join(root, STAGING)
    for name in os.listdir(staging) if os.path.isdir(staging) else []:
        key = name.split(".", 1)[0]
        if is_key(key) and is_locked(lock_path(root, key)):
            continue
        shutil.rmtree(os.path.join(staging, name), ignore_errors=True)
    folder = pins_dir(root)
    for n in os.listdir(folder) if os.path.isdir(folder) else []:
        if n.endswith(".tmp"):
            try:
                os.unlink(os.path.join(folder, n))
            except OSError:
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
    first until the keyed entries total at most ``max_bytes``. Pinned entries and entries being built are
    never removed. Toolchain entries: a shared utility module goes when no kept entry imports it and its
    toolchain is gone (:func:`cython_pin.cache.toolchains.present`) or a criterion reaches it (its age, the
    size, or any ``keep_n_newest``, which counts cache entries only); a precompiled header goes when its
    toolchain is gone (and is not counted by ``max_bytes``). Returns ``{dry_run, removed: [CacheRow],
    removed_toolchain: [ToolchainRow], freed_bytes, kept}`` (``kept``: cache entries). Also cleans the
    leftovers the cache budget cleans (:func:`cython_pin.cache.budget.clean_leftovers`)."""
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
    gone_pch = [r for r in _pch_rows(root) if r["present"] is False]
    if dry_run or not os.path.isdir(root):
        walk = _walk(root)
        doomed = list(_doomed(root, walk, max_bytes, max_age_days, keep_n_newest).values())
    else:
        # pin checks that its entry exists under the pins lock: held from the decision to the removal, a key
        # is either pinned before gc reads the pins (and kept) or finds its entry gone.
        with pins_lock(root):
            walk = _walk(root)
            decided = _doomed(root, walk, max_bytes, max_age_days, keep_n_newest)
            doomed = [r for key, r in decided.items() if remove_entry(root, key)]
            _clean_private_dirs(root)
        # nothing uses the precompiled header of a toolchain that is gone: no lock to take
        for r in gone_pch:
            remove_tree(root, os.path.join(root, pch.PCH_DIR, r["id"]))
        empty_trash(root)
        clean_leftovers(root)
        if doomed or gone_pch:
            events.emit("cache_changed", {"cache_dir": root})
    removed = [r for r in doomed if r["key"] not in walk.shared]
    removed_toolchain = [walk.shared[r["key"]] for r in doomed if r["key"] in walk.shared] + gone_pch
    return {
        "dry_run": bool(dry_run),
        "removed": removed,
        "removed_toolchain": removed_toolchain,
        "freed_bytes": sum(r["size_bytes"] for r in removed)
        + sum(r["size_bytes"] for r in removed_toolchain),
        "kept": len(walk.cells()) - len(removed),
    }


def _doomed(
    root: str,
    walk: _Walk,
    max_bytes: int | None,
    max_age_days: float | None,
    keep_n_newest: int | None,
) -> dict[str, dict[str, Any]]:
    """The keyed entries (CacheRows, newest first) gc_cache removes, by key: cache entries and shared utility
    modules."""
    now = time.time()

    def removable(r: dict[str, Any]) -> bool:
        return not r["aliases"] and not is_locked(lock_path(root, r["key"]))

    doomed: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(walk.cells()):
        too_old = max_age_days is not None and _age_days(r["created_utc"], now) > max_age_days
        beyond = keep_n_newest is not None and i >= keep_n_newest
        if (too_old or beyond) and removable(r):
            doomed[r["key"]] = r
    for r in walk.rows:
        if r["key"] not in walk.shared:
            continue
        gone = walk.shared[r["key"]]["present"] is False
        too_old = max_age_days is not None and _age_days(r["created_utc"], now) > max_age_days
        if (gone or too_old or keep_n_newest is not None) and removable(r):
            doomed[r["key"]] = r  # unless a kept entry imports it (below)
    if max_bytes is not None:
        total = sum(r["size_bytes"] for r in walk.rows if r["key"] not in doomed)
        for r in reversed(walk.rows):
            if total <= max_bytes:
                break
            if r["key"] not in doomed and removable(r):
                doomed[r["key"]] = r
                total -= r["size_bytes"]
    for key in _shared_needed(root, {r["key"] for r in walk.rows} - set(doomed)):
        doomed.pop(key, None)  # a shared utility module stays while a kept entry imports it
    return doomed


def _shared_needed(root: str, kept: set[str]) -> set[str]:
    """Keys of the shared utility modules that the entries ``kept`` depend on."""
    out = set()
    for key, fields in _entries(root):
        shared = (fields or {}).get("shared")
        if key in kept and isinstance(shared, dict) and isinstance(shared.get("key"), str):
            out.add(shared["key"])
    return out


def pin_rows(root: str) -> list[dict[str, Any]]:
    """One row per pin, by alias: ``{alias, key, module_name, size_bytes, created_utc, in_cache}`` (the
    entry's fields are None when the pinned key has no readable entry)."""
    rows = []
    for alias, key in sorted(read_pins(root).items()):
        try:
            meta = read_meta(root, key)
        except (CacheIntegrityError, ValueError):
            meta = None
        rows.append(
            {
                "alias": alias,
                "key": key,
                "module_name": meta.get("module_name") if meta else None,
                "size_bytes": disk_size(entry_dir(root, key)) if meta else None,
                "created_utc": meta.get("created_utc") if meta else None,
                "in_cache": meta is not None,
            }
        )
    return rows
