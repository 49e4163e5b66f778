"""The usual process pools run a compiled cell's function and cdef class in fresh workers: multiprocessing
(fork, spawn, forkserver), ProcessPoolExecutor and joblib (loky). A worker that cannot get the build fails
the task with the error naming it; the pool never hangs."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import cython_pin
import pytest
from conftest import BASE, expected, source
from cython_pin.errors import BuildUnavailableError
from tasks import total

TAG = "pools"


@pytest.fixture(scope="module")
def cell():  # noqa: ANN201
    return cython_pin.compile_and_load(source(TAG))


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_pool(cell: object, method: str) -> None:
    with multiprocessing.get_context(method).Pool(2) as pool:
        values = pool.map_async(cell.f, range(4)).get(timeout=120)  # type: ignore[attr-defined]
        totals = pool.map_async(total, [cell.Acc(i) for i in range(3)]).get(timeout=120)  # type: ignore[attr-defined]
    assert values == [expected(TAG, n) for n in range(4)]
    assert totals == [1, 2, 3]


def test_process_pool_executor(cell: object) -> None:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        assert list(ex.map(cell.f, range(3), timeout=120)) == [expected(TAG, n) for n in range(3)]  # type: ignore[attr-defined]


def test_joblib_loky(cell: object) -> None:
    from joblib import Parallel, delayed
    from joblib.externals.loky import get_reusable_executor

    try:
        out = Parallel(n_jobs=2, backend="loky", timeout=120)(delayed(cell.f)(n) for n in range(4))  # type: ignore[attr-defined]
    finally:
        get_reusable_executor().shutdown(wait=True)  # loky keeps its workers for reuse otherwise
    assert out == [expected(TAG, n) for n in range(4)]


def test_a_worker_without_the_build_fails_the_task_not_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    res = cython_pin.compile_and_load_result(source("pool-without"))
    empty = os.path.join(BASE, "pool-empty-cache")
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", empty)  # spawned workers start with this environment
    monkeypatch.setenv("CC_REFUSE_LOG", os.path.join(BASE, "pool-refused.log"))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        with pytest.raises(BuildUnavailableError, match=res.key[:16]):
            pool.map_async(res.module.f, range(2)).get(timeout=120)
        assert pool.map_async(abs, [-1]).get(timeout=60) == [1]  # the worker is still there
