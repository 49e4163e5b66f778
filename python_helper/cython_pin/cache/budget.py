"""The cache's automatic budget, as sccache's disk cache has: after a build publishes an entry (at most once
every :data:`INTERVAL_S` per cache), entries are evicted until the cache fits ``CYTHON_PIN_CACHE_MAX_BYTES``
(default 2 GiB, 0: no limit), and leftovers nobody needs are cleaned.

Eviction order: builds ahead that were never loaded first, then the least recently used (an entry's last use
is its folder's mtime, set when it is verified before a load). Never evicted: pinned entries, entries whose
key lock is held (being built or removed), and shared utility modules that a remaining entry imports. The
budget decides and removes under the pins lock, so nothing is pinned in between.

Leftovers: ``.locks/<key>.lock`` files nobody holds, ``needs-numpy/`` markers older than
:data:`NUMPY_MARKER_MAX_AGE_S` (a marker only saves one Cython run), and ``.pch/`` folders of a
toolchain that is gone (:func:`cython_pin.cache.toolchains.present`: their ``Python.h`` link points at a
Python that is gone, or their compiler or interpreter is).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from typing import Any

ENV = "CYTHON_PIN_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 2 << 30
INTERVAL_S = 600.0
STAMP = ".budget-checked"  # its mtime: when the budget last ran on this cache
NUMPY_MARKER_MAX_AGE_S = 30 * 86400.0
# A build ahead is "never loaded" while its folder's mtime (its last use) is within this of its creation.
LOADED_AFTER_S = 2.0


def max_bytes() -> int:
    """The configured limit in bytes (0: no limit). ValueError naming the variable if it is not a number."""
    raw = os.environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"{ENV} must be a whole number of bytes (0: no limit), got {raw!r}.")
    return value


def after_publish(root: str) -> None:
    """Run :func:`enforce` on ``root`` if it has not run there in the last :data:`INTERVAL_S` (any process).
    Never raises: a build that published its entry has succeeded whatever the budget meets."""
    stamp = os.path.join(root, STAMP)
    try:
        if time.time() - os.stat(stamp).st_mtime < INTERVAL_S:
            return
    except OSError:
        pass
    try:
        with open(stamp, "a"):
            pass
        os.utime(stamp)
        enforce(root)
    except Exception as e:  # noqa: BLE001 - e.g. a bad CYTHON_PIN_CACHE_MAX_BYTES, a corrupt pin
        import warnings

        warnings.warn(f"cython_pin: the cache budget did not run: {e}", RuntimeWarning, stacklevel=2)


class _Entry(NamedTuple):
    key: str
    size: int
    last_use: float
    never_loaded: bool  # a build ahead nobody loaded (or an entry whose meta.json is unreadable)
    shared: str | None  # the key of the shared utility module it imports


def _scan(root: str) -> list[_Entry]:
    from ..errors import CacheIntegrityError
    from ..names import is_key
    from .entries import disk_size, read_meta

    out = []
    for name in os.listdir(root):
        if not is_key(name):
            continue
        d = os.path.join(root, name)
        try:
            last_use = os.stat(d).st_mtime
        except OSError:
            continue
        try:
            meta: dict[str, Any] | None = read_meta(root, name)
        except CacheIntegrityError:
            meta = {}
        if meta is None:
            continue  # not a complete entry
        shared = meta.get("shared")
        out.append(
            _Entry(
                key=name,
                size=disk_size(d),
                last_use=last_use,
                never_loaded=not meta or (bool(meta.get("built_ahead")) and _unused(meta, last_use)),
                shared=shared.get("key") if isinstance(shared, dict) else None,
            )
        )
    return out


def _unused(meta: dict[str, Any], last_use: float) -> bool:
    import calendar

    try:
        created = calendar.timegm(time.strptime(str(meta.get("created_utc")), "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return False
    return last_use - created < LOADED_AFTER_S


def enforce(root: str, limit: int | None = None) -> list[str]:
    """Evict entries of ``root`` until their total size is at most ``limit`` (default :func:`max_bytes`; 0:
    no eviction), then clean leftovers. Returns the evicted keys."""
    from ..pins.registry import pins_lock, read_pins

    limit = max_bytes() if limit is None else limit
    evicted: list[str] = []
    if limit > 0 and os.path.isdir(root):
        with pins_lock(root):
            entries = _scan(root)
            total = sum(e.size for e in entries)
            if total > limit:
                pinned = set(read_pins(root).values())
                users: dict[str, int] = {}
                for e in entries:
                    if e.shared:
                        users[e.shared] = users.get(e.shared, 0) + 1
                for e in sorted(entries, key=lambda e: (not e.never_loaded, e.last_use)):
                    if total <= limit:
                        break
                    if e.key in pinned or users.get(e.key) or not remove_entry(root, e.key):
                        continue
                    evicted.append(e.key)
                    total -= e.size
                    if e.shared:
                        users[e.shared] -= 1
    if os.path.isdir(root):
        empty_trash(root)
        clean_leftovers(root)
    if evicted:
        from .. import events

        events.emit("cache_changed", {"cache_dir": root})
    return evicted


def remove_entry(root: str, key: str) -> bool:
    """Move the entry ``key`` into the trash unless its key lock is held; True if moved. The caller holds the
    pins lock, has checked that ``key`` is not pinned, and empties the trash (:func:`empty_trash`) once it
    has released the lock."""
    from .entries import key_lock, move_to_trash
    from .locks import LockTimeout
    from .paths import entry_dir

    try:
        with key_lock(root, key, timeout=0):
            move_to_trash(root, entry_dir(root, key))
    except LockTimeout:
        return False
    return True


def empty_trash(root: str) -> None:
    """Delete what was moved into the trash (by this process or one that died before deleting it)."""
    import shutil

    from .paths import TRASH

    shutil.rmtree(os.path.join(root, TRASH), ignore_errors=True)


def clean_leftovers(root: str) -> None:
    """Remove lock files nobody holds, old needs-numpy markers and precompiled headers of a Python that is
    gone (each best effort)."""
    from .paths import LOCKS, NUMPY_MARKERS

    _clean_key_locks(os.path.join(root, LOCKS))
    now = time.time()
    for path in _children(os.path.join(root, NUMPY_MARKERS)):
        try:
            if now - os.stat(path).st_mtime > NUMPY_MARKER_MAX_AGE_S:
                os.unlink(path)
        except OSError:
            pass
    _clean_pch(root)


def _children(folder: str) -> list[str]:
    try:
        return [os.path.join(folder, n) for n in os.listdir(folder)]
    except OSError:
        return []


def _clean_key_locks(folder: str) -> None:
    """A key's lock file is removed only while this process holds it; FileLock checks after locking that
    its file is still the one at the path, so a waiter on a removed file tries again on the new one."""
    from ..names import is_key
    from .locks import FileLock, LockTimeout

    for path in _children(folder):
        name = os.path.basename(path)
        if not name.endswith(".lock") or not is_key(name[: -len(".lock")]):
            continue
        try:
            with FileLock(path, timeout=0):
                os.unlink(path)
        except (LockTimeout, OSError):
            pass


def _clean_pch(root: str) -> None:
    from ..build import pch
    from .entries import remove_tree

    for folder in pch.published(root):
        if pch.toolchain_present(root, folder, pch.read_meta(folder)) is False:  # never to be used again
            remove_tree(root, folder)
