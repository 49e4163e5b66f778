"""One cache entry on disk: its meta.json, the integrity check, staging, atomic publish and the per-key lock.

Layout: ``<root>/<key>/`` holds the artifact(s), the ``.pyx``, ``meta.json`` and, when made, the annotation.
Builds happen in ``<root>/.staging/<key>.<pid>.<random>`` and are published with one ``os.rename``.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

from ..names import is_identifier, reserved_module_names
from .hashing import sha256_file
from .paths import STAGING, TRASH, ensure_dir, entry_dir, lock_path

if TYPE_CHECKING:
    from typing import Any

    from ..errors import CacheIntegrityError
    from .locks import FileLock

META = "meta.json"


def _integrity_error(message: str) -> CacheIntegrityError:
    from ..errors import CacheIntegrityError  # here: a cache hit that finds nothing wrong never imports it

    return CacheIntegrityError(message)


def utc_now() -> str:
    """ISO 8601 UTC timestamp ending in Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_meta(root: str, key: str) -> dict[str, Any] | None:
    """The entry's meta.json, or None when there is no (complete) entry for ``key``."""
    try:
        with open(os.path.join(root, key, META), encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise _integrity_error(
            f"Cache entry {key[:16]}... in {root} has an unreadable meta.json ({e}). Remove the folder "
            f"{os.path.join(root, key)} (or run gc) and rebuild."
        ) from e
    return meta if isinstance(meta, dict) else None


def _meta_problem(d: str, key: str, meta: dict[str, Any]) -> str | None:
    """Why ``meta`` cannot describe a loadable entry for ``key`` in folder ``d`` (None if it can)."""
    if meta.get("key") != key:
        return f"it is for another key ({str(meta.get('key'))[:16]}...)"
    name = meta.get("module_name")
    if not isinstance(name, str) or not is_identifier(name) or name in reserved_module_names():
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
        if mod is not None and (
            not isinstance(mod, str) or not all(is_identifier(p) for p in mod.split("."))
        ):
            return f"artifact module {mod!r} is not a dotted module name"
        if meta.get("kind") == "package" and mod is not None and not mod.startswith(name + "."):
            return f"artifact module {mod!r} is not inside package {name!r}"
    return None


def verify_entry(root: str, key: str, meta: dict[str, Any]) -> None:
    """Check meta.json's shape and every artifact's sha256; raise CacheIntegrityError on any problem. Every
    load is verified first, so this also records the entry's last use for the cache budget (its folder's
    mtime)."""
    d = entry_dir(root, key)
    why = _meta_problem(d, key, meta)
    if why:
        raise _integrity_error(
            f"Refusing to load cache entry {key[:16]}... in {root}: its meta.json is invalid ({why}). "
            f"Delete the folder {d} (or rebuild with force_rebuild=True)."
        )
    for art in meta["artifacts"]:
        path = os.path.join(d, art["path"])
        try:
            digest = sha256_file(path)
        except OSError as e:
            raise _integrity_error(
                f"Cache entry {key[:16]}... is missing {art['path']} ({e}). Rebuild with force_rebuild=True."
            ) from e
        if digest != art["sha256"]:
            raise _integrity_error(
                f"Refusing to load {path}: its sha256 does not match meta.json (the file was modified or "
                "corrupted). Rebuild with force_rebuild=True, or delete the entry folder."
            )
    try:
        os.utime(d)
    except OSError:  # a read-only cache is still loaded
        pass


def new_staging(root: str, key: str) -> str:
    """A fresh private staging directory for building ``key``."""
    d = os.path.join(root, STAGING, f"{key}.{os.getpid()}.{os.urandom(4).hex()}")
    os.mkdir(d, 0o700)
    return d


def write_meta(staging: str, meta: dict[str, Any]) -> None:
    """Write meta.json into a staging directory (before publish)."""
    from .atomic import atomic_write

    atomic_write(
        os.path.join(staging, META), lambda f: json.dump(meta, f, indent=1, sort_keys=True), mode=0o666
    )


def mark_fetched_ahead(root: str, key: str, signer: str) -> None:
    """Record in the entry's meta.json that a build ahead brought it from the team cache, signed by
    ``signer``, so its first load says so as a fetch in the kernel would (caller holds the key lock)."""
    meta = read_meta(root, key)
    if meta is not None:
        meta["fetched_ahead"] = {"signer": signer, "utc": utc_now()}
        write_meta(os.path.join(root, key), meta)


def move_to_trash(root: str, path: str) -> str | None:
    """Move ``path`` into the trash (an atomic disappearance); the path in the trash, None if it was gone."""
    trash = ensure_dir(os.path.join(root, TRASH))
    dest = os.path.join(trash, f"{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}")
    try:
        os.rename(path, dest)
    except FileNotFoundError:
        return None
    return dest


def remove_tree(root: str, path: str) -> None:
    """Move ``path`` into the trash and delete it."""
    import shutil

    dest = move_to_trash(root, path)
    if dest is not None:
        shutil.rmtree(dest, ignore_errors=True)


def publish(root: str, key: str, staging: str, replace: bool = False) -> str:
    """Atomically move a complete staging directory to ``<root>/<key>`` (caller holds the key lock)."""
    import shutil

    final = entry_dir(root, key)
    if os.path.exists(final):
        if not replace:
            shutil.rmtree(staging, ignore_errors=True)
            return final
        remove_tree(root, final)
    os.chmod(staging, 0o700)
    os.rename(staging, final)
    return final


def key_lock(root: str, key: str, timeout: float | None) -> FileLock:
    """The per-key build lock."""
    from .locks import FileLock

    return FileLock(lock_path(root, key), timeout=timeout, what=f"cache entry {key[:16]}...")


def disk_size(path: str) -> int:
    """Bytes on disk of every file under ``path`` (symlinks not followed)."""
    total = 0
    todo = [path]
    while todo:
        try:
            it = os.scandir(todo.pop())
        except OSError:
            continue
        with it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    todo.append(e.path)
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
    return total
