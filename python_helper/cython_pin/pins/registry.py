"""Pins: human-friendly aliases for cache keys, stored in ``<cache root>/pins.json`` (alias -> key).

Writes are atomic (temp + fsync + replace) under the pins lock. A corrupt file raises PinRegistryError naming
it and is never overwritten. Every change notifies :mod:`cython_pin.events` listeners (``pins_changed``).
"""

from __future__ import annotations

import json
import os

from .. import events
from ..cache.entries import read_meta
from ..cache.locks import FileLock
from ..cache.paths import ensure_root, get_cache_dir, lock_path
from ..errors import PinRegistryError
from ..names import is_key, validate_key
from .rules import (
    alias_problem,
    all_valid,
    check_pin,
    check_rename,
    unknown_alias_message,
    validate_alias,
)

PINS_FILE = "pins.json"
PINS_LOCK_TIMEOUT_S = 30.0


def pins_path(root: str) -> str:
    return os.path.join(root, PINS_FILE)


# The last registry this process read or wrote: (path, its exact bytes, its pins sorted by alias). A read
# whose bytes are the same skips JSON parsing, validation and sorting; any other content, whoever wrote it,
# is parsed and checked in full, so nothing stale or corrupt is ever served.
_last: tuple[str, bytes, dict[str, str]] | None = None


def read_pins(root: str) -> dict[str, str]:
    """Parse pins.json of ``root`` ({} when absent), sorted by alias. Raises PinRegistryError if it is
    corrupt."""
    global _last
    path = pins_path(root)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise PinRegistryError(f"Cannot read the pins registry {path}: {e}.") from e
    last = _last
    if last is not None and last[0] == path and last[1] == raw:
        return dict(last[2])
    pins = _sorted(_parse(path, raw))
    _last = (path, raw, pins)
    return dict(pins)


def _spliced(raw: bytes, pins: dict[str, str], alias: str, key: str) -> tuple[bytes, dict[str, str]] | None:
    """``raw`` (the bytes ``pins``, sorted, was read from) with ``alias`` set to ``key`` by editing one line,
    and the new sorted pins; None when the text is not laid out one member per line as this module writes
    it (the caller then writes the whole file). Valid aliases and keys hold no quote, so four quotes per
    member means no alias appears twice, and ``\n "alias": "`` finds the one member named ``alias``."""
    tail = raw[raw.rfind(b'"') + 1 :]
    if raw.count(b'"') != 4 * len(pins) or tail not in (b"\n}\n", b"\n}"):
        return None
    a, k = alias.encode("ascii"), key.encode("ascii")
    if alias in pins:
        at = raw.find(b'\n "' + a + b'": "')
        start = at + len(a) + 7
        if at < 0 or raw[start + 64 : start + 65] != b'"':
            return None
        new = dict(pins)
        new[alias] = key
        return raw[:start] + k + raw[start + 64 :], new
    import bisect

    aliases = list(pins)
    i = bisect.bisect(aliases, alias)
    if i == len(aliases):  # after the last member
        raw = raw[: -len(tail)] + b',\n "' + a + b'": "' + k + b'"' + tail
    else:
        at = raw.find(b'\n "' + aliases[i].encode("ascii") + b'": "')
        if at < 0:
            return None
        raw = raw[: at + 1] + b' "' + a + b'": "' + k + b'",\n' + raw[at + 1 :]
    keys = list(pins.values())
    aliases.insert(i, alias)
    keys.insert(i, key)
    return raw, dict(zip(aliases, keys, strict=True))


def _parse(path: str, raw: bytes) -> dict[str, str]:
    try:
        text = raw.decode("utf-8")
    except ValueError as e:  # not UTF-8
        raise PinRegistryError(f"Cannot read the pins registry {path}: {e}.") from e
    try:
        data = json.loads(text) if text.strip() else {}
    except (ValueError, RecursionError) as e:
        raise PinRegistryError(
            f"The pins registry {path} is corrupt ({e}). It was left untouched: fix or delete it by hand."
        ) from e
    if not isinstance(data, dict) or (data and {*map(type, data), *map(type, data.values())} != {str}):
        raise PinRegistryError(
            f"The pins registry {path} is not a JSON object of alias -> key. It was left untouched: "
            "fix or delete it by hand."
        )
    if all_valid(data):  # one pass in C over all entries; the per-entry loop only to name the bad one
        return data
    for a, k in data.items():
        if alias_problem(a) or not is_key(k):
            raise PinRegistryError(
                f"The pins registry {path} has an invalid entry {a[:60]!r}: {k[:70]!r} (aliases are "
                "identifiers, keys 64 lowercase hex). It was left untouched: fix or delete it by hand."
            )
    return data


def _sorted(pins: dict[str, str]) -> dict[str, str]:
    """A copy sorted by alias. Not ``dict(sorted(pins.items()))``: its 10,000 (alias, key) tuples are
    GC-tracked and, in a kernel's large heap, set off a full collection (~9 ms) inside list_pins/pin."""
    return {a: pins[a] for a in sorted(pins)}


