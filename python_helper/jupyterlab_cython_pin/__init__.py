"""jupyterlab-cython-pin: the prebuilt JupyterLab extension (installed as shared data).

This module only tells ``jupyter labextension develop`` where the built extension is; the kernel side is the
``cython_pin`` package (distribution ``cython-pin``)."""

from __future__ import annotations


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-cython-pin"}]
