"""Build stage reports: a cold build says when it enters a stage (waiting for another process's build of
the key, Cython, the C compiler), so whoever shows the build can say what it is doing.

In the kernel the reports become ``build_progress`` events (:mod:`cython_pin.events`); a build child of the
build server installs its own sink with :func:`set_sink` and sends them to the kernel that asked. Only builds
report: a cache hit never imports this module.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from ..report.diagnostics import Diagnostic

    Sink = Callable[[str, str, str, float, Sequence[Diagnostic], dict[str, Any] | None], None]

_sink: Sink | None = None


def set_sink(fn: Sink | None) -> None:
    """Send every stage report to ``fn(stage, key, module_name, elapsed_s, diagnostics, annotation)``
    instead of the ``build_progress`` event (None: back to the event)."""
    global _sink
    _sink = fn


def stage(
    name: str,
    key: str | None,
    module_name: str | None,
    t0: float,
    diagnostics: Sequence[Diagnostic] = (),
    annotation: dict[str, Any] | None = None,
) -> None:
    """Report that the build of ``key`` enters stage ``name`` ("waiting", "cython", "compile"); ``t0`` is
    when the build started (``time.perf_counter``). ``diagnostics``: what the stages so far reported (the
    Cython pass's warnings when "compile" starts); ``annotation``: an annotated build's per-line scores
    when "compile" starts (Cython wrote them; the C compiler is still to come). A sink may raise to stop
    the build."""
    if key is None or module_name is None:
        return
    elapsed = max(0.0, time.perf_counter() - t0)
    sink = _sink
    if sink is not None:
        sink(name, key, module_name, elapsed, diagnostics, annotation)
        return
    from .. import events

    events.emit(
        "build_progress",
        {"key": key, "module_name": module_name, "stage": name, "elapsed_s": round(elapsed, 3)},
    )


def publishing(key: str, module_name: str) -> None:
    """Tell the sink that the build of ``key`` is complete and being published: stopping it now would only
    lose a finished build (the build server no longer cancels it). Not a ``build_progress`` stage:
    the kernel's event sees nothing."""
    sink = _sink
    if sink is not None:
        sink("publish", key, module_name, 0.0, (), None)
