"""The kernel's side of build ahead: one worker process per kernel (started on the first request), at most
one background build at a time, one pending slot, and a newer request for a cell superseding its older one.

The worker's reports come back on a reader thread and go out as ``prebuild_state`` events (and
``cache_changed`` when an entry was added) through :mod:`cython_pin.events`, which the comm bridge sends on
every open comm; ipykernel's comm sends are safe from a thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

from .build import annotation_field

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any

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
        self.cwd = os.getcwd()
        from ..build.toolchain import compiler_environment

        self.compiler_env = compiler_environment()  # the worker builds with the kernel's, as of now
        self.job = 0
        self.started = time.monotonic()
        self.cancel_sent = False


def worker_command() -> list[str]:
    """How to start the worker: this Python, this cython_pin."""
    return [sys.executable, "-m", "cython_pin.ahead.worker"]


def _worker_env() -> dict[str, str]:
    """The kernel's environment, with this copy of cython_pin first on the path (the worker must compute
    the kernel's keys with the kernel's code)."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class Scheduler:
    """One worker, one build at a time, one pending request; ``emit(event, data)`` gets the events."""

    def __init__(self, emit: Emit | None = None) -> None:
        if emit is None:
            from .. import events

            emit = events.emit
        self._emit = emit
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._running: Request | None = None
        self._pending: Request | None = None
        self._jobs = 0

    @property
    def busy(self) -> bool:
        """Whether a build ahead is running or waiting."""
        return self._running is not None or self._pending is not None

    def submit(self, req: Request) -> None:
        """Build ``req`` ahead: now if the worker is free, else after the running build. A newer request
        for the running build's cell cancels it; the pending slot keeps only the newest request."""
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
                    self._write({"op": "cancel", "job": run.job})
                if run is None:
                    self._start_next()
        if dropped is not None:
            self._state(dropped, "cancelled", [])

    def start_worker(self) -> None:
        """Start the worker now if it is not running (it warms up while the user edits), without a build."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._spawn()

    def close(self) -> None:
        """Stop the worker (its stdin closes: it exits and kills its compilers)."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._pending = None
        if proc is not None:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                import signal

                os.killpg(proc.pid, signal.SIGKILL)  # its group: the worker and its compilers
                proc.wait()

    def _state(self, req: Request, stage: str, diagnostics: list[dict[str, Any]]) -> None:
        self._emit(
            "prebuild_state",
            {
                "cell_id": req.cell_id,
                "generation": req.generation,
                "key": req.key,
                "stage": stage,
                "diagnostics": diagnostics,
                "elapsed_s": round(time.monotonic() - req.started, 3),
                **(
                    annotation_field(req.root, req.key, req.line_offset)
                    if stage == "done" and req.annotate
                    else {}
                ),
            },
        )

    def _start_next(self) -> None:
        """Send the pending request to the worker (caller holds the lock)."""
        req, self._pending = self._pending, None
        if req is None:
            return
        self._jobs += 1
        req.job = self._jobs
        req.started = time.monotonic()
        self._running = req
        self._write(
            {
                "op": "build",
                "job": req.job,
                "source": req.source,
                "opts": dict(req.opts, cache_dir=req.root),
                "key": req.key,
                "cwd": req.cwd,
                "line_offset": req.line_offset,
                "compiler_env": req.compiler_env,
                "annotate": req.annotate,
            }
        )

    def _write(self, msg: dict[str, Any]) -> None:
        """One line to the worker, started if needed (caller holds the lock); a dead worker is reported by
        its reader thread."""
        if self._proc is None or self._proc.poll() is not None:
            self._spawn()
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        try:
            proc.stdin.write((json.dumps(msg) + "\n").encode("utf-8"))
            proc.stdin.flush()
        except OSError:
            pass

    def _spawn(self) -> None:
        proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_worker_env(),
            start_new_session=True,  # a kernel interrupt (SIGINT to its process group) is not for the worker
        )
        self._proc = proc
        reader = threading.Thread(
            target=self._read, args=(proc, proc.stdout), name="cython_pin-ahead", daemon=True
        )
        reader.start()

    def _read(self, proc: subprocess.Popen[bytes], stream: IO[bytes] | None) -> None:
        """The worker's reports become events; when it exits, the running build failed."""
        for raw in stream or ():
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            self._on_report(int(msg.get("job", -1)), str(msg.get("stage")), msg.get("diagnostics") or [])
        proc.wait()
        with self._lock:
            run = self._running if self._proc is proc or self._proc is None else None
            if self._proc is proc:
                self._proc = None
        if run is not None:
            from ..report.diagnostics import Diagnostic

            why = f"the build-ahead worker stopped (exit status {proc.returncode}); the cell builds when run"
            self._on_report(run.job, "failed", [Diagnostic(0, 0, "error", why, "helper", None).to_json()])

    def _on_report(self, job: int, stage: str, diagnostics: list[dict[str, Any]]) -> None:
        with self._lock:
            run = self._running
            if run is None or run.job != job:
                return
            final = stage in ("done", "failed", "cancelled")
            if final:
                self._running = None
        self._state(run, stage, diagnostics)
        if stage == "done":
            self._emit("cache_changed", {"cache_dir": run.root})
        if final:
            with self._lock:
                if self._running is None:
                    self._start_next()


_scheduler: Scheduler | None = None


def scheduler() -> Scheduler:
    """This process's scheduler (its worker starts with the first request; it stops at exit)."""
    global _scheduler
    if _scheduler is None:
        import atexit

        _scheduler = Scheduler()
        atexit.register(_scheduler.close)
    return _scheduler
