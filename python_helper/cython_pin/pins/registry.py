"""Pins: human-friendly aliases for cache keys, one small JSON file per alias.

Layout, in ``<cache root>/pins/``:

- ``<alias>.json``: ``{"alias": ..., "key": ..., "pinned_utc": ...}``. Each is written whole through
  :mod:`cython_pin.cache.atomic` (a new file renamed over the old one), never edited in place, so a reader
  sees the old pin or the new one, also on NFS home folders; pinning touches one file however many pins
  exist.
- ``by-key/<key>/<alias>``: empty files, an index from a key to its aliases, so ``pin`` finds the other
  aliases of a key without reading every pin. It is written before the alias file and cleared after it, so
  it may name an alias that no longer points there (a writer killed in between); each name is checked
  against its ``<alias>.json``. It is not synced to disk: after a power cut it may miss a pin made in the
  last moments, and pin then accepts a second alias for that key without ``overwrite=True``. gc and the
  cache budget read the alias files themselves.

Every change holds the pins lock (``.locks/pins.lock``); gc holds it while it decides and removes entries,
so a key cannot be pinned while gc removes it. A corrupt file raises PinRegistryError naming it and is never
overwritten. Every change notifies :mod:`cython_pin.events` listeners (``pins_changed``). The single
``pins.json`` of earlier versions is moved into this layout once, under the pins lock, and then renamed
``pins.json.migrated``.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING

from .. import events
from ..cache.entries import read_meta, utc_now
from ..cache.locks import FileLock
from ..cache.paths import ensure_dir, ensure_root, get_cache_dir, lock_path
from ..errors import AliasCollisionError, PinRegistryError
from ..names import is_key, validate_key
from .rules import (
    alias_problem,
    check_pin,
    check_rename,
    unknown_alias_message,
    validate_alias,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

PINS_DIR = "pins"
BY_KEY = "by-key"
LEGACY_FILE = "pins.json"
PINS_LOCK_TIMEOUT_S = 30.0


def pins_dir(root: str) -> str:
    """The folder holding one ``<alias>.json`` per pin."""
    return os.path.join(root, PINS_DIR)


@contextlib.contextmanager
def pins_lock(root: str) -> Iterator[None]:
    """Hold the lock every pin change holds (gc takes it too, so nothing is pinned while gc removes entries),
    with a ``pins.json`` of earlier versions moved into this layout first."""
    ensure_root(root)
    with FileLock(lock_path(root, "pins"), timeout=PINS_LOCK_TIMEOUT_S, what="the pins registry"):
        _migrate_held(root)
        yield


def _alias_file(root: str, alias: str) -> str:
    return os.path.join(root, PINS_DIR, alias + ".json")


def _index_dir(root: str, key: str) -> str:
    return os.path.join(root, PINS_DIR, BY_KEY, key)


# ---------------------------------------------------------------- reading


def _stored(root: str, alias: str) -> tuple[str, str] | None:
    """(alias as written in the file, key) of ``<alias>.json``, or None when there is none. The alias is read
    back because a case-insensitive file system gives ``Foo.json`` for ``foo.json``."""
    path = _alias_file(root, alias)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise PinRegistryError(f"Cannot read the pin {path}: {e}.") from e
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:  # includes bad UTF-8
        raise PinRegistryError(
            f"The pin {path} is corrupt ({e}). It was left untouched: fix or delete it by hand."
        ) from e
    stored = data.get("alias") if isinstance(data, dict) else None
    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(stored, str) or stored.lower() != alias.lower() or not is_key(key):
        raise PinRegistryError(
            f"The pin {path} is not an object with this alias and a key (64 lowercase hex). It was left "
            "untouched: fix or delete it by hand."
        )
    return stored, str(key)


def _key_of(root: str, alias: str) -> str | None:
    """The key pinned under ``alias`` (None if none)."""
    got = _stored(root, alias)
    return got[1] if got is not None and got[0] == alias else None


def _aliases_of(root: str, key: str) -> list[str]:
    """The aliases pointing at ``key``, sorted: the index's names that their alias files confirm."""
    try:
        names = os.listdir(_index_dir(root, key))
    except FileNotFoundError:
        return []
    return sorted(a for a in names if alias_problem(a) is None and _key_of(root, a) == key)


def read_pins(root: str) -> dict[str, str]:
    """Every pin of ``root`` (alias -> key), sorted by alias ({} when there are none). Raises
    PinRegistryError if a pin file is corrupt."""
    _migrate(root)
    try:
        names = os.listdir(pins_dir(root))
    except FileNotFoundError:
        return {}
    pins = {}
    for name in sorted(names):
        alias, ext = os.path.splitext(name)
        if ext != ".json" or alias_problem(alias) is not None:
            continue  # the index folder, temporary files of a writer
        key = _key_of(root, alias)
        if key is not None:
            pins[alias] = key
    return pins


