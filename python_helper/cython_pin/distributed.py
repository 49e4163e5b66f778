"""Dask: ``cython_pin.distributed.register(client)`` sends the builds of this process to the cluster."""

from __future__ import annotations

import hashlib
import sys
from typing import TYPE_CHECKING

from .cache.entries import read_meta
from .workers.tracking import loaded_builds, on_load, reference

if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

_shipped: dict[int, set[str]] = {}  # id(client) -> keys sent


def register(client: Any) -> list[str]:
    """Send every cython_pin build loaded in this process to the cluster of ``client`` (a synchronous
    ``distributed.Client``), and each build loaded here later. Workers install them into their local cache,
    verified, when they start or join (once per worker, not per task); the scheduler keeps functions as
    references and installs the builds only for cdef class instances in tasks' arguments. Needed when the
    workers have neither this cache, nor the team cache, nor a compiler. Returns the keys sent so far."""
    first = id(client) not in _shipped
    sent = _shipped.setdefault(id(client), set())
    _ship(client, sent, loaded_builds())
    if first:

        def listener(key: str, module: ModuleType) -> None:
            if getattr(client, "status", "running") in ("closing", "closed"):
                return
            try:
                _ship(client, sent, [b for b in loaded_builds() if b[0] == key])
            except Exception as e:  # the build stands; only its trip to the cluster failed
                print(
                    f"cython_pin: could not send build {key[:16]}... to the Dask cluster: {e}",
                    file=sys.stderr,
                )

        on_load(listener)
    return sorted(sent)


def _ship(client: Any, sent: set[str], builds: list[tuple[str, str, str]]) -> None:
    from .workers.cluster import BuildsSchedulerPlugin, BuildsWorkerPlugin, archive

    archives: dict[str, bytes] = {}
    names: dict[str, tuple[Any, ...]] = {}
    for key, name, root in builds:
        meta = read_meta(root, key)
        if key in sent or meta is None or meta.get("kind") == "shared":  # shared: travels with its users
            continue
        archives[key] = archive(key, root)
        names[name] = reference(key, name, root)
    if not archives:
        return
    label = hashlib.sha256(",".join(sorted(archives)).encode()).hexdigest()[:16]
    client.register_plugin(BuildsSchedulerPlugin(archives, names), name=f"cython-pin-scheduler-{label}")
    client.register_plugin(BuildsWorkerPlugin(archives, names), name=f"cython-pin-{label}")
    sent.update(archives)
