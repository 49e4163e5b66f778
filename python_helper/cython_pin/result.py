"""BuildResult and its JSON form for the frontend (docs/protocol.md §4, BuildResultJSON)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (keeps import and cache hits cheap)
    from typing import Any

    from .diagnostics import Diagnostic

PROTOCOL_VERSION = 1
TIMING_KEYS = ("hash", "cythonize", "compile", "load")


def timings_json(timings: dict[str, float]) -> dict[str, float]:
    t = {k: round(float(timings.get(k, 0.0)), 6) for k in TIMING_KEYS}
    t["total"] = round(float(timings.get("total", sum(t.values()))), 6)
    return t


@dataclass(frozen=True)
class BuildResult:
    """What a compile or cache import produced."""

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

    @property
    def annotation(self) -> dict[str, Any] | None:
        """Structured annotation ``{lines: [{line, score, source, c_code}], max_score}`` (source lines)."""
        if not self.annotation_path:
            return None
        path = os.path.join(self.build_dir, "annotation.json")
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def aliases(self) -> list[str]:
        """Pins currently pointing at this key."""
        from .pins import aliases_for

        try:
            return aliases_for(self.key, self.cache_dir)
        except ValueError:
            return []

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
            "reused_module": bool(self.reused_module),
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
        t = timings_json(self.timings)
        lines = [
            f"cython_pin: {self.module_name}  ({self.profile})",
            f"  key        : {self.key}",
            f"  from cache : {'yes' if self.used_cache else 'no'}",
            f"  timings    : total {t['total'] * 1e3:.1f} ms (hash {t['hash'] * 1e3:.1f}, cythonize "
            f"{t['cythonize'] * 1e3:.1f}, compile {t['compile'] * 1e3:.1f}, load {t['load'] * 1e3:.1f})",
        ]
        al = self.aliases() if aliases is None else aliases
        if al:
            lines.append(f"  aliases    : {', '.join(al)}")
        if self.reused_module:
            lines.append(
                "  note       : module already imported in this process; module-level code did not re-run"
            )
        lines += ["  " + d.format(line_offset) for d in self.diagnostics]
        return lines


def error_json(
    exc: BaseException,
    *,
    cache_dir: str,
    profile: str,
    line_offset: int = 0,
    message: str | None = None,
) -> dict[str, Any]:
    """BuildResultJSON with ``status: "error"`` for a failed build (BuildError or any other exception)."""
    diags = getattr(exc, "diagnostics", None) or []
    key = getattr(exc, "key", None)
    module_name = getattr(exc, "module_name", None)
    timings = dict(getattr(exc, "timings", None) or {})
    return {
        "version": PROTOCOL_VERSION,
        "status": "error",
        "key": key,
        "module_name": module_name,
        "artifact_path": None,
        "cache_dir": cache_dir,
        "used_cache": False,
        "reused_module": False,
        "created_utc": None,
        "profile": profile,
        "timings": timings_json(timings),
        "diagnostics": [d.to_json(line_offset) for d in diags],
        "aliases": [],
        "names": [],
        "annotation": None,
        "error": {"type": type(exc).__name__, "message": message if message is not None else _msg(exc)},
    }


def _msg(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)