# ---------------------------------------------------------------- writing (the caller holds the pins lock)


def _write(root: str, alias: str, key: str, previous: str | None, durable: bool = True) -> None:
    """Point ``alias`` at ``key`` (``previous``: the key it pointed at). ``durable``: on disk when this
    returns (else the caller syncs)."""
    from ..cache.atomic import atomic_write

    index = ensure_dir(_index_dir(root, key))
    os.close(os.open(os.path.join(index, alias), os.O_WRONLY | os.O_CREAT, 0o600))
    data = json.dumps({"alias": alias, "key": key, "pinned_utc": utc_now()}, indent=1) + "\n"
    atomic_write(_alias_file(root, alias), lambda f: f.write(data), durable=durable)
    if previous is not None and previous != key:
        _unindex(root, previous, alias)


def _remove(root: str, alias: str, key: str) -> None:
    os.unlink(_alias_file(root, alias))
    _unindex(root, key, alias)


def _unindex(root: str, key: str, alias: str) -> None:
    index = _index_dir(root, key)
    try:
        os.unlink(os.path.join(index, alias))
        os.rmdir(index)  # fails while the key has other aliases
    except OSError:
        pass


def _refuse_case_twin(root: str, alias: str) -> None:
    """On a case-insensitive file system ``Foo.json`` is ``foo.json``: refuse rather than replace that pin."""
    got = _stored(root, alias)
    if got is not None and got[0] != alias:
        raise AliasCollisionError(
            f"Alias collision: alias '{alias}' and the existing alias '{got[0]}' differ only in case, which "
            "this file system does not tell apart. Choose another alias."
        )


def _migrate(root: str) -> None:
    """Move a ``pins.json`` of earlier versions into the per-alias layout (once, under the pins lock)."""
    if os.path.exists(os.path.join(root, LEGACY_FILE)):
        with pins_lock(root):
            pass


