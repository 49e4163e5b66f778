"""Real builds and their failures: diagnostics with lines, support files, C++, numpy, packages, annotation,
profiles and options, and tool output kept off the process's file descriptors."""

from __future__ import annotations

import os
import sys

import cython_pin
import pytest
from cython_pin.errors import BuildError
from support import live_processes, run_py


def test_cython_error_diagnostics_with_line_numbers():
    src = "def f(int n):\n    x = 1\n    return y\n"
    with pytest.raises(BuildError) as ei:
        cython_pin.compile_and_load_result(src)
    e = ei.value
    errs = [d for d in e.diagnostics if d.severity == "error"]
    assert errs and errs[0].line == 3 and errs[0].column == 12 and errs[0].file is None
    assert errs[0].source == "cython" and "undeclared name" in errs[0].message
    assert str(e) == "Cython compilation failed: 1 error (line 3)"
    assert errs[0].to_json(line_offset=1)["line"] == 4


def test_compiler_error_mapped_to_pyx_line_and_header_file():
    src = (
        "cdef extern from *:\n"
        '    """\n'
        "    struct S { int a; };\n"
        '    """\n'
        "    struct S:\n"
        "        int b\n"
        "\n"
        "def f():\n"
        "    cdef S s\n"
        "    s.b = 1\n"
        "    return s.b\n"
    )
    with pytest.raises(BuildError) as ei:
        cython_pin.compile_and_load_result(src)
    errs = [d for d in ei.value.diagnostics if d.severity == "error"]
    assert errs and all(d.source == "compiler" for d in errs)
    assert any(d.file is None and d.line == 10 and "b" in d.message for d in errs), errs
    assert str(ei.value).startswith("C compilation failed")

    src2 = 'cdef extern from "broken.h":\n    int two()\n\ndef g():\n    return two()\n'
    with pytest.raises(BuildError) as ei:
        cython_pin.compile_and_load_result(src2, support_files={"broken.h": "int two(void) { return 2 }\n"})
    errs = [d for d in ei.value.diagnostics if d.severity == "error"]
    assert any(d.file == "broken.h" and d.line == 1 for d in errs), errs


def test_failure_leaves_no_entry_or_staging(cache_dir):
    before = set(os.listdir(cache_dir))
    with pytest.raises(BuildError):
        cython_pin.compile_and_load_result("def f(:\n    pass\n")
    assert set(os.listdir(cache_dir)) == before
    assert os.listdir(os.path.join(cache_dir, ".staging")) == []


def test_support_files_pxi_pxd_h_c_and_cplusplus():
    src = (
        'include "consts.pxi"\n'
        "from decls cimport Point\n"
        'cdef extern from "helper.h":\n'
        "    int add(int a, int b)\n"
        "\n"
        "def f(int n):\n"
        "    cdef Point p\n"
        "    p.x = n\n"
        "    p.y = OFFSET\n"
        "    return add(p.x, p.y)\n"
    )
    support = {
        "consts.pxi": "DEF OFFSET = 10\n",
        "decls.pxd": "cdef struct Point:\n    int x\n    int y\n",
        "helper.h": "int add(int a, int b);\n",
        "helper.c": b'#include "helper.h"\nint add(int a, int b) { return a + b; }\n',
    }
    r = cython_pin.compile_and_load_result(src, support_files=support)
    assert r.module.f(5) == 15

    cpp = (
        "from libcpp.vector cimport vector\n"
        "def total(list xs):\n"
        "    cdef vector[int] v = xs\n"
        "    cdef int s = 0\n"
        "    for x in v:\n"
        "        s += x\n"
        "    return s\n"
    )
    r2 = cython_pin.compile_and_load_result(cpp, language="c++", profile="release")
    assert r2.module.total([1, 2, 3]) == 6 and r2.profile == "release"


def test_numpy_build_auto_includes_headers():
    np = pytest.importorskip("numpy")
    src = (
        "import numpy as np\n"
        "cimport numpy as cnp\n"
        "cnp.import_array()\n"
        "def total(double[:] xs):\n"
        "    cdef double s = 0\n"
        "    for i in range(xs.shape[0]):\n"
        "        s += xs[i]\n"
        "    return s\n"
    )
    r = cython_pin.compile_and_load_result(src)
    assert r.module.total(np.arange(4, dtype=float)) == 6.0


