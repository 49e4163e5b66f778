"""Pins: validation, strict collisions, overwrite, rename, unpin, corrupt registry, change listeners."""

from __future__ import annotations

import dataclasses
import json
import os

import cython_pin
import pytest
from cython_pin import events
from cython_pin.errors import PinRegistryError


@pytest.fixture()
def pcache(square, tmp_path):
    """A private cache with the square entry in it (so pin tests never touch the session pins)."""
    d = str(tmp_path / "pcache")
    cython_pin.import_exported(cython_pin.export_cached(square.key, tmp_path), cache_dir=d)
    return d


def test_pin_resolve_import_unpin(square, pcache):
    assert cython_pin.pin(square.key, alias="sq", cache_dir=pcache) == square.key
    assert cython_pin.list_pins(cache_dir=pcache) == {"sq": square.key}
    assert cython_pin.resolve_pinned_key("sq", cache_dir=pcache) == square.key
    r = cython_pin.import_pinned_result("sq", cache_dir=pcache)
    assert r.key == square.key and r.used_cache is True and r.module.f(2) == 4
    assert cython_pin.import_pinned("sq", cache_dir=pcache) is r.module
    assert cython_pin.pin(square.key, alias="sq", cache_dir=pcache) == square.key  # idempotent
    assert cython_pin.unpin("sq", cache_dir=pcache) is True
    assert cython_pin.unpin("sq", cache_dir=pcache) is False
    assert cython_pin.list_pins(cache_dir=pcache) == {}


def test_list_pins_is_a_copy(square, pcache):
    cython_pin.pin(square.key, alias="sq", cache_dir=pcache)
    pins = cython_pin.list_pins(cache_dir=pcache)
    pins["other"] = "x"
    assert "other" not in cython_pin.list_pins(cache_dir=pcache)


def test_validation_errors(square, pcache):
    with pytest.raises(ValueError, match="Invalid alias"):
        cython_pin.pin(square.key, alias="9bad", cache_dir=pcache)
    with pytest.raises(ValueError, match="Invalid alias"):
        cython_pin.pin(square.key, alias="has-dash", cache_dir=pcache)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        cython_pin.pin(square.key.upper(), alias="ok", cache_dir=pcache)
    with pytest.raises(FileNotFoundError, match="Build it first"):
        cython_pin.pin("a" * 64, alias="ok", cache_dir=pcache)
    with pytest.raises(KeyError, match="Unknown alias 'nope'"):
        cython_pin.resolve_pinned_key("nope", cache_dir=pcache)
    with pytest.raises(KeyError):
        cython_pin.import_pinned("nope", cache_dir=pcache)


def test_collisions_and_overwrite(square, pcache, tmp_path):
    other = cython_pin.compile_and_load_result("def f(int n):\n    return n*n + 1\n", cache_dir=pcache)
    cython_pin.pin(square.key, alias="demo", cache_dir=pcache)
    with pytest.raises(cython_pin.AliasCollisionError) as ei:
        cython_pin.pin(other.key, alias="demo", cache_dir=pcache)
    assert isinstance(ei.value, ValueError)  # still a ValueError for existing callers
    assert str(ei.value) == (
        f"Alias collision: alias 'demo' already points to a different key ({square.key[:16]}...). "
        "Use overwrite=True to replace."
    )
    with pytest.raises(cython_pin.KeyCollisionError, match="Key collision: .* already pinned as 'demo'"):
        cython_pin.pin(square.key, alias="second", cache_dir=pcache)
    cython_pin.pin(square.key, alias="second", overwrite=True, cache_dir=pcache)
    cython_pin.pin(other.key, alias="demo", overwrite=True, cache_dir=pcache)
    assert cython_pin.import_pinned("demo", cache_dir=pcache).f(9) == 82
    assert cython_pin.list_pins(cache_dir=pcache) == {"demo": other.key, "second": square.key}


def test_rename_pin(square, pcache):
    cython_pin.pin(square.key, alias="old", cache_dir=pcache)
    assert cython_pin.rename_pin("old", "new", cache_dir=pcache) == square.key
    assert cython_pin.list_pins(cache_dir=pcache) == {"new": square.key}
    with pytest.raises(KeyError):
        cython_pin.rename_pin("old", "x", cache_dir=pcache)


