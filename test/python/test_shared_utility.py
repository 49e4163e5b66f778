"""Cython's shared utility module: real builds of a memoryview module against it, its key in the dependent
key, export/import carrying it into a fresh cache, a corrupt shared entry refused and rebuilt."""

from __future__ import annotations

import json
import os
import textwrap

import cython_pin
import pytest
from cython_pin.build import shared_utility
from support import run_py

TOTAL = textwrap.dedent(
    """\
    def total(double[:] a):
        cdef double s = 0
        cdef Py_ssize_t i
        for i in range(a.shape[0]):
            s += a[i]
        return s
    """
)

LOAD_IN_FRESH_PROCESS = """
import array, json, os, sys
import cython_pin
root, key = sys.argv[1], sys.argv[2]
r = cython_pin.import_cached_result(key, cache_dir=root)
shared = [m for m in sys.modules if m.startswith("cython_pin_shared_")]
print(json.dumps({"total": r.module.total(array.array("d", [1.5, 2.0, 4.0])), "shared": shared}))
"""


def _meta(root: str, key: str) -> dict:
    with open(os.path.join(root, key, "meta.json"), encoding="utf-8") as f:
        return json.load(f)


def _fresh_load(root: str, key: str) -> dict:
    p = run_py(LOAD_IN_FRESH_PROCESS.replace("sys.argv[1], sys.argv[2]", f"{root!r}, {key!r}"), timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("shared_cache"))
    os.environ.pop(shared_utility.ENV, None)
    r = cython_pin.compile_and_load_result(TOTAL, cache_dir=root)
    return root, r


def test_a_memoryview_module_is_built_against_the_shared_module(built):
    # the wait for the shared module built beside it is a phase of its own
    assert "shared" in built[1].timings
    import array

    root, r = built
    assert r.module.total(array.array("d", [1.0, 2.0, 3.5])) == 6.5
    spec = _meta(root, r.key)["shared"]
    assert spec["module"] == shared_utility.module_name(spec["key"])
    shared_meta = _meta(root, spec["key"])
    assert shared_meta["kind"] == "shared" and shared_meta["module_name"] == spec["module"]
    assert os.path.isfile(os.path.join(root, spec["key"], shared_meta["artifact"]))
    assert f"--shared {spec['module']}" in (r.log or "")
    # a module without memoryviews does not depend on it
    plain = cython_pin.compile_and_load_result("def f(int n):\n    return n + 2\n", cache_dir=root)
    assert plain.module.f(1) == 3 and "shared" not in _meta(root, plain.key)
    # a cache hit in a fresh process loads the shared module first
    out = _fresh_load(root, r.key)
    assert out == {"total": 7.5, "shared": [spec["module"]]}


def test_the_dependent_key_follows_the_shared_key(built, monkeypatch):
    root, r = built
    assert cython_pin.key_for(TOTAL, cache_dir=root) == r.key
    real = shared_utility._key
    monkeypatch.setattr(shared_utility, "_key", lambda *a: "0" * 64 if real(*a) else "")
    assert cython_pin.key_for(TOTAL, cache_dir=root) != r.key
    monkeypatch.undo()
    monkeypatch.setenv(shared_utility.ENV, "0")
    off = cython_pin.key_for(TOTAL, cache_dir=root)
    assert off != r.key
    plain = "def f(int n):\n    return n + 2\n"
    assert cython_pin.key_for(plain, cache_dir=root) == cython_pin.key_for(plain, cache_dir=root + "x")
    monkeypatch.delenv(shared_utility.ENV)
    assert cython_pin.key_for(TOTAL, cache_dir=root) == r.key


def test_export_import_carries_the_shared_entry_into_a_fresh_cache(built, tmp_path):
    root, r = built
    spec = _meta(root, r.key)["shared"]
    archive = cython_pin.export_cached(r.key, tmp_path, cache_dir=root)
    other = str(tmp_path / "other_cache")
    assert cython_pin.import_exported(archive, cache_dir=other) == r.key
    assert os.path.isdir(os.path.join(other, spec["key"])) and os.path.isdir(os.path.join(other, r.key))
    out = _fresh_load(other, r.key)
    assert out == {"total": 7.5, "shared": [spec["module"]]}


def test_a_corrupt_shared_entry_is_refused_and_rebuilt(built, tmp_path):
    root, r = built
    archive = cython_pin.export_cached(r.key, tmp_path, cache_dir=root)
    other = str(tmp_path / "damaged_cache")
    cython_pin.import_exported(archive, cache_dir=other)
    spec = _meta(other, r.key)["shared"]
    art = os.path.join(other, spec["key"], _meta(other, spec["key"])["artifact"])
    with open(art, "r+b") as f:
        f.seek(2000)
        f.write(b"\0" * 256)
    out = _fresh_load(other, r.key)  # refused (sha256), built again, loaded
    assert out == {"total": 7.5, "shared": [spec["module"]]}
    from cython_pin.cache.hashing import sha256_file

    meta = _meta(other, spec["key"])
    art = os.path.join(other, spec["key"], meta["artifact"])
    assert sha256_file(art) == meta["artifact_sha256"]
    with open(art, "rb") as f:
        f.seek(2000)
        assert f.read(256) != b"\0" * 256


