"""The comm protocol's messages on the kernel side: check an incoming Request, make an outgoing Event.

Pure Python (no IPython or ipykernel import); the op handlers are in :mod:`cython_pin.jupyter.ops`.
"""

from __future__ import annotations

from typing import Any

from ..constants import BUILD_STAGES, EVENTS, PREBUILD_STAGES


class ProtocolError(ValueError):
    """A malformed message or an unknown op."""


_NUM = (int, float)
# op -> (required args, optional args); each maps name -> accepted types (None allowed where listed).
_ARGS: dict[str, tuple[dict[str, tuple[type, ...]], dict[str, tuple[type, ...]]]] = {
    "hello": ({}, {}),
    "list_pins": ({}, {}),
    "pin": ({"key": (str,), "alias": (str,)}, {"overwrite": (bool,), "team": (bool,)}),
    "unpin": ({"alias": (str,)}, {"team": (bool,)}),
    "rename_pin": ({"old": (str,), "new": (str,)}, {"team": (bool,)}),
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
    "import_pinned": ({"alias": (str,)}, {"team": (bool,)}),
    "catalogue": ({}, {}),
    "prebuild": ({"cell_id": (str,), "generation": (int,), "source": (str,)}, {"annotate": (bool,)}),
    "team_catalogue": ({}, {}),
}
OPS = tuple(_ARGS)


def _is(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False  # True is not an int here
    return isinstance(value, types)


def _require_field(msg: Any, field: str, types: tuple[type, ...], what: str) -> Any:
    """``msg[field]``, after checking ``msg`` is an object holding ``field`` of one of ``types``."""
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
    mid = _require_field(msg, "id", (str,), "request")
    op = _require_field(msg, "op", (str,), "request")
    if op not in _ARGS:
        raise ProtocolError(f"request: unknown op {op!r}; known ops: {', '.join(OPS)}.")
    args = _require_field(msg, "args", (dict,), f"request {op}")
    required, optional = _ARGS[op]
    for name, types in required.items():
        _require_field(args, name, types, f"request {op} args")
    for name, value in args.items():
        if name in required:
            continue
        if name not in optional:
            raise ProtocolError(f"request {op} args: unexpected argument '{name}'.")
        if not _is(value, optional[name]):
            raise ProtocolError(f"request {op} args: '{name}' has the wrong type ({type(value).__name__}).")
    return mid, op, args


def _check_stage_event(name: str, data: dict[str, Any]) -> None:
    """The fields of a ``prebuild_state`` or ``build_progress`` event."""
    what = f"event {name} data"
    if name == "prebuild_state":
        _require_field(data, "cell_id", (str,), what)
        if _require_field(data, "generation", (int,), what) < 0:
            raise ProtocolError(f"{what}: generation must be >= 0.")
        _require_field(data, "diagnostics", (list,), what)
        if "annotation" in data:
            _require_field(data["annotation"], "lines", (list,), f"{what} annotation")
        stages = PREBUILD_STAGES
    else:
        _require_field(data, "module_name", (str,), what)
        stages = BUILD_STAGES
    _require_field(data, "key", (str,), what)
    if _require_field(data, "stage", (str,), what) not in stages:
        raise ProtocolError(f"{what}: stage must be one of {', '.join(stages)}.")
    if _require_field(data, "elapsed_s", _NUM, what) < 0:
        raise ProtocolError(f"{what}: elapsed_s must be >= 0.")


def _validate_event(msg: Any) -> None:
    """Check an Event (``pins_changed``, ``cache_changed``, ``prebuild_state``, ``build_progress``)."""
    if not isinstance(msg, dict) or msg.get("type") != "event":
        raise ProtocolError("event: type must be 'event'.")
    name = _require_field(msg, "event", (str,), "event")
    if name not in EVENTS:
        raise ProtocolError(f"event: unknown event {name!r}.")
    data = _require_field(msg, "data", (dict,), "event")
    if name in ("prebuild_state", "build_progress"):
        _check_stage_event(name, data)
        return
    _require_field(data, "cache_dir", (str,), f"event {name} data")
    if name == "pins_changed":
        pins = _require_field(data, "pins", (dict,), "event pins_changed data")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in pins.items()):
            raise ProtocolError("event pins_changed: pins must map alias -> key strings.")


def make_event(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """An Event message."""
    msg = {"type": "event", "event": event, "data": data}
    _validate_event(msg)
    return msg
