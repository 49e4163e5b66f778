"""The entry point the extension runs in a new kernel (``cython_pin.kernel.activate()``, sent as a silent
execute by src/protocol/activation.ts): it lives in :mod:`cython_pin.jupyter.comm`."""

from __future__ import annotations

from .jupyter.comm import activate

__all__ = ["activate"]
