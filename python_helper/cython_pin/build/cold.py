"""A cold build: run Cython and the compiler for a Job in a private staging folder, write its meta.json and
publish it as the cache entry (the caller holds the key lock)."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from ..cache.budget import after_publish
from ..cache.entries import new_staging, publish, utc_now, write_meta
from ..cache.hashing import sha256_file

if TYPE_CHECKING:
    from typing import Any

    from .job import Job


def finish_staging(staging: str, keep: set[str]) -> None:
    """Delete build by-products (.c, .o, logs, support files) so the entry stays small."""
    import shutil

    for dirpath, dirs, files in os.walk(staging, topdown=False):
        for n in files:
            rel = os.path.relpath(os.path.join(dirpath, n), staging)
            if rel not in keep:
                os.unlink(os.path.join(dirpath, n))
        for n in dirs:
            p = os.path.join(dirpath, n)
            if not os.listdir(p):
                shutil.rmtree(p, ignore_errors=True)


def _shared_spec(job: Job, staging: str, source_rel: str) -> dict[str, Any] | None:
    """The shared utility module this build depends on (the one its key names), or None."""
    if job.kind != "module":
        return None
    with open(os.path.join(staging, source_rel), encoding="utf-8", newline="") as f:
        source = f.read()
    if "[" not in source:
        return None
    from .shared_utility import spec

    return spec(source, job.opts, job.root)


def build(job: Job) -> tuple[dict[str, Any], dict[str, float]]:
    """Build in a staging dir and publish atomically (caller holds the key lock)."""
    import shutil

    from ..errors import BuildError
    from ..report.annotation import parse_cython_html, render_html
    from .builder import build_units

    o = job.opts
    staging = new_staging(job.root, job.key)
    try:
        units, user_files, source_rel = job.prepare(staging)
        shared = _shared_spec(job, staging, source_rel)
        try:
            from .shared_utility import start

            shared_build = start(job.root, shared, o.lock_timeout_s)
            try:
                build_o = job.build_opts(staging) if job.build_opts is not None else o
                out = build_units(
                    units,
                    build_o,
                    job.numpy_used,
                    staging,
                    user_files,
                    key=job.key,
                    module_name=job.name,
                    root=job.root,
                    shared=shared["module"] if shared else None,
                )
            except BaseException as e:
                if shared_build is not None and not isinstance(e, Exception):
                    shared_build.stop()  # interrupted or cancelled: its compilers go too
                elif shared_build is not None:  # this build failed: the shared module's failure is read too
                    failure = shared_build.failure()
                    if failure is not None and isinstance(e, BuildError):
                        e.diagnostics.append(failure)
                raise
            if shared_build is not None:
                t_shared = time.perf_counter()  # what the shared module's build adds beyond this one's
                shared_build.wait()
                job.extra_timings["shared"] = time.perf_counter() - t_shared
            job.log.append(out.log())
            keep_more = job.after_build(staging, units) if job.after_build is not None else set()
        except BuildError as e:
            for k, v in job.extra_timings.items():
                e.timings[k] = e.timings.get(k, 0.0) + v
            e.timings["hash"] = job.t_hash
            e.timings["total"] = time.perf_counter() - job.t0
            e.log = "".join(job.log) + e.log
            if o.verbose >= 2 and e.output:
                print(e.output)
            raise
        from . import progress

        progress.publishing(job.key, job.name)  # the tools are done: what is left writes the entry
        if o.verbose >= 2 and out.output.strip():
            print(out.output)
        keep = {source_rel, *(os.path.relpath(u.artifact_path, staging) for u in units), *keep_more}
        keep.update(os.path.relpath(u.pyx_path, staging) for u in units)
        annotation_file = None
        if out.annotation_html:
            import json

            # one annotation per build: the main unit's (packages: the first module's)
            with open(next(iter(out.annotation_html.values())), encoding="utf-8") as f:
                ann = parse_cython_html(f.read())
            with open(os.path.join(staging, "annotation.json"), "w", encoding="utf-8") as f:
                json.dump(ann, f)
            with open(os.path.join(staging, "annotation.html"), "w", encoding="utf-8") as f:
                f.write(render_html(ann, title=job.name))
            keep.update({"annotation.json", "annotation.html"})
            annotation_file = "annotation.html"
        if job.kind == "package":
            keep.add(os.path.join(job.name, "__init__.py"))
        finish_staging(staging, keep)
        artifacts = []
        if job.kind == "package":
            init_rel = os.path.join(job.name, "__init__.py")
            artifacts.append(
                {
                    "path": init_rel,
                    "sha256": sha256_file(os.path.join(staging, init_rel)),
                    "size": os.path.getsize(os.path.join(staging, init_rel)),
                    "module": None,
                }
            )
        for u in units:
            rel = os.path.relpath(u.artifact_path, staging)
            artifacts.append(
                {
                    "path": rel,
                    "sha256": sha256_file(u.artifact_path),
                    "size": os.path.getsize(u.artifact_path),
                    "module": u.full_name,
                }
            )
        if job.kind == "package":  # main artifact first
            artifacts = artifacts[1:] + artifacts[:1]
        from .toolchain import cython_version

        meta = {
            "format": 1,
            "key": job.key,
            "kind": job.kind,
            "module_name": job.name,
            "artifacts": artifacts,
            "artifact": artifacts[0]["path"],
            "artifact_sha256": artifacts[0]["sha256"],
            "artifact_size": artifacts[0]["size"],
            "source": source_rel,
            "annotation": annotation_file,
            "created_utc": utc_now(),
            "profile": o.profile,
            "options": o.summary(),
            "numpy": job.numpy_used,
            "python_version": sys.version.split()[0],
            "cython_version": cython_version(),
            "diagnostics": [d.to_json() for d in out.diagnostics],
            **job.meta_extra,
        }
        if shared is not None:
            meta["shared"] = shared
        if job.kind == "module":
            # Decided here, where Cython is loaded: a kernel that reuses the loaded module reads it from
            # the meta instead of importing Cython's parser (which the build server keeps out of kernels).
            from .module_effects import has_module_level_effects

            with open(os.path.join(staging, source_rel), encoding="utf-8") as f:
                meta["module_level_effects"] = has_module_level_effects(f.read())
        write_meta(staging, meta)
        publish(job.root, job.key, staging, replace=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    after_publish(job.root)
    timings = {"hash": job.t_hash, "cythonize": out.cythonize_s, "compile": out.compile_s}
    for k, v in job.extra_timings.items():
        timings[k] = timings.get(k, 0.0) + v
    return meta, timings
