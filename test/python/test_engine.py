"""Engine behaviour with real compiles: cache hits, entries, integrity, failures, support files, C++, numpy,
packages, concurrency and locks."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import cython_pin
import pytest
from cython_pin.errors import BuildError
from support import HELPER, SQUARE, run_py


def test_build_result_fields(square, cache_dir):
    r = square
    assert r.module.f(9) == 81
    assert r.build_dir == os.path.join(cache_dir, r.key)
    assert r.artifact_path.startswith(r.build_dir) and r.artifact_path.endswith(".so")
    assert r.profile == "fast-debug" and r.annotation_path is None
    assert set(r.timings) >= {"hash", "cythonize", "compile", "load", "total"}
    assert r.created_utc.endswith("Z")
    j = r.to_json()
    assert j["status"] == "ok" and j["key"] == r.key and j["module_name"] == r.module_name


def test_second_call_same_process_returns_same_module(square):
    r2 = cython_pin.compile_and_load_result(SQUARE)
    assert r2.module is square.module
    assert r2.used_cache is True and r2.reused_module is True
    assert cython_pin.compile_and_load(SQUARE) is square.module
    assert cython_pin.import_cached(square.key) is square.module


def test_entry_layout_and_meta(square, cache_dir):
    d = square.build_dir
    names = sorted(os.listdir(d))
    assert names == sorted([square.module_name + ".pyx", "meta.json", os.path.basename(square.artifact_path)])
    assert not any(n.endswith((".c", ".o")) for n in names)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    import hashlib

    with open(square.artifact_path, "rb") as f:
        assert meta["artifact_sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert meta["key"] == square.key and meta["module_name"] == square.module_name
    assert meta["cython_version"] and meta["python_version"] and meta["profile"] == "fast-debug"
    assert os.listdir(os.path.join(cache_dir, ".staging")) == []


def test_fresh_process_cache_hit_imports_nothing_heavy(square):
    code = (
        "import sys, time, json\n"
        "t0 = time.perf_counter()\n"
        "import cython_pin\n"
        "t1 = time.perf_counter()\n"
        "after_import = sorted(m for m in sys.modules if m.startswith('cython_pin') or m.split('.')[0] in "
        "('typing', 'Cython', 'numpy', 'IPython', 'setuptools', 'dataclasses'))\n"
        f"r = cython_pin.compile_and_load_result({SQUARE!r})\n"
        "t2 = time.perf_counter()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('Cython', 'setuptools', 'numpy', 'IPython', 'ipykernel', 'distutils', 'sysconfig', "
        "'subprocess', 'hashlib', 'fcntl', 'typing'))\n"
        "print(json.dumps({'key': r.key, 'used_cache': r.used_cache, 'heavy': heavy, "
        "'import_s': t1 - t0, 'call_s': t2 - t1, 'after_import': after_import}))\n"
    )
    p = run_py(code)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["key"] == square.key and out["used_cache"] is True
    assert out["heavy"] == []
    assert out["after_import"] == ["cython_pin", "cython_pin._version"]  # import cython_pin is cheap


def test_import_cached_unknown_key(cache_dir):
    with pytest.raises(FileNotFoundError, match="No cache entry"):
        cython_pin.import_cached_result("0" * 64)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        cython_pin.import_cached("nope")


def test_export_import_and_tamper_refused(square, tmp_path):
    archive = cython_pin.export_cached(square.key, tmp_path)
    assert os.path.basename(archive) == square.key + ".tar.gz"
    other = tmp_path / "other_cache"
    assert cython_pin.import_exported(archive, cache_dir=str(other)) == square.key
    code = (
        "import cython_pin\n"
        f"r = cython_pin.import_cached_result({square.key!r}, cache_dir={str(other)!r})\n"
        "print(r.module.f(3), r.used_cache)\n"
    )
    p = run_py(code)
    assert p.returncode == 0 and p.stdout.split() == ["9", "True"], p.stderr
    art = other / square.key / os.path.basename(square.artifact_path)
    with open(art, "r+b") as f:
        f.seek(100)
        f.write(b"\x00tampered\x00")
    p = run_py(code)
    assert p.returncode != 0
    assert "CacheIntegrityError" in p.stderr and "sha256 does not match" in p.stderr


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


def test_named_module_edit_rebuilds_and_warns():
    r1 = cython_pin.compile_and_load_result("def v():\n    return 1\n", module_name="pin_named_mod")
    r2 = cython_pin.compile_and_load_result("def v():\n    return 2\n", module_name="pin_named_mod")
    assert r1.key != r2.key and r1.module.v() == 1 and r2.module.v() == 2
    assert sys.modules["pin_named_mod"] is r2.module
    assert any(d.source == "helper" and d.severity == "warning" for d in r2.diagnostics)


def test_force_rebuild_replaces_entry(square):
    r = cython_pin.compile_and_load_result(SQUARE, force_rebuild=True)
    assert r.used_cache is False and r.key == square.key and r.module is square.module
    assert os.path.exists(r.artifact_path)


def test_concurrent_builds_of_one_key_compile_once(tmp_path):
    src = "def conc():\n    return 'once'\n"
    code = (
        "import json, cython_pin\n"
        f"r = cython_pin.compile_and_load_result({src!r})\n"
        "print(json.dumps([r.key, r.used_cache, r.module.conc()]))\n"
    )
    env = dict(os.environ, CYTHON_PIN_CACHE_DIR=str(tmp_path / "c"), PYTHONPATH=HELPER)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = []
    for p in procs:
        o, e = p.communicate(timeout=120)
        assert p.returncode == 0, e
        outs.append(json.loads(o.strip().splitlines()[-1]))
    assert outs[0][0] == outs[1][0] and outs[0][2] == outs[1][2] == "once"
    assert sorted(o[1] for o in outs) == [False, True]


def test_lock_released_when_holder_is_killed(tmp_path):
    from cython_pin.locks import FileLock, LockTimeout, is_locked

    path = str(tmp_path / "k.lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys, time; sys.path.insert(0, {HELPER!r})\n"
            "from cython_pin.locks import FileLock\n"
            f"l = FileLock({path!r}).acquire(); print('held', flush=True); time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    assert is_locked(path)
    with pytest.raises(LockTimeout, match="Timed out"):
        FileLock(path, timeout=0.05).acquire()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    t = time.monotonic()
    with FileLock(path, timeout=5):
        assert time.monotonic() - t < 1
    assert not is_locked(path)


def test_check_build_prereqs():
    rep = cython_pin.check_build_prereqs(numpy=True)
    for part in ("cython", "compiler", "python_headers", "numpy"):
        assert rep[part]["ok"] is True and rep[part].get("version"), rep
    assert rep["problems"] == []


def test_get_cache_dir_precedence(monkeypatch, tmp_path):
    from cython_pin import get_cache_dir

    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_cache_dir(str(tmp_path / "explicit")) == str(tmp_path / "explicit")
    assert get_cache_dir() == str(tmp_path / "env")
    monkeypatch.delenv("CYTHON_PIN_CACHE_DIR")
    assert get_cache_dir() == str(tmp_path / "xdg" / "cython_pin")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_cache_dir() == str(tmp_path / "home" / ".cache" / "cython_pin")


def test_list_stats_gc(square, tmp_path):
    other = str(tmp_path / "gc_cache")
    archive = cython_pin.export_cached(square.key, tmp_path)
    cython_pin.import_exported(archive, cache_dir=other)
    r = cython_pin.compile_and_load_result("def gc_me():\n    return 0\n", cache_dir=other)
    rows = cython_pin.list_cached(cache_dir=other)
    assert [row["key"] for row in rows][0] in (r.key, square.key) and len(rows) == 2
    assert all(row["size_bytes"] > 0 and row["created_utc"].endswith("Z") for row in rows)
    stats = cython_pin.cache_stats(cache_dir=other)
    assert stats["entries"] == 2 and stats["total_bytes"] == sum(x["size_bytes"] for x in rows)
    cython_pin.pin(square.key, alias="keep_me", cache_dir=other)
    with pytest.raises(ValueError, match="at least one criterion"):
        cython_pin.gc_cache(cache_dir=other)
    os.makedirs(os.path.join(other, ".staging", "f" * 64 + ".999999.dead"))
    dry = cython_pin.gc_cache(keep_n_newest=0, dry_run=True, cache_dir=other)
    assert [x["key"] for x in dry["removed"]] == [r.key] and dry["kept"] == 1 and dry["dry_run"] is True
    assert len(cython_pin.list_cached(cache_dir=other)) == 2
    res = cython_pin.gc_cache(max_bytes=0, cache_dir=other)
    assert [x["key"] for x in res["removed"]] == [r.key] and res["freed_bytes"] > 0
    assert [x["key"] for x in cython_pin.list_cached(cache_dir=other)] == [square.key]
    assert os.listdir(os.path.join(other, ".staging")) == []
    assert cython_pin.gc_cache(max_age_days=0, cache_dir=other)["removed"] == []  # pinned survives


def test_linker_error_and_name_clash():
    with pytest.raises(BuildError) as ei:
        cython_pin.compile_and_load_result("def lk():\n    return 1\n", libraries=["cython_pin_no_such_lib"])
    errs = [d for d in ei.value.diagnostics if d.severity == "error"]
    assert any(d.source == "linker" and "cython_pin_no_such_lib" in d.message for d in errs), errs
    with pytest.raises(ValueError, match="already used by"):
        cython_pin.compile_and_load_result("def j():\n    return 1\n", module_name="pytest")


def test_gc_then_same_source_republishes_entry(square, tmp_path):
    d = str(tmp_path / "regc")
    r = cython_pin.compile_and_load_result("def regc():\n    return 3\n", cache_dir=d)
    cython_pin.gc_cache(max_bytes=0, cache_dir=d)
    assert cython_pin.list_cached(cache_dir=d) == []
    r2 = cython_pin.compile_and_load_result("def regc():\n    return 3\n", cache_dir=d)
    assert r2.key == r.key and r2.module is r.module and r2.reused_module is True
    assert os.path.exists(r2.artifact_path) and cython_pin.pin(r2.key, alias="back", cache_dir=d) == r.key


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
    from cython_pin.builder import Unit, compile_command
    from cython_pin.options import resolve_options

    fd = resolve_options({})
    assert fd.opt_flags == ["-O0", "-g"] and fd.compiler_directives["boundscheck"] is True and not fd.annotate
    rel = resolve_options({"profile": "release", "compiler_directives": {"boundscheck": True}})
    assert rel.opt_flags == ["-O3"] and rel.compiler_directives["cdivision"] is True
    assert rel.compiler_directives["boundscheck"] is True  # explicit beats profile
    ann = resolve_options({"profile": "annotate", "annotate": False})
    assert ann.annotate is False and ann.opt_flags == ["-O0", "-g"]
    o = resolve_options({"profile": "release", "extra_compile_args": ["-O1"], "libraries": ["m"]})
    cmd = compile_command(Unit("m", "/x/m.pyx", "/x/m.so", "/x/m.c"), o, ["/inc"], [])
    assert cmd.index("-O1") > cmd.index("-O3") and "-lm" in cmd and cmd[-2:] == ["-o", "/x/m.so"]
    assert "-DNDEBUG" in cmd and "-shared" in cmd


def test_missing_cython_or_numpy_is_a_build_error_saying_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "Cython.Compiler.Main", None)
    with pytest.raises(BuildError, match="pip install cython") as ei:
        cython_pin.compile_and_load_result("def nocy():\n    return 1\n")
    assert ei.value.diagnostics[0].source == "helper"
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(BuildError, match="pip install numpy"):
        cython_pin.compile_and_load_result("def nonp():\n    return 1\n", numpy=True)


def test_verbose_prints_summary(square, capsys):
    cython_pin.compile_and_load_result(SQUARE, verbose=1)
    out = capsys.readouterr().out
    assert square.key in out and "from cache : yes" in out
    cython_pin.compile_and_load_result(SQUARE)
    assert capsys.readouterr().out == ""


def test_threads_building_one_key_get_one_module(tmp_path):
    import threading

    src = "def thr():\n    return 'one'\n"
    results = []
    ts = [
        threading.Thread(
            target=lambda: results.append(cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path)))
        )
        for _ in range(3)
    ]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(results) == 3 and len({id(r.module) for r in results}) == 1
    assert sorted(r.used_cache for r in results) == [False, True, True]
