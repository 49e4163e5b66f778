"""numpy needed without importing it by name (``@cython.ufunc``): found in Cython's generated C."""

from __future__ import annotations

import json
import os

import cython_pin
import pytest
from cython_pin.build import numpy_detect

np = pytest.importorskip("numpy")

UFUNC = """\
import cython

@cython.ufunc
@cython.cfunc
def add_one(x: cython.double) -> cython.double:
    return x + 1
"""


def _meta(r: cython_pin.BuildResult) -> dict:
    with open(os.path.join(r.build_dir, "meta.json"), encoding="utf-8") as f:
        return json.load(f)


def test_ufunc_builds_with_numpy_and_later_lookups_go_straight_to_its_key(tmp_path) -> None:
    cache = str(tmp_path)
    key_without = cython_pin.key_for(UFUNC, pure_python=True, cache_dir=cache)
    r = cython_pin.compile_and_load_result(UFUNC, pure_python=True, cache_dir=cache)
    assert list(r.module.add_one(np.array([1.0, 2.5]))) == [2.0, 3.5]
    assert _meta(r)["numpy"] is True
    assert r.key != key_without  # built under the key that covers numpy (and its version)
    assert numpy_detect.remembered(cache, key_without)
    assert cython_pin.key_for(UFUNC, pure_python=True, cache_dir=cache) == r.key
    again = cython_pin.compile_and_load_result(UFUNC, pure_python=True, cache_dir=cache)
    assert again.used_cache and again.key == r.key
    # the first build, redone with numpy, is its own phase (not in "hash", not unaccounted)
    assert r.timings["rebuild"] > r.timings["hash"] and "rebuild" not in again.timings


def test_numpy_true_forces_it(tmp_path) -> None:
    src = "def f(int x):\n    return x\n"
    forced = cython_pin.compile_and_load_result(src, numpy=True, cache_dir=str(tmp_path))
    plain = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path))
    assert _meta(forced)["numpy"] is True and _meta(plain)["numpy"] is False
    assert forced.key != plain.key


def test_generated_code_check(tmp_path) -> None:
    with_np = tmp_path / "a.c"
    with_np.write_text("/* x */\n#include <numpy/arrayobject.h>\n")
    without = tmp_path / "b.c"
    without.write_text('#include "Python.h"\n/* numpy/arrayobject.h mentioned in a comment */\n')
    assert numpy_detect.generated_code_needs_numpy([str(without), str(with_np)])
    assert not numpy_detect.generated_code_needs_numpy([str(without), str(tmp_path / "missing.c")])


def test_package_module_needing_numpy(tmp_path) -> None:
    r = cython_pin.build_package(
        {"uf": UFUNC, "plain": "def g(x):\n    return x\n"},
        package_name="npdetect_pkg",
        pure_python=True,
        cache_dir=str(tmp_path),
    )
    assert list(r.module.uf.add_one(np.array([0.5]))) == [1.5]
    again = cython_pin.build_package(
        {"uf": UFUNC, "plain": "def g(x):\n    return x\n"},
        package_name="npdetect_pkg",
        pure_python=True,
        cache_dir=str(tmp_path),
    )
    assert again.used_cache and again.key == r.key
