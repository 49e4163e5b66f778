"""Compiler settings from the environment, as setuptools and ``%%cython`` take them: CC, CFLAGS and
CPPFLAGS on the compile, LDFLAGS on the link, LDSHARED as the link command. They are read when a build
starts (a change in a running kernel applies to the next build) and are part of the key; an unchanged
environment keeps its hits."""

from __future__ import annotations

import shlex
import sysconfig
import uuid

import cython_pin
import pytest
from cython_pin.build import toolchain

VALUE_SOURCE = (
    "cdef extern from *:\n"
    '    """\n'
    "    #ifndef VALUE\n"
    "    #define VALUE 0\n"
    "    #endif\n"
    '    """\n'
    "    int VALUE\n"
    "\n"
    "def value():\n"
    "    return VALUE\n"
)


@pytest.fixture()
def root(tmp_path, monkeypatch):
    """A private cache, and none of the compiler variables set."""
    for name in toolchain.COMPILER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return str(tmp_path / "cache")


def _recording_wrapper(path, log, real: list[str]) -> str:
    """A shell script that appends its arguments to ``log`` and runs ``real`` with them."""
    path.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {shlex.quote(str(log))}\n'
        f'exec {" ".join(shlex.quote(w) for w in real)} "$@"\n'
    )
    path.chmod(0o755)
    return str(path)


def _real_cc() -> list[str]:
    return shlex.split(sysconfig.get_config_var("CC") or "cc")


def test_cflags_change_the_key_and_reach_the_compiler(root, monkeypatch):
    plain = cython_pin.compile_and_load_result(VALUE_SOURCE, cache_dir=root)
    assert plain.module.value() == 0
    monkeypatch.setenv("CFLAGS", "-DVALUE=7")  # as `%env CFLAGS=-DVALUE=7` in a running kernel
    seven = cython_pin.compile_and_load_result(VALUE_SOURCE, cache_dir=root)
    assert seven.key != plain.key and not seven.used_cache
    assert seven.module.value() == 7
    again = cython_pin.compile_and_load_result(VALUE_SOURCE, cache_dir=root)
    assert again.used_cache and again.key == seven.key  # an unchanged environment keeps its hits
    monkeypatch.setenv("CPPFLAGS", "-UVALUE -DVALUE=9")  # after CFLAGS, as setuptools puts it
    nine = cython_pin.compile_and_load_result(VALUE_SOURCE, cache_dir=root)
    assert nine.module.value() == 9 and nine.key not in (plain.key, seven.key)
    monkeypatch.delenv("CFLAGS")
    monkeypatch.delenv("CPPFLAGS")
    back = cython_pin.compile_and_load_result(VALUE_SOURCE, cache_dir=root)
    assert back.used_cache and back.key == plain.key


def test_cc_set_in_a_running_process_is_the_compiler_of_the_next_build(root, tmp_path, monkeypatch):
    src = f"def f():\n    return {uuid.uuid4().int % 10**9}\n"
    first = cython_pin.compile_and_load_result(src, cache_dir=root)  # the default compiler, now memoised
    log = tmp_path / "cc.log"
    monkeypatch.setenv("CC", _recording_wrapper(tmp_path / "mycc", log, _real_cc()))
    res = cython_pin.compile_and_load_result(src, cache_dir=root)
    assert res.key != first.key and not res.used_cache
    assert res.module.f() == first.module.f()
    compiles = [line for line in log.read_text().splitlines() if res.artifact_path.split("/")[-1] in line]
    assert len(compiles) == 1  # the module's compile and link ran through the wrapper
    assert cython_pin.compile_and_load_result(src, cache_dir=root).used_cache
    monkeypatch.delenv("CC")
    assert cython_pin.compile_and_load_result(src, cache_dir=root).key == first.key


def test_the_toolchain_memo_follows_cc(root, tmp_path, monkeypatch):
    cmd = toolchain.compiler_command("c", root)
    monkeypatch.setenv("CC", "ccache gcc -m64")
    assert toolchain.compiler_command("c", root) == ["ccache", "gcc", "-m64"]
    monkeypatch.setenv("CXX", "clang++")
    assert toolchain.compiler_command("c++", root) == ["clang++"]
    monkeypatch.delenv("CC")
    assert toolchain.compiler_command("c", root) == cmd


