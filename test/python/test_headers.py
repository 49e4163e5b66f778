"""Header comments (``# distutils:`` / ``# cython:``) read as cythonize reads them, and part of the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cython_pin
from cython_pin.build import headers

VECTOR = (
    "from libcpp.vector cimport vector\n"
    "def total(int n):\n"
    "    cdef vector[int] v\n"
    "    for i in range(n):\n"
    "        v.push_back(i)\n"
    "    return sum(v)\n"
)
MACRO_PROBE = (
    "cdef extern from *:\n"
    '    """\n'
    "    #ifndef FROM_HEADER\n"
    "    #define FROM_HEADER -1\n"
    "    #endif\n"
    "    #ifndef FROM_API\n"
    "    #define FROM_API -1\n"
    "    #endif\n"
    '    """\n'
    "    int FROM_HEADER\n"
    "    int FROM_API\n"
    "def values():\n"
    "    return FROM_HEADER, FROM_API\n"
)


def _meta(result: cython_pin.BuildResult) -> dict:
    with open(os.path.join(result.build_dir, "meta.json"), encoding="utf-8") as f:
        return json.load(f)


def test_language_cplusplus_header_builds_cplusplus(tmp_path) -> None:
    r = cython_pin.compile_and_load_result("# distutils: language = c++\n" + VECTOR, cache_dir=str(tmp_path))
    assert r.module.total(5) == 10
    assert _meta(r)["options"]["language"] == "c++"


def test_distutils_settings_merge_over_explicit_options_like_cythonize(tmp_path) -> None:
    src = "# distutils: extra_compile_args = -DFROM_HEADER=1\n" + MACRO_PROBE
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path), extra_compile_args=["-DFROM_API=2"])
    assert r.module.values() == (1, 2)  # transitive lists: the header's first, then the Extension's
    assert _meta(r)["options"]["extra_compile_args"] == ["-DFROM_HEADER=1", "-DFROM_API=2"]


def test_define_macros_header(tmp_path) -> None:
    src = "# distutils: define_macros = FROM_HEADER=5 FROM_API=6\n" + MACRO_PROBE
    assert cython_pin.compile_and_load(src, cache_dir=str(tmp_path)).values() == (5, 6)


def test_cython_directive_header_applies(tmp_path) -> None:
    src = (
        "# cython: c_string_type=unicode, c_string_encoding=utf8\n"
        "cdef char* s = b'abc'\n"
        "def get():\n"
        "    return s\n"
    )
    assert cython_pin.compile_and_load(src, cache_dir=str(tmp_path)).get() == "abc"  # str, not bytes


def test_include_dirs_header_and_its_contents_in_the_key(tmp_path) -> None:
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "answer.h").write_text("#define ANSWER 41\n")
    src = (
        f"# distutils: include_dirs = {inc}\n"
        'cdef extern from "answer.h":\n'
        "    int ANSWER\n"
        "def answer():\n"
        "    return ANSWER\n"
    )
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path / "c"))
    assert r.module.answer() == 41
    (inc / "answer.h").write_text("#define ANSWER 42\n")
    assert cython_pin.key_for(src, cache_dir=str(tmp_path / "c")) != r.key


def test_libraries_library_dirs_and_link_args_headers(tmp_path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "triple.c").write_text("int triple(int x) { return 3 * x; }\n")
    subprocess.run(
        ["gcc", "-shared", "-fPIC", str(lib / "triple.c"), "-o", str(lib / "libtriple.so")], check=True
    )
    src = (
        "# distutils: libraries = triple\n"
        f"# distutils: library_dirs = {lib}\n"
        f"# distutils: extra_link_args = -Wl,-rpath,{lib}\n"
        'cdef extern from *:\n    "int triple(int x);"\n    int triple(int x)\n'
        "def f(int x):\n    return triple(x)\n"
    )
    assert cython_pin.compile_and_load(src, cache_dir=str(tmp_path / "c")).f(7) == 21


def test_sources_header_names_a_c_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path is read as a setup.py next to the source would
    (tmp_path / "impl.c").write_text("int impl_twice(int x) { return 2 * x; }\n")
    src = (
        "# distutils: sources = impl.c\n"
        'cdef extern from *:\n    "int impl_twice(int x);"\n    int impl_twice(int x)\n'
        "def f(int x):\n    return impl_twice(x)\n"
    )
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path / "c"))
    assert r.module.f(4) == 8
    (tmp_path / "impl.c").write_text("int impl_twice(int x) { return 20 * x; }\n")
    assert cython_pin.key_for(src, cache_dir=str(tmp_path / "c")) != r.key  # its contents are in the key


def test_settings_from_a_cimported_pxd_apply(tmp_path) -> None:
    pxd = "# distutils: language = c++\nfrom libcpp.vector cimport vector\n"
    src = "cimport vecdecl\n" + VECTOR
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path), support_files={"vecdecl.pxd": pxd})
    assert r.module.total(4) == 6 and _meta(r)["options"]["language"] == "c++"


def test_cached_header_build_is_a_hit(tmp_path) -> None:
    src = "# distutils: language = c++\n" + VECTOR
    first = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path))
    again = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path))
    assert again.used_cache and again.key == first.key


def test_gate_knows_cythons_distutils_settings() -> None:
    from Cython.Build.Dependencies import distutils_settings

    assert set(distutils_settings) == headers.DISTUTILS_KEYS
    assert headers.has_build_comments("#!x\n\n# distutils: language = c++\nx = 1\n")
    assert headers.has_build_comments("# cython: libraries = m\n")
    assert not headers.has_build_comments("# cython: boundscheck=False\n")  # the compiler reads that one
    assert not headers.has_build_comments("x = 1\n# distutils: language = c++\n")  # not in the header


def test_hit_in_a_new_process_does_not_read_the_comments_again(tmp_path) -> None:
    src = "# distutils: define_macros = FROM_HEADER=5 FROM_API=6\n" + MACRO_PROBE
    cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path))
    code = (
        "import sys, cython_pin\n"
        f"r = cython_pin.compile_and_load_result({src!r}, cache_dir={str(tmp_path)!r})\n"
        "cy = sorted({m.split('.')[0] for m in sys.modules} & {'Cython'})\n"
        "print(r.used_cache, r.module.values(), cy)\n"
    )
    helper = os.path.dirname(os.path.dirname(os.path.abspath(cython_pin.__file__)))
    env = dict(os.environ, PYTHONPATH=helper)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "True (5, 6) []"
