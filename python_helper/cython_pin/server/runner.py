"""One build in a child of the build server (forked from its warm state): take the kernel's environment,
remake the Job from the request, build it (a foreground build: the kernel holds the key lock; a build
ahead: under the key lock taken here), and report stages and the outcome as protocol messages.

The child is disposable: a cancel (SIGUSR1) or the server's death (SIGTERM, through PR_SET_PDEATHSIG)
raises :class:`Cancelled` wherever the build is, and the builder kills its compilers and removes its staging
folder on the way out. Once the build is being published a cancel is too late: it is reported built.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import warnings
from typing import TYPE_CHECKING

from .protocol import decode_value

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from ..build.job import Job
    from ..report.diagnostics import Diagnostic

    Send = Callable[[dict[str, Any]], None]


class Cancelled(BaseException):
    """The build was cancelled (BaseException: the builder stops its compilers on the way out)."""


class _State:
    publishing = False


def _on_signal(signum: int, frame: object) -> None:
    if not _State.publishing:
        raise Cancelled


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the server dies (no effect elsewhere)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _take_environment(msg: dict[str, Any]) -> None:
    """The kernel's environment, working folder and module path, as they were when it asked."""
    os.environ.clear()
    os.environ.update(msg.get("env") or {})
    os.chdir(msg["cwd"])  # relative paths in the options mean what they mean in the kernel
    sys.path[:] = list(msg.get("sys_path") or sys.path)  # where Cython looks for cimported .pxd files


def _remake_job(msg: dict[str, Any]) -> Job:
    """The kernel's Job, from the request's spec and options (the kernel's key: nothing is recomputed)."""
    from ..build.options import BuildOptions

    o = BuildOptions(**decode_value(msg["opts"]))
    spec = msg["spec"]
    t0 = time.perf_counter()
    if spec["kind"] == "package":
        from ..build.package import package_job

        job = package_job(
            spec["modules"], spec["package_name"], o, msg["root"], msg["key"], msg["numpy_used"], t0
        )
    else:
        from ..engine import module_job

        job = module_job(spec["source"], msg["key"], o, msg["root"], msg["numpy_used"], t0, check_name=False)
    job.meta_extra = dict(msg.get("meta_extra") or {})
    job.extra_timings = {k: float(v) for k, v in (msg.get("extra_timings") or {}).items()}
    job.t_hash = float(msg.get("t_hash", 0.0))
    return job


def error_fields(e: BaseException) -> dict[str, Any]:
    """What the kernel needs to raise ``e`` again."""
    from ..errors import BuildError, exception_message

    fields: dict[str, Any] = {"op": "error", "type": type(e).__name__, "message": exception_message(e)}
    if isinstance(e, BuildError):
        fields.update(
            diagnostics=[d.to_json() for d in e.diagnostics],
            output=e.output,
            log=e.log,
            key=e.key,
            module_name=e.module_name,
            stage=e.stage,
            timings=e.timings,
        )
    return fields


def run(msg: dict[str, Any], send: Send) -> None:
    """Run the request ``msg`` and send its stages and outcome."""
    import io

    from ..build import progress

    def sink(
        stage: str,
        key: str,
        name: str,
        elapsed: float,
        diagnostics: Sequence[Diagnostic],
        annotation: dict[str, Any] | None,
    ) -> None:
        if stage == "publish":
            _State.publishing = True
            return
        msg = {"op": "stage", "stage": stage, "diagnostics": [d.to_json() for d in diagnostics]}
        send(msg if annotation is None else dict(msg, annotation=annotation))

    signal.signal(signal.SIGUSR1, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    progress.set_sink(sink)
    out = io.StringIO()
    sys.stdout = out  # what a verbose build prints goes back to the kernel, and what it warns of (a bad
    # cache budget setting, say)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        reply = _outcome(msg)
    # What this build queued for the team cache (a build ahead's entry, a new shared utility module) is
    # uploaded before the kernel hears back: the kernel's own remote_flush() cannot wait for this process.
    remote = sys.modules.get("cython_pin.remote")
    if remote is not None:
        remote.remote_flush(60.0)
    reply["stdout"] = out.getvalue()
    reply["warnings"] = [{"category": w.category.__name__, "message": str(w.message)} for w in warned]
    send(reply)


def _outcome(msg: dict[str, Any]) -> dict[str, Any]:
    """Build what ``msg`` asks for; the reply (result or error fields)."""
    try:
        _take_environment(msg)
        if msg.get("mode") == "ahead":
            from ..ahead.build import build_ahead

            key = build_ahead(
                msg["source"], decode_value(msg["opts"]), msg["key"], annotate=bool(msg.get("annotate"))
            )
            reply: dict[str, Any] = {"op": "result", "key": key}
        else:
            from ..build.cold import build

            job = _remake_job(msg)
            meta, timings = build(job)
            reply = {"op": "result", "meta": meta, "timings": timings, "log": "".join(job.log)}
    except Cancelled:
        reply = {"op": "error", "type": "Cancelled", "message": "the build was cancelled"}
    except BaseException as e:  # noqa: BLE001 - every outcome goes back to the kernel
        reply = error_fields(e)
    return reply