def test_ldshared_links_separately_and_ldflags_reach_the_link(root, tmp_path, monkeypatch):
    log = tmp_path / "ld.log"
    monkeypatch.setenv("LDSHARED", _recording_wrapper(tmp_path / "myld", log, [*_real_cc(), "-shared"]))
    monkeypatch.setenv("LDFLAGS", "-Wl,-soname,cython_pin_probe_soname")
    res = cython_pin.compile_and_load_result("def g(int n):\n    return n + 5\n", cache_dir=root)
    assert res.module.g(1) == 6
    [link] = log.read_text().splitlines()
    assert ".o " in link and "-Wl,-soname,cython_pin_probe_soname" in link
    with open(res.artifact_path, "rb") as f:
        assert b"cython_pin_probe_soname" in f.read()  # the linker really had LDFLAGS
    commands = [line for line in (res.log or "").splitlines() if line.startswith("$ ")]
    assert any(" -c " in line for line in commands)  # the compile: to an object file, by CC


def test_flags_are_in_the_key_only_when_set(root, monkeypatch):
    assert "compiler_flags" not in toolchain.toolchain_fingerprint("c", False, None)
    monkeypatch.setenv("LDFLAGS", "-L/opt/x")
    monkeypatch.setenv("CFLAGS", "")  # empty: as if unset
    assert toolchain.toolchain_fingerprint("c", False, None)["compiler_flags"] == {"LDFLAGS": "-L/opt/x"}


def test_pgo_links_with_its_profile_flags_when_ldshared_links_separately(root, tmp_path, monkeypatch):
    monkeypatch.setenv("LDSHARED", shlex.join([*_real_cc(), "-shared"]))
    src = 'def w(int n):\n    return n * 2\nif "_pgo_" in __name__:\n    w(3)\n'
    res = cython_pin.compile_and_load_result(src, cache_dir=root, pgo=True)
    assert res.module.w(4) == 8
    links = [line for line in (res.log or "").splitlines() if line.startswith("$ ") and " -shared " in line]
    assert any("-fprofile-use=" in line for line in links)


def test_prereqs_probe_the_compiler_with_the_environments_flags(root, monkeypatch):
    assert cython_pin.check_build_prereqs()["compiler"]["ok"] is True
    monkeypatch.setenv("CFLAGS", "-fno-such-flag-anywhere")  # set after a first check in this process
    rep = cython_pin.check_build_prereqs()
    assert rep["compiler"]["ok"] is False and "-fno-such-flag-anywhere" in rep["compiler"]["error"]
    monkeypatch.delenv("CFLAGS")
    assert cython_pin.check_build_prereqs()["compiler"]["ok"] is True


def test_where_the_environments_flags_go():
    from cython_pin.build.builder import EnvironmentFlags, Unit, unit_commands
    from cython_pin.build.options import resolve_options

    o = resolve_options({"profile": "release", "extra_compile_args": ["-O1"], "libraries": ["m"]})
    env = EnvironmentFlags(compile=("-O2",), link=("-Wl,-z,now",), link_command=("ld-wrap", "-shared"))
    unit = Unit("m", "/x/m.pyx", "/x/m.so", "/x/m.c")
    *compiles, link = unit_commands(unit, o, ["/inc"], ["/x/extra.c"], env)
    assert [c[-3:] for c in compiles] == [["/x/m.c", "-o", "/x/m.0.o"], ["/x/extra.c", "-o", "/x/m.1.o"]]
    for c in compiles:  # CFLAGS after the profile's flags, before the build's own; nothing of the link
        assert c.index("-O3") < c.index("-O2") < c.index("-O1") and "-c" in c and "-lm" not in c
    assert link == ["ld-wrap", "-shared", "-Wl,-z,now", "-O2", "/x/m.0.o", "/x/m.1.o", "-lm", "-o", "/x/m.so"]
    [one] = unit_commands(unit, o, ["/inc"], [], EnvironmentFlags(compile=("-O2",), link=("-Wl,-z,now",)))
    assert one.index("-O2") < one.index("/x/m.c") < one.index("-shared") < one.index("-Wl,-z,now")
