"""Team cache: a remote tier (S3-compatible store or shared directory) behind the local cache, with signed
manifests, background uploads and team pins.

Imported only when ``CYTHON_PIN_REMOTE`` is set: the core reaches it through
``cython_pin.cache.tiers.team_tier()``, which returns the :class:`TeamCache` below, so a local hit with no
remote configured never imports this package.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .config import RemoteConfig, RemoteConfigError, from_env
from .tier import Tier, current_tier

if TYPE_CHECKING:
    from typing import Any

    from ..report.diagnostics import Diagnostic

__all__ = [
    "RemoteConfig",
    "RemoteConfigError",
    "TeamCache",
    "current_tier",
    "from_env",
    "remote_flush",
    "team_tier",
]


class TeamCache:
    """The team cache behind the local cache for one build (cython_pin.cache.tiers.TeamTier): the tier of
    the environment it was made in, or why that environment's settings cannot be used."""

    def __init__(self) -> None:
        self.tier: Tier | None = None
        self._unusable: list[Diagnostic] = []
        try:
            self.tier = current_tier()
        except RemoteConfigError as e:
            from .tier import warning

            self._unusable = [warning(f"Team cache not used: {e}")]

    def _said(self) -> list[Diagnostic]:
        """The unusable-settings warning, once per build; else warnings left by background uploads."""
        out, self._unusable = self._unusable, []
        return out + (self.tier.take_pending() if self.tier is not None else [])

    def fetch(self, root: str, key: str, opts: Any) -> tuple[str | None, list[Diagnostic]]:
        """See cython_pin.cache.tiers.TeamTier.fetch."""
        from .tier import not_shareable

        diags = self._said()
        if self.tier is None or (opts is not None and not_shareable(opts)):
            return None, diags
        signer, more = self.tier.fetch_into(root, key)
        return signer, diags + more

    def after_build(self, root: str, key: str, opts: Any) -> list[Diagnostic]:
        """See cython_pin.cache.tiers.TeamTier.after_build."""
        from .uploader import UPLOADER

        t = self.tier
        if t is None or t.mode != "read-write":
            return self._said()
        diags = t.upload_refusal(opts)
        if not diags:
            UPLOADER.submit(t, root, key)
        return diags + self._said()

    def resolve_pin(self, alias: str, personal_message: str, cache_dir: str | os.PathLike[str] | None) -> str:
        """See cython_pin.cache.tiers.TeamTier.resolve_pin."""
        from . import team_pins

        return team_pins.resolve_after_personal(alias, personal_message, cache_dir)


def team_tier() -> TeamCache:
    """The team cache as the current environment configures it (see cython_pin.cache.tiers.team_tier)."""
    return TeamCache()


def remote_flush(timeout_s: float | None = 30.0) -> bool:
    """Wait up to ``timeout_s`` seconds for this process's pending team-cache uploads, including those queued
    under an earlier environment (for scripts and CI). True when nothing is left pending."""
    from .uploader import UPLOADER

    return UPLOADER.flush(timeout_s)
