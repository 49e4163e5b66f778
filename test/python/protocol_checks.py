"""Checks of the messages the kernel sends that only the tests need: a Reply and a BuildResultJSON bundle,
plus ``validate(kind, msg)`` over every kind (Request and Event checks are the package's own)."""

from __future__ import annotations

from typing import Any

from cython_pin.constants import DIAGNOSTIC_SOURCES, PROFILES, PROTOCOL_VERSION, SEVERITIES, TIMING_KEYS
from cython_pin.jupyter.protocol import ProtocolError, require_field, validate_event, validate_request

_NUM = (int, float)


def validate_reply(msg: Any) -> None:
    """Check a Reply (ok with a result object, or an error with type and message)."""
    if not isinstance(msg, dict) or msg.get("type") != "reply":
        raise ProtocolError("reply: type must be 'reply'.")
    require_field(msg, "id", (str,), "reply")
    ok = require_field(msg, "ok", (bool,), "reply")
    if ok:
        require_field(msg, "result", (dict,), "reply")
    else:
        err = require_field(msg, "error", (dict,), "reply")
        require_field(err, "type", (str,), "reply error")
        require_field(err, "message", (str,), "reply error")


_OPT_STR = (str, type(None))
_BUILD_FIELDS: dict[str, tuple[type, ...]] = {
    "version": (int,),
    "status": (str,),
    "key": _OPT_STR,
    "module_name": _OPT_STR,
    "artifact_path": _OPT_STR,
    "cache_dir": (str,),
    "used_cache": (bool,),
    "reused_module": (bool,),
    "module_code_skipped": (bool,),
    "created_utc": _OPT_STR,
    "profile": (str,),
    "timings": (dict,),
    "diagnostics": (list,),
    "aliases": (list,),
    "names": (list,),
    "annotation": (dict, type(None)),
    "error": (dict, type(None)),
}


def validate_build_result(msg: Any) -> None:
    """Check a BuildResultJSON bundle (protocol §4)."""
    for name, types in _BUILD_FIELDS.items():
        require_field(msg, name, types, "build result")
    if msg["version"] != PROTOCOL_VERSION:
        raise ProtocolError(f"build result: version must be {PROTOCOL_VERSION}.")
    if msg["status"] not in ("ok", "error"):
        raise ProtocolError(f"build result: status must be 'ok' or 'error', got {msg['status']!r}.")
    if msg["profile"] not in PROFILES:
        raise ProtocolError(f"build result: unknown profile {msg['profile']!r}.")
    for t in (*TIMING_KEYS, "total"):
        require_field(msg["timings"], t, _NUM, "build result timings")
    for d in msg["diagnostics"]:
        for f, types in (
            ("line", (int,)),
            ("column", (int,)),
            ("severity", (str,)),
            ("message", (str,)),
            ("source", (str,)),
            ("file", _OPT_STR),
        ):
            require_field(d, f, types, "build result diagnostic")
        if d["severity"] not in SEVERITIES:
            raise ProtocolError(f"build result diagnostic: bad severity {d['severity']!r}.")
        if d["source"] not in DIAGNOSTIC_SOURCES:
            raise ProtocolError(f"build result diagnostic: bad source {d['source']!r}.")
    if msg["status"] == "error" and msg["error"] is None:
        raise ProtocolError("build result: status 'error' needs an error object.")
    if msg["annotation"] is not None:
        require_field(msg["annotation"], "max_score", _NUM, "build result annotation")
        for ln in require_field(msg["annotation"], "lines", (list,), "build result annotation"):
            for f, types in (("line", (int,)), ("score", _NUM), ("source", (str,)), ("c_code", (str,))):
                require_field(ln, f, types, "build result annotation line")


def validate(kind: str, msg: Any) -> None:
    """Validate ``msg`` as ``kind`` (request, reply, event, build_result); raise ProtocolError."""
    checks = {
        "request": validate_request,
        "reply": validate_reply,
        "event": validate_event,
        "build_result": validate_build_result,
    }
    if kind not in checks:
        raise ProtocolError(f"unknown message kind {kind!r}.")
    checks[kind](msg)
