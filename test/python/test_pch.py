"""The precompiled Python.h: made beside a real build, used by the next one, checked, remade when corrupt,
off with CYTHON_PIN_PCH=0, one per toolchain."""

from __future__ import annotations

import os
import shlex
import sysconfig
import threading
import time

import cython_pin
import pytest
from cython_pin.build import pch
from cython_pin.build.options import resolve_options


def _pch_done(root: str) -> None:
    """Wait for a .gch still being made in the background (it is published by that thread): in this
    process, or in the build server's child, which answers before its header is published."""
    for t in threading.enumerate():
        if t.name == "cython_pin-pch":
            t.join()
    d = os.path.join(root, pch.PCH_DIR)

    def making() -> list[int]:  # live makers other than this test
        pids = [pch.maker_pid(n) for n in (os.listdir(d) if os.path.isdir(d) else [])]
        return [p for p in pids if p is not None and p != os.getpid() and os.path.exists(f"/proc/{p}")]

    deadline = time.monotonic() + 60
    while making():
        assert time.monotonic() < deadline, os.listdir(d)
        time.sleep(0.05)


def _folders(root: str) -> list[str]:
    d = os.path.join(root, pch.PCH_DIR)
    return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []


def _compile_line(res: cython_pin.BuildResult) -> str:
    lines = [ln for ln in (res.log or "").splitlines() if ln.startswith("$ ") and " -shared" in ln]
    assert len(lines) == 1, res.log
    return lines[0]


@pytest.fixture()
def root(tmp_path, monkeypatch):
    monkeypatch.delenv("CYTHON_PIN_PCH", raising=False)
    if pch.header_flags(resolve_options({}), str(tmp_path)) is None:
        pytest.skip("the C compiler is not gcc")
    return str(tmp_path)


def test_made_by_a_build_and_used_by_the_next(root):
    r1 = cython_pin.compile_and_load_result("def f(int n):\n    return n * 3\n", cache_dir=root)
    assert r1.module.f(4) == 12
    _pch_done(root)
    [folder] = _folders(root)
    assert pch.usable(folder)
    assert os.path.getsize(os.path.join(folder, "Python.h.gch")) > 1 << 20
    r2 = cython_pin.compile_and_load_result("def g(int n):\n    return n - 1\n", cache_dir=root)
    assert r2.module.g(4) == 3 and not r2.used_cache
    assert f"-I {folder} " in _compile_line(r2)
    # the release profile (other flags, NDEBUG) gets its own
    r3 = cython_pin.compile_and_load_result(
        "def h(int n):\n    return n + 7\n", cache_dir=root, profile="release"
    )
    assert r3.module.h(1) == 8
    _pch_done(root)
    assert len(_folders(root)) == 2 and all(pch.usable(f) for f in _folders(root))


def test_a_checked_header_is_hashed_once_until_it_changes(root, monkeypatch):
    cython_pin.compile_and_load_result("def f(int n):\n    return n * 5\n", cache_dir=root)
    _pch_done(root)
    [folder] = _folders(root)
    gch = os.path.join(folder, "Python.h.gch")
    for name in ("Python.h.gch", "meta.json"):  # written a while ago (a fresh file is checked each time)
        os.utime(os.path.join(folder, name), (1e9, 1e9))
    pch._checked.clear()
    hashed = []
    import cython_pin.cache.hashing as hashing

    real = hashing.sha256_file
    monkeypatch.setattr(hashing, "sha256_file", lambda p: hashed.append(p) or real(p))
    pch.check_all(root)
    assert pch.usable(folder) and pch.usable(folder)
    assert len(hashed) == 1
    with open(gch, "r+b") as f:  # corrupted in place after the check: its mtime moves, it is checked again
        f.seek(1000)
        data = f.read(16)
        f.seek(1000)
        f.write(bytes(b ^ 0xFF for b in data))
    assert not pch.usable(folder)
    assert len(hashed) == 2


