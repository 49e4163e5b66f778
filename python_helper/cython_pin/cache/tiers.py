"""The cache's tiers: this machine's cache directory, and behind it the team cache when ``CYTHON_PIN_REMOTE``
is set (sccache's multi-level storage is the model: a miss in the first level asks the next, a fresh build
is written back to it).

This is the one place the core asks whether a team cache is configured. The miss paths (the engine, the
shared utility module, build ahead) and pin resolution call :func:`team_tier`; with no remote configured it
returns None without importing ``cython_pin.remote``, and a local hit never calls it at all.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from typing import Any

    from ..report.diagnostics import Diagnostic

REMOTE_VARIABLE = "CYTHON_PIN_REMOTE"


class TeamTier(Protocol):
    """The team cache seen from the local cache ``root``. Its calls never raise for a remote that is
    unusable, unreachable or refuses an entry: that is a miss (or no upload), with warnings to report."""

    def fetch(self, root: str, key: str, opts: Any) -> tuple[str | None, list[Diagnostic]]:
        """On a local miss, the caller holding ``key``'s lock: bring a verified entry for ``key`` from the
        team cache into ``root``. Returns (the signer's label, or None when nothing was brought in; warnings).
        ``opts`` (the build options, or None) can rule the remote out, e.g. for ``-march=native``."""
        ...

    def after_build(self, root: str, key: str, opts: Any) -> list[Diagnostic]:
        """After ``key`` was built into ``root`` (its lock released): queue its upload (read-write mode).
        Returns warnings for the build's result."""
        ...

    def resolve_pin(self, alias: str, personal_message: str, cache_dir: str | os.PathLike[str] | None) -> str:
        """No personal pin ``alias``: the team pin's key, else KeyError(``personal_message`` and what the
        team pins said)."""
        ...


def team_tier() -> TeamTier | None:
    """The team cache behind the local cache, or None when ``CYTHON_PIN_REMOTE`` is unset or empty (then
    nothing of ``cython_pin.remote`` is imported). Reads the environment on every call, so a ``%env`` in a
    running kernel takes effect at the next build."""
    if not os.environ.get(REMOTE_VARIABLE, "").strip():
        return None
    from ..remote import team_tier as configured

    return configured()