def test_gc_keeps_a_shared_module_while_a_kept_entry_imports_it(built, tmp_path):
    root, r = built
    other = str(tmp_path / "gc_cache")
    cython_pin.import_exported(cython_pin.export_cached(r.key, tmp_path, cache_dir=root), cache_dir=other)
    spec = _meta(other, r.key)["shared"]
    cython_pin.pin(r.key, alias="total_pinned", cache_dir=other)
    out = cython_pin.gc_cache(keep_n_newest=0, cache_dir=other)
    assert out["removed"] == [] and os.path.isdir(os.path.join(other, spec["key"]))
    cython_pin.unpin("total_pinned", cache_dir=other)
    out = cython_pin.gc_cache(keep_n_newest=0, cache_dir=other)
    assert [row["key"] for row in out["removed"]] == [r.key]
    assert [(t["kind"], t["id"]) for t in out["removed_toolchain"]] == [("shared", spec["key"])]


def test_an_archive_pairing_unrelated_entries_is_refused_whole(built, tmp_path):
    import tarfile

    root, r = built
    spec = _meta(root, r.key)["shared"]
    plain = cython_pin.compile_and_load_result("def f(int n):\n    return n + 4\n", cache_dir=root)
    bad = str(tmp_path / "pair.tar.gz")
    with tarfile.open(bad, "w:gz") as tar:
        tar.add(os.path.join(root, spec["key"]), arcname=spec["key"])
        tar.add(os.path.join(root, plain.key), arcname=plain.key)
    other = str(tmp_path / "refusing_cache")
    with pytest.raises(ValueError, match="not the shared utility module"):
        cython_pin.import_exported(bad, cache_dir=other)
    assert not os.path.exists(os.path.join(other, spec["key"]))
    assert not os.path.exists(os.path.join(other, plain.key))


def test_a_second_dependent_loads_after_the_shared_module_left_sys_modules(built):
    """Code that cleans sys.modules (a test runner, a reload helper) must not break the next dependent."""
    import array
    import sys

    root, r = built
    name = _meta(root, r.key)["shared"]["module"]
    assert name in sys.modules
    del sys.modules[name]
    other = cython_pin.compile_and_load_result(TOTAL.replace("s += a[i]", "s += 2 * a[i]"), cache_dir=root)
    assert other.module.total(array.array("d", [1.0, 2.0])) == 6.0
    assert sys.modules[name] is not None


def _cc_wrapper(tmp_path, shared_action: str) -> str:
    """A CC that does ``shared_action`` (shell) for the shared module's compile and runs the real compiler
    for everything else."""
    import shlex
    import sysconfig

    real = shlex.split(sysconfig.get_config_var("CC") or "cc")
    path = tmp_path / "mycc"
    path.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *cython_pin_shared_*" -o "*) {shared_action};; esac\n'
        f'exec {" ".join(shlex.quote(w) for w in real)} "$@"\n'
    )
    path.chmod(0o755)
    return str(path)


def test_an_interrupt_stops_the_shared_modules_compiler(tmp_path, monkeypatch):
    import threading
    import time

    from cython_pin.build import builder

    pid_file = tmp_path / "shared-cc.pid"
    monkeypatch.setenv("CYTHON_PIN_BUILD_SERVER", "0")  # watched in this process
    monkeypatch.setenv("CC", _cc_wrapper(tmp_path, f"echo $$ > {pid_file}; exec sleep 60"))

    def interrupted_once_the_shared_compiler_runs(*args, **kwargs):
        deadline = time.monotonic() + 120
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the shared module's compiler never started"
            time.sleep(0.05)
        raise KeyboardInterrupt

    monkeypatch.setattr(builder, "build_units", interrupted_once_the_shared_compiler_runs)
    root = str(tmp_path / "cache")
    with pytest.raises(KeyboardInterrupt):
        cython_pin.compile_and_load_result(TOTAL, cache_dir=root)
    pid = int(pid_file.read_text())
    assert not os.path.exists(f"/proc/{pid}")  # killed and reaped
    assert "cython_pin-shared_0" not in [t.name for t in threading.enumerate()]
    assert os.listdir(os.path.join(root, ".staging")) == []


def test_the_shared_modules_failure_is_reported_with_the_dependents(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", _cc_wrapper(tmp_path, "echo 'shared module compiler says no' >&2; exit 1"))
    src = TOTAL + "\ndef broken():\n    return undefined_name\n"
    with pytest.raises(cython_pin.BuildError) as ei:
        cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path / "cache"))
    messages = [d.message for d in ei.value.diagnostics]
    assert any("undefined_name" in m for m in messages)  # the dependent's own error
    assert any("shared utility module failed" in m and "says no" in m for m in messages)