def test_pinned_key_without_entry(square, pcache):
    cython_pin.pin(square.key, alias="gone", cache_dir=pcache)
    import shutil

    shutil.rmtree(os.path.join(pcache, square.key))
    # a fresh process has no in-memory module; simulate that by hiding this process's memo for the key
    from cython_pin.cache import loader

    saved = loader._by_key.pop(square.key)
    try:
        with pytest.raises(FileNotFoundError, match="Alias 'gone' is pinned to key"):
            cython_pin.import_pinned_result("gone", cache_dir=pcache)
    finally:
        loader._by_key[square.key] = saved


def test_corrupt_pins_json_is_never_overwritten(square, pcache):
    path = os.path.join(pcache, "pins.json")
    with open(path, "w") as f:
        f.write("{not json")
    for call in (
        lambda: cython_pin.list_pins(cache_dir=pcache),
        lambda: cython_pin.pin(square.key, alias="x", cache_dir=pcache),
        lambda: cython_pin.unpin("x", cache_dir=pcache),
    ):
        with pytest.raises(PinRegistryError, match="pins.json"):
            call()
    assert open(path).read() == "{not json"
    # Not a ValueError: handlers of bad arguments must not swallow a broken registry...
    assert not issubclass(PinRegistryError, ValueError)
    # ...so a build result's aliases report it instead of "no aliases".
    with pytest.raises(PinRegistryError, match="pins.json"):
        dataclasses.replace(square, cache_dir=pcache).aliases()
    with open(path, "w") as f:
        json.dump(["not", "an", "object"], f)
    with pytest.raises(PinRegistryError, match="not a JSON object"):
        cython_pin.list_pins(cache_dir=pcache)


def _pin_file(root, alias):
    return os.path.join(root, "pins", alias + ".json")


def test_one_private_file_per_alias_written_atomically(square, pcache):
    cython_pin.pin(square.key, alias="sq", cache_dir=pcache)
    with open(_pin_file(pcache, "sq"), encoding="utf-8") as f:
        data = json.load(f)
    assert data["alias"] == "sq" and data["key"] == square.key and data["pinned_utc"].endswith("Z")
    assert os.listdir(os.path.join(pcache, "pins", "by-key", square.key)) == ["sq"]
    assert not [n for n in os.listdir(os.path.join(pcache, "pins")) if n.endswith(".tmp")]
    assert os.stat(_pin_file(pcache, "sq")).st_mode & 0o077 == 0
    assert not os.path.exists(os.path.join(pcache, "pins.json"))
    cython_pin.rename_pin("sq", "sq2", cache_dir=pcache)
    assert not os.path.exists(_pin_file(pcache, "sq"))
    assert os.listdir(os.path.join(pcache, "pins", "by-key", square.key)) == ["sq2"]
    cython_pin.unpin("sq2", cache_dir=pcache)
    assert os.listdir(os.path.join(pcache, "pins", "by-key")) == []  # the index holds no empty folder


def test_listeners_get_pins_changed(square, pcache):
    seen = []

    def listener(event, data):
        seen.append((event, data))

    events.subscribe(listener)
    try:
        cython_pin.pin(square.key, alias="ev", cache_dir=pcache)
        cython_pin.rename_pin("ev", "ev2", cache_dir=pcache)
        cython_pin.unpin("ev2", cache_dir=pcache)
    finally:
        events.unsubscribe(listener)
    assert [e for e, _ in seen] == ["pins_changed"] * 3
    assert seen[0][1] == {"cache_dir": pcache, "pins": {"ev": square.key}}
    assert seen[-1][1]["pins"] == {}


