"""The team cache as this kernel sees it: the RemoteStatus of the protocol (what the pin panel shows and
``python -m cython_pin remote status`` prints) and the team catalogue (that status and the team pins).

Every store access here is waited for at most CYTHON_PIN_REMOTE_TIMEOUT seconds in all (stores.within), so
a hung store (a server that accepts and never answers, a stuck NFS mount) never holds up the panel or the
kernel's comm; a late answer is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import RemoteConfigError

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .tier import Tier


class Check:
    """One look at a configured remote: whether it answered (``unreachable`` says why not), the signing
    key's id and problem (read-write mode), and what the optional extra work returned or raised."""

    def __init__(self) -> None:
        self.unreachable: str | None = None
        self.signer_id: str | None = None
        self.signing_error: str | None = None  # the key file's own error
        self.signing_problem: str | None = None
        self.extra: Any = None
        self.extra_error: str | None = None


def _signing(t: Tier, c: Check) -> None:
    from . import signing

    try:
        c.signer_id = signing.signer_id(t.signing_key())
    except signing.KeyFileError as e:
        c.signing_error = str(e)
        c.signing_problem = f"signing key unusable: {e}"
        return
    if not any(k.key_id == c.signer_id for k in t.trusted):
        c.signing_problem = (
            f"signing key {c.signer_id} is not in the trusted keys: readers would refuse what it signs"
        )


def check(t: Tier, extra: Callable[[], Any] | None = None, *, respect_backoff: bool = False) -> Check:
    """Ask the store for one object (and run ``extra`` after it, in the same time bound) unless the mode is
    off; look at the signing key in read-write mode. ``respect_backoff``: while builds skip the remote after
    a failure, say so instead of asking (the panel's question then never waits on a store known to hang)."""
    from .manifest import manifest_path
    from .stores import StoreError, within

    c = Check()
    if t.mode == "off":
        return c
    if t.mode == "read-write":
        _signing(t, c)
    if respect_backoff and t.backing_off():
        c.unreachable = "it failed recently; skipped until the back-off ends"
        return c
    state: dict[str, bool] = {}

    def work() -> None:
        t.store().get(manifest_path(t.abi, "0" * 64))
        state["answered"] = True
        if extra is not None:
            try:
                c.extra = extra()
            except (StoreError, ValueError, RuntimeError, OSError) as e:
                c.extra_error = str(e)

    try:
        within(work, t.cfg.timeout_s, t.cfg.timeout_s)
        why = None
    except Exception as e:  # whatever the store raised is why it did not answer
        why = str(e) or type(e).__name__
    if why is not None and not state.get("answered"):
        c.unreachable = why
    elif why is not None:
        c.extra_error = why
    return c


def _not_configured() -> dict[str, Any]:
    return {
        "configured": False,
        "url": None,
        "mode": None,
        "reachable": None,
        "trusted_keys": 0,
        "can_write": False,
        "signing_key_id": None,
        "message": None,
    }


def _unusable_settings(e: RemoteConfigError) -> dict[str, Any]:
    return {
        **_not_configured(),
        "configured": True,
        "url": e.url,
        "mode": e.mode,
        "message": f"Team cache unusable: {e}",
    }


def _first_line(why: str) -> str:
    """A store error can run to a multi-line debug dump: its first line says what happened."""
    return (why.splitlines() or [why])[0].rstrip(".")


def status_of(t: Tier, c: Check) -> dict[str, Any]:
    """The RemoteStatus of a configured remote after :func:`check`."""
    off = t.mode == "off"
    reachable = None if off else c.unreachable is None
    why: str | None = None
    if off:
        why = "CYTHON_PIN_REMOTE_MODE=off: the team cache is not used"
    elif t.problem:
        why = t.problem
    elif c.unreachable is not None:
        why = f"unreachable: {c.unreachable}"
    elif c.extra_error is not None:
        why = c.extra_error
    elif c.signing_problem is not None:
        why = c.signing_problem
    return {
        "configured": True,
        "url": t.cfg.url,
        "mode": t.mode,
        "reachable": reachable,
        "trusted_keys": len(t.trusted),
        "can_write": bool(
            t.mode == "read-write"
            and t.readable()
            and reachable
            and c.extra_error is None
            and c.signing_problem is None
        ),
        "signing_key_id": c.signer_id if c.signing_error is None else None,
        "message": None if why is None else f"Team cache {t.cfg.url}: {_first_line(why)}.",
    }


def _remote_status() -> dict[str, Any]:
    """The team cache's RemoteStatus for the current environment (asks the store, within the timeout)."""
    from .tier import current_tier

    try:
        t = current_tier()
    except RemoteConfigError as e:
        return _unusable_settings(e)
    if t is None:
        return _not_configured()
    return status_of(t, check(t))


def team_catalogue(root: str) -> dict[str, Any]:
    """The TeamCatalogueResult: the status and the team pins (each with whether its entry is in the local
    cache ``root``); no pins when the team cache is not configured, unusable or unreachable."""
    from ..cache.entries import read_meta
    from ..errors import CacheIntegrityError
    from . import team_pins
    from .tier import current_tier

    try:
        t = current_tier()
    except RemoteConfigError as e:
        return {"remote": _unusable_settings(e), "pins": []}
    if t is None:
        return {"remote": _not_configured(), "pins": []}
    read = (lambda: team_pins.list_pins(cache_dir=root)) if t.readable() else None
    c = check(t, read, respect_backoff=True)
    # A read that finished after the time bound is dropped, as the status says it did not answer.
    answered = c.unreachable is None and c.extra_error is None
    pins: dict[str, str] = c.extra if answered and isinstance(c.extra, dict) else {}
    rows = []
    for alias, key in sorted(pins.items()):
        try:
            in_cache = read_meta(root, key) is not None
        except (CacheIntegrityError, ValueError):
            in_cache = False
        rows.append({"alias": alias, "key": key, "in_cache": in_cache})
    return {"remote": status_of(t, c), "pins": rows}
