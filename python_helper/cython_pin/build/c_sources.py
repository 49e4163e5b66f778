"""Which support C/C++ files the generated code already ``#include``s (``cdef extern from "x.c"``), so
they are not also compiled on their own (that would define their symbols twice)."""

from __future__ import annotations


def included_support_sources(c_paths: list[str], support_files: dict[str, bytes]) -> set[str]:
    """Names of ``.c``/``.cpp`` support files that a generated C file includes (``#include "name"``)."""
    wanted = {n for n in support_files if n.endswith((".c", ".cpp"))}
    found: set[str] = set()
    if not wanted:
        return found
    for p in c_paths:
        try:
            with open(p, encoding="utf-8", errors="replace") as f:
                for line in f:
                    s = line.strip()
                    if s.startswith("#include") and s[8:].strip().strip('"') in wanted:
                        found.add(s[8:].strip().strip('"'))
        except OSError:
            continue
    return found
