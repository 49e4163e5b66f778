"""Moving entries between caches: export one as a ``.tar.gz`` archive, import (and verify) such an archive."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import events
from ..names import is_key, validate_key
from .atomic import atomic_write
from .entries import key_lock, publish, read_meta, verify_entry
from .paths import STAGING, ensure_root, entry_dir, get_cache_dir
from .untar import extract_checked

if TYPE_CHECKING:
    from typing import IO, Any


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
    keys = [key]
    if meta.get("shared") is not None:  # the shared utility module it imports travels with it, first
        from ..build.shared_utility import check_spec, ensure

        shared = check_spec(meta["shared"])
        ensure(root, shared)
        keys.insert(0, shared["key"])
    dest = os.fspath(dest)
    if os.path.isdir(dest):
        dest = os.path.join(dest, f"{key}.tar.gz")

    def write(f: IO[bytes]) -> None:
        with tarfile.open(fileobj=f, mode="w:gz") as tar:
            for k in keys:
                tar.add(entry_dir(root, k), arcname=k)

    atomic_write(dest, write, binary=True, mode=0o666)
    return dest


def import_exported(path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Add an archive made by :func:`export_cached` to the cache (verified); returns its key. The archive
    holds one entry, or the shared utility module a module imports and then that module."""
    import contextlib
    import shutil
    import tarfile

    path = os.fspath(path)
    root = ensure_root(cache_dir)
    staging_parent = os.path.join(root, STAGING)
    with tarfile.open(path, "r:*") as tar, contextlib.ExitStack() as stack:
        members = tar.getmembers()
        tops = list(dict.fromkeys(m.name.split("/", 1)[0] for m in members))
        if not 1 <= len(tops) <= 2 or not all(is_key(t) for t in tops):
            raise ValueError(
                f"{path} is not a cython_pin export (expected one top folder named by a key, or a shared "
                "utility module's and then the module's)."
            )
        staged: list[tuple[str, str]] = []
        metas: dict[str, dict[str, Any]] = {}
        for key in tops:
            # the key lock is held for the whole import so gc never removes the half-extracted staging dir
            stack.enter_context(key_lock(root, key, timeout=60))
            tmp = os.path.join(staging_parent, f"{key}.{os.getpid()}.{os.urandom(4).hex()}.import")
            os.mkdir(tmp, 0o700)
            stack.callback(shutil.rmtree, tmp, True)
            try:
                extract_checked(tar, tmp, [m for m in members if m.name.split("/", 1)[0] == key])
            except ValueError as e:
                raise ValueError(f"{path}: refused: {e}.") from None
            meta = read_meta(tmp, key)
            if meta is None or meta.get("key") != key:
                raise ValueError(f"{path}: meta.json missing or for another key.")
            verify_entry(tmp, key, meta)
            staged.append((key, os.path.join(tmp, key)))
            metas[key] = meta
        key = tops[-1]
        if len(tops) == 2:
            shared = metas[key].get("shared")
            if (
                metas[tops[0]].get("kind") != "shared"
                or not isinstance(shared, dict)
                or shared.get("key") != tops[0]
            ):
                raise ValueError(
                    f"{path}: its first entry is not the shared utility module its module imports."
                )
        for k, d in staged:  # the shared module first, so the module is never there without it
            publish(root, k, d, replace=False)
    events.emit("cache_changed", {"cache_dir": root})
    return key
