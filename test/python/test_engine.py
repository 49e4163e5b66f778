"""Engine behaviour with real compiles: results, cache hits, the entry on disk, rebuilds, concurrency
and locks."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import cython_pin
import pytest
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
        "'subprocess', 'shlex'))\n"
        "ours = sorted(m for m in sys.modules if m.startswith('cython_pin.'))\n"
        "print(json.dumps({'key': r.key, 'used_cache': r.used_cache, 'heavy': heavy, 'ours': ours, "
        "'import_s': t1 - t0, 'call_s': t2 - t1, 'after_import': after_import}))\n"
    )
    p = run_py(code)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["key"] == square.key and out["used_cache"] is True
    assert out["heavy"] == []
    assert out["after_import"] == ["cython_pin", "cython_pin._version"]  # import cython_pin is cheap
    # every module costs a fresh kernel's hit its import: only these (headers, numpy_detect: when needed)
    hit_path = ("_version", "build", "build.options", "build.toolchain", "cache", "cache.entries")
    hit_path += ("cache.hashing", "cache.keys", "cache.loader", "cache.paths", "constants", "engine", "names")
    hit_path += ("report", "report.result", "workers", "workers.tracking")  # how its functions pickle
    assert out["ours"] == [f"cython_pin.{m}" for m in hit_path]


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
    from cython_pin.cache.locks import FileLock, LockTimeout, is_locked

    path = str(tmp_path / "k.lock")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys, time; sys.path.insert(0, {HELPER!r})\n"
            "from cython_pin.cache.locks import FileLock\n"
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


def test_timings_name_every_phase_and_add_up():
    """Only the phases that took time are shown, and "other" makes the parts add up to the total."""
    from cython_pin.report.result import timing_parts, timings_text

    t = {"hash": 0.001, "cythonize": 0.109, "compile": 0.409, "shared": 4.3, "load": 0.001, "total": 4.86}
    assert timings_text(t) == (
        "4.86 s total (hash 1 ms, cythonize 109 ms, compile 409 ms, shared module 4.30 s, load 1 ms, "
        "other 40 ms)"
    )
    assert sum(v for _, v in timing_parts(t)) == pytest.approx(4.86)
    assert timings_text({"hash": 0.0001, "wait": 0.32, "load": 0.001, "total": 0.3212}) == (
        "321 ms total (lock wait 320 ms, load 1 ms)"
    )


def test_a_build_that_waited_for_the_key_lock_says_so(tmp_path):
    """Another process holds the key lock (e.g. a build ahead): the wait is its own phase, not unaccounted
    time; a later hit is headed "loaded from cache"."""
    from cython_pin import events
    from cython_pin.cache.entries import key_lock
    from cython_pin.cache.paths import ensure_root
    from cython_pin.report.result import timing_parts

    root = str(tmp_path / "c")
    src = "def waited():\n    return 'after the lock'\n"
    key = cython_pin.key_for(src, cache_dir=root)
    ensure_root(root)
    path = key_lock(root, key, None).path
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {HELPER!r})\n"
            "from cython_pin.cache.locks import FileLock\n"
            f"l = FileLock({path!r}).acquire(); print('held', flush=True); sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    assert holder.stdout.readline().strip() == "held"

    def release() -> None:
        time.sleep(0.2)  # the build has said "waiting" and goes on to the lock: let it find it taken
        holder.stdin.write("go\n")  # type: ignore[union-attr]
        holder.stdin.flush()  # type: ignore[union-attr]

    def release_when_waiting(event: str, data: dict) -> None:
        if event == "build_progress" and data["stage"] == "waiting":
            threading.Thread(target=release, daemon=True).start()

    listener = events.subscribe(release_when_waiting)
    try:
        r = cython_pin.compile_and_load_result(src, cache_dir=root)
    finally:
        events.unsubscribe(listener)
        holder.wait(timeout=60)
    assert r.module.waited() == "after the lock" and not r.used_cache
    parts = dict(timing_parts(r.timings))
    assert "wait" in parts and "cythonize" in parts and "compile" in parts
    # the parts left out are each under half a millisecond
    assert sum(parts.values()) == pytest.approx(r.timings["total"], abs=len(r.timings) * 0.0005)
    hit = cython_pin.compile_and_load_result(src, cache_dir=root)
    assert hit.summary_lines()[0].startswith(f"cython_pin: loaded from cache {hit.module_name}")
    assert r.summary_lines()[0].startswith(f"cython_pin: built {r.module_name}")