def _dumps(pins: dict[str, str]) -> str:
    """``json.dumps(pins, indent=1)`` plus a newline, in one join: every writer holds only validated aliases
    and keys (identifiers and hex, nothing to escape), and json.dump's pure-Python encoder would make
    ~40,000 small writes for 10,000 pins."""
    if not pins:
        return "{}\n"
    return "{\n" + ",\n".join([f' "{a}": "{k}"' for a, k in pins.items()]) + "\n}\n"


def _write_pins(root: str, pins: dict[str, str], raw: bytes | None = None) -> None:
    """Write ``pins`` (sorted by alias; ``raw``: its text, when already made) atomically and durably; the
    caller holds the pins lock."""
    global _last
    from ..cache.atomic import atomic_write

    path = pins_path(root)
    data = _dumps(pins).encode("ascii") if raw is None else raw
    atomic_write(path, lambda f: f.write(data), binary=True)
    _last = (path, data, dict(pins))


def _set_pin(root: str, pins: dict[str, str], alias: str, key: str) -> dict[str, str]:
    """Write ``pins`` (as just read under the lock) with ``alias`` -> ``key``; returns the new pins. The
    registry just read is usually edited in place (one line) instead of written out again in full."""
    last = _last
    if last is not None and last[0] == pins_path(root) and last[2] == pins:
        edit = _spliced(last[1], pins, alias, key)
        if edit is not None:
            _write_pins(root, edit[1], edit[0])
            return edit[1]
    pins = dict(pins)
    new_alias = alias not in pins
    pins[alias] = key
    if new_alias:
        pins = _sorted(pins)
    _write_pins(root, pins)
    return pins


def _lock(root: str) -> FileLock:
    return FileLock(lock_path(root, "pins"), timeout=PINS_LOCK_TIMEOUT_S, what="the pins registry")


def _notify(root: str, pins: dict[str, str]) -> None:
    """Tell listeners; ``pins`` is sorted and not used again by the caller."""
    events.emit("pins_changed", {"cache_dir": root, "pins": pins})


def _team_changed(root: str) -> None:
    """A team pin changed: the same event as a personal change (with this cache's personal pins), so the
    pin panel re-reads the team pins too."""
    try:
        pins = read_pins(root)
    except PinRegistryError:
        pins = {}
    _notify(root, pins)


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
    if read_meta(root, key) is None:
        raise FileNotFoundError(
            f"No cache entry for key {key[:16]}... in {root}. Build it first (compile_and_load_result) or "
            "import an exported archive (import_exported)."
        )
    ensure_root(root)
    with _lock(root):
        pins = read_pins(root)
        if not check_pin(pins, key, alias, overwrite):
            return key
        pins = _set_pin(root, pins, alias, key)
    _notify(root, pins)
    return key


def unpin(alias: str, *, cache_dir: str | os.PathLike[str] | None = None, team: bool = False) -> bool:
    """Remove ``alias``; True if it existed. The cache entry stays (gc_cache may then remove it).
    ``team=True``: remove a team pin."""
    if team:  # team cache hook
        from ..remote import team_pins

        return team_pins.unpin(alias, cache_dir=cache_dir, on_change=_team_changed)
    validate_alias(alias)
    root = get_cache_dir(cache_dir)
    if alias not in read_pins(root):
        return False
    with _lock(root):
        pins = read_pins(root)
        if alias not in pins:
            return False
        del pins[alias]
        _write_pins(root, pins)
    _notify(root, pins)
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
    ensure_root(root)
    with _lock(root):
        pins = read_pins(root)
        key = check_rename(pins, old, new, overwrite, _unknown_alias_message(old, root, pins))
        if old == new:
            return key
        del pins[old]
        pins[new] = key
        pins = _sorted(pins)
        _write_pins(root, pins)
    _notify(root, pins)
    return key


def list_pins(*, cache_dir: str | os.PathLike[str] | None = None, team: bool = False) -> dict[str, str]:
    """A copy of the pins (alias -> key), sorted by alias. ``team=True``: the team pins."""
    if team:  # team cache hook
        from ..remote import team_pins

        return _sorted(team_pins.list_pins(cache_dir=cache_dir))
    return read_pins(get_cache_dir(cache_dir))


def _unknown_alias_message(alias: str, root: str, pins: dict[str, str]) -> str:
    return unknown_alias_message(alias, os.path.join(root, PINS_FILE), pins)


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
    pins = read_pins(root)
    if alias not in pins:
        from ..cache.tiers import team_tier

        tier = team_tier()  # personal first, then team
        if tier is not None:
            return tier.resolve_pin(alias, _unknown_alias_message(alias, root, pins), cache_dir)
        raise KeyError(_unknown_alias_message(alias, root, pins))
    return pins[alias]


def aliases_for(key: str, root: str) -> list[str]:
    """Aliases pointing at ``key`` (sorted)."""
    return sorted(a for a, k in read_pins(root).items() if k == key)
