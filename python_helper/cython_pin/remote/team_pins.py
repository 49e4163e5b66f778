"""Team pins: one signed document per store, ``{"format", "seq", "pins", "updated_utc"}``, changed only by
compare-and-swap (ETag ``If-Match`` on S3, a create-only ``pins.<seq>.json`` on a file store) so two
writers never lose an update. A reader refuses a document with a lower sequence number than one it has
already seen (no rollback); the highest seen is kept per store in ``<cache root>/team-pins-seen.json``.

Same alias rules, collisions and error texts as personal pins (cython_pin.pins.registry).
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import TYPE_CHECKING

from ..errors import PinRegistryError, RemoteError
from . import signing
from .stores import StoreError, StoreForbidden

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .tier import Tier

DOC_FORMAT = 1
SEEN_FILE = "team-pins-seen.json"
MAX_ATTEMPTS = 64


def _tier(write: bool) -> Tier:
    from .tier import current_tier

    t = current_tier()
    if t is None or t.mode == "off":
        raise RemoteError(
            "Team pins need a team cache: set CYTHON_PIN_REMOTE (and CYTHON_PIN_TRUSTED_KEYS) in the "
            "kernel's environment."
        )
    if t.problem:
        raise RemoteError(f"Team pins unavailable: team cache {t.cfg.url}: {t.problem}.")
    if write and t.mode != "read-write":
        raise RemoteError(
            f"Team pins in {t.cfg.url} are read-only here (CYTHON_PIN_REMOTE_MODE={t.mode}): only a signer "
            "in read-write mode can change them."
        )
    return t


def _where(t: Tier) -> str:
    return f"the team pins of {t.cfg.url}"


def _seen_path(root: str) -> str:
    return os.path.join(root, SEEN_FILE)


def _seen(root: str, url: str) -> int:
    try:
        with open(_seen_path(root), encoding="utf-8") as f:
            v = json.load(f).get(url, 0)
        return v if isinstance(v, int) else 0
    except (OSError, ValueError, AttributeError):
        return 0


def _remember(root: str, url: str, seq: int) -> None:
    """Record ``seq`` as seen for ``url`` (best effort: a read-only cache only loses the rollback memory
    across processes)."""
    from ..cache.paths import ensure_root

    try:
        ensure_root(root)
        try:
            with open(_seen_path(root), encoding="utf-8") as f:
                data = json.load(f)
            data = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            data = {}
        if data.get(url, 0) >= seq:
            return
        data[url] = seq
        from ..cache.atomic import atomic_write

        atomic_write(_seen_path(root), lambda f: json.dump(data, f))
    except OSError:
        pass


def _read(t: Tier, root: str) -> tuple[dict[str, str], int, Any]:
    """(pins, seq, version token) of the current document; ({}, 0, None) when there is none yet."""
    from ..pins.rules import all_valid as _all_valid

    try:
        got = t.store().pins_read()
    except StoreError as e:
        raise RemoteError(f"Cannot read {_where(t)}: {e}.") from None
    if got is None:
        return {}, 0, None
    data, token = got
    try:
        doc, _signer = signing.verify(json.loads(data), t.trusted)
    except ValueError as e:  # SignatureRefused or bad JSON
        t.count_refusal(f"team-pins-{getattr(e, 'reason', 'shape')}")
        raise PinRegistryError(f"Refusing {_where(t)}: {e}.") from None
    seq, pins = doc.get("seq"), doc.get("pins")
    if (
        doc.get("format") != DOC_FORMAT
        or not isinstance(seq, int)
        or not isinstance(pins, dict)
        or not all(isinstance(a, str) and isinstance(k, str) for a, k in pins.items())
        or not _all_valid(pins)
        or (isinstance(token, int) and token != seq)  # file store: the name carries the sequence number
    ):
        t.count_refusal("team-pins-shape")
        raise PinRegistryError(f"Refusing {_where(t)}: the signed document is malformed.")
    seen = max(_seen(root, t.cfg.url), t.stats.get("team_pins_seq", 0))
    if seq < seen:
        t.count_refusal("team-pins-rollback")
        raise PinRegistryError(
            f"Refusing {_where(t)}: sequence number {seq} is lower than {seen}, already seen here (the "
            "document was rolled back). Ask an admin to check the store."
        )
    t.stats["team_pins_seq"] = seq
    _remember(root, t.cfg.url, seq)
    return pins, seq, token


def _update(
    root: str, change: Callable[[dict[str, str]], Any], on_change: Callable[[str], None] | None = None
) -> Any:
    """Apply ``change`` (mutates the pins; returns its result, or raises) by compare-and-swap until it
    lands; the document is re-read and ``change`` re-applied after every lost race. ``on_change(root)``
    runs once a changed document is written (cython_pin.pins.registry tells its listeners)."""
    t = _tier(write=True)
    try:
        key = t.signing_key()
    except signing.KeyFileError as e:
        raise RemoteError(f"Cannot change {_where(t)}: {e}.") from None
    for _ in range(MAX_ATTEMPTS):
        pins, seq, token = _read(t, root)
        before = dict(pins)
        out = change(pins)
        if pins == before:
            return out
        doc = {
            "format": DOC_FORMAT,
            "seq": seq + 1,
            "pins": {a: pins[a] for a in sorted(pins)},
            "updated_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        body = json.dumps(signing.sign(doc, key), sort_keys=True, indent=1).encode()
        try:
            if t.store().pins_write(body, token, seq + 1):
                t.stats["team_pins_seq"] = seq + 1
                _remember(root, t.cfg.url, seq + 1)
                t.stats["team_pin_writes"] = t.stats.get("team_pin_writes", 0) + 1
                if on_change is not None:
                    on_change(root)
                return out
        except StoreForbidden as e:
            raise RemoteError(f"Not allowed to change {_where(t)}: {e}.") from None
        except StoreError as e:
            raise RemoteError(f"Cannot change {_where(t)}: {e}.") from None
        t.stats["team_pin_conflicts"] = t.stats.get("team_pin_conflicts", 0) + 1
        time.sleep(random.uniform(0.0, 0.05))  # another writer won this round: re-read and retry
    raise RemoteError(f"Gave up changing {_where(t)} after {MAX_ATTEMPTS} concurrent updates.")


def _root(cache_dir: str | os.PathLike[str] | None) -> str:
    from ..cache.paths import get_cache_dir

    return get_cache_dir(cache_dir)


def _ensure_shared(t: Tier, root: str, key: str) -> None:
    """A team pin must name a build others can fetch: with the entry in the local cache, it is uploaded
    unless the store has a manifest for it that verifies (so a refused one is superseded); without it, the
    store must have a manifest."""
    from ..cache.entries import read_meta
    from . import manifest as _manifest

    if read_meta(root, key) is not None:
        outcome = t.upload(root, key)
        if outcome in ("created", "existing"):
            return
        why = "; ".join(d.message for d in t.take_pending()) or outcome
        raise RemoteError(
            f"Could not upload key {key[:16]}... to team cache {t.cfg.url} ({why}); not pinned."
        )
    try:
        if t.store().get(_manifest.manifest_path(t.abi, key)) is not None:
            return
    except StoreError as e:
        raise RemoteError(f"Cannot read team cache {t.cfg.url}: {e}.") from None
    raise FileNotFoundError(
        f"No cache entry for key {key[:16]}... in {root} or in team cache {t.cfg.url}. Build it first "
        "(compile_and_load_result) or import an exported archive (import_exported)."
    )


def pin(
    key: str,
    *,
    alias: str,
    overwrite: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    on_change: Callable[[str], None] | None = None,
) -> str:
    """Team pin ``alias`` -> ``key`` (see cython_pin.pin)."""
    from ..names import validate_key
    from ..pins.rules import check_pin, validate_alias

    validate_alias(alias)
    validate_key(key)
    root = _root(cache_dir)
    _ensure_shared(_tier(write=True), root, key)

    def change(pins: dict[str, str]) -> str:
        if check_pin(pins, key, alias, overwrite):
            pins[alias] = key
        return key

    out: str = _update(root, change, on_change)
    return out


def unpin(
    alias: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    on_change: Callable[[str], None] | None = None,
) -> bool:
    """Remove team pin ``alias``; True if it existed."""
    from ..pins.rules import validate_alias

    validate_alias(alias)

    def change(pins: dict[str, str]) -> bool:
        return pins.pop(alias, None) is not None

    out: bool = _update(_root(cache_dir), change, on_change)
    return out


def rename_pin(
    old: str,
    new: str,
    *,
    overwrite: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    on_change: Callable[[str], None] | None = None,
) -> str:
    """Rename team pin ``old`` to ``new``; returns the key."""
    from ..pins.rules import check_rename, unknown_alias_message, validate_alias

    validate_alias(old)
    validate_alias(new)
    t = _tier(write=True)

    def change(pins: dict[str, str]) -> str:
        key = check_rename(
            pins, old, new, overwrite, unknown_alias_message(old, _where(t), pins, "pin(team=True)")
        )
        if old != new:
            del pins[old]
            pins[new] = key
        return key

    out: str = _update(_root(cache_dir), change, on_change)
    return out


def list_pins(*, cache_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The team pins (alias -> key)."""
    return _read(_tier(write=False), _root(cache_dir))[0]


def resolve(alias: str, *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """The key of team pin ``alias``; KeyError if there is none."""
    from ..pins.rules import unknown_alias_message

    t = _tier(write=False)
    pins = _read(t, _root(cache_dir))[0]
    if alias not in pins:
        raise KeyError(unknown_alias_message(alias, _where(t), pins, "pin(team=True)"))
    return pins[alias]


def resolve_after_personal(
    alias: str, personal_message: str, cache_dir: str | os.PathLike[str] | None
) -> str:
    """No personal pin ``alias``: the team pin's key, else KeyError(``personal_message``) saying whether the
    team pins were checked."""
    try:
        return resolve(alias, cache_dir=cache_dir)
    except KeyError:
        raise KeyError(f"{personal_message} No team pin '{alias}' either.") from None
    except (PinRegistryError, ValueError) as e:
        raise KeyError(f"{personal_message} Team pins not checked: {e}") from None
