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


def test_pins_file_written_atomically_and_private(square, pcache):
    cython_pin.pin(square.key, alias="sq", cache_dir=pcache)
    assert json.load(open(os.path.join(pcache, "pins.json"))) == {"sq": square.key}
    assert not [n for n in os.listdir(pcache) if n.endswith(".tmp")]
    assert os.stat(os.path.join(pcache, "pins.json")).st_mode & 0o077 == 0


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


def test_a_registry_changed_by_another_writer_is_read_again(square, pcache):
    """This process remembers the registry it last read or wrote; any other content on disk is read
    (and checked) again, so an edit by another process or by hand is never hidden."""
    cython_pin.pin(square.key, alias="sq", cache_dir=pcache)
    assert cython_pin.list_pins(cache_dir=pcache) == {"sq": square.key}
    path = os.path.join(pcache, "pins.json")
    with open(path, "w", encoding="utf-8") as f:  # another writer: same length, other alias
        json.dump({"zz": square.key}, f, indent=1)
    assert cython_pin.list_pins(cache_dir=pcache) == {"zz": square.key}
    cython_pin.pin(square.key, alias="b2", overwrite=True, cache_dir=pcache)
    assert cython_pin.list_pins(cache_dir=pcache) == {"b2": square.key, "zz": square.key}
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"zz": "not a key"}')
    with pytest.raises(PinRegistryError, match="invalid entry"):
        cython_pin.list_pins(cache_dir=pcache)
    with pytest.raises(PinRegistryError):
        cython_pin.pin(square.key, alias="c3", overwrite=True, cache_dir=pcache)
    with open(path, encoding="utf-8") as f:
        assert f.read() == '{"zz": "not a key"}'  # left untouched


def test_pins_json_text_is_sorted_and_indented(square, pcache):
    cython_pin.pin(square.key, alias="b", cache_dir=pcache)
    cython_pin.pin(square.key, alias="a", overwrite=True, cache_dir=pcache)
    with open(os.path.join(pcache, "pins.json"), encoding="utf-8") as f:
        text = f.read()
    assert text == json.dumps({"a": square.key, "b": square.key}, indent=1) + "\n"


def test_pin_edits_keep_the_file_exactly_as_a_full_write(square, pcache):
    """pin edits the registry it just read line by line; the text is the same as writing it out in full
    (sorted, one member per line), at the start, middle and end, and when re-pointing an alias."""
    other = "f" * 64
    path = os.path.join(pcache, "pins.json")
    cython_pin.pin(square.key, alias="m", cache_dir=pcache)
    expect = {"m": square.key}
    for alias in ("z", "a", "k", "zz", "A", "_x", "m"):
        cython_pin.pin(square.key, alias=alias, overwrite=True, cache_dir=pcache)
        expect[alias] = square.key
        with open(path, encoding="utf-8") as f:
            assert f.read() == json.dumps(dict(sorted(expect.items())), indent=1) + "\n"
    with open(path, encoding="utf-8") as f:  # re-point one alias to another key (written by hand here)
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(f'"k": "{square.key}"', f'"k": "{other}"'))
    cython_pin.pin(square.key, alias="k", overwrite=True, cache_dir=pcache)
    with open(path, encoding="utf-8") as f:
        assert f.read() == json.dumps(dict(sorted(expect.items())), indent=1) + "\n"
    assert cython_pin.list_pins(cache_dir=pcache) == dict(sorted(expect.items()))


def test_a_registry_naming_an_alias_twice_is_rewritten_whole(square, pcache):
    """JSON keeps the last of two members with one name: an edit of one line could change the shadowed
    one, so such a file is written out again in full."""
    other = "e" * 64
    path = os.path.join(pcache, "pins.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'{{\n "a": "{other}",\n "a": "{other}",\n "b": "{other}"\n}}\n')
    assert cython_pin.list_pins(cache_dir=pcache) == {"a": other, "b": other}
    cython_pin.pin(square.key, alias="a", overwrite=True, cache_dir=pcache)
    assert cython_pin.list_pins(cache_dir=pcache) == {"a": square.key, "b": other}
    with open(path, encoding="utf-8") as f:
        assert json.load(f) == {"a": square.key, "b": other}
