"""The store inventory on a real file:// store: what counts as an entry, a reference and an orphan; ages."""

from __future__ import annotations

import json
import os
import time

import pytest
from cython_pin.remote import inventory, manifest
from cython_pin.remote.stores import FileStore

KEY, OTHER = "a" * 64, "c" * 64
SHA, SHA2, SHA3 = "1" * 64, "2" * 64, "3" * 64


def signed(sha: str) -> bytes:
    doc = {"archive": manifest.archive_path("abi", sha), "archive_sha256": sha}
    return json.dumps({"signed": doc, "key_id": "SHA256:x", "signature": "AAAA"}).encode()


def test_parse_and_format_ages() -> None:
    assert [inventory.parse_age(t) for t in ("7d", "12h", "30m", "45s", "3600", "0", "1.5h")] == [
        604800,
        43200,
        1800,
        45,
        3600,
        0,
        5400,
    ]
    for bad in ("7x", "-1d", "", "d", "1e3"):
        with pytest.raises(ValueError, match="is not an age"):
            inventory.parse_age(bad)
    assert [inventory.format_age(s) for s in (604800, 5400, 1800, 12)] == ["7d", "1.5h", "30m", "12s"]
    assert [inventory.format_bytes(n) for n in (812, 3400, 12_000_000)] == ["812 B", "3.4 kB", "12.0 MB"]


def test_every_generation_refers_and_the_rest_are_orphans(tmp_path) -> None:
    store = FileStore("file://" + str(tmp_path))
    store.put_create(manifest.manifest_path("abi", KEY), signed(SHA))
    store.put_create(manifest.manifest_path("abi", KEY, 1), signed(SHA2))  # a later generation
    store.put_create(manifest.manifest_path("abi", OTHER), b"not json")
    for sha in (SHA, SHA2, SHA3):
        store.put_create(manifest.archive_path("abi", sha), b"x" * 10)
    store.put_create("v1/abi/archives/leftover.tar.gz.123.abcd.tmp", b"y")  # a killed file-store write
    store.put_create("v1/team-pins/pins.000000000001.json", b"{}")
    inv = inventory.take_inventory(store)
    assert (inv.entries, inv.manifests, len(inv.archives)) == (2, 3, 4)
    assert inv.unreadable == [manifest.manifest_path("abi", OTHER)]
    assert sorted(o.path for o in inv.orphans) == [
        manifest.archive_path("abi", SHA3),
        "v1/abi/archives/leftover.tar.gz.123.abcd.tmp",
    ]
    assert inv.total_bytes == sum(os.path.getsize(p) for p in tmp_path.rglob("*") if p.is_file())
    assert inv.past_grace(3600) == []

    old = time.time() - 7200
    os.utime(tmp_path / "v1" / "abi" / "archives" / f"{SHA3}.tar.gz", (old, old))
    assert [o.path for o in inventory.take_inventory(store).past_grace(3600)] == [
        manifest.archive_path("abi", SHA3)
    ]
    gone = list(inventory.remove_orphans(store, inventory.take_inventory(store), 3600))
    assert [o.path for o in gone] == [manifest.archive_path("abi", SHA3)]
    assert store.get(manifest.archive_path("abi", SHA3)) is None
    assert store.get(manifest.archive_path("abi", SHA)) is not None


def test_an_empty_or_missing_tree_holds_nothing(tmp_path) -> None:
    inv = inventory.take_inventory(FileStore("file://" + str(tmp_path)))
    assert (inv.entries, inv.archives, inv.orphans, inv.total_bytes) == (0, [], [], 0)
