"""One build ahead: the cache entry for a source, made exactly as compile_and_load_result would make it
(same key, same locked build path), but never loaded: the process that builds it imports nothing of it."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from ..build.job import Job


class KeyMismatch(RuntimeError):
    """The build server computed another key than the kernel did (another environment or working folder)."""


def build_ahead(source: str, opts: dict[str, Any], expected_key: str, annotate: bool = False) -> str:
    """Build ``source`` with ``opts`` into the cache (nothing to do when the entry is there already) and
    return its key. The entry's meta says ``built_ahead`` (made at its ``created_utc``). ``annotate``: Cython
    also writes its annotation, kept in the entry for :func:`annotation_field` (see :func:`_annotate`).
    Raises KeyMismatch when this process computes another key than ``expected_key``, BuildError when Cython
    or the compiler fails."""
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
        return _build(_annotate(job) if annotate else job)
    except NumpyNeeded:  # as the engine does: remember it, build under the key with numpy
        if job.with_numpy is None:
            raise
        remember(root, key)
        numpy_job = job.with_numpy()
        return _build(_annotate(numpy_job) if annotate else numpy_job)


def _annotate(job: Job) -> Job:
    """Have Cython write its annotation during its pass, under the plain build's key (the generated C is the
    same): the entry keeps annotation.json, but its meta does not offer it, so running the plain cell later
    shows no annotation it did not ask for. A build that asks for the annotation anyway is left as it is."""
    from ..build.options import BuildOptions

    plain = job.opts
    if not plain.annotate:
        job.build_opts = lambda staging: BuildOptions(**dict(plain.__dict__, annotate=True))
        job.meta_extra["annotation"] = None
    return job


def annotation_field(root: str, key: str, line_offset: int) -> dict[str, Any]:
    """``{"annotation": ...}`` for the done prebuild_state event of a request that asked for it: what Cython
    wrote for the entry (annotation.json) on the cell's lines, without the whole generated C; ``{}`` when the
    entry has none."""
    from ..cache.paths import entry_dir
    from ..report.annotation import shift

    try:
        with open(os.path.join(entry_dir(root, key), "annotation.json"), encoding="utf-8") as f:
            annotation = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(annotation, dict) or not isinstance(annotation.get("lines"), list):
        return {}
    annotation.pop("full_c", None)
    return {"annotation": shift(annotation, line_offset)}


def _build(job: Job) -> str:
    """The engine's miss path without the load: under the key lock, the team cache first (when one is
    configured), else a build, whose upload is then queued as after any build."""
    from ..build.cold import build
    from ..cache.entries import key_lock, read_meta
    from ..cache.paths import ensure_root
    from ..cache.tiers import team_tier

    team = team_tier()
    job.meta_extra["built_ahead"] = True
    ensure_root(job.root)
    with key_lock(job.root, job.key, None):
        if read_meta(job.root, job.key) is not None:  # a run in the kernel may have built it meanwhile
            return job.key
        if team is not None:
            signer = team.fetch(job.root, job.key, job.opts)[0]
            if signer is not None:
                from ..cache.entries import mark_fetched_ahead

                mark_fetched_ahead(job.root, job.key, signer)
                return job.key
        build(job)
    if team is not None:
        team.after_build(job.root, job.key, job.opts)
    return job.key
