"""Optional background warm-up of Cython's compiler (used by the kernel bridge, never on import).

The first Cython compile in a process spends most of its time importing Cython's compiler and building its
lexicon, far more than the compile itself. ``start()`` does that work in a daemon thread right after the
extension activates, so the first ``%%cython_pin`` cell does not pay it. Builds call ``wait()`` first, so
Cython is never imported by two threads at once. Opt out with ``CYTHON_PIN_PREWARM=0``.
"""

from __future__ import annotations

import os
import threading

_MODULES = (
    "Cython.Compiler.Main",
    "Cython.Compiler.Pipeline",
    "Cython.Compiler.ParseTreeTransforms",
    "Cython.Compiler.Builtin",
    "Cython.Compiler.CythonScope",
    "Cython.Compiler.ModuleNode",
)
_thread: threading.Thread | None = None


def warm() -> None:
    """Import Cython's compiler modules now (best effort)."""
    import importlib

    for name in _MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - warm-up is best effort; the build reports real problems
            return


def start() -> threading.Thread | None:
    """Start the warm-up once per process (no-op without Cython or with CYTHON_PIN_PREWARM=0)."""
    global _thread
    if _thread is not None or os.environ.get("CYTHON_PIN_PREWARM", "1") == "0":
        return _thread
    from .toolchain import cython_version

    if cython_version() is None:
        return None
    _thread = threading.Thread(target=warm, name="cython_pin-warmup", daemon=True)
    _thread.start()
    return _thread


def wait() -> None:
    """Block until a running warm-up has finished (called before a build imports Cython)."""
    t = _thread
    if t is not None and t.is_alive() and t is not threading.current_thread():
        t.join()
