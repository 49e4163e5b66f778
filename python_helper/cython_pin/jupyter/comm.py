"""Kernel bridge: ``activate()`` (called by the extension with a silent execute) loads the magic, registers
the ``cython_pin`` comm target and pushes pin/cache change events to every open comm."""

from __future__ import annotations

from typing import Any

from .. import events
from ..constants import COMM_TARGET, PROTOCOL_VERSION
from .ops import dispatch, runs_off_thread
from .protocol import make_event

_comms: list[Any] = []
_registered_managers: list[int] = []


def _on_event(event: str, data: dict[str, Any]) -> None:
    msg = make_event(event, data)
    for comm in list(_comms):
        try:
            comm.send(msg)
        except Exception:  # noqa: BLE001 - a dead comm must not break a pin or a build
            _forget(comm)


def _forget(comm: Any) -> None:
    if comm in _comms:
        _comms.remove(comm)


def _on_open(comm: Any, open_msg: Any) -> None:
    """Comm target callback: answer each request on this comm; remember it for events."""
    _comms.append(comm)

    def on_msg(msg: dict[str, Any]) -> None:
        from IPython import get_ipython

        ip = get_ipython()
        data = msg.get("content", {}).get("data")
        if runs_off_thread(data):
            _answer_later(comm, data)
            return
        comm.send(dispatch(data, user_ns=ip.user_ns if ip is not None else None))

    comm.on_msg(on_msg)
    comm.on_close(lambda _msg: _forget(comm))


def _answer_later(comm: Any, data: Any) -> None:
    """Answer ``data`` from a thread of its own; the reply goes out when ready (ipykernel sends iopub
    messages from any thread), while the kernel's thread goes on with the next request or cell."""
    import threading

    def answer() -> None:
        reply = dispatch(data)
        try:
            comm.send(reply)
        except Exception:  # noqa: BLE001 - the comm closed meanwhile: nobody waits for the answer
            _forget(comm)

    threading.Thread(target=answer, name="cython-pin-deferred-reply", daemon=True).start()


def activate() -> int:
    """Idempotent: load the ``%%cython_pin`` magic, register the comm target, subscribe to events.
    Returns the protocol version (1)."""
    from IPython import get_ipython

    ip = get_ipython()
    if ip is None:
        raise RuntimeError("cython_pin.jupyter.comm.activate() must run inside an IPython kernel.")
    ip.extension_manager.load_extension("cython_pin")
    kernel = getattr(ip, "kernel", None)
    manager = getattr(kernel, "comm_manager", None)
    if manager is not None and id(manager) not in _registered_managers:
        manager.register_target(COMM_TARGET, _on_open)
        _registered_managers.append(id(manager))
    events.subscribe(_on_event)
    import importlib

    importlib.import_module("cython_pin.engine")  # now, not in the user's first cell
    from ..server.client import start_in_background

    start_in_background()  # the build server (Cython's compiler) warms up while the user writes a cell
    return PROTOCOL_VERSION
