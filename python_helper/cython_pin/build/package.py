"""build_package: several Cython modules built and loaded as one package, with cimport between them."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from ..cache.keys import compute_key
from ..cache.paths import ensure_root, numpy_remembered
from ..engine import check_name_free, check_source, run_job
from ..names import is_identifier
from ..report.result import BuildResult
from .job import Job
from .options import check_module_name, resolve_options, uses_numpy
from .toolchain import ext_suffix

if TYPE_CHECKING:
    from typing import Any


def build_package(modules: dict[str, str], *, package_name: str, **opts: Any) -> BuildResult:
    """Build several Cython modules as one package: each importable as ``package_name.<name>``; ``cimport``
    between them works (declare shared cdef functions in ``support_files`` ``<name>.pxd``).
    ``result.module`` is the package."""
    t0 = time.perf_counter()
    if not isinstance(package_name, str) or not is_identifier(package_name):
        raise ValueError(f"package_name {package_name!r} must be a Python identifier.")
    check_module_name(package_name, "package_name")
    if not isinstance(modules, dict) or not modules:
        raise ValueError("modules must be a non-empty dict of module name -> Cython source.")
    for n, src in modules.items():
        if not isinstance(n, str) or not is_identifier(n) or n == "__init__":
            raise ValueError(f"module name {n!r} must be a Python identifier (not __init__).")
        check_source(src, f"source of module {n!r}")
    if opts.get("module_name") is not None:
        raise ValueError("build_package takes package_name, not module_name.")
    check_name_free(package_name)
    o = resolve_options(opts)
    root = ensure_root(o.cache_dir)
    numpy_used = (
        o.numpy if o.numpy is not None else any(uses_numpy(s, o.support_files) for s in modules.values())
    )
    key = compute_key("package", dict(modules), o, numpy_used, root, extra={"package_name": package_name})
    if o.numpy is None and not numpy_used and numpy_remembered(root, key):  # Cython's output needs numpy
        numpy_used = True
        key = compute_key("package", dict(modules), o, True, root, extra={"package_name": package_name})
    job = package_job(dict(sorted(modules.items())), package_name, o, root, key, numpy_used, t0)
    return run_job(job)


def package_job(
    mods: dict[str, str], package_name: str, o: Any, root: str, key: str, numpy_used: bool, t0: float
) -> Job:
    """The Job that builds the modules ``mods`` as package ``package_name`` under ``key``."""
    suffix = ".py" if o.pure_python else ".pyx"

    def prepare(staging: str) -> tuple[list[Any], dict[str, str | None], str]:
        from .builder import Unit

        pkg_dir = os.path.join(staging, package_name)
        os.mkdir(pkg_dir, 0o700)
        with open(os.path.join(pkg_dir, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(f'"""cython_pin package build {key}."""\n')
        for fname, content in o.support_files.items():
            with open(os.path.join(pkg_dir, fname), "wb") as f:
                f.write(content)
        units = []
        user_files: dict[str, str | None] = {fname: fname for fname in o.support_files}
        for n, src in mods.items():
            path = os.path.join(pkg_dir, n + suffix)
            with open(path, "w", encoding="utf-8") as f:
                f.write(src)
            user_files[n + suffix] = n + suffix
            units.append(Unit(f"{package_name}.{n}", path, os.path.join(pkg_dir, n + ext_suffix())))
        return units, user_files, os.path.join(package_name, next(iter(mods)) + suffix)

    def with_numpy() -> Job:
        key1 = compute_key("package", dict(mods), o, True, root, extra={"package_name": package_name})
        return package_job(mods, package_name, o, root, key1, True, t0)

    job = Job("package", key, package_name, root, o, numpy_used, prepare, t0, time.perf_counter() - t0)
    job.with_numpy = with_numpy
    job.spec = {"kind": "package", "modules": mods, "package_name": package_name}
    return job
