"""Team cache: a remote tier (S3-compatible store or shared directory) behind the local cache, with signed
manifests, background uploads and team pins.

Imported only when ``CYTHON_PIN_REMOTE`` is set: the engine and pins call the hooks below from their miss
paths, so a local hit with no remote configured never imports this package.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .config import RemoteConfig, RemoteConfigError, from_env

if TYPE_CHECKING:
    from typing import Any

    from ..report.diagnostics import Diagnostic
    from .tier import Tier
    from .uploader import Uploader

__all__ = [
    "RemoteConfig",
    "RemoteConfigError",
    "from_env",
    "current_tier",
    "fetch",
    "after_build",
    "remote_flush",
]

_state: dict[str, Any] = {}


def current_tier() -> Tier | None:
    """The process's tier for the current environment (rebuilt when the variables change), or None when no
    remote is configured. RemoteConfigError for an unusable setting."""
    from .tier import Tier

    env = tuple(
        os.environ.get(n)
        for n in (
            "CYTHON_PIN_REMOTE",
            "CYTHON_PIN_REMOTE_MODE",
            "CYTHON_PIN_TRUSTED_KEYS",
            "CYTHON_PIN_SIGNING_KEY",
            "CYTHON_PIN_REMOTE_TIMEOUT",
            "CYTHON_PIN_REMOTE_BACKOFF",
        )
    )
    if _state.get("env") != env:
        cfg = from_env()
        _state["env"], _state["tier"] = env, (Tier(cfg) if cfg is not None else None)
        _state.pop("uploader", None)
    t: Tier | None = _state["tier"]
    return t


def _uploader(t: Tier) -> Uploader:
    from .uploader import Uploader

    up: Uploader | None = _state.get("uploader")
    if up is None or up.tier is not t:
        up = _state["uploader"] = Uploader(t)
        if not _state.get("atexit"):
            import atexit

            atexit.register(_flush_at_exit)
            _state["atexit"] = True
    return up


def _flush_at_exit() -> None:
    up = _state.get("uploader")
    if up is not None:
        up.flush(up.tier.cfg.timeout_s)


def _configured_tier() -> tuple[Tier | None, list[Diagnostic]]:
    from .tier import warning

    try:
        return current_tier(), []
    except RemoteConfigError as e:
        return None, [warning(f"Team cache not used: {e}")]


def fetch(root: str, key: str, opts: Any = None) -> tuple[str | None, list[Diagnostic]]:
    """Engine hook on a local miss, inside the key lock: bring ``key`` from the remote into the local cache.
    Returns (signer label or None when nothing was published, warnings for the result)."""
    import time

    from .tier import Refused, not_shareable

    t0 = time.monotonic()
    t, diags = _configured_tier()
    if t is None:
        return None, diags
    diags += t.take_pending()
    if opts is not None and not_shareable(opts):
        return None, diags
    fetched, more = t.lookup(key, deadline=t0 + t.cfg.timeout_s)
    t.stats["max_lookup_s"] = max(t.stats["max_lookup_s"], time.monotonic() - t0)
    diags += more
    if fetched is None:
        return None, diags
    try:
        t.install(root, key, fetched)
    except Refused as e:
        t.count_refusal(e.reason)
        from .tier import warning

        return None, [*diags, warning(f"Team cache entry {key[:16]}... refused: {e}. Built locally instead.")]
    t.stats["hits"] += 1
    return fetched.signer.label(), diags


def after_build(root: str, key: str, opts: Any) -> list[Diagnostic]:
    """Engine hook after a local build: queue the upload in read-write mode; warnings for the result."""
    t, diags = _configured_tier()
    if t is None or t.mode != "read-write":
        return diags + (t.take_pending() if t is not None else [])
    diags += t.upload_refusal(opts)
    if not diags:
        _uploader(t).submit(root, key)
    return diags + t.take_pending()


def remote_flush(timeout_s: float | None = 30.0) -> bool:
    """Wait up to ``timeout_s`` seconds for this process's pending team-cache uploads (for scripts and CI).
    True when nothing is left pending."""
    up: Uploader | None = _state.get("uploader")
    return True if up is None else up.flush(timeout_s)
