"""The display bundle of a build: the BuildResultJSON payload under the extension's MIME type, a text/plain
summary, and the annotation's HTML."""

from __future__ import annotations

from typing import Any

from ..constants import MIME_TYPE, PROTOCOL_VERSION
from ..errors import exception_message
from ..report.annotation import render_html
from ..report.result import BuildResult, timings_json


def error_payload(
    exc: BaseException, *, cache_dir: str, profile: str, line_offset: int = 0
) -> dict[str, Any]:
    """BuildResultJSON with ``status: "error"`` for a failed build (BuildError or any other exception)."""
    diags = getattr(exc, "diagnostics", None) or []
    return {
        "version": PROTOCOL_VERSION,
        "status": "error",
        "key": getattr(exc, "key", None),
        "module_name": getattr(exc, "module_name", None),
        "artifact_path": None,
        "cache_dir": cache_dir,
        "used_cache": False,
        "origin": None,
        "signer": None,
        "built_ahead_utc": None,
        "reused_module": False,
        "module_code_skipped": False,
        "created_utc": None,
        "profile": profile,
        "timings": timings_json(dict(getattr(exc, "timings", None) or {})),
        "diagnostics": [d.to_json(line_offset) for d in diags],
        "aliases": [],
        "names": [],
        "annotation": None,
        "error": {"type": type(exc).__name__, "message": exception_message(exc)},
    }


def _error_text(payload: dict[str, Any]) -> str:
    """text/plain of a failed build: the error, then one line per diagnostic."""
    err = payload["error"] or {}
    lines = [f"cython_pin: build failed: {err.get('type')}: {err.get('message')}"]
    for d in payload["diagnostics"]:
        where = f"{d['file']}:" if d.get("file") else ""
        lines.append(f"  {where}{d['line']}:{d['column']} {d['severity']} {d['message']}")
    if payload.get("log"):
        lines.append(log_text(payload["log"]))
    return "\n".join(lines)


def log_text(log: str) -> str:
    """The build log (``--verbose``) as indented text/plain lines."""
    return "  log:\n" + "\n".join("    " + ln for ln in log.rstrip("\n").splitlines())


def error_bundle(payload: dict[str, Any]) -> dict[str, Any]:
    """The MIME bundle of a failed build."""
    return {MIME_TYPE: payload, "text/plain": _error_text(payload)}


def _annotation_text(annotation: dict[str, Any]) -> list[str]:
    """A compact text annotation: one line per source line with its Python-interaction score (no C code)."""
    lines = ["  annotation : Python-interaction score per line (0 = pure C)"]
    for ln in annotation["lines"]:
        lines.append(f"    {ln['line']:>4} {ln['score']:>4}  {ln['source']}")
    return lines


def ok_bundle(
    res: BuildResult,
    line_offset: int,
    names: list[str],
    aliases: list[str],
    *,
    team_aliases: list[str] | None = None,
    team_signer: str | None = None,
) -> dict[str, Any]:
    """The MIME bundle of a successful build. text/plain holds the summary (key, timings) and, when annotated,
    the compact per-line scores. An annotated build also carries a self-contained text/html annotation for
    frontends without the extension (Notebook 7 alone, VS Code, nbviewer, nbconvert), which prefer it over
    text/plain: it starts with the same summary, so exports keep it; whole-file C only with
    ``--annotate-fullc``. ``team_aliases``: the team pins this run made (their entry is in the team cache,
    signed by ``team_signer``)."""
    payload = res.to_json(line_offset, names=names, aliases=aliases)
    lines = res.summary_lines(line_offset, aliases=aliases)
    if names:
        lines.insert(3, f"  names      : {', '.join(names)}")
    if team_aliases:
        payload.update(team_aliases=list(team_aliases), team_signer=team_signer)
        signed = f", signed by {team_signer}" if team_signer else ""
        lines.append(f"  team pin   : {', '.join(team_aliases)} (shared: in the team cache{signed})")
    bundle: dict[str, Any] = {MIME_TYPE: payload}
    if payload["annotation"] is not None:
        bundle["text/html"] = render_html(
            payload["annotation"], title=res.module_name, summary="\n".join(lines)
        )
        lines += _annotation_text(payload["annotation"])
    bundle["text/plain"] = "\n".join(lines)
    return bundle
