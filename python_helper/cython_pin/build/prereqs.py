"""check_build_prereqs: is this kernel able to build? Each part ``{ok, version | error}`` plus problems."""

from __future__ import annotations

import os
import sys
from typing import Any

_compiler_probe: dict[str, tuple[bool, str]] = {}


def check_build_prereqs(numpy: bool = False) -> dict[str, Any]:
    """Check Cython, a working C compiler (really compiles a trivial file, once per process), Python headers
    and, with ``numpy=True``, numpy. Returns ``{cython, compiler, python_headers, numpy, problems}``."""
    from .toolchain import (
        compiler_command,
        compiler_environment,
        compiler_identity,
        cython_version,
        numpy_version,
    )

    problems: list[str] = []
    report: dict[str, Any] = {}

    cv = cython_version()
    if cv:
        report["cython"] = {"ok": True, "version": cv}
    else:
        report["cython"] = {"ok": False, "error": "Cython is not installed in this kernel's environment"}
        problems.append("Cython is missing: run `python -m pip install cython` in this kernel's environment.")

    import sysconfig

    inc = sysconfig.get_paths().get("include", "")
    if os.path.isfile(os.path.join(inc, "Python.h")):
        report["python_headers"] = {"ok": True, "version": sys.version.split()[0], "path": inc}
    else:
        report["python_headers"] = {"ok": False, "error": f"Python.h not found in {inc}"}
        problems.append(
            f"Python headers are missing ({inc}/Python.h): install the python3-dev (Debian/Ubuntu) or "
            "python3-devel (Fedora) package for this Python."
        )

    ident = compiler_identity("c", None)
    probe = "c " + repr(sorted(compiler_environment().items()))  # again when CC or the flags change
    if probe not in _compiler_probe:
        from .builder import trial_compile

        _compiler_probe[probe] = trial_compile("c", include_python=report["python_headers"]["ok"])
    ok, msg = _compiler_probe[probe]
    if ok:
        report["compiler"] = {
            "ok": True,
            "version": ident.get("version") or "unknown",
            "path": ident.get("path"),
        }
    else:
        cmd = " ".join(compiler_command("c"))
        report["compiler"] = {"ok": False, "error": msg or f"{cmd} failed"}
        problems.append(
            f"The C compiler ({cmd}) cannot build a trivial extension: "
            f"{msg.splitlines()[-1] if msg else ''}. "
            "Install one (e.g. apt install build-essential) or set CC."
        )

    nv = numpy_version()
    if nv:
        report["numpy"] = {"ok": True, "version": nv}
    else:
        report["numpy"] = {"ok": False, "error": "numpy is not installed"}
        if numpy:
            problems.append(
                "numpy is missing: run `python -m pip install numpy` in this kernel's environment."
            )
    report["problems"] = problems
    return report
