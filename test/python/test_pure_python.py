"""Pure-Python mode: ``pure_python=True`` builds the source as a ``.py`` module, so its companion ``.pxd``
is read with ``.py`` rules (Cython's docs: tutorial/pure/A.py, dostuff.py, sharing_declarations/volume.py)."""

from __future__ import annotations

import cython_pin
import pytest
from cython_pin.errors import BuildError

A_PY = """\
def myfunction(x, y=2):
    a = x - y
    return a + x * y

def _helper(a):
    return a + 1

class A:

    def __init__(self, b=0):
        self.a = 3
        self.b = b

    def foo(self, x):
        print(x + _helper(1.0))
"""
A_PXD = """\
cpdef int myfunction(int x, int y=*)
cdef double _helper(double a)

cdef class A:
    cdef public int a, b
    cpdef foo(self, double x)
"""
DOSTUFF_PY = "def dostuff(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n"
DOSTUFF_PXD = "import cython\n\n@cython.locals(t=cython.int, i=cython.int)\ncpdef int dostuff(int n)\n"


def test_py_module_with_augmenting_pxd(tmp_path, capfd) -> None:
    r = cython_pin.compile_and_load_result(
        A_PY, pure_python=True, module_name="A", support_files={"A.pxd": A_PXD}, cache_dir=str(tmp_path)
    )
    m = r.module
    assert m.myfunction(3) == 7
    assert m.myfunction(3.9) == 7  # cpdef int myfunction(int x, ...): the .pxd's types apply
    assert not hasattr(m, "_helper")  # cdef in the .pxd: not visible from Python
    obj = m.A(5)
    assert (obj.a, obj.b) == (3, 5)
    with pytest.raises(TypeError):
        obj.a = "not an int"  # cdef public int a
    obj.foo(1)
    assert "3.0" in capfd.readouterr().out
    assert r.source_path is not None and r.source_path.endswith("A.py")


def test_same_source_as_pyx_does_not_build(tmp_path) -> None:
    with pytest.raises(BuildError, match="Cython compilation failed") as e:
        cython_pin.compile_and_load_result(
            A_PY, module_name="A", support_files={"A.pxd": A_PXD}, cache_dir=str(tmp_path)
        )
    assert any("declared but not defined" in d.message for d in e.value.diagnostics)


def test_locals_from_the_pxd(tmp_path) -> None:
    m = cython_pin.compile_and_load(
        DOSTUFF_PY,
        pure_python=True,
        module_name="dostuff",
        support_files={"dostuff.pxd": DOSTUFF_PXD},
        cache_dir=str(tmp_path),
    )
    assert m.dostuff(100000) == (4999950000 + 2**31) % 2**32 - 2**31  # t is a C int: it wraps like one


def test_pure_python_is_in_the_key(tmp_path) -> None:
    src = "def f(x):\n    return x + 1\n"
    assert cython_pin.key_for(src, cache_dir=str(tmp_path), pure_python=True) != cython_pin.key_for(
        src, cache_dir=str(tmp_path)
    )
    r = cython_pin.compile_and_load_result(src, pure_python=True, cache_dir=str(tmp_path))
    assert r.module.f(1) == 2
    assert cython_pin.compile_and_load_result(src, pure_python=True, cache_dir=str(tmp_path)).used_cache


def test_pure_python_must_be_a_bool(tmp_path) -> None:
    with pytest.raises(ValueError, match="pure_python"):
        cython_pin.compile_and_load_result("x = 1\n", pure_python="yes", cache_dir=str(tmp_path))
