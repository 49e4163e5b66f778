"""Shared fixtures: python_helper on sys.path, a private cache dir per session, one reusable build."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HELPER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(HELPER)
if HELPER not in sys.path:
    sys.path.insert(0, HELPER)

_SESSION_CACHE = tempfile.mkdtemp(prefix="cython_pin_test_cache_")
os.environ["CYTHON_PIN_CACHE_DIR"] = _SESSION_CACHE
# IPython shells and kernels started by the tests keep their profile (and history db) out of ~; removed at
# exit, after IPython's own atexit handlers (registered later, so run earlier) have closed the history db.
_IPYTHONDIR = tempfile.mkdtemp(prefix="cython_pin_test_ipython_")
os.environ["IPYTHONDIR"] = _IPYTHONDIR
atexit.register(shutil.rmtree, _IPYTHONDIR, True)

SQUARE = "def f(int n):\n    return n*n\n"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def cache_dir() -> str:
    return _SESSION_CACHE


@pytest.fixture(scope="session")
def square(cache_dir: str):
    """One real build of a tiny module, shared by many tests."""
    import cython_pin

    return cython_pin.compile_and_load_result(SQUARE)


def run_py(code: str, *, cwd: str | None = None, env: dict[str, str] | None = None, timeout: float = 120):
    """Run ``code`` in a fresh interpreter with cython_pin importable; return CompletedProcess."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = HELPER + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
