"""Crashes: build processes SIGKILLed at 20 moments (Cython, gcc, publish), pins writes killed mid-way.

Victims are forked from a "zygote" process (cython_pin imported, Cython imported for the later batches) so a
kill costs a fork, not a fresh interpreter. Each victim calls setsid(); the kill is ``killpg(SIGKILL)`` so its
compiler dies with it, as on a kernel restart. Timed kills start from markers the victim writes when it enters
a phase (Cython: a wrapper around ``builder.cythonize_unit``; gcc: the ``CC`` wrapper script; publish:
wrappers around the engine's staging / meta / publish steps, some of which pause so the kill lands
exactly there).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import cython_pin
from cython_pin.cache.entries import read_meta, verify_entry
from cython_pin.cache.locks import is_locked
from cython_pin.cache.paths import lock_path

from . import relutil

ZYGOTE = r"""
import json, os, signal, sys, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
import cython_pin, cython_pin.engine, cython_pin.build.cold, cython_pin.cache.entries
import cython_pin.build.builder, cython_pin.report.annotation, cython_pin.report.diagnostics
import cython_pin.cache.loader, cython_pin.report.result
import cython_pin.cache.keys, cython_pin.build.options

ORDER = ["cython", "gcc", "finished", "published", "done"]

def victim(cmd):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    d, vid, point = cmd["dir"], cmd["id"], cmd["point"]
    fd = os.open(os.path.join(d, f"{vid}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1); os.dup2(fd, 2)
    nul = os.open(os.devnull, os.O_RDONLY); os.dup2(nul, 0)
    os.environ["REL_CC_MARK"] = os.path.join(d, f"{vid}.gcc")

    def mark(ph):
        open(os.path.join(d, f"{vid}.{ph}"), "w").close()

    def pause(ph):
        mark(ph)
        time.sleep(300)
        os._exit(3)

    import cython_pin.build.builder as B, cython_pin.build.cold as E, cython_pin.cache.entries as C
    o_cy, o_fin, o_wm = B.cythonize_unit, E.finish_staging, E.write_meta
    o_pub, o_rm = E.publish, C.remove_tree

    def cy(*a, **k):
        mark("cython")
        return o_cy(*a, **k)

    def fin(staging, keep):
        if point == "before_finish":
            pause("paused")
        o_fin(staging, keep)
        mark("finished")
        if point == "after_finish":
            pause("paused")

    def wm(staging, meta):
        if point == "meta_partial":
            with open(os.path.join(staging, "meta.json.tmp"), "w") as f:
                f.write(json.dumps(meta)[:40])
            pause("paused")
        o_wm(staging, meta)
        if point == "after_meta":
            pause("paused")

    def rm(root, path):
        o_rm(root, path)
        if point == "after_remove_old" and os.path.dirname(path) == root:
            pause("paused")

    def pub(*a, **k):
        r = o_pub(*a, **k)
        mark("published")
        if point == "after_publish":
            pause("paused")
        return r

    B.cythonize_unit, E.finish_staging, E.write_meta, E.publish, C.remove_tree = cy, fin, wm, pub, rm
    force = cmd.get("force", False)
    cython_pin.compile_and_load_result(cmd["src"], cache_dir=cmd["root"], force_rebuild=force)
    pause("done")

for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    if op == "preload":
        import Cython.Compiler.Main, Cython.Compiler.Errors
        print(json.dumps({"ok": True}), flush=True)
    elif op == "key":
        print(json.dumps({"key": cython_pin.key_for(cmd["src"], cache_dir=cmd["root"])}), flush=True)
    elif op == "victim":
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                victim(cmd)
            finally:
                os._exit(4)
        print(json.dumps({"pid": pid}), flush=True)
"""

PHASES = ["cython", "gcc", "finished", "published", "done"]


class Zygote:
    def __init__(self) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE],
            # the victims build in themselves: they are what gets killed at each point (a build server
            # killed mid-build: test/python/test_build_server.py)
            env=relutil.sub_env({"CYTHON_PIN_BUILD_SERVER": "0"}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        relutil._STATE.setdefault("zygotes", []).append(self)

    def ask(self, **cmd: object) -> dict:
        assert self.p.stdin and self.p.stdout
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        assert line, f"zygote died: {self.p.stderr.read() if self.p.stderr else ''}"
        return json.loads(line)

    def close(self) -> None:
        if self.p.poll() is None:
            try:
                self.p.stdin.close()  # type: ignore[union-attr]
                self.p.wait(timeout=10)
            except Exception:  # noqa: BLE001
                self.p.kill()
                self.p.wait()


def _src(i: int) -> str:
    return f"def f(int n):\n    return n*n + {100 + i}\n\ndef tag():\n    return 'victim {i}'\n"


def _phase(d: str, vid: int) -> str:
    reached = [ph for ph in PHASES if os.path.exists(os.path.join(d, f"{vid}.{ph}"))]
    return reached[-1] if reached else "setup"


def _run_batch(z: Zygote, root: str, d: str, plans: list[dict]) -> list[dict]:
    """Start every victim of the batch at once, kill each at its moment; returns what was killed where."""
    for pl in plans:
        pl["pid"] = z.ask(
            op="victim",
            id=pl["id"],
            point=pl["point"],
            src=pl["src"],
            root=root,
            dir=d,
            force=pl.get("force", False),
        )["pid"]
    pending = list(plans)
    deadline = time.monotonic() + 120
    while pending:
        assert time.monotonic() < deadline, f"victims never reached their kill point: {pending}"
        now = time.monotonic()
        for pl in list(pending):
            trig = os.path.join(d, f"{pl['id']}.{pl['after']}")
            if "t_seen" not in pl:
                if os.path.exists(trig):
                    pl["t_seen"] = now
                elif not relutil.pid_alive(pl["pid"]):
                    raise AssertionError(f"victim {pl} died before its kill point: {_log(d, pl['id'])}")
                continue
            if now - pl["t_seen"] >= pl["delay"]:
                pl["phase"] = _phase(d, pl["id"])
                os.killpg(pl["pid"], signal.SIGKILL)
                pl["killed_at"] = now
                pending.remove(pl)
        time.sleep(0.002)
    for pl in plans:
        assert relutil.wait_for(lambda pl=pl: not relutil.pid_alive(pl["pid"]), 10), pl
    return plans


def _log(d: str, vid: int) -> str:
    try:
        with open(os.path.join(d, f"{vid}.log")) as f:
            return f.read()[-3000:]
    except OSError:
        return ""


def _check_no_half_entries(root: str) -> list[str]:
    """Every key folder is complete (meta.json + matching sha256) and list_cached shows exactly those."""
    keys = []
    for n in os.listdir(root):
        if re.fullmatch(r"[0-9a-f]{64}", n):
            meta = read_meta(root, n)
            assert meta is not None, (
                f"half-written entry {n}: no meta.json ({os.listdir(os.path.join(root, n))})"
            )
            verify_entry(root, n, meta)
            keys.append(n)
    assert sorted(r["key"] for r in cython_pin.list_cached(cache_dir=root)) == sorted(keys)
    return keys


VERIFIER = r"""
import json, sys, time
import cython_pin
from cython_pin.errors import CacheIntegrityError
root = sys.argv[1]
jobs = json.loads(sys.argv[2])
out = []
for j in jobs:
    row = {"id": j["id"]}
    try:
        m = cython_pin.import_cached(j["key"], cache_dir=root)
        row["before"] = "loaded" if m.f(3) == 9 + 100 + j["id"] else "WRONG"
    except FileNotFoundError:
        row["before"] = "absent"
    except CacheIntegrityError as e:
        row["before"] = "refused: " + str(e)
    t = time.perf_counter()
    r = cython_pin.compile_and_load_result(j["src"], cache_dir=root, lock_timeout_s=0)
    row.update(s=time.perf_counter() - t, used_cache=r.used_cache, ok=r.module.f(3) == 9 + 100 + j["id"],
               key_ok=r.key == j["key"])
    out.append(row)
print(json.dumps(out))
"""


def test_sigkill_builds_at_20_moments(cache_copy, golden, tmp_path):
    root = cache_copy
    d = str(tmp_path / "marks")
    os.mkdir(d)
    cython_pin.pin(golden.key_b, alias="keep_b", cache_dir=root)
    pins_before = relutil.pin_files(root)
    z = Zygote()
    try:
        # 1. during Cython (the zygote has not imported Cython: the phase is import + compile, ~1 s)
        b1 = [
            dict(id=i, point="timed", after="cython", delay=dl)
            for i, dl in enumerate([0.0, 0.05, 0.1, 0.2, 0.3, 0.45])
        ]
        # 2. during gcc (Cython preloaded, so the victims reach the compiler at once)
        b2 = [
            dict(id=6 + i, point="timed", after="gcc", delay=dl)
            for i, dl in enumerate([0.0, 0.03, 0.06, 0.1, 0.15, 0.22])
        ]
        # 3. during publish: paused at exact points, plus two timed kills right after the staging clean-up
        b3 = [
            dict(id=12 + i, point=pt, after="paused", delay=0.0)
            for i, pt in enumerate(
                [
                    "before_finish",
                    "after_finish",
                    "meta_partial",
                    "after_meta",
                    "after_remove_old",
                    "after_publish",
                ]
            )
        ]
        b3 += [
            dict(id=18, point="timed", after="finished", delay=0.0),
            dict(id=19, point="timed", after="finished", delay=0.002),
        ]
        for pl in b1 + b2 + b3:
            pl["src"] = _src(pl["id"])
        b3[4]["src"] = (
            relutil.SRC_A
        )  # force-rebuild of an existing (golden) entry, killed between the renames
        b3[4]["force"] = True
        for pl in b1 + b2 + b3:
            pl["key"] = z.ask(op="key", src=pl["src"], root=root)["key"]
        assert b3[4]["key"] == golden.key_a

        killed = []
        # while the victims build and die, a watcher lists the cache again and again: every entry it is shown
        # must be complete (meta.json present, every sha256 matching)
        stop = threading.Event()
        watch = {"polls": 0, "bad": []}

        def watcher() -> None:
            while not stop.is_set():
                for row in cython_pin.list_cached(cache_dir=root):
                    try:
                        meta = read_meta(root, row["key"])
                        if meta is None:
                            raise AssertionError("listed without meta.json")
                        verify_entry(root, row["key"], meta)
                    except Exception as e:  # noqa: BLE001
                        # an entry removed as a whole after the listing (the force-rebuild victim) is fine
                        if os.path.isdir(os.path.join(root, row["key"])):
                            watch["bad"].append(f"{row['key'][:16]}: {type(e).__name__}: {e}")
                watch["polls"] += 1
                stop.wait(0.03)

        th = threading.Thread(target=watcher, daemon=True)
        th.start()
        try:
            for batch, preload in ((b1, False), (b2, True), (b3, False)):
                if preload:
                    z.ask(op="preload")
                killed += _run_batch(z, root, d, batch)
                # after each batch: no stale lock, no half-written entry listed
                for pl in batch:
                    assert not is_locked(lock_path(root, pl["key"])), f"stale lock after kill {pl}"
                _check_no_half_entries(root)
        finally:
            stop.set()
            th.join(10)
        assert watch["bad"] == [], watch["bad"][:5]
        assert watch["polls"] >= 5
    finally:
        z.close()

    phases = {}
    for pl in killed:
        ph = {"cython": "cython", "gcc": "gcc"}.get(
            pl["phase"], "publish" if pl["phase"] != "setup" else "setup"
        )
        if pl["point"] != "timed":
            ph = "publish"
        phases[ph] = phases.get(ph, 0) + 1
    assert len(killed) == 20
    assert phases.get("setup", 0) == 0, killed
    assert min(phases.get("cython", 0), phases.get("gcc", 0), phases.get("publish", 0)) >= 3, phases

    leftovers = os.listdir(os.path.join(root, ".staging"))
    assert leftovers, "kills mid-build should leave staging folders behind (else the test did not bite)"
    assert relutil.pin_files(root) == pins_before

    # the next build of each source, in new processes, succeeds at once (lock_timeout_s=0: no waiting)
    jobs = [{"id": pl["id"], "src": pl["src"], "key": pl["key"]} for pl in killed if pl["id"] != 16]
    halves = [jobs[0::2], jobs[1::2]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", VERIFIER, root, json.dumps(h)],
            env=relutil.sub_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in halves
    ]
    rows = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        rows += relutil.last_json((out, err), "verifier")
    for r in rows:
        assert r["ok"] and r["key_ok"], r
        assert r["before"] in ("absent", "loaded"), r  # never half-written, never tampered
    # the force-rebuilt golden entry: gone or complete, and rebuilt at once
    p = relutil.run_py(
        "import json, cython_pin\n"
        f"r = cython_pin.compile_and_load_result({relutil.SRC_A!r}, cache_dir={root!r}, lock_timeout_s=0)\n"
        "print(json.dumps({'tag': r.module.tag(), 'key': r.key}))\n"
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert relutil.last_json(p)["key"] == golden.key_a
    assert [r for r in rows if r["before"] == "loaded"], "the kill after publish should leave a usable entry"
    _check_no_half_entries(root)

    # leftover staging folders: cleaned by gc_cache (the next build does not touch other keys' staging)
    res = cython_pin.gc_cache(keep_n_newest=10**6, cache_dir=root)
    assert res["removed"] == []
    assert os.listdir(os.path.join(root, ".staging")) == []
    assert not os.path.exists(os.path.join(root, ".trash"))
    assert cython_pin.list_pins(cache_dir=root) == {"keep_b": golden.key_b}

    relutil.add("kills", len(killed))
    relutil.figure("listings_during_kills", watch["polls"])
    relutil.figure("kill_phases", "/".join(f"{k}:{v}" for k, v in sorted(phases.items())))
    relutil.figure("staging_left_by_kills", len(leftovers))
    relutil.figure("rebuild_after_kill_max_s", round(max(r["s"] for r in rows), 2))
