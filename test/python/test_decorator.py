"""``@cython_pin.compile`` on a pure-Python-mode function."""

from __future__ import annotations

import cython
import cython_pin
from cython_pin.decorator import function_module_source


def test_compiled_function_uses_its_declared_c_types(tmp_path) -> None:
    @cython.locals(n=cython.int, t=cython.int, i=cython.int)
    def triangle(n):
        t = 0
        for i in range(n):
            t += i
        return t

    compiled = cython_pin.compile(triangle, cache_dir=str(tmp_path))
    assert "cython_function_or_method" in type(compiled).__name__
    assert compiled(10) == 45
    assert compiled(100000) == (4999950000 + 2**31) % 2**32 - 2**31  # t is a C int
    result = compiled.__cython_pin_result__
    assert not result.used_cache
    again = cython_pin.compile(cache_dir=str(tmp_path))(triangle)  # the same source: a cache hit
    assert again.__cython_pin_result__.used_cache
    assert again.__cython_pin_result__.key == result.key


def test_bare_decorator_and_the_module_source(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", str(tmp_path))

    @cython_pin.compile
    def halve(x: cython.double) -> cython.double:
        return x / 2

    assert halve(3) == 1.5

    def plain(x):
        return x

    src = function_module_source(plain)
    assert src.splitlines()[0] == "import cython" and "def plain(x):" in src
