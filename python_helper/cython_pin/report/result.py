"""BuildResult and its JSON form for the frontend (docs/protocol.md §4, BuildResultJSON)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from ..constants import PROTOCOL_VERSION, TIMING_KEYS

if TYPE_CHECKING:
    from typing import Any

    from .diagnostics import Diagnostic


def timings_json(timings: dict[str, float]) -> dict[str, float]:
    """The timings of TIMING_KEYS plus "total", in seconds rounded to microseconds."""
    t = {k: round(float(timings.get(k, 0.0)), 6) for k in TIMING_KEYS}
    t["total"] = round(float(timings.get("total", sum(t.values()))), 6)
    return t


# A phase shorter than this reads as "0 ms": the summary leaves it out (the frontend uses the same rule).
SHOWN_TIMING_S = 0.0005


def timing_parts(timings: dict[str, float]) -> list[tuple[str, float]]:
    """The phases worth showing, in TIMING_KEYS order: those that took time, then "other" for what the
    phases do not account for (bookkeeping: writing the entry, events, the team cache's upload queue), so
    the parts add up to the total."""
    t = timings_json(timings)
    parts = [(k, t[k]) for k in TIMING_KEYS if t[k] >= SHOWN_TIMING_S]
    other = t["total"] - sum(t[k] for k in TIMING_KEYS)
    if other >= SHOWN_TIMING_S:
        parts.append(("other", other))
    return parts


def _format_seconds(s: float) -> str:
    """``412 ms`` below a second, else ``4.86 s`` (as the frontend shows them)."""
    return f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s"


# The phases' names in the summary (the frontend's result view uses the same).
_PART_NAMES = {
    "wait": "lock wait",
    "fetch": "team fetch",
    "shared": "shared module",
    "rebuild": "numpy rebuild",
}


def timings_text(timings: dict[str, float]) -> str:
    """``4.86 s total (hash 1 ms, cythonize 109 ms, ..., shared module 4.30 s)``: only the phases that took
    time, then "other" for the rest."""
    parts = ", ".join(f"{_PART_NAMES.get(k, k)} {_format_seconds(v)}" for k, v in timing_parts(timings))
    total = _format_seconds(timings_json(timings)["total"])
    return f"{total} total ({parts})" if parts else f"{total} total"


@dataclass(frozen=True)
class BuildResult:
    """What a compile or cache import produced. Immutable."""

    module: ModuleType
    key: str
    module_name: str
    artifact_path: str
    build_dir: str
    used_cache: bool
    created_utc: str
    profile: str
    timings: dict[str, float]
    diagnostics: tuple[Diagnostic, ...] = ()
    annotation_path: str | None = None
    cache_dir: str = ""
    reused_module: bool = False
    kind: str = "module"
    source_path: str | None = None
    origin: str = "built"  # "built", "local" (local cache hit) or "remote" (fetched from the team cache)
    signer: str | None = None  # key id (and comment) of the team-cache signer when origin == "remote"
    log: str | None = None  # the command lines and full output of a fresh build (None on a cache hit)
    built_ahead_utc: str | None = None  # when a build ahead made the entry; set on its first load here

    @property
    def annotation(self) -> dict[str, Any] | None:
        """Structured annotation ``{lines: [{line, score, source, c_code}], max_score}`` (source lines)."""
        if not self.annotation_path:
            return None
        path = os.path.join(self.build_dir, "annotation.json")
        try:
            with open(path, encoding="utf-8") as f:
                annotation: dict[str, Any] = json.load(f)
        except (OSError, ValueError):
            return None
        return annotation

    def aliases(self) -> list[str]:
        """Pins currently pointing at this key."""
        from ..pins.registry import aliases_for

        return aliases_for(self.key, self.cache_dir)

    @property
    def module_code_skipped(self) -> bool:
        """True when the module was reused (its module-level code did not run again) and that code does
        more than define names, so its effects were missed."""
        if not self.reused_module:
            return False
        if self.kind != "module" or not self.source_path:
            return True
        try:  # what the build recorded (entries made before it did: parse the source here)
            with open(os.path.join(self.build_dir, "meta.json"), encoding="utf-8") as f:
                recorded = json.load(f).get("module_level_effects")
        except (OSError, ValueError, AttributeError):
            recorded = None
        if isinstance(recorded, bool):
            return recorded
        from ..build.module_effects import has_module_level_effects

        try:
            with open(self.source_path, encoding="utf-8") as f:
                return has_module_level_effects(f.read())
        except OSError:
            return True

    def to_json(
        self, line_offset: int = 0, *, names: list[str] | None = None, aliases: list[str] | None = None
    ) -> dict[str, Any]:
        """BuildResultJSON (status "ok"); diagnostic and annotation lines shifted by ``line_offset``."""
        from .annotation import shift

        return {
            "version": PROTOCOL_VERSION,
            "status": "ok",
            "key": self.key,
            "module_name": self.module_name,
            "artifact_path": self.artifact_path,
            "cache_dir": self.cache_dir,
            "used_cache": bool(self.used_cache),
            "origin": self.origin,
            "signer": self.signer,
            "built_ahead_utc": self.built_ahead_utc,
            "reused_module": bool(self.reused_module),
            "module_code_skipped": self.module_code_skipped,
            "created_utc": self.created_utc,
            "profile": self.profile,
            "timings": timings_json(self.timings),
            "diagnostics": [d.to_json(line_offset) for d in self.diagnostics],
            "aliases": self.aliases() if aliases is None else list(aliases),
            "names": list(names or []),
            "annotation": shift(self.annotation, line_offset),
            "error": None,
        }

    def summary_lines(self, line_offset: int = 0, *, aliases: list[str] | None = None) -> list[str]:
        """Readable text/plain summary (``aliases`` defaults to the pins pointing at this key)."""
        head = "loaded from cache" if self.used_cache else "built"  # a hit is not a "build"
        lines = [
            f"cython_pin: {head} {self.module_name}  ({self.profile})",
            f"  key        : {self.key}",
            f"  from cache : {'yes' if self.used_cache else 'no'}"
            + (f" (team cache, signed by {self.signer})" if self.origin == "remote" else ""),
            f"  timings    : {timings_text(self.timings)}",
        ]
        if self.built_ahead_utc:
            ago = _ago(self.built_ahead_utc)
            lines.insert(3, f"  built ahead: in the background at {self.built_ahead_utc}{ago}")
        al = self.aliases() if aliases is None else aliases
        if al:
            lines.append(f"  aliases    : {', '.join(al)}")
        if self.module_code_skipped:
            lines.append(
                "  note       : module already imported in this process; module-level code did not re-run"
            )
        lines += ["  " + d.format(line_offset) for d in self.diagnostics]
        return lines


def _ago(utc: str) -> str:
    """How long ago ``2026-01-02T03:04:05Z`` was: " (12 s ago)", " (3 min ago)", " (2 h ago)",
    " (4 days ago)"; "" when unreadable."""
    import calendar

    try:
        then = calendar.timegm(time.strptime(utc, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return ""
    s = max(0, int(time.time() - then))
    if s < 120:
        return f" ({s} s ago)"
    if s < 7200:
        return f" ({s // 60} min ago)"
    if s < 172800:
        return f" ({s // 3600} h ago)"
    return f" ({s // 86400} days ago)"
