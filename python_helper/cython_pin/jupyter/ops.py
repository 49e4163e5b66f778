"""The protocol's op handlers: ``dispatch(request)`` checks a Request, runs its op and returns the Reply.

``dispatch`` never raises; every failure becomes an error reply.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from ..constants import PROTOCOL_VERSION
from ..errors import exception_message
from .protocol import validate_request

Namespace = dict[str, Any]


def _hello(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from .._version import __version__
    from ..build.toolchain import cython_version
    from ..cache.paths import get_cache_dir

    return {
        "protocol_version": PROTOCOL_VERSION,
        "helper_version": __version__,
        "cache_dir": get_cache_dir(),
        "python_executable": sys.executable,
        "cython_version": cython_version(),
    }


def _list_pins(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..cache.catalogue import pin_rows
    from ..cache.paths import get_cache_dir

    root = get_cache_dir()
    return {"cache_dir": root, "pins": pin_rows(root)}


def _pin(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..pins.registry import pin

    key = pin(
        args["key"],
        alias=args["alias"],
        overwrite=bool(args.get("overwrite", False)),
        team=bool(args.get("team", False)),
    )
    return {"alias": args["alias"], "key": key}


def _unpin(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..pins.registry import unpin

    return {"alias": args["alias"], "removed": unpin(args["alias"], team=bool(args.get("team", False)))}


def _rename_pin(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..pins.registry import rename_pin

    key = rename_pin(args["old"], args["new"], team=bool(args.get("team", False)))
    return {"alias": args["new"], "key": key}


def _list_cached(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..cache.catalogue import list_cached
    from ..cache.paths import get_cache_dir

    return {"cache_dir": get_cache_dir(), "entries": list_cached()}


def _cache_stats(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..cache.catalogue import cache_stats

    return cache_stats()


def _catalogue(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..cache.catalogue import catalogue

    return catalogue()


def _gc_cache(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..cache.catalogue import gc_cache

    return gc_cache(
        max_bytes=args.get("max_bytes"),
        max_age_days=args.get("max_age_days"),
        keep_n_newest=args.get("keep_n_newest"),
        dry_run=args["dry_run"],
    )


def _import_pinned(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    """Load the pinned build and bind its public names in the user namespace: the same as the code the
    panel's Insert import writes (``import_pinned(alias, into=globals())``) and the magic."""
    from ..cache.loader import bind_public_names
    from ..engine import import_pinned_result

    alias = args["alias"]
    res = import_pinned_result(alias, team=bool(args.get("team", False)))
    bound: list[str] = []
    if ns is not None:
        bound = bind_public_names(res.module, ns)
    return {"alias": alias, "key": res.key, "module_name": res.module_name, "names": bound}


def _prebuild(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    """Start building the cell ahead in the worker (never waits for the build)."""
    from IPython import get_ipython

    from .prebuild import prebuild
    from .protocol import ProtocolError

    if args["generation"] < 0 or not args["cell_id"]:
        raise ProtocolError("request prebuild args: cell_id must be non-empty and generation >= 0.")
    return prebuild(args, get_ipython())


def _team_catalogue(args: dict[str, Any], ns: Namespace | None) -> dict[str, Any]:
    from ..cache.paths import get_cache_dir
    from ..remote.status import team_catalogue

    return team_catalogue(get_cache_dir())


_OPS: dict[str, Callable[[dict[str, Any], Namespace | None], dict[str, Any]]] = {
    "hello": _hello,
    "list_pins": _list_pins,
    "pin": _pin,
    "unpin": _unpin,
    "rename_pin": _rename_pin,
    "list_cached": _list_cached,
    "cache_stats": _cache_stats,
    "gc_cache": _gc_cache,
    "import_pinned": _import_pinned,
    "catalogue": _catalogue,
    "prebuild": _prebuild,
    "team_catalogue": _team_catalogue,
}


# Ops answered off the kernel's thread: they may wait on the team cache's store for up to its timeout, and the
# kernel must run the user's next cell meanwhile. They touch no user namespace.
OFF_THREAD_OPS = frozenset({"team_catalogue"})


def runs_off_thread(msg: Any) -> bool:
    """Whether the request ``msg`` is answered in a thread of its own (a deferred reply): OFF_THREAD_OPS."""
    return isinstance(msg, dict) and msg.get("op") in OFF_THREAD_OPS


def _error_reply(mid: str, exc: BaseException) -> dict[str, Any]:
    """Reply with ``ok: false``; the message is the exception text (KeyError without its quotes)."""
    return {
        "type": "reply",
        "id": mid,
        "ok": False,
        "error": {"type": type(exc).__name__, "message": exception_message(exc)},
    }


def _interrupted_reply(mid: str, op: str | None) -> dict[str, Any]:
    """The error reply to a request whose op a kernel interrupt stopped (ErrorCode ``Interrupted``)."""
    what = f"the {op} request" if op else "a request"
    return {
        "type": "reply",
        "id": mid,
        "ok": False,
        "error": {
            "type": "Interrupted",
            "message": f"The kernel was interrupted while it ran {what}; it may have been done in part.",
        },
    }


def dispatch(msg: Any, *, user_ns: Namespace | None = None) -> dict[str, Any]:
    """Handle one Request and return its Reply (never raises). ``import_pinned`` binds into ``user_ns``.

    A kernel interrupt (KeyboardInterrupt) during the op ends it with an ``Interrupted`` error reply: the
    interrupt was meant for this op, and without a reply the frontend would wait for one forever."""
    raw_id = msg.get("id") if isinstance(msg, dict) else None
    mid = raw_id if isinstance(raw_id, str) else ""
    op: str | None = None
    try:
        mid, op, args = validate_request(msg)
        result = _OPS[op](args, user_ns)
    except KeyboardInterrupt:
        return _interrupted_reply(mid, op)
    except Exception as e:  # noqa: BLE001 - every failure becomes an error reply
        return _error_reply(mid, e)
    return {"type": "reply", "id": mid, "ok": True, "result": result}
