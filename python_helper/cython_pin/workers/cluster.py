"""Dask plugins that carry builds through the cluster itself: each build as the verified archive
``export_cached`` makes, installed into the local cache of every worker (and of the scheduler) on arrival,
workers that join later included; see :func:`cython_pin.distributed.register`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin

from ..cache.entries import read_meta
from ..cache.paths import STAGING, ensure_root
from ..cache.transfer import export_cached, import_exported
from .resolve import defer_loading

if TYPE_CHECKING:
    from typing import Any


def archive(key: str, root: str) -> bytes:
    """The entry ``key`` of cache ``root`` (with the shared utility module it imports) as archive bytes."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cython_pin_ship_") as d:
        with open(export_cached(key, d, cache_dir=root), "rb") as f:
            return f.read()


def install(archives: dict[str, bytes], names: dict[str, tuple[Any, ...]]) -> list[str]:
    """Add the archives this cache lacks (each verified by ``import_exported``: safe members, artifacts
    matching their sha256) and register the builds' module names with the import hook. Returns the keys
    installed now; a key already cached here (another worker of this node did it) is left as it is."""
    import _cython_pin_import_hook as hook

    root = ensure_root(None)
    installed = []
    for key, blob in archives.items():
        if read_meta(root, key) is not None:
            continue
        path = os.path.join(root, STAGING, f"{key}.{os.getpid()}.{os.urandom(4).hex()}.tar.gz")
        with open(path, "wb") as f:
            f.write(blob)
        try:
            import_exported(path)
        finally:
            os.unlink(path)
        installed.append(key)
    hook.names.update(names)
    return installed


class BuildsWorkerPlugin(WorkerPlugin):
    """Installs the builds on each worker when it starts (or when registered)."""

    def __init__(self, archives: dict[str, bytes], names: dict[str, tuple[Any, ...]]) -> None:
        self.archives, self.names = archives, names

    def setup(self, worker: object) -> None:
        install(self.archives, self.names)


class BuildsSchedulerPlugin(SchedulerPlugin):
    """On the scheduler: functions of builds stay references (only workers load them) and the builds are
    installed for what must resolve there (a cdef class instance in a task's arguments)."""

    def __init__(self, archives: dict[str, bytes], names: dict[str, tuple[Any, ...]]) -> None:
        self.archives, self.names = archives, names

    async def start(self, scheduler: object) -> None:
        defer_loading()
        install(self.archives, self.names)
