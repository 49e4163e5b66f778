"""has_module_level_effects: which top-level statements make reusing a loaded module lose something."""

import pytest
from cython_pin.build.module_effects import has_module_level_effects


@pytest.mark.parametrize(
    "source",
    [
        "def f(int n):\n    return n * n\n",
        '"""doc"""\nimport math\nfrom libc.math cimport sqrt\ncimport cython\n\ncpdef double g(double x):\n'
        "    return sqrt(x)\n\ncdef class A:\n    cdef int x\n\nclass B:\n    pass\n",
        "N = 10\nNAME = 'x'\ncdef int LIMIT = 5\ncdef double eps\n\ndef f():\n    return N\n",
        "cdef extern from *:\n    int MAGIC\n\nctypedef int myint\ncdef struct S:\n    int a\n",
        "# cython: boundscheck=False\ndef f(x):\n    return x\n",
    ],
)
def test_definitions_only(source):
    assert has_module_level_effects(source) is False


@pytest.mark.parametrize(
    "source",
    [
        "print('loaded')\ndef f():\n    pass\n",
        "CACHE = {}\nCACHE['a'] = 1\n",
        "import time\nSTART = time.time()\n",
        "cdef int n = compute()\n",
        "for i in range(3):\n    pass\n",
        "def f(:\n",  # does not parse: say so rather than hide it
    ],
)
def test_statements_with_effects(source):
    assert has_module_level_effects(source) is True
