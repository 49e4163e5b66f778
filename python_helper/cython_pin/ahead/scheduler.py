"""The kernel's side of build ahead: at most one background build at a time per kernel, one pending slot,
and a newer request for a cell superseding its older one. The builds run in the user's build server
(:mod:`cython_pin.server`), niced and behind every foreground build, one connection per build.

Each build's reports come back on a thread of its own and go out as ``prebuild_state`` events (and
``cache_changed`` when an entry was added) through :mod:`cython_pin.events`, which the comm bridge sends on
every open comm; ipykernel's comm sends are safe from a thread.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from .build import annotation_field

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable
    from typing import Any

    Emit = Callable[[str, dict[str, Any]], None]


class Request:
    """One build-ahead request: the cell it is for, the engine's inputs and the key the kernel computed."""

    def __init__(
        self,
        cell_id: str,
        generation: int,
        key: str,
        source: str,
        opts: dict[str, Any],
        root: str,
        line_offset: int,
        annotate: bool = False,
    ) -> None:
        self.cell_id, self.generation, self.key = cell_id, generation, key
        self.annotate = annotate  # the done event carries the annotation Cython wrote on the way
        self.source, self.opts, self.root, self.line_offset = source, opts, root, line_offset
        from ..server.client import kernel_context

        self.context = kernel_context()  # the server builds with the kernel's environment, as of now
        self.job = 0
        self.started = time.monotonic()
        self.cancel_sent = False
        self.sock: socket.socket | None = None


