"""Faults: a pins write killed mid-way; the cache on a full or read-only file system (a real tmpfs mount)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys

import cython_pin
import pytest

from . import relutil

PIN_VICTIM = r"""
import json, os, sys, time, types
import cython_pin, cython_pin.pins.registry as P, cython_pin.cache.atomic as A
root, key, point, mark = sys.argv[1:5]

def pause():
    open(mark, "w").close()
    time.sleep(300)
    os._exit(3)

if point == "partial_tmp":  # half of the new JSON is in the temp file
    real_atomic_write = A.atomic_write
    def atomic_write(path, write, **kw):
        def half(f):
            import io
            buf = io.BytesIO() if kw.get("binary") else io.StringIO()
            write(buf)
            data = buf.getvalue()
            f.write(data[: len(data) // 2]); f.flush()
            pause()
        return real_atomic_write(path, half, **kw)
    A.atomic_write = atomic_write
elif point == "before_fsync":
    real_fsync = os.fsync
    def fsync(fd):
        pause()
    A.os = types.SimpleNamespace(**{n: getattr(os, n) for n in dir(os) if not n.startswith("__")})
    A.os.fsync = fsync
    A.os.path = os.path
elif point == "before_replace":
    real_replace = os.replace
    def replace(a, b):
        if b.endswith(os.path.join("pins", "new_alias.json")):
            pause()
        real_replace(a, b)
    os.replace = replace
elif point == "loop":  # timed kill while pinning/unpinning in a loop
    open(mark, "w").close()
    i = 0
    while True:
        cython_pin.pin(key, alias=f"loop_{i % 3}", overwrite=True, cache_dir=root)
        cython_pin.unpin(f"loop_{(i + 1) % 3}", cache_dir=root)
        i += 1
cython_pin.pin(key, alias="new_alias", overwrite=True, cache_dir=root)
cython_pin.unpin("base", cache_dir=root)
print("completed")
"""


def test_pins_write_killed_midway_keeps_previous_file(cache_copy, golden, tmp_path):
    root = cache_copy
    cython_pin.pin(golden.key_a, alias="base", cache_dir=root)
    cython_pin.pin(golden.key_b, alias="other", cache_dir=root)
    kills = 0
    for point in ("partial_tmp", "before_fsync", "before_replace", "loop", "loop"):
        before = cython_pin.list_pins(cache_dir=root)
        mark = str(tmp_path / f"mark_{point}_{kills}")
        p = subprocess.Popen(
            [sys.executable, "-c", PIN_VICTIM, root, golden.key_b, point, mark],
            env=relutil.sub_env(cc=False),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        ok = relutil.wait_for(lambda: os.path.exists(mark) or p.poll() is not None, 30)  # noqa: B023
        assert ok and p.poll() is None, p.communicate()[1][-2000:]
        if point == "loop":
            relutil.wait_for(lambda: False, 0.05 + 0.07 * kills)  # let it run a little, then kill
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        kills += 1
        for name, raw in relutil.pin_files(root).items():
            if name.endswith(".json"):
                json.loads(raw)  # every pin file is always whole, valid JSON
        after = cython_pin.list_pins(cache_dir=root)
        if point == "loop":
            assert after["base"] == golden.key_a and after["other"] == golden.key_b
            assert set(after) <= {"base", "other", "loop_0", "loop_1", "loop_2"}
        else:
            assert after == before, f"{point}: the pins changed by a killed write"
        # the lock died with the writer: the next change happens at once
        cython_pin.pin(golden.key_a, alias=f"after_{kills}", overwrite=True, cache_dir=root)
        cython_pin.unpin(f"after_{kills}", cache_dir=root)
    leftovers = relutil.pin_temp_files(root)
    assert leftovers, "killed writes should leave their temp files (else the kills did not bite)"
    # gc_cache removes them (they only exist while a writer holds the pins lock)
    cython_pin.gc_cache(keep_n_newest=10**6, cache_dir=root)
    assert relutil.pin_temp_files(root) == []
    assert cython_pin.resolve_pinned_key("base", cache_dir=root) == golden.key_a
    relutil.add("pin_kills", kills)
    relutil.figure("pins_tmp_left_by_kills", len(leftovers))


# ---------------------------------------------------------------- full / read-only file system

FS_PROBE = r"""
import errno, json, os, sys
import cython_pin
from cython_pin.errors import BuildError
root, key_a, src_a, src_new = sys.argv[1:5]
out = {}

sim = os.environ.get("REL_SIM_FAULT")  # "ENOSPC" / "EROFS": simulate the fault for paths under root
if sim:
    import builtins
    num = getattr(errno, sim)
    sroot = os.path.abspath(root)

    def under(p):
        try:
            return os.path.abspath(os.fsdecode(p)).startswith(sroot)
        except Exception:
            return False

    def boom(p):
        raise OSError(num, os.strerror(num), os.fsdecode(p))

    _open, _osopen, _mkdir, _rename, _replace = builtins.open, os.open, os.mkdir, os.rename, os.replace

    def open_(file, mode="r", *a, **k):
        if isinstance(file, (str, bytes, os.PathLike)) and under(file) and any(c in mode for c in "wax+"):
            boom(file)
        return _open(file, mode, *a, **k)

    def osopen(path, flags, *a, **k):
        if under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            if sim == "EROFS" or (flags & os.O_CREAT and not os.path.exists(path)):
                boom(path)
        return _osopen(path, flags, *a, **k)

    def mkdir(path, *a, **k):
        if under(path):
            boom(path)
        return _mkdir(path, *a, **k)

    def rename(a_, b_, *a, **k):
        if sim == "EROFS" and (under(a_) or under(b_)):
            boom(a_)
        return _rename(a_, b_, *a, **k)

    def replace(a_, b_, *a, **k):
        if sim == "EROFS" and (under(a_) or under(b_)):
            boom(a_)
        return _replace(a_, b_, *a, **k)

    builtins.open, os.open, os.mkdir, os.rename, os.replace = open_, osopen, mkdir, rename, replace

def attempt(name, fn):
    try:
        v = fn()
        out[name] = {"ok": True, "value": v}
    except BaseException as e:
        text = str(e) + " " + getattr(e, "output", "")
        err = getattr(e, "errno", None)
        out[name] = {"ok": False, "type": type(e).__name__, "errno": err, "msg": text[-600:]}

attempt("hit", lambda: cython_pin.compile_and_load_result(src_a, cache_dir=root).module.f(4))
attempt("import_cached", lambda: cython_pin.import_cached(key_a, cache_dir=root).f(5))
attempt("import_pinned", lambda: cython_pin.import_pinned("keep", cache_dir=root).f(6))
attempt("list_pins", lambda: cython_pin.list_pins(cache_dir=root))
attempt("list_cached", lambda: len(cython_pin.list_cached(cache_dir=root)))
attempt("build_new", lambda: cython_pin.compile_and_load_result(src_new, cache_dir=root).module.f(2))
attempt("pin", lambda: cython_pin.pin(key_a, alias="newpin", overwrite=True, cache_dir=root))
attempt("rename", lambda: cython_pin.rename_pin("keep", "keep2", cache_dir=root))
attempt("unpin", lambda: cython_pin.unpin("keep", cache_dir=root))
print(json.dumps(out))
"""

NEW_SRC = "def f(int n):\n    return n*n + 7\n\ndef tag():\n    return 'fs'\n"


def _mount_tmpfs(path: str, size: str) -> bool:
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", path]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        relutil.note(f"cannot mount a tmpfs here ({p.stderr.strip()}): full/read-only FS only simulated")
    return p.returncode == 0


def _umount(path: str) -> None:
    if subprocess.run(["umount", path], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", path], capture_output=True)


def _probe(root: str, golden, sim: str | None = None) -> dict:  # noqa: ANN001
    code = FS_PROBE.replace("sys.argv[1:5]", repr([root, golden.key_a, relutil.SRC_A, NEW_SRC]))
    p = relutil.run_py(code, env={"REL_SIM_FAULT": sim} if sim else None)
    assert p.returncode == 0, p.stderr[-3000:]
    return relutil.last_json(p, "fs probe")


def _assert_previous_cache_usable(r: dict) -> None:
    assert r["hit"] == {"ok": True, "value": 16}, r["hit"]
    assert r["import_cached"] == {"ok": True, "value": 25}, r["import_cached"]
    assert r["import_pinned"] == {"ok": True, "value": 36}, r["import_pinned"]
    assert r["list_pins"]["ok"] and r["list_cached"] == {"ok": True, "value": 2}, r


def _assert_faulted(r: dict, root: str, before: dict, fault: str, want: tuple[str, int]) -> None:
    """Every write failed with a clear error and changed nothing, except unpin on a full disk: it only
    removes its pin's files, which a full file system allows."""
    _assert_previous_cache_usable(r)
    writes = ("build_new", "pin", "rename") if fault == "full" else ("build_new", "pin", "unpin", "rename")
    for op in writes:
        res = r[op]
        assert not res["ok"], f"{fault}: {op} claimed success: {res}"
        assert res["errno"] == want[1] or want[0] in res["msg"], f"{fault}: {op}: unclear error {res}"
    after = relutil.entries_and_pins(root)
    if fault == "full":
        assert r["unpin"] == {"ok": True, "value": True}, r["unpin"]
        assert "keep" not in cython_pin.list_pins(cache_dir=root)
        before = {p: h for p, h in before.items() if not p.startswith("pins")}
        after = {p: h for p, h in after.items() if not p.startswith("pins")}
    assert after == before  # nothing else changed, nothing half-written


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_cache_on_full_or_read_only_fs_simulated(golden, tmp_path, fault):
    """The same checks with the fault simulated in the probe process (every write, create, mkdir or rename
    under the cache root fails with ENOSPC / EROFS): runs where mounting a tmpfs is not allowed."""
    root = str(tmp_path / "sentinel" / "cache")
    shutil.copytree(golden.root, root, symlinks=True)
    cython_pin.pin(golden.key_a, alias="keep", cache_dir=root)
    before = relutil.entries_and_pins(root)
    want = ("No space left", errno.ENOSPC) if fault == "full" else ("Read-only file system", errno.EROFS)
    r = _probe(root, golden, "ENOSPC" if fault == "full" else "EROFS")
    _assert_faulted(r, root, before, fault, want)
    assert os.listdir(os.path.join(root, ".staging")) == []
    assert [n for n in os.listdir(root) if n.endswith(".tmp")] == []
    r2 = _probe(root, golden)
    for op in ("hit", "build_new", "pin", "unpin"):
        assert r2[op]["ok"], (op, r2[op])
    relutil.add("fs_faults_simulated", 1)


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_cache_on_full_or_read_only_fs(golden, tmp_path, fault):
    mnt = str(tmp_path / "mnt")
    os.mkdir(mnt)
    if not _mount_tmpfs(mnt, "1m"):
        pytest.skip("cannot mount a tmpfs here (the simulated variant covers the same checks)")
    try:
        root = os.path.join(mnt, "cache")
        shutil.copytree(golden.root, root, symlinks=True)
        cython_pin.pin(golden.key_a, alias="keep", cache_dir=root)
        before = relutil.entries_and_pins(root)
        filler = os.path.join(mnt, "filler")
        if fault == "full":
            with open(filler, "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError as e:
                    assert e.errno == errno.ENOSPC
            want = ("No space left", errno.ENOSPC)
        else:
            p = subprocess.run(["mount", "-o", "remount,ro", mnt], capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            want = ("Read-only file system", errno.EROFS)

        r = _probe(root, golden)
        _assert_faulted(r, root, before, fault, want)
        assert os.listdir(os.path.join(root, ".staging")) == []
        leftovers = [n for n in os.listdir(root) if n.endswith(".tmp")]
        assert leftovers == [], f"{fault}: temp files left behind: {leftovers}"

        # the fault goes away: everything works again
        if fault == "full":
            os.unlink(filler)
        else:
            subprocess.run(["mount", "-o", "remount,rw", mnt], check=True)
        r2 = _probe(root, golden)
        for op in ("hit", "build_new", "pin", "unpin"):
            assert r2[op]["ok"], (op, r2[op])
        relutil.add("fs_faults", 1)
    finally:
        _umount(mnt)
