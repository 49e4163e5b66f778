"""Shared fixtures: a private cache dir and IPython dir for the session, one reusable build.

Nothing here runs at import time: the environment is set by the session fixture below (and undone after).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from support import SQUARE, stop_build_servers


@pytest.fixture(scope="session", autouse=True)
def _session_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """CYTHON_PIN_CACHE_DIR and IPYTHONDIR point at private temp folders for the whole session."""
    cache = str(tmp_path_factory.mktemp("cython_pin_cache"))
    # not under pytest's basetemp, which a later pytest session may prune while this one's kernels run
    ipython_dir = tempfile.mkdtemp(prefix="cython_pin_test_ipython_")
    # IPython shells and kernels started by the tests keep their profile (and history db) out of ~. The
    # folder goes at exit, after IPython's own atexit handlers (registered later, so run earlier) have
    # closed the history db.
    atexit.register(shutil.rmtree, ipython_dir, True)
    # build servers started by the session's builds: their sockets in a short private folder of the
    # session's own, and gone soon after their last build; any still there at the end are stopped
    runtime = tempfile.mkdtemp(prefix="cpsrv_")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYTHON_PIN_CACHE_DIR", cache)
        mp.setenv("IPYTHONDIR", ipython_dir)
        mp.setenv("XDG_RUNTIME_DIR", runtime)
        mp.setenv("CYTHON_PIN_BUILD_SERVER_IDLE_S", "20")
        yield cache
    stop_build_servers(runtime)
    shutil.rmtree(runtime, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)


@pytest.fixture(scope="session")
def cache_dir(_session_env: str) -> str:
    return _session_env


@pytest.fixture(scope="session")
def square(cache_dir: str):
    """One real build of a tiny module, shared by many tests."""
    import cython_pin

    return cython_pin.compile_and_load_result(SQUARE)


@pytest.fixture(scope="module")
def shell():
    """A real IPython shell with the cython_pin extension loaded."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "cython_pin")
    return ip


@pytest.fixture()
def shown(shell, monkeypatch):
    """The MIME bundles ``shell`` displays during one test."""
    out: list[dict] = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, metadata=None, **kw: out.append(data))
    return out