def test_build_package_with_cimport_between_modules():
    mods = {
        "a": "cdef int twice(int x):\n    return 2 * x\n\ndef twice_py(int x):\n    return twice(x)\n",
        "b": "from pinpkg.a cimport twice\n\ndef quad(int x):\n    return twice(twice(x))\n",
    }
    r = cython_pin.build_package(
        mods, package_name="pinpkg", support_files={"a.pxd": "cdef int twice(int x)\n"}
    )
    import importlib

    b = importlib.import_module("pinpkg.b")
    assert b.quad(3) == 12 and r.module.a.twice_py(4) == 8
    assert r.module_name == "pinpkg" and r.used_cache is False
    code = (
        "import cython_pin, importlib\n"
        f"r = cython_pin.import_cached_result({r.key!r})\n"
        "print(importlib.import_module('pinpkg.b').quad(2), r.used_cache)\n"
    )
    p = run_py(code)
    assert p.returncode == 0 and p.stdout.split() == ["8", "True"], p.stderr


def test_annotate_profile_writes_annotation(tmp_path):
    r = cython_pin.compile_and_load_result(
        "def g(x):\n    cdef int y = 1\n\n    return x + y\n", profile="annotate"
    )
    assert r.annotation_path and os.path.exists(r.annotation_path)
    ann = r.annotation
    assert ann["max_score"] > 0 and [ln["line"] for ln in ann["lines"]] == [1, 2, 3, 4]
    assert ann["lines"][2] == {"line": 3, "score": 0, "source": "", "c_code": ""}
    assert ann["lines"][3]["source"] == "    return x + y" and "__pyx_v_y" in ann["lines"][3]["c_code"]
    html = open(r.annotation_path).read()
    assert "<details" in html and "<script" not in html and "onclick" not in html
    j = r.to_json(line_offset=1)
    assert j["annotation"]["lines"][0]["line"] == 2


def test_linker_error_and_name_clash():
    with pytest.raises(BuildError) as ei:
        cython_pin.compile_and_load_result("def lk():\n    return 1\n", libraries=["cython_pin_no_such_lib"])
    errs = [d for d in ei.value.diagnostics if d.severity == "error"]
    assert any(d.source == "linker" and "cython_pin_no_such_lib" in d.message for d in errs), errs
    with pytest.raises(ValueError, match="already used by"):
        cython_pin.compile_and_load_result("def j():\n    return 1\n", module_name="pytest")


def test_tool_output_never_leaks_to_process_fds():
    code = (
        "import cython_pin\n"
        "from cython_pin.errors import BuildError\n"
        'src = \'cdef extern from *:\\n    """\\n    struct S { int a; };\\n    """\\n    struct S:\\n'
        "        int b\\ndef f():\\n    cdef S s\\n    s.b = 1\\n    return s.b\\n'\n"
        "for s in (src, 'def f(:\\n    pass\\n'):\n"
        "    try:\n"
        "        cython_pin.compile_and_load_result(s)\n"
        "    except BuildError as e:\n"
        "        assert e.diagnostics\n"
        "print('OK')\n"
    )
    p = run_py(code)
    assert p.stdout == "OK\n" and p.stderr == "", (p.stdout, p.stderr)


def test_profiles_and_explicit_options_win():
    from cython_pin.build.builder import EnvironmentFlags, Unit, unit_commands
    from cython_pin.build.options import resolve_options

    fd = resolve_options({})
    assert fd.opt_flags == ["-O0", "-g"] and fd.compiler_directives["boundscheck"] is True and not fd.annotate
    rel = resolve_options({"profile": "release", "compiler_directives": {"boundscheck": True}})
    assert rel.opt_flags == ["-O3"] and rel.compiler_directives["cdivision"] is True
    assert rel.compiler_directives["boundscheck"] is True  # explicit beats profile
    ann = resolve_options({"profile": "annotate", "annotate": False})
    assert ann.annotate is False and ann.opt_flags == ["-O0", "-g"]
    o = resolve_options({"profile": "release", "extra_compile_args": ["-O1"], "libraries": ["m"]})
    [cmd] = unit_commands(Unit("m", "/x/m.pyx", "/x/m.so", "/x/m.c"), o, ["/inc"], [], EnvironmentFlags())
    assert cmd.index("-O1") > cmd.index("-O3") and "-lm" in cmd and cmd[-2:] == ["-o", "/x/m.so"]
    assert "-DNDEBUG" in cmd and "-shared" in cmd


