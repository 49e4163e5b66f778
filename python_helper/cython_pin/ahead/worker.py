"""The build-ahead worker process (``python -m cython_pin.ahead.worker``), started by the kernel's
scheduler: one per kernel, long-lived, at a lower CPU priority, with Cython's compiler imported up front so
that a new source costs the Cython pass and the C compiler, not Cython's start-up.

It talks JSON lines: stdin brings ``{"op": "build", "job", "source", "opts", "key", "cwd", "line_offset",
"compiler_env"}`` and ``{"op": "cancel", "job"}``; stdout carries ``{"job", "stage", "diagnostics"}`` with
stage "cython" (the Cython pass is over: its warnings, or its errors before "failed"), then "done", "failed"
or "cancelled". One build at a time. A cancel during the C compiler stops it (the compiler is killed);
during the Cython pass, at its end; once the build is being published, it is too late: it is reported
done. The worker exits when stdin closes (the kernel is gone), taking its compilers with it.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, BinaryIO

    from ..report.diagnostics import Diagnostic

NICE = 10  # below the kernel and the user's own builds


class Cancelled(BaseException):
    """The running build was superseded (BaseException: the builder kills its compilers on the way out)."""


class Worker:
    """Runs build requests one at a time and reports their stages on ``out``."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._send_lock = threading.Lock()
        self._todo: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._current: dict[str, Any] | None = None
        self._cancelled: set[int] = set()
        self._in_compiler = False

    def send(self, job: int, stage: str, diagnostics: list[dict[str, Any]] | None = None) -> None:
        """One message to the kernel."""
        line = json.dumps({"job": job, "stage": stage, "diagnostics": diagnostics or []}) + "\n"
        with self._send_lock:
            self._out.write(line.encode("utf-8"))
            self._out.flush()

    def read(self, stream: BinaryIO) -> None:
        """The stdin reader (a thread): queue builds, act on cancels at once; at EOF stop everything."""
        for raw in stream:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("op") == "build":
                self._todo.put(msg)
            elif msg.get("op") == "cancel":
                self._cancel(int(msg.get("job", -1)))
        self._todo.put(None)
        if self._current is not None and os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGKILL)  # the kernel is gone: so are this build's compilers

    def _cancel(self, job: int) -> None:
        self._cancelled.add(job)
        cur = self._current
        if cur is not None and cur["job"] == job and self._in_compiler:
            os.kill(os.getpid(), signal.SIGUSR1)  # interrupts the main thread's wait for the compiler

    def _on_signal(self, signum: int, frame: object) -> None:
        cur = self._current
        if self._in_compiler and cur is not None and cur["job"] in self._cancelled:
            self._in_compiler = False  # one Cancelled per build, however many signals arrive
            raise Cancelled

    def _on_stage(
        self, stage: str, key: str, module_name: str, elapsed: float, diagnostics: Sequence[Diagnostic]
    ) -> None:
        cur = self._current
        if cur is None:
            return
        if stage == "publish":  # the build is complete: a cancel now is too late, it is reported built
            self._in_compiler = False
            return
        # In this order against _cancel (which adds to the set, then looks at the flag): a cancel is
        # either seen here or signalled.
        self._in_compiler = stage == "compile"
        if cur["job"] in self._cancelled:
            self._in_compiler = False
            raise Cancelled
        if stage == "compile":  # the Cython pass is over: its diagnostics now, before the C compiler runs
            self.send(cur["job"], "cython", [d.to_json(cur["line_offset"]) for d in diagnostics])

    def run(self) -> None:
        """Serve build requests until stdin closes."""
        from ..build import progress

        progress.set_sink(self._on_stage)
        signal.signal(signal.SIGUSR1, self._on_signal)
        while True:
            msg = self._todo.get()
            if msg is None:
                return
            self._run_one(msg)

    def _run_one(self, msg: dict[str, Any]) -> None:
        from ..errors import BuildError
        from .build import build_ahead

        job = int(msg["job"])
        if job in self._cancelled:
            self.send(job, "cancelled")
            return
        self._current = msg
        try:
            os.chdir(msg["cwd"])  # relative paths in the options mean what they mean in the kernel
            _use_compiler_environment(msg.get("compiler_env") or {})
            build_ahead(msg["source"], msg["opts"], msg["key"])
        except Cancelled:
            self._finish(job, "cancelled")
        except BuildError as e:
            diags = [d.to_json(msg["line_offset"]) for d in e.diagnostics]
            if e.stage == "Cython compilation":
                self.send(job, "cython", diags)
            self._finish(job, "failed", diags)
        except Exception as e:  # noqa: BLE001 - every failure is reported, the worker stays up
            from ..errors import exception_message
            from ..report.diagnostics import Diagnostic

            diag = Diagnostic(0, 0, "error", f"build ahead failed: {exception_message(e)}", "helper", None)
            self._finish(job, "failed", [diag.to_json()])
        else:
            self._finish(job, "done")

    def _finish(self, job: int, stage: str, diagnostics: list[dict[str, Any]] | None = None) -> None:
        # No more cancel signals for this job once it has left the compiler stage.
        self._in_compiler = False
        self._current = None
        self._cancelled.discard(job)
        self.send(job, stage, diagnostics)


def _use_compiler_environment(env: dict[str, str]) -> None:
    """Take the kernel's compiler variables (CC, CXX, CFLAGS, ...) as they were when the build was asked
    for: the kernel's environment may have changed since this process started."""
    from ..build.toolchain import COMPILER_VARIABLES

    for name in COMPILER_VARIABLES:
        if env.get(name):
            os.environ[name] = env[name]
        else:
            os.environ.pop(name, None)


def warm_up() -> None:
    """Import what a build needs now, so the first request pays for none of it."""
    from ..server.daemon import warm_up as import_build_modules

    import_build_modules()


def main() -> None:
    """The worker's entry point: protocol on the inherited stdout, fd 1 and 2 elsewhere (builds capture
    them), lower priority, warm, then serve."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    try:
        os.nice(NICE)
    except OSError:
        pass
    warm_up()
    worker = Worker(out)
    threading.Thread(target=worker.read, args=(sys.stdin.buffer,), name="ahead-reader", daemon=True).start()
    worker.run()


if __name__ == "__main__":
    main()
