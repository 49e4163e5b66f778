"""The kernel side of the comm protocol (docs/protocol.md): message validation and op dispatch.

Pure Python: no IPython or ipykernel import. ``dispatch`` never raises; failures become error replies.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

PROTOCOL_VERSION = 1
COMM_TARGET = "cython_pin"
MIME_TYPE = "application/vnd.cython-pin.build+json"
EVENTS = ("pins_changed", "cache_changed")


class ProtocolError(ValueError):
    """A malformed message or an unknown op."""


_NUM = (int, float)
# op -> (required args, optional args); each maps name -> accepted types (None allowed where listed).
_ARGS: dict[str, tuple[dict[str, tuple[type, ...]], dict[str, tuple[type, ...]]]] = {
    "hello": ({}, {}),
    "list_pins": ({}, {}),
    "pin": ({"key": (str,), "alias": (str,)}, {"overwrite": (bool,)}),
    "unpin": ({"alias": (str,)}, {}),
    "rename_pin": ({"old": (str,), "new": (str,)}, {}),
    "list_cached": ({}, {}),
    "cache_stats": ({}, {}),
    "gc_cache": (
        {"dry_run": (bool,)},
        {
            "max_bytes": (int, type(None)),
            "max_age_days": (*_NUM, type(None)),
            "keep_n_newest": (int, type(None)),
        },
    ),
    "import_pinned": ({"alias": (str,)}, {}),
}
OPS = tuple(_ARGS)


def _is(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # True is not an int here
    return isinstance(value, types)


def _need(msg: Any, field: str, types: tuple[type, ...], what: str) -> Any:
    if not isinstance(msg, dict) or field not in msg:
        raise ProtocolError(f"{what}: missing field '{field}'.")
    if not _is(msg[field], types):
        raise ProtocolError(f"{what}: field '{field}' has the wrong type ({type(msg[field]).__name__}).")
    return msg[field]


def validate_request(msg: Any) -> tuple[str, str, dict[str, Any]]:
    """Check a Request; return ``(id, op, args)`` or raise ProtocolError."""
    if not isinstance(msg, dict):
        raise ProtocolError("request: message data must be a JSON object.")
    if msg.get("type") != "request":
        raise ProtocolError(f"request: type must be 'request', got {msg.get('type')!r}.")
    mid = _need(msg, "id", (str,), "request")
    op = _need(msg, "op", (str,), "request")
    if op not in _ARGS:
        raise ProtocolError(f"request: unknown op {op!r}; known ops: {', '.join(OPS)}.")
    args = _need(msg, "args", (dict,), f"request {op}")
    required, optional = _ARGS[op]
    for name, types in required.items():
        _need(args, name, types, f"request {op} args")
    for name, value in args.items():
        if name in required:
            continue
        if name not in optional:
            raise ProtocolError(f"request {op} args: unexpected argument '{name}'.")
        if not _is(value, optional[name]):
            raise ProtocolError(f"request {op} args: '{name}' has the wrong type ({type(value).__name__}).")
    return mid, op, args


def validate_reply(msg: Any) -> None:
    """Check a Reply (ok with a result object, or an error with type and message)."""
    if not isinstance(msg, dict) or msg.get("type") != "reply":
        raise ProtocolError("reply: type must be 'reply'.")
    _need(msg, "id", (str,), "reply")
    ok = _need(msg, "ok", (bool,), "reply")
    if ok:
        _need(msg, "result", (dict,), "reply")
    else:
        err = _need(msg, "error", (dict,), "reply")
        _need(err, "type", (str,), "reply error")
        _need(err, "message", (str,), "reply error")


def validate_event(msg: Any) -> None:
    """Check an Event (``pins_changed`` or ``cache_changed``)."""
    if not isinstance(msg, dict) or msg.get("type") != "event":
        raise ProtocolError("event: type must be 'event'.")
    name = _need(msg, "event", (str,), "event")
    if name not in EVENTS:
        raise ProtocolError(f"event: unknown event {name!r}.")
    data = _need(msg, "data", (dict,), "event")
    _need(data, "cache_dir", (str,), f"event {name} data")
    if name == "pins_changed":
        pins = _need(data, "pins", (dict,), "event pins_changed data")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in pins.items()):
            raise ProtocolError("event pins_changed: pins must map alias -> key strings.")


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
        _need(msg, name, types, "build result")
    if msg["version"] != PROTOCOL_VERSION:
        raise ProtocolError(f"build result: version must be {PROTOCOL_VERSION}.")
    if msg["status"] not in ("ok", "error"):
        raise ProtocolError(f"build result: status must be 'ok' or 'error', got {msg['status']!r}.")
    if msg["profile"] not in ("fast-debug", "release", "annotate"):
        raise ProtocolError(f"build result: unknown profile {msg['profile']!r}.")
    for t in ("hash", "cythonize", "compile", "load", "total"):
        _need(msg["timings"], t, _NUM, "build result timings")
    for d in msg["diagnostics"]:
        for f, types in (
            ("line", (int,)),
            ("column", (int,)),
            ("severity", (str,)),
            ("message", (str,)),
            ("source", (str,)),
            ("file", _OPT_STR),
        ):
            _need(d, f, types, "build result diagnostic")
        if d["severity"] not in ("error", "warning", "note"):
            raise ProtocolError(f"build result diagnostic: bad severity {d['severity']!r}.")
        if d["source"] not in ("cython", "compiler", "linker", "helper"):
            raise ProtocolError(f"build result diagnostic: bad source {d['source']!r}.")
    if msg["status"] == "error" and msg["error"] is None:
        raise ProtocolError("build result: status 'error' needs an error object.")
    if msg["annotation"] is not None:
        _need(msg["annotation"], "max_score", _NUM, "build result annotation")
        for ln in _need(msg["annotation"], "lines", (list,), "build result annotation"):
            for f, types in (("line", (int,)), ("score", _NUM), ("source", (str,)), ("c_code", (str,))):
                _need(ln, f, types, "build result annotation line")


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "request": validate_request,
    "reply": validate_reply,
    "event": validate_event,
    "build_result": validate_build_result,
}


def validate(kind: str, msg: Any) -> None:
    """Validate ``msg`` as ``kind`` (request, reply, event, build_result); raise ProtocolError."""
    if kind not in VALIDATORS:
        raise ProtocolError(f"unknown message kind {kind!r}.")
    VALIDATORS[kind](msg)


def make_event(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """An Event message."""
    msg = {"type": "event", "event": event, "data": data}
    validate_event(msg)
    return msg


# ---- ops -------------------------------------------------------------------------------------------


def _pin_rows(root: str) -> list[dict[str, Any]]:
    from .cache import CacheIntegrityError, disk_size, read_meta
    from .paths import entry_dir
    from .pins import read_pins

    rows = []
    for alias, key in sorted(read_pins(root).items()):
        try:
            meta = read_meta(root, key)
        except (CacheIntegrityError, ValueError):
            meta = None
        rows.append(
            {
                "alias": alias,
                "key": key,
                "module_name": meta.get("module_name") if meta else None,
                "size_bytes": disk_size(entry_dir(root, key)) if meta else None,
                "created_utc": meta.get("created_utc") if meta else None,
                "in_cache": meta is not None,
            }
        )
    return rows


def _op_hello(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from ._version import __version__
    from .keys import cython_version
    from .paths import get_cache_dir

    return {
        "protocol_version": PROTOCOL_VERSION,
        "helper_version": __version__,
        "cache_dir": get_cache_dir(),
        "python_executable": sys.executable,
        "cython_version": cython_version(),
    }


def _op_list_pins(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .paths import get_cache_dir

    root = get_cache_dir()
    return {"cache_dir": root, "pins": _pin_rows(root)}


def _op_pin(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .pins import pin

    key = pin(args["key"], alias=args["alias"], overwrite=bool(args.get("overwrite", False)))
    return {"alias": args["alias"], "key": key}


def _op_unpin(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .pins import unpin

    return {"alias": args["alias"], "removed": unpin(args["alias"])}


def _op_rename_pin(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .pins import rename_pin

    return {"alias": args["new"], "key": rename_pin(args["old"], args["new"])}


def _op_list_cached(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .cache import list_cached
    from .paths import get_cache_dir

    return {"cache_dir": get_cache_dir(), "entries": list_cached()}


def _op_cache_stats(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .cache import cache_stats

    return cache_stats()


def _op_gc_cache(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .cache import gc_cache

    return gc_cache(
        max_bytes=args.get("max_bytes"),
        max_age_days=args.get("max_age_days"),
        keep_n_newest=args.get("keep_n_newest"),
        dry_run=args["dry_run"],
    )


def _op_import_pinned(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    from .engine import import_pinned_result
    from .loader import public_names

    alias = args["alias"]
    res = import_pinned_result(alias)
    names = public_names(res.module)
    ns = ctx.get("user_ns")
    bound: list[str] = []
    if ns is not None:
        ns[alias] = res.module
        for n in names:
            if hasattr(res.module, n):
                ns[n] = getattr(res.module, n)
                bound.append(n)
    return {"alias": alias, "key": res.key, "module_name": res.module_name, "names": bound}


_OPS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "hello": _op_hello,
    "list_pins": _op_list_pins,
    "pin": _op_pin,
    "unpin": _op_unpin,
    "rename_pin": _op_rename_pin,
    "list_cached": _op_list_cached,
    "cache_stats": _op_cache_stats,
    "gc_cache": _op_gc_cache,
    "import_pinned": _op_import_pinned,
}


def error_reply(mid: str, exc: BaseException) -> dict[str, Any]:
    """Reply with ``ok: false``; the message is the exception text (KeyError without its quotes)."""
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return {
        "type": "reply",
        "id": mid,
        "ok": False,
        "error": {"type": type(exc).__name__, "message": message},
    }


def dispatch(msg: Any, *, user_ns: dict[str, Any] | None = None) -> dict[str, Any]:
    """Handle one Request and return its Reply (never raises)."""
    mid = msg.get("id") if isinstance(msg, dict) and isinstance(msg.get("id"), str) else ""
    try:
        mid, op, args = validate_request(msg)
        result = _OPS[op](args, {"user_ns": user_ns})
    except Exception as e:  # noqa: BLE001 - every failure becomes an error reply
        return error_reply(mid, e)
    return {"type": "reply", "id": mid, "ok": True, "result": result}