class Scheduler:
    """One build at a time, one pending request; ``emit(event, data)`` gets the events."""

    def __init__(self, emit: Emit | None = None) -> None:
        if emit is None:
            from .. import events

            emit = events.emit
        self._emit = emit
        self._lock = threading.Lock()
        self._running: Request | None = None
        self._pending: Request | None = None
        self._jobs = 0

    @property
    def busy(self) -> bool:
        """Whether a build ahead is running or waiting."""
        return self._running is not None or self._pending is not None

    def submit(self, req: Request) -> None:
        """Build ``req`` ahead: now if no build ahead of this kernel runs, else after it. A newer request for
        the running build's cell cancels it; the pending slot keeps only the newest request."""
        dropped: Request | None = None
        with self._lock:
            run = self._running
            if run is not None and run.cell_id == req.cell_id and run.key == req.key and not run.cancel_sent:
                run.generation = req.generation  # the same build, now for the newer edit
                if self._pending is not None and self._pending.cell_id == req.cell_id:
                    dropped, self._pending = self._pending, None
            else:
                dropped, self._pending = self._pending, req
                if run is not None and run.cell_id == req.cell_id and not run.cancel_sent:
                    run.cancel_sent = True
                    _send_cancel(run)
                if run is None:
                    self._start_next()
        if dropped is not None:
            self._state(dropped, "cancelled", [])

    def start_server(self, root: str | None = None) -> None:
        """Start the build server now if it is not running (it warms up while the user edits)."""
        from ..server.client import start_in_background

        start_in_background(root)

    def close(self) -> None:
        """Drop the pending request and cancel the running one (the server stops its compilers)."""
        with self._lock:
            self._pending = None
            run = self._running
            if run is not None:
                run.cancel_sent = True
                _send_cancel(run)

    def _state(
        self,
        req: Request,
        stage: str,
        diagnostics: list[dict[str, Any]],
        annotation: dict[str, Any] | None = None,
    ) -> None:
        """A prebuild_state event. An annotated request's scores come with the Cython stage (``annotation``:
        what the build sent, on the source's lines) and again with "done" (from the entry)."""
        if annotation is not None:
            from ..report.annotation import shift

            extra = {"annotation": shift(annotation, req.line_offset)}
        elif stage == "done" and req.annotate:
            extra = annotation_field(req.root, req.key, req.line_offset)
        else:
            extra = {}
        self._emit(
            "prebuild_state",
            {
                "cell_id": req.cell_id,
                "generation": req.generation,
                "key": req.key,
                "stage": stage,
                "diagnostics": diagnostics,
                "elapsed_s": round(time.monotonic() - req.started, 3),
                **extra,
            },
        )

    def _start_next(self) -> None:
        """Send the pending request to the server, from a thread of its own (caller holds the lock)."""
        req, self._pending = self._pending, None
        if req is None:
            return
        self._jobs += 1
        req.job = self._jobs
        req.started = time.monotonic()
        self._running = req
        threading.Thread(target=self._run, args=(req,), name="cython_pin-ahead", daemon=True).start()

    def _run(self, req: Request) -> None:
        """Connect (the server starts if need be), send, turn the server's messages into reports."""
        from ..server.client import ServerError, connect
        from ..server.protocol import dumps, encode_value

        try:
            sock = connect(req.root)
        except (OSError, ServerError) as e:
            self._on_report(req.job, "failed", [_helper_error(f"the build server did not start: {e}")])
            return
        with self._lock:
            req.sock = sock
            cancelled = req.cancel_sent
        try:
            if cancelled:
                self._on_report(req.job, "cancelled", [])
                return
            msg = {
                "op": "build",
                "mode": "ahead",
                "source": req.source,
                "opts": encode_value(dict(req.opts, cache_dir=req.root)),
                "key": req.key,
                "annotate": req.annotate,
                **req.context,
            }
            sock.sendall(dumps(msg))
            self._relay(req, sock)
        except (OSError, TypeError, ValueError) as e:
            self._on_report(req.job, "failed", [_helper_error(f"build ahead failed: {e}")])
        finally:
            sock.close()

    def _relay(self, req: Request, sock: socket.socket) -> None:
        from ..report.diagnostics import Diagnostic
        from ..server.client import read_messages

        def shifted(diags: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [Diagnostic.from_json(d).to_json(req.line_offset) for d in diags]

        for msg in read_messages(sock):
            op = msg.get("op")
            if op == "stage":
                if msg.get("stage") == "compile":  # the Cython pass is over: its diagnostics, before the C
                    early = msg.get("annotation") if req.annotate else None
                    self._on_report(req.job, "cython", shifted(msg.get("diagnostics") or []), early)
                continue
            if op == "result":
                self._on_report(req.job, "done", [])
            elif msg.get("type") == "Cancelled":
                self._on_report(req.job, "cancelled", [])
            elif msg.get("type") == "BuildError":
                diags = shifted(msg.get("diagnostics") or [])
                if msg.get("stage") == "Cython compilation":
                    self._on_report(req.job, "cython", diags)
                self._on_report(req.job, "failed", diags)
            else:
                why = f"build ahead failed: {msg.get('message')}"
                self._on_report(req.job, "failed", [_helper_error(why)])
            return
        why = "the build server stopped during the build ahead; the cell builds when run"
        self._on_report(req.job, "failed", [_helper_error(why)])

    def _on_report(
        self,
        job: int,
        stage: str,
        diagnostics: list[dict[str, Any]],
        annotation: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            run = self._running
            if run is None or run.job != job:
                return
            final = stage in ("done", "failed", "cancelled")
            if final:
                self._running = None
        self._state(run, stage, diagnostics, annotation)
        if stage == "done":
            self._emit("cache_changed", {"cache_dir": run.root})
        if final:
            with self._lock:
                if self._running is None:
                    self._start_next()


def _send_cancel(req: Request) -> None:
    """Ask the server to stop ``req`` (caller holds the lock; a request not yet connected is cancelled by
    its thread when it connects)."""
    if req.sock is not None:
        from ..server.protocol import dumps

        try:
            req.sock.sendall(dumps({"op": "cancel"}))
        except OSError:
            pass


def _helper_error(message: str) -> dict[str, Any]:
    from ..report.diagnostics import Diagnostic

    return Diagnostic(0, 0, "error", message, "helper", None).to_json()


_scheduler: Scheduler | None = None


def scheduler() -> Scheduler:
    """This process's scheduler (its builds are cancelled at exit)."""
    global _scheduler
    if _scheduler is None:
        import atexit

        _scheduler = Scheduler()
        atexit.register(_scheduler.close)
    return _scheduler
