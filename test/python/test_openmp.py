"""OpenMP when the code asks for it: a source that uses cython.parallel or cimports openmp is compiled and
linked with the compiler's OpenMP flag (part of the key); ``openmp=False`` / ``--no-openmp`` turns it off."""

from __future__ import annotations

import cython_pin
import pytest
from cython_pin.build.options import uses_openmp

PRANGE = """
from cython.parallel cimport prange, threadid
cimport openmp

def threads_seen(int n):
    cdef int i
    cdef int[64] seen
    for i in range(64):
        seen[i] = 0
    for i in prange(n, nogil=True, num_threads=2, schedule="static", chunksize=1):
        seen[threadid()] = 1
    return sum(seen[i] for i in range(64))

def max_threads():
    return openmp.omp_get_max_threads()
"""


def test_detected_from_the_source_and_its_support_files():
    assert uses_openmp("from cython.parallel import prange\n", {})
    assert uses_openmp("cimport openmp\n", {})
    assert uses_openmp("from cython.cimports.openmp import omp_get_thread_num\n", {})
    assert not uses_openmp("def f(int n):\n    return n\n", {})
    assert uses_openmp("include 'par.pxi'\n", {"par.pxi": b"from cython.parallel cimport prange\n"})


def test_a_prange_module_runs_on_several_threads(tmp_path):
    r = cython_pin.compile_and_load_result(PRANGE, cache_dir=str(tmp_path))
    assert r.module.max_threads() >= 1  # omp_get_max_threads resolved: libgomp is linked
    assert r.module.threads_seen(1000) == 2  # prange really ran on two threads
    assert "-fopenmp" in (r.log or "")


def test_openmp_is_in_the_key_and_can_be_turned_off(tmp_path):
    auto = cython_pin.key_for(PRANGE, cache_dir=str(tmp_path))
    assert cython_pin.key_for(PRANGE, cache_dir=str(tmp_path), openmp=True) == auto
    off = cython_pin.key_for(PRANGE, cache_dir=str(tmp_path), openmp=False)
    assert off != auto
    plain = "def f(int n):\n    return n\n"
    assert cython_pin.key_for(plain, cache_dir=str(tmp_path), openmp=True) != cython_pin.key_for(
        plain, cache_dir=str(tmp_path)
    )


def test_turned_off_the_prange_loop_runs_serially(tmp_path):
    src = PRANGE.replace("cimport openmp\n", "").replace(
        "def max_threads():\n    return openmp.omp_get_max_threads()\n", ""
    )
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path), openmp=False)
    assert r.module.threads_seen(1000) == 1
    assert "-fopenmp" not in (r.log or "")


def test_bad_value_is_refused():
    with pytest.raises(ValueError, match="openmp must be True, False or None"):
        cython_pin.key_for("def f(): pass\n", openmp="yes")


def test_the_magic_turns_it_off(shell, shown):
    res = shell.run_cell(
        "%%cython_pin --no-openmp\n"
        + PRANGE.replace("cimport openmp\n", "").replace(
            "def max_threads():\n    return openmp.omp_get_max_threads()\n", ""
        )
    )
    assert res.success, res.error_in_exec
    assert shell.user_ns["threads_seen"](100) == 1
