"""OpenMP when the code uses it, decided from what Cython generated.

``prange``/``parallel`` from ``cython.parallel`` become ``#pragma omp`` lines, and ``cimport openmp`` (or any
``cdef extern from "omp.h"``) becomes an unconditional ``#include <omp.h>``: either one, wherever it came from
(the cell, an included ``.pxi``, an inline function of a cimported ``.pxd``), needs the compiler's OpenMP flag
on compile and link. Every Cython module also includes ``<omp.h>`` under ``#ifdef _OPENMP``; that one asks for
nothing. The generated C follows from what the key already holds (the source, the options, the toolchain), so
the key holds only the option: ``openmp=None`` (auto, decided here), ``True`` or ``False``.
"""

from __future__ import annotations

import re

# gcc's and clang's flag for compiling and linking OpenMP code (libgomp / libomp at link time).
FLAG = "-fopenmp"

_PRAGMA = re.compile(r"^[ \t]*#[ \t]*pragma[ \t]+omp\b", re.MULTILINE)
# an #include of omp.h and the line before it (Cython's own guarded include is preceded by #ifdef _OPENMP)
_INCLUDE = re.compile(r"^([^\n]*)\n[ \t]*#[ \t]*include[ \t]*[<\"]omp\.h[>\"]", re.MULTILINE)


def generated_code_uses_openmp(c_paths: list[str]) -> bool:
    """True if any C/C++ file Cython generated has an OpenMP pragma or includes ``omp.h`` unguarded."""
    for p in c_paths:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        if _PRAGMA.search(text):
            return True
        if any(before.strip() != "#ifdef _OPENMP" for before in _INCLUDE.findall(text)):
            return True
    return False
