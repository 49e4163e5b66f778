"""The pin panel's one-walk catalogue: the same answer as list_pins + list_cached (its cells) +
list_toolchain + cache_stats, kept current when entries are replaced, removed or damaged."""

from __future__ import annotations

import json
import os

import cython_pin
from cython_pin.cache.catalogue import cache_stats, catalogue, list_cached, list_toolchain, pin_rows
from support import SQUARE


def three_ops(root: str) -> dict:
    return {
        "cache_dir": root,
        "pins": pin_rows(root),
        "entries": [r for r in list_cached(cache_dir=root) if r["kind"] != "shared"],
        "toolchain": list_toolchain(cache_dir=root),
        "stats": cache_stats(cache_dir=root),
    }


def test_catalogue_equals_the_three_ops_and_follows_changes(tmp_path):
    root = str(tmp_path / "cache")
    a = cython_pin.compile_and_load_result(SQUARE, cache_dir=root)
    b = cython_pin.compile_and_load_result("def g():\n    return 2\n", cache_dir=root, profile="release")
    cython_pin.pin(a.key, alias="sq", cache_dir=root)
    cython_pin.pin(b.key, alias="gee", cache_dir=root)
    first = catalogue(cache_dir=root)
    assert first == three_ops(root)
    assert [p["alias"] for p in first["pins"]] == ["gee", "sq"] and first["stats"]["entries"] == 2
    # a rebuilt entry (new meta.json) shows its new date, not a remembered one
    meta_path = os.path.join(root, a.key, "meta.json")
    meta = json.loads(open(meta_path, encoding="utf-8").read())
    meta["created_utc"] = "2020-01-01T00:00:00Z"
    os.replace(meta_path, meta_path + ".old")
    with open(meta_path, "w", encoding="utf-8") as f:
        json.dump(meta, f)
    second = catalogue(cache_dir=root)
    assert {r["key"]: r["created_utc"] for r in second["entries"]}[a.key] == "2020-01-01T00:00:00Z"
    assert second == three_ops(root)
    # a damaged entry: listed without its fields, its pin not in the cache
    os.unlink(meta_path + ".old")
    with open(os.path.join(root, b.key, "meta.json"), "w", encoding="utf-8") as f:
        f.write("{broken")
    third = catalogue(cache_dir=root)
    assert third == three_ops(root)
    assert {p["alias"]: p["in_cache"] for p in third["pins"]} == {"gee": False, "sq": True}
    # a removed entry is gone from every part
    cython_pin.unpin("gee", cache_dir=root)
    import shutil

    shutil.rmtree(os.path.join(root, b.key))
    fourth = catalogue(cache_dir=root)
    assert fourth == three_ops(root) and [r["key"] for r in fourth["entries"]] == [a.key]
    assert fourth["stats"] == {
        "cache_dir": root,
        "entries": 1,
        "total_bytes": fourth["entries"][0]["size_bytes"] + sum(t["size_bytes"] for t in fourth["toolchain"]),
        "pins": 1,
    }
