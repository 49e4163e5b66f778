"""What a team-cache store holds (entries, archives, orphans, bytes) and the removal of old orphans.

An orphan is an archive that no manifest refers to: what a writer killed between its archive and its
manifest leaves behind (manifest.py: the archive goes up first, the manifest last). A writer that is
still running has the same archive-without-manifest for a moment, so an orphan is removed only when it is
older than a grace period (its last-modified time in the store). Every manifest of every key and ABI
counts, signed by a trusted key or not: a manifest this process would refuse may be one another kernel
trusts, and keeping an archive too long only costs space.

If an old orphan is removed just as a writer re-uploads the same bytes (its create-only write found the
archive there and skipped it), that writer's manifest names a missing archive: readers refuse it as
``missing-archive`` and the next upload of the key publishes the next generation with the archive again.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from .manifest import LAYOUT, archive_path

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .stores import Store, StoredObject

DEFAULT_GRACE_S = 7 * 86400.0
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*\Z")
_READERS = 8  # manifests read at once


def parse_age(text: str) -> float:
    """Seconds in ``7d``, ``12h``, ``30m``, ``45s`` or plain seconds (``3600``); ValueError otherwise."""
    m = _AGE_RE.match(text.lower())
    if not m:
        raise ValueError(f"{text!r} is not an age: expected a number with d, h, m or s (7d, 12h, 30m, 3600)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def format_age(seconds: float) -> str:
    """``7d``, ``12h``, ``2.5h``, ``30m`` or ``45s``: in the largest unit it reaches, for messages."""
    for unit in ("d", "h", "m"):
        if seconds >= _UNITS[unit]:
            return f"{round(seconds / _UNITS[unit], 1):g}{unit}"
    return f"{max(0.0, seconds):.0f}s"


def format_bytes(n: int) -> str:
    """``812 B``, ``3.4 kB``, ``12.0 MB``, ``1.2 GB`` (powers of 1000)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


class Inventory:
    """One listing of a store's ``v1/`` tree: manifests, archives, which archives are orphans, and bytes."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()  # (abi, key) with at least one manifest
        self.manifests = 0
        self.unreadable: list[str] = []  # manifests that are not JSON objects: they protect nothing
        self.archives: list[StoredObject] = []
        self.orphans: list[StoredObject] = []
        self.total_bytes = 0
        self.listed_at = 0.0

    @property
    def entries(self) -> int:
        """Keys (per ABI) with a manifest."""
        return len(self.keys)

    def archive_bytes(self) -> int:
        """Bytes of all archives."""
        return sum(o.size for o in self.archives)

    def past_grace(self, grace_s: float) -> list[StoredObject]:
        """The orphans last modified at least ``grace_s`` seconds before the listing."""
        return [o for o in self.orphans if self.listed_at - o.modified >= grace_s]


def _manifest_key(name: str) -> str:
    """``<key>.json`` or ``<key>.<n>.json`` -> key."""
    stem = name[: -len(".json")]
    head, _, tail = stem.rpartition(".")
    return head if head and tail.isdigit() else stem


def _referred(store: Store, abi: str, path: str) -> set[str] | None:
    """The archive paths the manifest at ``path`` names (none when it is gone meanwhile), or None when it is
    not a JSON object."""
    data = store.get(path)
    if data is None:
        return set()
    try:
        m = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(m, dict):
        return None
    if isinstance(m.get("signed"), dict):  # the signing envelope (signing.sign); read unverified
        m = m["signed"]
    out = set()
    if isinstance(m.get("archive"), str):
        out.add(m["archive"])
    if isinstance(m.get("archive_sha256"), str):
        out.add(archive_path(abi, m["archive_sha256"]))
    return out


def take_inventory(store: Store) -> Inventory:
    """List the store and read every manifest (StoreError when the store does not answer)."""
    inv = Inventory()
    inv.listed_at = time.time()
    manifests: list[tuple[str, str]] = []  # (abi, path)
    for o in store.list_objects(LAYOUT):
        inv.total_bytes += o.size
        parts = o.path.split("/")
        if len(parts) != 4 or parts[0] != LAYOUT:
            continue  # team pins and anything else that is not an entry
        abi, folder, name = parts[1], parts[2], parts[3]
        if folder == "archives":
            inv.archives.append(o)
        elif folder == "manifests" and name.endswith(".json"):
            manifests.append((abi, o.path))
            inv.keys.add((abi, _manifest_key(name)))
    inv.manifests = len(manifests)
    referred: set[str] = set()
    with ThreadPoolExecutor(_READERS) as pool:
        for (_abi, path), got in zip(
            manifests, pool.map(lambda am: _referred(store, *am), manifests), strict=True
        ):
            if got is None:
                inv.unreadable.append(path)
            else:
                referred |= got
    inv.orphans = [o for o in inv.archives if o.path not in referred]
    return inv


def remove_orphans(store: Store, inv: Inventory, grace_s: float) -> Iterator[StoredObject]:
    """Delete the orphans of ``inv`` past ``grace_s``, yielding each once it is gone. A StoreError stops
    at the first failure (what was removed before it stays removed)."""
    for o in inv.past_grace(grace_s):
        store.delete(o.path)
        yield o