def test_a_corrupt_gch_is_refused_and_remade(root):
    cython_pin.compile_and_load_result("def f(int n):\n    return n * 5\n", cache_dir=root)
    _pch_done(root)
    [folder] = _folders(root)
    gch = os.path.join(folder, "Python.h.gch")
    with open(gch, "r+b") as f:
        f.seek(4096)
        f.write(b"\xff" * 64)
    assert not pch.usable(folder)
    r = cython_pin.compile_and_load_result("def g(int n):\n    return n * 6\n", cache_dir=root)
    assert r.module.g(2) == 12
    _pch_done(root)
    assert _folders(root) == [folder] and pch.usable(folder)  # remade
    with open(gch, "rb") as f:
        f.seek(4096)
        assert f.read(64) != b"\xff" * 64
    r = cython_pin.compile_and_load_result("def h(int n):\n    return n * 7\n", cache_dir=root)
    assert r.module.h(2) == 14 and f"-I {folder} " in _compile_line(r)


def test_off_with_the_environment_variable(root, monkeypatch):
    monkeypatch.setenv("CYTHON_PIN_PCH", "0")
    r = cython_pin.compile_and_load_result("def f(int n):\n    return n * 9\n", cache_dir=root)
    assert r.module.f(2) == 18
    _pch_done(root)
    assert _folders(root) == [] and ".pch" not in _compile_line(r)


def test_user_flags_get_no_pch_and_toolchain_changes_get_another(root, monkeypatch):
    o = resolve_options({})
    assert pch.header_flags(resolve_options({"extra_compile_args": ["-O1"]}), root) is None
    assert pch.header_flags(resolve_options({"define_macros": ["X=1"]}), root) is None
    assert pch.header_flags(resolve_options({"language": "c++"}), root) is None
    monkeypatch.setenv("CFLAGS", "-O1")  # the environment's compile flags too
    assert pch.header_flags(o, root) is None
    monkeypatch.delenv("CFLAGS")
    flags = pch.header_flags(o, root)
    assert flags is not None
    before = pch._folder(root, flags)
    import cython_pin.build.toolchain as tc

    real = tc.toolchain_fingerprint
    monkeypatch.setattr(tc, "toolchain_fingerprint", lambda *a: {**real(*a), "compiler_version": "gcc 99"})
    assert pch._folder(root, flags) != before


def test_a_dead_makers_folder_is_removed(root):
    parent = os.path.join(root, pch.PCH_DIR)
    os.makedirs(parent)
    dead = os.path.join(parent, f"{'a' * 32}.999999999.0badc0de.tmp")  # no such pid
    live = os.path.join(parent, f"{'b' * 32}.{os.getpid()}.0badc0de.tmp")
    os.mkdir(dead)
    os.mkdir(live)
    r = cython_pin.compile_and_load_result("def f(int n):\n    return n * 11\n", cache_dir=root)
    assert r.module.f(2) == 22
    _pch_done(root)
    assert not os.path.exists(dead) and os.path.isdir(live)


def test_a_build_failing_while_the_header_is_made_leaves_one_publisher(root, tmp_path, monkeypatch):
    """The module's compile fails while the .gch is still being made: one thread publishes it, without an
    exception (two did, and the second found the first one's folder gone)."""
    real = shlex.split(sysconfig.get_config_var("CC") or "cc")
    slow = tmp_path / "bin" / "gcc"  # still gcc by name and version: it gets a pch
    slow.parent.mkdir()
    slow.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" c-header "*) sleep 3;; esac\n'
        f'exec {" ".join(shlex.quote(w) for w in real)} "$@"\n'
    )
    slow.chmod(0o755)
    monkeypatch.setenv("CYTHON_PIN_BUILD_SERVER", "0")  # watched in this process
    monkeypatch.setenv("CC", str(slow))
    if pch.header_flags(resolve_options({}), root) is None:
        pytest.skip("the C compiler is not gcc")
    errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    fails_fast = 'cdef extern from *:\n    """\n    #error made to fail\n    """\n\ndef f():\n    return 1\n'
    with pytest.raises(cython_pin.BuildError, match="C compilation"):
        cython_pin.compile_and_load_result(fails_fast, cache_dir=root)
    assert [t.name for t in threading.enumerate()].count("cython_pin-pch") == 1
    _pch_done(root)
    assert errors == []
    [folder] = _folders(root)
    assert pch.usable(folder)
