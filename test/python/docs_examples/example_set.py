"""Cython's documentation examples (vendored archive): which files are example modules, and what each needs.

Used by the test (in the pytest process) and by ``example_worker.py`` (in its worker processes).
"""

from __future__ import annotations

import keyword
import os
import re
import sys
import tarfile
from dataclasses import asdict, dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ARCHIVE = os.path.join(HERE, "cython-3.3.1-docs-examples.tar.xz")
CYTHON_VERSION = "3.3.1"
MODULE_SUFFIXES = (".pyx", ".py")
SUPPORT_SUFFIXES = (".pxd", ".h", ".c", ".cpp")
# Build scripts that sit among the examples: they call setup() when imported, they are not example modules.
BUILD_SCRIPTS = frozenset({"setup.py", "setup_py.py", "setup_pyx.py"})
# cython_pin refuses module names that would shadow Python's own (e.g. the example queue.pyx): those
# examples get cython_pin's default name
_PYTHON_NAMES = frozenset(sys.builtin_module_names) | frozenset(sys.stdlib_module_names)


@dataclass
class Example:
    """One example module: ``rel`` is its path inside ``examples/`` (e.g. ``tutorial/pure/A.py``)."""

    rel: str
    module_name: str | None  # the file's stem, as cythonize names it (None: a name Python itself uses)
    support: list[str] = field(default_factory=list)  # sibling file names handed to the build

    @property
    def pure_python(self) -> bool:
        return self.rel.endswith(".py")

    @property
    def stem(self) -> str:
        return os.path.splitext(os.path.basename(self.rel))[0]

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, object]) -> Example:
        return cls(str(d["rel"]), d["module_name"] and str(d["module_name"]), list(d["support"]))  # type: ignore[arg-type]


def extract(dest: str) -> str:
    """Unpack the archive into ``dest``, each pure-Python example with ``import cython`` added as Cython's own
    test runner adds it; returns the ``examples`` directory."""
    with tarfile.open(ARCHIVE, "r:xz") as tf:
        tf.extractall(dest, filter="data")
    root = os.path.join(dest, "examples")
    for dirpath, _dirs, files in os.walk(root):
        for n in files:
            if n.endswith(".py") and n not in BUILD_SCRIPTS:
                add_cython_import(os.path.join(dirpath, n))
    return root


def add_cython_import(path: str) -> None:
    """Insert ``import cython`` after the leading comments and ``from __future__`` imports (if not there).

    Many of the documentation's pure-Python examples use ``cython.*`` without importing it: the docs show
    the import once, and Cython's runtests.py (``add_cython_import`` for ``docs/examples``) inserts it the
    same way before compiling them. Both builders get the same file, so the comparison stays fair.
    """
    with open(path, encoding="ISO-8859-1") as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        if line.strip() and not (line.startswith("#") or line.startswith("from __future__ import ")):
            if line != "import cython\n":
                lines.insert(i, "import cython\n")
            break
    with open(path, "w", encoding="ISO-8859-1") as f:
        f.writelines(lines)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def _needed_c_sources(module: str, source: str, siblings: dict[str, str]) -> list[str]:
    """Sibling .c/.cpp files the example names, itself or through a sibling .pxd it names (cimports) or
    that declares it (same name)."""
    texts = [source]
    for name, text in siblings.items():
        stem, ext = os.path.splitext(name)
        if ext == ".pxd" and (stem == module or re.search(rf"\b{re.escape(stem)}\b", source)):
            texts.append(text)
    return sorted(n for n in siblings if n.endswith((".c", ".cpp")) and any(n in t for t in texts))


def find_examples(root: str) -> list[Example]:
    """Every example module under ``root`` (sorted), with the sibling files it needs."""
    out: list[Example] = []
    for dirpath, _dirs, files in os.walk(root):
        siblings = {n: _read(os.path.join(dirpath, n)) for n in files if n.endswith(SUPPORT_SUFFIXES)}
        for n in files:
            if not n.endswith(MODULE_SUFFIXES) or n in BUILD_SCRIPTS:
                continue
            path = os.path.join(dirpath, n)
            stem = os.path.splitext(n)[0]
            support = sorted(s for s in siblings if s.endswith((".pxd", ".h")))
            support += _needed_c_sources(stem, _read(path), siblings)
            out.append(
                Example(
                    rel=os.path.relpath(path, root).replace(os.sep, "/"),
                    module_name=None if stem in _PYTHON_NAMES or keyword.iskeyword(stem) else stem,
                    support=sorted(support),
                )
            )
    return sorted(out, key=lambda e: e.rel)
