"""OpenMP when the code asks for it: what Cython generated for prange/parallel or ``cimport openmp`` (from the
cell or from a cimported .pxd) is compiled and linked with the compiler's OpenMP flag; the option is part of
the key, ``openmp=False`` / ``--no-openmp`` turns it off."""

from __future__ import annotations

import cython_pin
import pytest
from cython_pin.build.builder import Unit, cythonize_unit
from cython_pin.build.openmp import generated_code_uses_openmp
from cython_pin.build.options import resolve_options

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


def _generated(tmp_path, source: str) -> str:
    pyx = tmp_path / "m.pyx"
    pyx.write_text(source)
    unit = Unit("m", str(pyx), "")
    assert cythonize_unit(unit, resolve_options({}), [str(tmp_path)], str(tmp_path / "cython.log")) == 0
    return unit.c_path


@pytest.mark.parametrize(
    ("source", "uses"),
    [
        (
            "from cython.parallel cimport prange\ndef f(int n):\n    cdef int i, s = 0\n"
            "    for i in prange(n, nogil=True):\n        s += i\n    return s\n",
            True,
        ),
        ("cimport openmp\ndef f():\n    return openmp.omp_get_max_threads()\n", True),
        ("def f(int n):\n    return n\n", False),
        # named in a comment and a string, used nowhere: no OpenMP (a look at the source alone would add it)
        ("# no cython.parallel here, no openmp\ndef f():\n    return 'openmp'\n", False),
    ],
)
def test_decided_from_what_cython_generated(tmp_path, source, uses):
    assert generated_code_uses_openmp([_generated(tmp_path, source)]) is uses


def test_a_prange_module_runs_on_several_threads(tmp_path):
    r = cython_pin.compile_and_load_result(PRANGE, cache_dir=str(tmp_path))
    assert r.module.max_threads() >= 1  # omp_get_max_threads resolved: libgomp is linked
    assert r.module.threads_seen(1000) == 2  # prange really ran on two threads
    assert "-fopenmp" in (r.log or "")


def test_openmp_from_a_cimported_pxd_is_found_too(tmp_path):
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "par.pxd").write_text(
        "cimport openmp\n\n"
        "cdef inline int max_threads() noexcept nogil:\n    return openmp.omp_get_max_threads()\n"
    )
    src = "from par cimport max_threads\n\ndef threads():\n    return max_threads()\n"
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path / "c"), include_dirs=[str(inc)])
    assert r.module.threads() >= 1  # omp_get_max_threads resolved: libgomp is linked
    assert "-fopenmp" in (r.log or "")


def test_the_option_is_in_the_key_and_can_be_turned_off(tmp_path):
    keys = {v: cython_pin.key_for(PRANGE, cache_dir=str(tmp_path), openmp=v) for v in (None, True, False)}
    assert len(set(keys.values())) == 3  # auto, forced on, off
    plain = "def f(int n):\n    return n\n"
    # turned off is recorded in the key, auto is not
    assert cython_pin.key_for(plain, cache_dir=str(tmp_path)) != cython_pin.key_for(
        plain, cache_dir=str(tmp_path), openmp=False
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
