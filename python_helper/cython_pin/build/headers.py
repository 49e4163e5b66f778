"""Header comments (``# distutils: …``, and ``# cython: …`` lines naming a distutils setting), read as
``cythonize`` reads them: Cython's own ``DependencyTree.distutils_info`` over the source and the ``.pxd``
files it cimports, merged over the caller's explicit options the way cythonize merges them over an
``Extension``. The result feeds the options, so it is part of the key.

The check for whether a source has such comments at all costs no import; only sources that have them import
Cython's build machinery (also on a cache hit), since the options they give decide the key.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# Cython.Build.Dependencies.distutils_settings' keys (a test checks they match): a ``# cython:`` line
# counts as a build setting only for one of these.
DISTUTILS_KEYS = frozenset(
    (
        "name",
        "sources",
        "define_macros",
        "undef_macros",
        "libraries",
        "library_dirs",
        "runtime_library_dirs",
        "include_dirs",
        "extra_objects",
        "extra_compile_args",
        "extra_link_args",
        "export_symbols",
        "depends",
        "language",
        "np_pythran",
    )
)
# Options of ours that cythonize's Extension has too: the caller's values are the "base" cythonize merges.
_BASE_KEYS = (
    "language",
    "include_dirs",
    "library_dirs",
    "libraries",
    "define_macros",
    "extra_compile_args",
    "extra_link_args",
)


def has_build_comments(text: str) -> bool:
    """True if the leading comment block of ``text`` holds a ``distutils:`` line or a ``cython:`` line that
    names a distutils setting (the lines cythonize takes build settings from). No imports."""
    for line in text.splitlines():
        s = line.lstrip()
        if not s:
            continue
        if s[0] != "#":
            return False
        s = s[1:].lstrip()
        if s.startswith("distutils:"):
            return True
        if s.startswith("cython:") and s[7:].partition("=")[0].strip() in DISTUTILS_KEYS:
            return True
    return False


def needs_reading(source: str, support_files: dict[str, bytes]) -> bool:
    """Whether the source or a support ``.pxd`` carries build settings in header comments."""
    if has_build_comments(source):
        return True
    return any(
        n.endswith(".pxd") and has_build_comments(c.decode("utf-8", "replace"))
        for n, c in support_files.items()
    )


def _read_build_settings(
    source: str,
    file_name: str,
    support_files: dict[str, bytes],
    include_dirs: list[str],
    base: dict[str, Any],
) -> dict[str, Any]:
    """The settings cythonize would build ``file_name`` (a ``.pyx`` or ``.py``) with: its header comments and
    those of the ``.pxd`` files it cimports (transitively; its own ``.pxd`` too), merged over ``base``.

    Returns distutils names (``language``, ``libraries``, ``sources``, …); ``include_dirs`` Cython adds for
    the directory of a ``cdef extern from`` file next to the source are left out (the build has them).
    """
    import tempfile

    from Cython.Build.Dependencies import DependencyTree, DistutilsInfo
    from Cython.Compiler.Main import Context
    from Cython.Compiler.Options import CompilationOptions, default_options, get_directive_defaults

    with tempfile.TemporaryDirectory(prefix="cython_pin_headers_") as d:
        path = os.path.join(d, file_name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        for name, content in support_files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(content)
        ctx = Context(
            [d, *include_dirs], get_directive_defaults(), options=CompilationOptions(default_options)
        )
        base_info = DistutilsInfo()
        base_info.values = {k: v for k, v in base.items() if v}
        values = dict(DependencyTree(ctx, quiet=True).distutils_info(path, None, base_info).values)
        for k, v in base_info.values.items():  # as cythonize.create_extension_list does
            values.setdefault(k, v)
        real_d = os.path.realpath(d)
        values["include_dirs"] = [
            p
            for p in values.get("include_dirs", [])
            if not os.path.realpath(os.path.abspath(p)).startswith(real_d)
        ]
    return values


def apply(
    source: str,
    file_name: str,
    opts: dict[str, Any],
    support_files: dict[str, bytes],
    include_dirs: list[str],
    root: str | None = None,
) -> dict[str, Any]:
    """``opts`` (the caller's keyword options) with the header comments' settings merged in, in our names.

    ``sources`` become ``extra_sources`` (paths relative to the working directory, as in a setup.py), except
    support files, which are compiled anyway; ``undef_macros``, ``runtime_library_dirs`` and
    ``extra_objects`` become compiler/linker arguments. ``name``, ``depends``, ``export_symbols`` and
    ``np_pythran`` do not change a build here. With a cache ``root``, the settings read for the same inputs
    are remembered there, so a cache hit in a new process does not import Cython to read them again.
    """
    base = {k: opts[k] for k in _BASE_KEYS if opts.get(k) is not None}
    if isinstance(base.get("define_macros"), dict):
        base["define_macros"] = list(base["define_macros"].items())
    for k in ("include_dirs", "library_dirs", "libraries", "extra_compile_args", "extra_link_args"):
        if isinstance(base.get(k), (str, os.PathLike)):
            base[k] = [base[k]]
    values = _memoised_settings(source, file_name, support_files, include_dirs, base, root)
    out = dict(opts)
    for k in _BASE_KEYS:
        if values.get(k):
            out[k] = values[k]
    compile_args = list(out.get("extra_compile_args") or [])
    compile_args += [f"-U{m}" for m in values.get("undef_macros", [])]
    link_args = list(out.get("extra_link_args") or [])
    link_args += [f"-Wl,-rpath,{p}" for p in values.get("runtime_library_dirs", [])]
    link_args += [os.path.abspath(p) for p in values.get("extra_objects", [])]
    if compile_args:
        out["extra_compile_args"] = compile_args
    if link_args:
        out["extra_link_args"] = link_args
    extra_sources = list(out.get("extra_sources") or [])
    for s in values.get("sources", []):
        if s not in support_files and s != file_name:
            extra_sources.append(s)
    if extra_sources:
        out["extra_sources"] = extra_sources
    return out


MEMO_DIR = "build-settings"


def _memoised_settings(
    source: str,
    file_name: str,
    support_files: dict[str, bytes],
    include_dirs: list[str],
    base: dict[str, Any],
    root: str | None,
) -> dict[str, Any]:
    """:func:`_read_build_settings`, remembered in ``<root>/build-settings/<digest>.json``. The digest covers
    everything the settings depend on: Cython's version, the file name, the source, the support files, the
    include directories and their header-like files (a cimported .pxd may come from there), and ``base``."""
    import json

    if root is None:
        return _read_build_settings(source, file_name, support_files, include_dirs, base)
    import hashlib

    from ..cache.keys import include_dir_digest
    from .toolchain import cython_version

    material = [
        cython_version(),
        file_name,
        hashlib.sha256(source.encode("utf-8")).hexdigest(),
        {n: hashlib.sha256(c).hexdigest() for n, c in sorted(support_files.items())},
        [[d, include_dir_digest(d)] for d in include_dirs],
        base,
    ]
    digest = hashlib.sha256(json.dumps(material, sort_keys=True, default=list).encode()).hexdigest()
    path = os.path.join(root, MEMO_DIR, digest + ".json")
    try:
        with open(path, encoding="utf-8") as f:
            memo = json.load(f)
        if isinstance(memo, dict):
            return memo
    except (OSError, ValueError):
        pass
    values = _read_build_settings(source, file_name, support_files, include_dirs, base)
    try:
        from ..cache.atomic import atomic_write

        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, lambda f: json.dump(values, f), durable=False)
    except OSError:
        pass  # only a memo: the next lookup reads the comments again
    return values