def _migrate_held(root: str) -> None:
    legacy = os.path.join(root, LEGACY_FILE)
    try:
        with open(legacy, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return  # another process moved it first
    except OSError as e:
        raise PinRegistryError(f"Cannot read the pins registry {legacy}: {e}.") from e
    for alias, key in _parse_legacy(legacy, raw).items():
        _write(root, alias, key, _key_of(root, alias), durable=False)
    os.sync()  # every pin on disk before the old file goes: one sync, not one per pin
    os.replace(legacy, legacy + ".migrated")


def _parse_legacy(path: str, raw: bytes) -> dict[str, str]:
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if text.strip() else {}
    except (ValueError, RecursionError) as e:
        raise PinRegistryError(
            f"The pins registry {path} is corrupt ({e}). It was left untouched: fix or delete it by hand."
        ) from e
    if not isinstance(data, dict):
        raise PinRegistryError(
            f"The pins registry {path} is not a JSON object of alias -> key. It was left untouched: "
            "fix or delete it by hand."
        )
    for a, k in data.items():
        if alias_problem(a) or not is_key(k):
            raise PinRegistryError(
                f"The pins registry {path} has an invalid entry {a[:60]!r}: {str(k)[:70]!r} (aliases are "
                "identifiers, keys 64 lowercase hex). It was left untouched: fix or delete it by hand."
            )
    return data


# ---------------------------------------------------------------- events


def _notify(root: str) -> None:
    if events.has_listeners():  # the event carries every pin: read them only when someone listens
        events.emit("pins_changed", {"cache_dir": root, "pins": read_pins(root)})


def _team_changed(root: str) -> None:
    """A team pin changed: the same event as a personal change (with this cache's personal pins), so the
    pin panel re-reads the team pins too."""
    if events.has_listeners():
        try:
            pins = read_pins(root)
        except PinRegistryError:
            pins = {}
        events.emit("pins_changed", {"cache_dir": root, "pins": pins})


# ---------------------------------------------------------------- the public API


def pin(
    key: str,
    *,
    alias: str,
    overwrite: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    team: bool = False,
) -> str:
    """Pin the cached build ``key`` under ``alias``; returns the key. ``team=True``: a team pin in the
    team cache (needs CYTHON_PIN_REMOTE in read-write mode and CYTHON_PIN_SIGNING_KEY).

    Re-pointing an existing alias, or pinning a key that already has another alias, raises ValueError
    unless ``overwrite=True`` (which re-points the alias / adds the extra alias).
    """
    if team:  # team cache hook
        from ..remote import team_pins

        return team_pins.pin(
            key, alias=alias, overwrite=overwrite, cache_dir=cache_dir, on_change=_team_changed
        )
    validate_alias(alias)
    validate_key(key)
    root = get_cache_dir(cache_dir)
    with pins_lock(root):
        if read_meta(root, key) is None:  # checked under the lock gc holds while it removes entries
            raise FileNotFoundError(
                f"No cache entry for key {key[:16]}... in {root}. Build it first (compile_and_load_result) "
                "or import an exported archive (import_exported)."
            )
        _refuse_case_twin(root, alias)
        current = _key_of(root, alias)
        # the pins check_pin looks at: the key's other aliases matter only without overwrite
        pins = {} if overwrite else dict.fromkeys(_aliases_of(root, key), key)
        if current is not None:
            pins[alias] = current
        if not check_pin(pins, key, alias, overwrite):
            return key
        _write(root, alias, key, current)
    _notify(root)
    return key


def unpin(alias: str, *, cache_dir: str | os.PathLike[str] | None = None, team: bool = False) -> bool:
    """Remove ``alias``; True if it existed. The cache entry stays (gc_cache may then remove it).
    ``team=True``: remove a team pin."""
    if team:  # team cache hook
        from ..remote import team_pins

        return team_pins.unpin(alias, cache_dir=cache_dir, on_change=_team_changed)
    validate_alias(alias)
    root = get_cache_dir(cache_dir)
    _migrate(root)
    if _key_of(root, alias) is None:
        return False
    with pins_lock(root):
        key = _key_of(root, alias)
        if key is None:
            return False
        _remove(root, alias, key)
    _notify(root)
    return True


def rename_pin(
    old: str,
    new: str,
    *,
    overwrite: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    team: bool = False,
) -> str:
    """Rename alias ``old`` to ``new``; returns the key. KeyError if ``old`` is unknown; ValueError if
    ``new`` already points elsewhere (unless ``overwrite=True``). ``team=True``: rename a team pin."""
    if team:  # team cache hook
        from ..remote import team_pins

        return team_pins.rename_pin(
            old, new, overwrite=overwrite, cache_dir=cache_dir, on_change=_team_changed
        )
    validate_alias(old)
    validate_alias(new)
    root = get_cache_dir(cache_dir)
    with pins_lock(root):
        key, target = _key_of(root, old), _key_of(root, new)
        pins = {a: k for a, k in ((old, key), (new, target)) if k is not None}
        unknown = "" if key is not None else _unknown_alias_message(old, root, read_pins(root))
        key = check_rename(pins, old, new, overwrite, unknown)
        if old == new:
            return key
        _refuse_case_twin(root, new)
        _write(root, new, key, target)
        _remove(root, old, key)
    _notify(root)
    return key


def list_pins(*, cache_dir: str | os.PathLike[str] | None = None, team: bool = False) -> dict[str, str]:
    """A copy of the pins (alias -> key), sorted by alias. ``team=True``: the team pins."""
    if team:  # team cache hook
        from ..remote import team_pins

        pins = team_pins.list_pins(cache_dir=cache_dir)
        return {a: pins[a] for a in sorted(pins)}
    return read_pins(get_cache_dir(cache_dir))


def _unknown_alias_message(alias: str, root: str, pins: dict[str, str]) -> str:
    return unknown_alias_message(alias, pins_dir(root), pins)


def resolve_pinned_key(
    alias: str, *, cache_dir: str | os.PathLike[str] | None = None, team: bool = False
) -> str:
    """The key pinned under ``alias``: a personal pin first, then (with a team cache configured) a team pin;
    ``team=True`` resolves only team pins. KeyError if unknown."""
    validate_alias(alias)
    root = get_cache_dir(cache_dir)
    if team:  # team cache hook
        from ..remote import team_pins

        return team_pins.resolve(alias, cache_dir=cache_dir)
    _migrate(root)
    key = _key_of(root, alias)
    if key is None:
        from ..cache.tiers import team_tier

        tier = team_tier()  # personal first, then team
        if tier is not None:
            return tier.resolve_pin(alias, _unknown_alias_message(alias, root, read_pins(root)), cache_dir)
        raise KeyError(_unknown_alias_message(alias, root, read_pins(root)))
    return key


def aliases_for(key: str, root: str) -> list[str]:
    """Aliases pointing at ``key`` (sorted)."""
    _migrate(root)
    return _aliases_of(root, key)
