"""Toolchain entries: what the cache keeps per toolchain rather than per cell (Cython's shared utility
modules, the precompiled ``Python.h`` folders in ``.pch/``), which toolchain each was made by, and whether
that toolchain is still present.

Each records ``toolchain`` in its meta.json (:func:`record`): the interpreter's path and version, its
extension suffix, the Cython version and the C compiler's command, path and version. :func:`present`
decides from that record, with stats only (it never starts an interpreter or a compiler that the running
process has not already identified), whether the entry can still be used: one the interpreter running now
can use is present; one whose header link dangles, whose interpreter or compiler is gone, or that the
interpreter running now made before its Python, Cython or compiler version changed (they are in the entry's
key) never will be used again. Entries made before the record existed give None (unknown): listed as such,
never removed for it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

# The fields of a record, each a string (compiler_command: a list of strings) or None.
FIELDS = (
    "python_executable",
    "python_implementation",
    "python_version",
    "ext_suffix",
    "cython_version",
    "compiler_command",
    "compiler_path",
    "compiler_version",
)


def record(root: str | None) -> dict[str, Any]:
    """The toolchain a build in this process uses now, for a toolchain entry's meta.json (what the build
    has already detected: no process is started when the build's key was computed first)."""
    from ..build.toolchain import compiler_identity, cython_version, ext_suffix

    cc = compiler_identity("c", root)
    return {
        "python_executable": sys.executable or None,
        "python_implementation": sys.implementation.name,
        "python_version": _python_version(),
        "ext_suffix": ext_suffix(),
        "cython_version": cython_version(root),
        "compiler_command": list(cc["command"]),
        "compiler_path": cc["path"],
        "compiler_version": cc["version"],
    }


def _python_version() -> str:
    return sys.version.split()[0]


def checked(value: Any) -> dict[str, Any] | None:
    """``value`` (a meta.json's ``toolchain``) if it is a record, else None (absent or malformed)."""
    if not isinstance(value, dict):
        return None
    for name in FIELDS:
        v = value.get(name)
        ok = v is None or (
            isinstance(v, list) and all(isinstance(x, str) for x in v)
            if name == "compiler_command"
            else isinstance(v, str)
        )
        if not ok:
            return None
    return value


def present(toolchain: dict[str, Any] | None, root: str, header: str | None = None) -> bool | None:
    """Whether the toolchain entry made by ``toolchain`` (a :func:`record`, or None when its entry predates
    records) may still be used: False when ``header`` (a pch folder's ``Python.h`` link) dangles, when the
    interpreter running now made it but has since changed Python, Cython or compiler version, or when its
    interpreter or compiler no longer exists; None when unknown (no record, nothing gone); True otherwise.
    An entry the interpreter running now can use is present wherever its record says it was made (one
    fetched from the team cache, or made by a venv at another path with the same versions)."""
    if header is not None and os.path.islink(header) and not os.path.exists(header):
        return False  # the Python whose headers it was made from is gone
    if toolchain is None:
        return None
    if _usable_now(toolchain, root):
        return True
    exe, cc = toolchain.get("python_executable"), toolchain.get("compiler_path")
    if exe and exe == sys.executable and _changed_since(toolchain, root):
        return False
    if exe and not os.path.exists(exe):
        return False
    return not (cc and not os.path.exists(cc))


def _usable_now(toolchain: dict[str, Any], root: str) -> bool:
    """Does the record name what the interpreter running now builds with (what the entries' keys hold):
    its Python version and extension suffix, its Cython, and its compiler (path and version, as this process
    knows them: memoised per compiler file, so a compiler updated in place is seen)."""
    from ..build.toolchain import compiler_identity, cython_version, ext_suffix

    if toolchain.get("python_version") != _python_version() or toolchain.get("ext_suffix") != ext_suffix():
        return False
    if toolchain.get("cython_version") != cython_version(root):
        return False
    cc = compiler_identity("c", root)
    return bool(
        cc["path"] == toolchain.get("compiler_path") and cc["version"] == toolchain.get("compiler_version")
    )


def _changed_since(toolchain: dict[str, Any], root: str) -> bool:
    """For a record of the interpreter running now: has its Python or Cython version changed since, or its
    compiler's version (compared only under the same compiler command: a kernel with another ``CC`` set
    does not make the default compiler's entries gone)."""
    from ..build.toolchain import compiler_command, compiler_identity, cython_version

    if toolchain.get("python_version") != _python_version():
        return True
    if toolchain.get("cython_version") != cython_version(root):
        return True
    if toolchain.get("compiler_command") != compiler_command("c", root):
        return False
    cc = compiler_identity("c", root)
    return bool(
        cc["path"] == toolchain.get("compiler_path") and cc["version"] != toolchain.get("compiler_version")
    )


def label(toolchain: dict[str, Any] | None) -> str | None:
    """``CPython 3.11.7 · Cython 3.1.2 · gcc 12.2.0`` (the parts known), or None without a record."""
    if toolchain is None:
        return None
    impl = str(toolchain.get("python_implementation") or "python")
    parts = [f"{_IMPLEMENTATIONS.get(impl, impl)} {toolchain.get('python_version') or '?'}"]
    if toolchain.get("cython_version"):
        parts.append(f"Cython {toolchain['cython_version']}")
    cc = _compiler_label(toolchain)
    if cc:
        parts.append(cc)
    return " · ".join(parts)


_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}


def _compiler_label(toolchain: dict[str, Any]) -> str | None:
    """``gcc 12.2.0`` from the compiler's ``--version`` line (``gcc (Debian 12.2.0-14) 12.2.0``,
    ``Apple clang version 15.0.0 (...)``), else the command's name."""
    line = str(toolchain.get("compiler_version") or "")
    cmd = toolchain.get("compiler_command") or []
    name = "clang" if "clang" in line.lower() else "gcc" if "gcc" in line.lower() else None
    if name is None:
        name = os.path.basename(cmd[0]) if cmd else None
    if name is None:
        return None
    version = next((v for v in map(_version_prefix, line.split()) if v), None)
    return f"{name} {version}" if version else name


def _version_prefix(token: str) -> str | None:
    """``12.2.0`` from ``12.2.0``, ``14.0.0-1ubuntu1`` or ``(Debian 12.2.0-14)``'s ``12.2.0-14)``."""
    import re

    m = re.match(r"\(?(\d+(?:\.\d+)+)", token)
    return m.group(1) if m else None