def test_a_pin_changed_by_another_writer_is_read_again(square, pcache):
    cython_pin.pin(square.key, alias="sq", cache_dir=pcache)
    cython_pin.pin(square.key, alias="fine", overwrite=True, cache_dir=pcache)
    other = "e" * 64
    with open(_pin_file(pcache, "sq"), "w", encoding="utf-8") as f:  # another writer
        json.dump({"alias": "sq", "key": other}, f)
    assert cython_pin.list_pins(cache_dir=pcache) == {"fine": square.key, "sq": other}
    assert cython_pin.resolve_pinned_key("sq", cache_dir=pcache) == other
    with open(_pin_file(pcache, "sq"), "w", encoding="utf-8") as f:
        f.write('{"alias": "sq", "key": "not a key"}')
    with pytest.raises(PinRegistryError, match="sq.json"):
        cython_pin.list_pins(cache_dir=pcache)
    with pytest.raises(PinRegistryError, match="sq.json"):
        cython_pin.pin(square.key, alias="sq", overwrite=True, cache_dir=pcache)
    with open(_pin_file(pcache, "sq"), encoding="utf-8") as f:
        assert f.read() == '{"alias": "sq", "key": "not a key"}'  # left untouched
    assert cython_pin.resolve_pinned_key("fine", cache_dir=pcache) == square.key  # the others still work


def test_the_index_may_name_a_stale_alias_and_is_checked(square, pcache):
    """A writer killed between writing the index and the alias file leaves an index name with no pin behind
    it: the key is not taken as pinned under it."""
    index = os.path.join(pcache, "pins", "by-key", square.key)
    os.makedirs(index)
    open(os.path.join(index, "ghost"), "w").close()
    assert cython_pin.list_pins(cache_dir=pcache) == {}
    cython_pin.pin(square.key, alias="real", cache_dir=pcache)  # no key collision with the ghost
    assert dataclasses.replace(square, cache_dir=pcache).aliases() == ["real"]


def test_a_case_twin_alias_is_refused_not_replaced(square, pcache):
    """On a case-insensitive file system Foo.json opens foo.json; the alias read back tells them apart
    (simulated here by a file whose stored alias differs in case)."""
    os.makedirs(os.path.join(pcache, "pins"))
    with open(_pin_file(pcache, "Sq"), "w", encoding="utf-8") as f:
        json.dump({"alias": "sq", "key": square.key}, f)
    with pytest.raises(cython_pin.AliasCollisionError, match="differ only in case"):
        cython_pin.pin(square.key, alias="Sq", overwrite=True, cache_dir=pcache)
    with pytest.raises(KeyError):
        cython_pin.resolve_pinned_key("Sq", cache_dir=pcache)


def test_a_pins_json_of_earlier_versions_is_migrated_once(square, pcache):
    other = "e" * 64
    legacy = os.path.join(pcache, "pins.json")
    # as earlier versions wrote it; of a repeated name the last counts
    with open(legacy, "w", encoding="utf-8") as f:
        f.write(f'{{\n "a": "{other}",\n "a": "{square.key}",\n "b": "{other}"\n}}\n')
    assert cython_pin.resolve_pinned_key("a", cache_dir=pcache) == square.key
    assert not os.path.exists(legacy) and os.path.exists(legacy + ".migrated")
    assert cython_pin.list_pins(cache_dir=pcache) == {"a": square.key, "b": other}
    with pytest.raises(cython_pin.KeyCollisionError, match="already pinned as 'a'"):
        cython_pin.pin(square.key, alias="c", cache_dir=pcache)  # the index was built too
    cython_pin.unpin("a", cache_dir=pcache)
    assert cython_pin.list_pins(cache_dir=pcache) == {"b": other}  # not migrated a second time


def test_migration_happens_under_the_pins_lock(square, pcache):
    from cython_pin.cache.locks import FileLock
    from cython_pin.cache.paths import lock_path
    from cython_pin.pins import registry

    with open(os.path.join(pcache, "pins.json"), "w", encoding="utf-8") as f:
        json.dump({"a": square.key}, f)
    registry_timeout = registry.PINS_LOCK_TIMEOUT_S
    registry.PINS_LOCK_TIMEOUT_S = 0
    try:
        with FileLock(lock_path(pcache, "pins")):  # another process is changing the pins
            with pytest.raises(TimeoutError):
                cython_pin.list_pins(cache_dir=pcache)
            assert os.path.exists(os.path.join(pcache, "pins.json"))
    finally:
        registry.PINS_LOCK_TIMEOUT_S = registry_timeout
    assert cython_pin.list_pins(cache_dir=pcache) == {"a": square.key}
