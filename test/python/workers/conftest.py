"""Fixtures for the workers suite: one cache and one compiler wrapper for the test process (the "user"), and
"nodes": environments for other processes with their own HOME and cache, and a compiler wrapper that keeps
the compiler's identity (it is in the key) but refuses to compile there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
HELPER = os.path.join(REPO, "python_helper")
CHILD = os.path.join(HERE, "child.py")
BASE = tempfile.mkdtemp(prefix="cython_pin_workers_")
CACHE = os.path.join(BASE, "user-cache")
CC = os.path.join(BASE, "cc")

# The test process is the user's kernel: its cache and compiler are set before anything builds.
with open(CC, "w", encoding="utf-8") as _f:
    _f.write(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then exec gcc --version; fi\n'
        'if [ -n "$CC_REFUSE_LOG" ]; then echo "$*" >> "$CC_REFUSE_LOG"; '
        'echo "this node may not compile" >&2; exit 1; fi\n'
        'if [ -n "$CC_LOG" ]; then echo "$*" >> "$CC_LOG"; fi\n'
        'exec gcc "$@"\n'
    )
os.chmod(CC, 0o755)
# The run's marker and the build servers' idle time stay (a node's server exits soon after its last build).
_KEEP = ("CYTHON_PIN_TEST_RUN", "CYTHON_PIN_BUILD_SERVER_IDLE_S")
for _name in [n for n in os.environ if n.startswith(("CYTHON_PIN_", "CC_")) and n not in _KEEP]:
    del os.environ[_name]
os.environ.setdefault("CYTHON_PIN_BUILD_SERVER_IDLE_S", "30")
os.environ.update(CC=CC, CYTHON_PIN_CACHE_DIR=CACHE)
os.environ["PYTHONPATH"] = os.pathsep.join([HELPER, HERE, os.environ.get("PYTHONPATH", "")]).rstrip(
    os.pathsep
)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(BASE, ignore_errors=True)


class Node:
    """Another machine, as an environment: its own HOME and cache (or the user's), a compiler or not."""

    count = 0

    def __init__(
        self, *, shared_cache: bool = False, compiler: bool = True, extra: dict[str, str] | None = None
    ):
        Node.count += 1
        self.dir = os.path.join(BASE, f"node{Node.count}")
        os.makedirs(os.path.join(self.dir, "home"))
        self.cache = CACHE if shared_cache else os.path.join(self.dir, "cache")
        self.cc_log = os.path.join(self.dir, "cc.log")  # compiler runs (refused or not)
        self.env = dict(os.environ, HOME=os.path.join(self.dir, "home"), CYTHON_PIN_CACHE_DIR=self.cache)
        self.env["CC_REFUSE_LOG" if not compiler else "CC_LOG"] = self.cc_log
        self.env.update(extra or {})

    def compiler_runs(self) -> int:
        try:
            with open(self.cc_log, encoding="utf-8") as f:
                return len(f.read().splitlines())
        except FileNotFoundError:
            return 0

    def unpickle(self, data: bytes, expr: str = "obj", loads: str = "pickle") -> dict:
        """Unpickle ``data`` in a fresh process on this node and evaluate ``expr`` with it as ``obj``."""
        path = os.path.join(self.dir, f"data{os.urandom(3).hex()}.pkl")
        with open(path, "wb") as f:
            f.write(data)
        p = subprocess.run(
            [sys.executable, CHILD, path, expr, loads],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == 0, p.stderr[-3000:]
        return json.loads(p.stdout.strip().splitlines()[-1])


def source(tag: str, lines: int = 0) -> str:
    """A cell with a def function, a cdef class and a Python class; ``tag`` makes its key unique."""
    body = "".join(f"cdef int _pad{i}(int n):\n    return n + {i}\n" for i in range(lines))
    return (
        f"# {tag}\n{body}"
        "def f(int n):\n"
        f"    return n * 6 + {len(tag)}\n\n"
        "cdef class Acc:\n"
        "    cdef public long total\n"
        "    def __init__(self, long start=0):\n"
        "        self.total = start\n"
        "    def add(self, long x):\n"
        "        self.total += x\n"
        "        return self.total\n\n"
        "class Box:\n"
        "    def __init__(self, v):\n"
        "        self.v = v\n"
    )


def expected(tag: str, n: int = 7) -> int:
    return n * 6 + len(tag)


@pytest.fixture
def node() -> type[Node]:
    return Node
