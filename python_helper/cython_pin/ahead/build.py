"""One build ahead: the cache entry for a source, made exactly as compile_and_load_result would make it
(same key, same locked build path), but never loaded: the process that builds it imports nothing of it."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from ..build.job import Job


class KeyMismatch(RuntimeError):
    """The build server computed another key than the kernel did (another environment or working folder)."""


def build_ahead(source: str, opts: dict[str, Any], expected_key: str) -> str:
    """Build ``source`` with ``opts`` into the cache (nothing to do when the entry is there already) and
    return its key. The entry's meta says ``built_ahead`` (made at its ``created_utc``). Raises KeyMismatch
    when this process computes another key than ``expected_key``, BuildError when Cython or the compiler
    fails."""
    from ..build.numpy_detect import NumpyNeeded, remember
    from ..engine import module_job, module_key

    t0 = time.perf_counter()
    key, o, root, numpy_used = module_key(source, opts)
    if key != expected_key:
        raise KeyMismatch(
            f"the build server computed key {key[:16]}... where the kernel computed "
            f"{expected_key[:16]}...: their environments differ; the cell is built when it runs."
        )
    job = module_job(source, key, o, root, numpy_used, t0)
    try:
        return _build(job)
    except NumpyNeeded:  # as the engine does: remember it, build under the key with numpy
        if job.with_numpy is None:
            raise
        remember(root, key)
        return _build(job.with_numpy())


def _build(job: Job) -> str:
    """The engine's miss path without the load: under the key lock, the team cache first (when one is
    configured), else a build, whose upload is then queued as after any build."""
    from ..build.cold import build
    from ..cache.entries import key_lock, read_meta
    from ..cache.paths import ensure_root

    team = bool(os.environ.get("CYTHON_PIN_REMOTE"))
    job.meta_extra["built_ahead"] = True
    ensure_root(job.root)
    with key_lock(job.root, job.key, None):
        if read_meta(job.root, job.key) is not None:  # a run in the kernel may have built it meanwhile
            return job.key
        if team:
            from ..remote import fetch

            if fetch(job.root, job.key, job.opts)[0] is not None:
                return job.key
        build(job)
    if team:
        from ..remote import after_build

        after_build(job.root, job.key, job.opts)
    return job.key
