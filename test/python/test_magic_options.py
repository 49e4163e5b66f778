"""Every option of Cython 3.3's ``%%cython`` magic, accepted by ``%%cython_pin`` with the same meaning (one
test per option, real builds in a real IPython shell), plus cython_pin's own ``--numpy``, ``--py`` and
``--team``. The README's option table names these tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap

import cython_pin
import pytest
from cython_pin.constants import MIME_TYPE
from protocol_checks import validate
from support import run_py

IPython = pytest.importorskip("IPython")


def run(shell, shown, cell: str) -> dict:
    """Run a magic cell that must succeed; return its build-result payload (checked against the schema)."""
    res = shell.run_cell(cell)
    assert res.success, (res.error_in_exec or res.error_before_exec, shown[-1:] and shown[-1]["text/plain"])
    payload = shown[-1][MIME_TYPE]
    validate("build_result", payload)
    return payload


def fail(shell, shown, cell: str) -> dict:
    res = shell.run_cell(cell)
    assert not res.success
    return shown[-1][MIME_TYPE]


CELL = "def opt_f(int n):\n    return n + 1\n"


def test_name_short_and_long(shell, shown):
    short = run(shell, shown, "%%cython_pin -n opt_named_short\n" + CELL)
    long_ = run(shell, shown, "%%cython_pin --name opt_named_long\n" + CELL)
    assert short["module_name"] == "opt_named_short" and long_["module_name"] == "opt_named_long"
    assert short["key"] != long_["key"]  # the name is in the key: a named cell never serves a stale build


def test_cplus_short_and_long(shell, shown):
    cell = "from libcpp.vector cimport vector\ndef opt_vec(int n):\n    cdef vector[int] v\n"
    cell += "    for i in range(n):\n        v.push_back(i)\n    return v.size()\n"
    assert fail(shell, shown, "%%cython_pin\n" + cell)["status"] == "error"  # needs C++
    short = run(shell, shown, "%%cython_pin -+\n" + cell)
    assert shell.user_ns["opt_vec"](4) == 4
    assert run(shell, shown, "%%cython_pin --cplus\n" + cell)["key"] == short["key"]


def test_language_level_3_is_never_an_alias(shell, shown):
    plain = run(shell, shown, "%%cython_pin\n" + CELL)
    three = run(shell, shown, "%%cython_pin -3\n" + CELL)
    assert three["aliases"] == [] and three["key"] == plain["key"]  # level 3 is the default
    pinned = run(shell, shown, "%%cython_pin -3 opt_level3\n" + CELL)
    assert pinned["aliases"] == ["opt_level3"]
    cython_pin.unpin("opt_level3")


def test_language_level_2(shell, shown):
    cell = 'def opt_py2():\n    print "py2 print statement"\n    return 7\n'
    err = fail(shell, shown, "%%cython_pin\n" + cell)
    assert err["error"]["type"] == "BuildError"
    two = run(shell, shown, "%%cython_pin -2\n" + cell)
    assert shell.user_ns["opt_py2"]() == 7
    assert two["key"] != run(shell, shown, "%%cython_pin\n" + CELL)["key"]


def test_force_short_and_long(shell, shown):
    first = run(shell, shown, "%%cython_pin\n" + CELL)
    again = run(shell, shown, "%%cython_pin -f\n" + CELL)
    assert again["key"] == first["key"] and again["used_cache"] is False
    assert run(shell, shown, "%%cython_pin --force\n" + CELL)["used_cache"] is False
    assert run(shell, shown, "%%cython_pin\n" + CELL)["used_cache"] is True


def test_annotate_and_annotate_fullc(shell, shown):
    plain = run(shell, shown, "%%cython_pin\n" + CELL)
    ann = run(shell, shown, "%%cython_pin -a\n" + CELL)
    assert ann["annotation"]["lines"] and "full_c" not in ann["annotation"]
    full = run(shell, shown, "%%cython_pin --annotate-fullc\n" + CELL)
    assert "PyInit_" in full["annotation"]["full_c"]  # the entire generated C
    # frontends without the extension get the HTML annotation (whole-file C only with --annotate-fullc);
    # text/plain stays compact, without C code
    assert "PyInit_" in shown[-1]["text/html"] and "PyInit_" not in shown[-1]["text/plain"]
    assert len({plain["key"], ann["key"], full["key"]}) == 3


def test_compile_args(shell, shown):
    cell = "cdef extern from *:\n    int OPT_VALUE\ndef opt_value():\n    return OPT_VALUE\n"
    run(shell, shown, "%%cython_pin -c -DOPT_VALUE=5\n" + cell)
    assert shell.user_ns["opt_value"]() == 5
    run(shell, shown, "%%cython_pin --compile-args=-DOPT_VALUE=6\n" + cell)
    assert shell.user_ns["opt_value"]() == 6


def test_link_args(shell, shown):
    bad = fail(shell, shown, "%%cython_pin --link-args=-lopt_no_such_library\n" + CELL)
    assert "opt_no_such_library" in json.dumps(bad)  # the flag reached the linker
    ok = run(shell, shown, "%%cython_pin --verbose --link-args -Wl,-z,now\n" + CELL)
    assert "-Wl,-z,now" in ok["log"]
    assert ok["key"] != run(shell, shown, "%%cython_pin\n" + CELL)["key"]


@pytest.fixture(scope="module")
def clib(tmp_path_factory):
    """A header, a static library and a C source in temp folders."""
    d = tmp_path_factory.mktemp("clib")
    inc, lib = d / "include", d / "lib"
    inc.mkdir()
    lib.mkdir()
    (inc / "opt_triple.h").write_text("int opt_triple(int x);\n#define OPT_HEADER_SEEN 1\n")
    (d / "triple.c").write_text("int opt_triple(int x) { return 3 * x; }\n")
    subprocess.run(["gcc", "-fPIC", "-c", str(d / "triple.c"), "-o", str(d / "triple.o")], check=True)
    subprocess.run(["ar", "rcs", str(lib / "libopttriple.a"), str(d / "triple.o")], check=True)
    (d / "helper.c").write_text("int opt_helper_add(int a, int b) { return a + b; }\n")
    return d


def test_include_library_dir_and_lib(shell, shown, clib):
    cell = (
        'cdef extern from "opt_triple.h":\n    int opt_triple(int x)\n    int OPT_HEADER_SEEN\n'
        "def opt_t(int x):\n    return opt_triple(x) + OPT_HEADER_SEEN\n"
    )
    inc, lib = clib / "include", clib / "lib"
    err = fail(shell, shown, f"%%cython_pin -I {inc}\n" + cell)  # compiles, but nothing defines opt_triple
    assert "opt_triple" in json.dumps(err)
    run(shell, shown, f"%%cython_pin -I {inc} -L {lib} -l opttriple\n" + cell)
    assert shell.user_ns["opt_t"](2) == 7
    run(shell, shown, f"%%cython_pin --include {inc} --library-dir {lib} --lib opttriple\n" + cell)


def test_src(shell, shown, clib):
    cell = "cdef extern int opt_helper_add(int a, int b)\n"
    cell += "def opt_add(a, b):\n    return opt_helper_add(a, b)\n"
    run(shell, shown, f"%%cython_pin -S {clib / 'helper.c'}\n" + cell)
    assert shell.user_ns["opt_add"](2, 3) == 5
    first = shown[-1][MIME_TYPE]["key"]
    (clib / "helper.c").write_text("int opt_helper_add(int a, int b) { return a + b + 100; }\n")
    second = run(shell, shown, f"%%cython_pin --src={clib / 'helper.c'}\n" + cell)
    assert second["key"] != first  # the source file's content is in the key
    assert shell.user_ns["opt_add"](2, 3) == 105


PGO_CELL = textwrap.dedent(
    """\
    import os
    def opt_work(int n):
        cdef long s = 0
        cdef int i
        for i in range(n):
            s += i if i % 3 == 0 else -1
        return s
    if "_pgo_" in __name__:
        for _ in range(50):
            opt_work(10000)
        with open(os.environ["OPT_PGO_MARKER"], "a") as f:
            f.write(__name__ + "\\n")
    """
)


def test_pgo(shell, shown, tmp_path, monkeypatch):
    marker = tmp_path / "trained"
    monkeypatch.setenv("OPT_PGO_MARKER", str(marker))
    plain = run(shell, shown, "%%cython_pin\n" + PGO_CELL)
    assert not marker.exists()  # no training run without --pgo
    pgo = run(shell, shown, "%%cython_pin --pgo --verbose\n" + PGO_CELL)
    assert pgo["key"] != plain["key"] and pgo["used_cache"] is False
    trained = marker.read_text().split()
    assert len(trained) == 1 and trained[0].startswith("_pgo_cython_pin_")  # one training run, as _pgo_<name>
    log = pgo["log"]
    assert "-fprofile-generate=" in log and "-fprofile-use=" in log and "training run" in log
    assert "profile count data file not found" not in log  # the optimised step found the profile
    assert shell.user_ns["opt_work"](9) == sum(i if i % 3 == 0 else -1 for i in range(9))
    # both builds are in the cache: the instrumented one keeps its profile
    rows = {r["key"]: r for r in cython_pin.list_cached()}
    instrumented = [r for r in rows.values() if r["module_name"] == trained[0]]
    assert len(instrumented) == 1
    profile = os.path.join(cython_pin.get_cache_dir(), instrumented[0]["key"], "profile")
    assert any(n.endswith(".gcda") for n in os.listdir(profile))
    marker.unlink()
    again = run(shell, shown, "%%cython_pin --pgo\n" + PGO_CELL)
    assert again["used_cache"] is True and not marker.exists()
    # the optimised build gone, the instrumented one kept: rebuilt from its profile, no new training run
    shutil.rmtree(os.path.join(cython_pin.get_cache_dir(), pgo["key"]))
    rebuilt = run(shell, shown, "%%cython_pin --pgo --verbose\n" + PGO_CELL)
    assert rebuilt["used_cache"] is False and not marker.exists()
    assert "from the cache" in rebuilt["log"] and "-fprofile-use=" in rebuilt["log"]


def test_pgo_training_failure_fails_the_cell(shell, shown):
    cell = 'def opt_x():\n    return 1\nif "_pgo_" in __name__:\n    raise RuntimeError("training broke")\n'
    err = fail(shell, shown, "%%cython_pin --pgo\n" + cell)
    assert err["error"]["message"] == "PGO training run failed: RuntimeError: training broke"


def test_verbose(shell, shown):
    built = run(shell, shown, "%%cython_pin --verbose -f\n" + CELL)
    log = built["log"]
    assert log.startswith("$ cython -3 ") and "\n$ " in log  # the Cython line, then the compiler line
    assert "-o " in log.splitlines()[1]
    assert "log:" in shown[-1]["text/plain"]
    hit = run(shell, shown, "%%cython_pin --verbose\n" + CELL)
    assert hit["used_cache"] is True and "from the cache" in hit["log"]
    assert "log" not in run(shell, shown, "%%cython_pin\n" + CELL)
    err = fail(shell, shown, "%%cython_pin --verbose\ndef opt_bad():\n    return nope\n")
    assert "$ cython" in err["log"] and "nope" in err["log"]


def test_numpy(shell, shown):
    auto = run(shell, shown, "%%cython_pin\n" + CELL)
    forced = run(shell, shown, "%%cython_pin --numpy --verbose\n" + CELL)
    import numpy

    assert forced["key"] != auto["key"] and numpy.get_include() in forced["log"]


def test_py_pure_python_mode(shell, shown):
    cell = (
        "import cython\n"
        "@cython.cfunc\n"
        "def opt_twice(x: cython.int) -> cython.int:\n"
        "    return 2 * x\n"
        "def opt_pure(x):\n"
        "    return opt_twice(x)\n"
    )
    py = run(shell, shown, "%%cython_pin --py --verbose\n" + cell)
    assert shell.user_ns["opt_pure"](4) == 8
    assert ".py\n" in py["log"].splitlines()[0] + "\n"  # Cython read a .py module
    assert py["key"] != run(shell, shown, "%%cython_pin\n" + cell)["key"]


def test_team_pins_the_alias_in_the_team_cache(tmp_path):
    from cython_pin.remote.signing import keygen

    priv, _pub, line = keygen(str(tmp_path), "opt-team", "opt-team")
    trusted = tmp_path / "trusted_keys"
    trusted.write_text(line + "\n")
    store = tmp_path / "store"
    store.mkdir()
    env = {
        "CYTHON_PIN_CACHE_DIR": str(tmp_path / "cache"),
        "CYTHON_PIN_REMOTE": "file://" + str(store),
        "CYTHON_PIN_REMOTE_MODE": "read-write",
        "CYTHON_PIN_SIGNING_KEY": priv,
        "CYTHON_PIN_TRUSTED_KEYS": str(trusted),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    code = textwrap.dedent(
        """
        from IPython.core.interactiveshell import InteractiveShell
        import cython_pin
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "cython_pin")
        r = ip.run_cell("%%cython_pin opt_team --team\\ndef g():\\n    return 3\\n")
        assert r.success, r.error_in_exec
        print(cython_pin.resolve_pinned_key("opt_team", team=True))
        print(sorted(cython_pin.list_pins()))
        """
    )
    p = run_py(code, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    key, personal = p.stdout.split("\n")[-3:-1]
    assert len(key) == 64 and personal == "[]"  # a team pin, not a personal one
