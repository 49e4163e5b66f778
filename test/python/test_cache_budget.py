"""The cache budget (cache/budget.py) and what gc and pin must never do to each other: LRU eviction with
pinned, locked and shared-module entries kept and never-loaded builds ahead first; the trigger after a build;
last use recorded on a hit; leftovers cleaned (lock files, needs-numpy markers, precompiled headers); a pin
made while gc runs; the team pins' memory file written through cache/atomic.py."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import time

import cython_pin
import pytest
from cython_pin.cache import budget, catalogue
from cython_pin.cache.entries import disk_size, key_lock
from cython_pin.cache.locks import FileLock, is_locked
from cython_pin.cache.paths import lock_path
from cython_pin.pins import registry
from support import run_py

DAY = 86400.0
_numbers = itertools.count(1)


@pytest.fixture()
def pcache(square, tmp_path):
    """A private cache holding the square entry."""
    d = str(tmp_path / "pcache")
    cython_pin.import_exported(cython_pin.export_cached(square.key, tmp_path), cache_dir=d)
    return d


def _copies(root: str, key: str, n: int, **meta_changes) -> list[str]:
    """``n`` more entries: copies of ``key``'s entry under new keys (their meta names them), used a day
    apart, oldest first."""
    with open(os.path.join(root, key, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    keys = []
    now = time.time()
    for i in range(n):
        k = f"{next(_numbers):064x}"
        shutil.copytree(os.path.join(root, key), os.path.join(root, k))
        with open(os.path.join(root, k, "meta.json"), "w", encoding="utf-8") as f:
            json.dump(dict(meta, key=k, **meta_changes), f)
        t = now - (n - i + 1) * DAY
        os.utime(os.path.join(root, k), (t, t))
        keys.append(k)
    return keys


def _present(root: str, keys: list[str]) -> list[str]:
    return [k for k in keys if os.path.isdir(os.path.join(root, k))]


# ---------------------------------------------------------------- gc and pin (bug 8)


def test_a_key_pinned_while_gc_runs_is_never_removed(square, pcache, monkeypatch):
    """gc decides that the entry is unpinned, then a pin of it comes in before the removal: gc holds the
    pins lock from deciding to removing, so the pin waits (refused here with a zero timeout) or the entry
    stays; never a pin whose entry is gone."""
    outcome = []
    remove = catalogue.remove_entry

    def pin_then_remove(root, key):
        try:
            cython_pin.pin(key, alias="late", cache_dir=root)
            outcome.append("pinned")
        except TimeoutError:
            outcome.append("refused")
        return remove(root, key)

    monkeypatch.setattr(registry, "PINS_LOCK_TIMEOUT_S", 0)
    monkeypatch.setattr(catalogue, "remove_entry", pin_then_remove)
    cython_pin.gc_cache(max_bytes=0, cache_dir=pcache)
    assert outcome == ["refused"]
    for alias, key in cython_pin.list_pins(cache_dir=pcache).items():
        assert os.path.isdir(os.path.join(pcache, key)), f"{alias} is pinned to a removed entry"
    with pytest.raises(FileNotFoundError, match="Build it first"):  # the pin after gc finds it gone
        cython_pin.pin(square.key, alias="late", cache_dir=pcache)


# ---------------------------------------------------------------- eviction


def test_budget_evicts_least_recently_used_keeping_pinned_and_locked(square, pcache):
    keys = _copies(pcache, square.key, 5)  # keys[0] is the least recently used
    size = disk_size(os.path.join(pcache, keys[0]))
    cython_pin.pin(keys[0], alias="kept", cache_dir=pcache)
    with key_lock(pcache, keys[1], timeout=0):  # being built or removed by someone
        evicted = budget.enforce(pcache, limit=4 * size)
    assert evicted == [keys[2], keys[3]]
    assert _present(pcache, keys) == [keys[0], keys[1], keys[4]]
    assert os.path.isdir(os.path.join(pcache, square.key))  # used now: the most recent
    assert budget.enforce(pcache, limit=0) == []  # 0: no limit


def test_builds_ahead_never_loaded_go_first(square, pcache):
    old = _copies(pcache, square.key, 2)
    with open(os.path.join(pcache, square.key, "meta.json"), encoding="utf-8") as f:
        created = json.load(f)["created_utc"]
    (ahead,) = _copies(pcache, square.key, 1, built_ahead=True, created_utc=created)
    (loaded,) = _copies(pcache, square.key, 1, built_ahead=True, created_utc="2020-01-01T00:00:00Z")
    import calendar

    t = calendar.timegm(time.strptime(created, "%Y-%m-%dT%H:%M:%SZ"))
    os.utime(os.path.join(pcache, ahead), (t, t))  # its folder not touched since it was made
    os.utime(os.path.join(pcache, loaded), (t, t))  # loaded long after it was built ahead
    size = disk_size(os.path.join(pcache, ahead))
    evicted = budget.enforce(pcache, limit=4 * size)
    assert evicted == [ahead]
    assert _present(pcache, [*old, loaded]) == [*old, loaded]


def test_a_shared_utility_module_stays_while_an_entry_imports_it(square, pcache):
    (shared,) = _copies(pcache, square.key, 1)  # the oldest
    _copies(pcache, square.key, 1, shared={"key": shared, "module_name": "x"})
    budget.enforce(pcache, limit=1)
    assert os.path.isdir(os.path.join(pcache, shared))


def test_a_hit_in_a_fresh_process_records_the_entry_use(square, pcache):
    d = os.path.join(pcache, square.key)
    os.utime(d, (1e9, 1e9))
    p = run_py(
        f"import cython_pin\nprint(cython_pin.import_cached({square.key!r}, cache_dir={pcache!r}).f(4))\n"
    )
    assert p.returncode == 0 and p.stdout.split() == ["16"], p.stderr
    assert os.stat(d).st_mtime > time.time() - DAY


def test_the_budget_runs_after_a_build_at_most_every_interval(square, pcache, monkeypatch):
    old = _copies(pcache, square.key, 3)
    size = disk_size(os.path.join(pcache, old[0]))
    monkeypatch.setenv(budget.ENV, str(3 * size + size // 2))
    r = cython_pin.compile_and_load_result("def budget_one():\n    return 1\n", cache_dir=pcache)
    assert _present(pcache, old) == old[2:]  # the new entry (locked while it ran) and the most recent stay
    assert os.path.isdir(os.path.join(pcache, r.key)) and os.path.isdir(os.path.join(pcache, square.key))
    more = _copies(pcache, square.key, 2)
    cython_pin.compile_and_load_result("def budget_two():\n    return 2\n", cache_dir=pcache)
    assert _present(pcache, more) == more  # ran moments ago: not again


def test_a_bad_budget_setting_warns_and_the_build_succeeds(pcache, monkeypatch):
    monkeypatch.setenv(budget.ENV, "2GB")
    with pytest.warns(RuntimeWarning, match="CYTHON_PIN_CACHE_MAX_BYTES must be a whole number"):
        r = cython_pin.compile_and_load_result("def budget_bad():\n    return 5\n", cache_dir=pcache)
    assert r.module.budget_bad() == 5


# ---------------------------------------------------------------- leftovers


def test_leftovers_are_cleaned(square, pcache):
    from cython_pin.build.pch import HEADER, PCH_DIR
    from cython_pin.cache.paths import NUMPY_MARKERS

    free, held = lock_path(pcache, "a" * 64), lock_path(pcache, "b" * 64)
    open(free, "w").close()
    markers = os.path.join(pcache, NUMPY_MARKERS)
    os.makedirs(markers)
    for name, age in (("c" * 64, 40 * DAY), ("d" * 64, DAY)):
        open(os.path.join(markers, name), "w").close()
        os.utime(os.path.join(markers, name), (time.time() - age,) * 2)
    gone, present = os.path.join(pcache, PCH_DIR, "0" * 32), os.path.join(pcache, PCH_DIR, "1" * 32)
    real = os.path.join(pcache, square.key, "meta.json")
    for folder, target in ((gone, os.path.join(pcache, "no-such-python", HEADER)), (present, real)):
        os.makedirs(folder)
        os.symlink(target, os.path.join(folder, HEADER))
    with FileLock(held):
        budget.enforce(pcache)
        assert os.path.exists(held)  # held: kept
    assert not os.path.exists(free)
    assert os.path.exists(lock_path(pcache, "pins"))  # not a key's lock
    assert os.listdir(markers) == ["d" * 64]
    assert not os.path.exists(gone) and os.path.isdir(present)


def test_gc_cleans_leftovers_too(square, pcache):
    free = lock_path(pcache, "a" * 64)
    open(free, "w").close()
    cython_pin.gc_cache(max_age_days=1000, cache_dir=pcache)
    assert not os.path.exists(free)


def test_a_lock_whose_file_was_removed_meanwhile_locks_the_new_one(tmp_path, monkeypatch):
    """The cleaner removes an unheld lock file (holding it); a process that opened that file just before
    must not end up holding the removed file while a newcomer locks a new one at the path."""
    import fcntl

    path = str(tmp_path / "k.lock")
    flock = fcntl.flock
    removed = []

    def cleaner_first(fd, op):
        if not removed and op & fcntl.LOCK_EX:
            os.unlink(path)  # between this process's open and its flock, as budget.clean_leftovers can
            removed.append(path)
        return flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", cleaner_first)
    lock = FileLock(path, timeout=0).acquire()
    monkeypatch.setattr(fcntl, "flock", flock)
    try:
        assert removed and is_locked(path)  # a newcomer sees the lock held
    finally:
        lock.release()


# ---------------------------------------------------------------- team pins' memory file (bug 8)


def test_a_failed_team_pins_memory_write_leaves_no_temp_file(tmp_path, monkeypatch):
    from cython_pin.remote import team_pins

    root = str(tmp_path / "c")

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(team_pins.json, "dump", full_disk)
    team_pins._remember(root, "file:///team", 3)  # best effort: the failure is swallowed
    assert [n for n in os.listdir(root) if n.endswith(".tmp")] == []