def test_missing_cython_or_numpy_is_a_build_error_saying_what_to_do(monkeypatch):
    monkeypatch.setenv("CYTHON_PIN_BUILD_SERVER", "0")  # the missing modules are this process's
    monkeypatch.setitem(sys.modules, "Cython.Compiler.Main", None)
    with pytest.raises(BuildError, match="pip install cython") as ei:
        cython_pin.compile_and_load_result("def nocy():\n    return 1\n")
    assert ei.value.diagnostics[0].source == "helper"
    monkeypatch.undo()
    monkeypatch.setenv("CYTHON_PIN_BUILD_SERVER", "0")
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(BuildError, match="pip install numpy"):
        cython_pin.compile_and_load_result("def nonp():\n    return 1\n", numpy=True)


def test_a_compiler_that_cannot_start_leaves_none_of_the_others_running(tmp_path):
    """Unit 2's compiler cannot start: unit 1's, already running, is stopped too."""
    from cython_pin.build.builder import run_side_by_side

    with pytest.raises(OSError):
        run_side_by_side([["sleep", "61.25"], [str(tmp_path / "no-such-compiler")]], str(tmp_path))
    assert live_processes(parent=os.getpid(), marker="61.25") == []


def test_the_module_compile_pipes_the_assembly_and_makes_the_same_module(cache_dir, tmp_path):
    """-pipe changes how gcc's stages talk, not what they make: the module built with it is byte for byte
    the one the same command makes without it."""
    import shlex
    import subprocess

    r = cython_pin.compile_and_load_result("def f(int n):\n    return n + 41\n", cache_dir=cache_dir)
    assert r.module.f(1) == 42
    [line] = [ln[2:] for ln in (r.log or "").splitlines() if ln.startswith("$ ") and " -shared" in ln]
    cmd = shlex.split(line)
    assert "-pipe" in cmd
    # the build's staging folder (and its C) is gone: Cython makes the same C again here
    c_at = next(i for i, a in enumerate(cmd) if a.endswith(".c"))
    pyx = tmp_path / (os.path.basename(cmd[c_at])[: -len(".c")] + ".pyx")
    pyx.write_text("def f(int n):\n    return n + 41\n")
    subprocess.run([sys.executable, "-m", "cython", "-3", str(pyx)], check=True, capture_output=True)
    cmd[c_at] = str(pyx)[: -len(".pyx")] + ".c"
    out = cmd.index("-o") + 1
    with_pipe, without = str(tmp_path / "a.so"), str(tmp_path / "b.so")
    subprocess.run([*cmd[:out], with_pipe, *cmd[out + 1 :]], check=True)
    subprocess.run([a for a in cmd[:out] if a != "-pipe"] + [without, *cmd[out + 1 :]], check=True)
    with open(with_pipe, "rb") as a, open(without, "rb") as b:
        assert a.read() == b.read()


def test_the_compiler_keeps_its_temporary_files_in_the_build_folder(tmp_path, monkeypatch):
    # gcc writes its object file to $TMPDIR before linking: a compiler killed on a cancel leaves it there, so
    # there is the build's staging folder (removed with the build), not /tmp
    log = tmp_path / "cc.log"
    (tmp_path / "bin").mkdir()
    cc = tmp_path / "bin" / "gcc"  # named gcc: it gets a precompiled Python.h too
    cc.write_text(f'#!/bin/sh\necho "$TMPDIR|$*" >> {log}\nexec gcc "$@"\n')
    cc.chmod(0o755)
    monkeypatch.setenv("CC", str(cc))
    cache = tmp_path / "cache"
    r = cython_pin.compile_and_load_result("def f(int n):\n    return n + 41\n", cache_dir=str(cache))
    assert r.module.f(1) == 42
    runs = [line.split("|", 1) for line in log.read_text().splitlines()]
    module = [tmp for tmp, args in runs if r.module.__file__.rsplit("/", 1)[1] in args]
    assert module and all(t.startswith(str(cache / ".staging") + os.sep) for t in module), runs
    header = [tmp for tmp, args in runs if "c-header" in args]  # the precompiled Python.h: its own folder
    assert header and all(t.startswith(str(cache / ".pch") + os.sep) for t in header), runs
