"""Reliability suite: load, kills, corruption and hostile input. Every test uses its own temporary cache.

Run it from the repository root, as its own pytest session (``scripts/test`` does the same)::

    .venv/bin/python -m pytest test/python/reliability

A plain ``pytest`` runs only the main suite. The figures reached are printed at the end of the run
(``pytest_terminal_summary``).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from . import relutil

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "reliability: load, crash, corruption and hostile-input tests (test/python/reliability)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    if not relutil.FIGURES:
        return
    terminalreporter.write_sep("-", "reliability figures")
    terminalreporter.write_line(relutil.figures_line())
    for line in relutil.NOTES:
        terminalreporter.write_line("  " + line)
    terminalreporter.write_line("not made safe (see test/python/reliability/relutil.py NOT_SAFE):")
    for line in relutil.NOT_SAFE:
        terminalreporter.write_line("  - " + line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    relutil.cleanup_session()


@pytest.fixture(scope="session")
def rel_tmp() -> str:
    """A private temp folder for the whole reliability session (removed at the end)."""
    return relutil.session_tmp()


@pytest.fixture(scope="session")
def golden(rel_tmp: str) -> relutil.Golden:
    """A cache with two real tiny builds (made once, in two processes at once). Tests copy it."""
    return relutil.make_golden(rel_tmp)


@pytest.fixture()
def cache_copy(golden: relutil.Golden, tmp_path) -> str:  # noqa: ANN001
    """A private copy of the golden cache (real entries, byte-identical), under a sentinel parent folder."""
    d = str(tmp_path / "sentinel" / "cache")
    os.makedirs(os.path.dirname(d))
    shutil.copytree(golden.root, d, symlinks=True)
    return d


@pytest.fixture()
def scratch_dir() -> str:
    d = tempfile.mkdtemp(prefix="cp_rel_")
    yield d
    shutil.rmtree(d, ignore_errors=True)
