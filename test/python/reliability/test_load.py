"""Load: 16 processes x 50 pin/unpin/rename operations on one cache; 4 processes racing to build one
source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import cython_pin

from . import relutil

N_PROCS = 16
N_OPS = 50

PIN_WORKER = r"""
import json, os, random, sys, time
import cython_pin
from cython_pin.errors import PinRegistryError

root, i, ka, kb, n, go, ready = sys.argv[1:8]
i, n = int(i), int(n)
rng = random.Random(7919 * (i + 1))
keys = [ka, kb]
names = [f"p{i}_a{j}" for j in range(8)]
shared = [f"shared_{j}" for j in range(4)]
own = {}
st = {"ok": 0, "clear_error": 0, "unclear": [], "mismatch": [], "max_op_s": 0.0}
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.002)

def clear(e, *names_):
    return isinstance(e, (ValueError, KeyError)) and not isinstance(e, PinRegistryError) and any(
        nm in str(e) for nm in names_)

for op in range(n):
    kind = rng.choice(["pin", "pin", "unpin", "rename"])
    t0 = time.perf_counter()
    if op % 5 != 4:  # own namespace: the outcome is fully predictable
        a, b, k = rng.choice(names), rng.choice(names), rng.choice(keys)
        try:
            if kind == "pin":
                r = cython_pin.pin(k, alias=a, overwrite=True, cache_dir=root)
                if r != k:
                    st["mismatch"].append([op, kind, a, r])
                own[a] = k
            elif kind == "unpin":
                r = cython_pin.unpin(a, cache_dir=root)
                if r != (a in own):
                    st["mismatch"].append([op, kind, a, r])
                own.pop(a, None)
            else:
                r = cython_pin.rename_pin(a, b, overwrite=True, cache_dir=root)
                if a not in own or r != own[a]:
                    st["mismatch"].append([op, kind, a, b, r])
                own[b] = own.pop(a)
            st["ok"] += 1
        except KeyError as e:
            if kind == "rename" and a not in own and clear(e, a):
                st["clear_error"] += 1
            else:
                st["unclear"].append([op, kind, repr(e)])
        except Exception as e:
            st["unclear"].append([op, kind, type(e).__name__, str(e)])
    else:  # contended aliases shared by all 16 processes: success or a clear error
        a, b, k = rng.choice(shared), rng.choice(shared), rng.choice(keys)
        try:
            if kind == "pin":
                cython_pin.pin(k, alias=a, overwrite=rng.random() < 0.5, cache_dir=root)
            elif kind == "unpin":
                cython_pin.unpin(a, cache_dir=root)
            else:
                cython_pin.rename_pin(a, b, cache_dir=root)
            st["ok"] += 1
        except Exception as e:
            if clear(e, a, b):
                st["clear_error"] += 1
            else:
                st["unclear"].append([op, kind, type(e).__name__, str(e)])
    st["max_op_s"] = max(st["max_op_s"], time.perf_counter() - t0)
print(json.dumps({"own": own, "stats": st}))
"""


def test_16_processes_x_50_pin_operations_lose_nothing(cache_copy, golden, tmp_path):
    root = cache_copy
    go = str(tmp_path / "go")
    procs = []
    for i in range(N_PROCS):
        ready = str(tmp_path / f"ready{i}")
        p = subprocess.Popen(
            [
                sys.executable,
                "-c",
                PIN_WORKER,
                root,
                str(i),
                golden.key_a,
                golden.key_b,
                str(N_OPS),
                go,
                ready,
            ],
            env=relutil.sub_env(cc=False),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append((ready, p))
    assert relutil.wait_for(lambda: all(os.path.exists(r) for r, _ in procs), 60)
    t0 = time.perf_counter()
    open(go, "w").close()
    results = []
    for _, p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
        results.append(relutil.last_json((out, err), "pin worker"))
    elapsed = time.perf_counter() - t0

    # every pin file: valid JSON naming its alias and key
    final = {}
    for name, raw in relutil.pin_files(root).items():
        if name.endswith(".json"):
            data = json.loads(raw)
            final[data["alias"]] = data["key"]
    assert final == cython_pin.list_pins(cache_dir=root)

    expected: dict[str, str] = {}
    for r in results:
        expected.update(r["own"])
    own_final = {a: k for a, k in final.items() if not a.startswith("shared_")}
    missing = sorted(set(expected) - set(own_final))
    wrong = sorted(a for a in expected if a in own_final and own_final[a] != expected[a])
    extra = sorted(set(own_final) - set(expected))
    lost = len(missing) + len(wrong) + len(extra)
    assert lost == 0, f"lost updates: missing={missing} wrong={wrong} resurrected={extra}"
    for a, k in final.items():
        if a.startswith("shared_"):
            assert k in (golden.key_a, golden.key_b)

    ok = sum(r["stats"]["ok"] for r in results)
    clear = sum(r["stats"]["clear_error"] for r in results)
    unclear = [u for r in results for u in r["stats"]["unclear"]]
    mismatch = [m for r in results for m in r["stats"]["mismatch"]]
    assert unclear == [], unclear[:10]
    assert mismatch == [], mismatch[:10]
    assert ok + clear == N_PROCS * N_OPS
    # no stray temp files left by finished writers
    assert relutil.pin_temp_files(root) == []

    relutil.add("processes", N_PROCS)
    relutil.add("operations", N_PROCS * N_OPS)
    relutil.add("lost", lost)
    relutil.figure("pin_ops_ok", ok)
    relutil.figure("pin_ops_clear_errors", clear)
    relutil.figure("pin_load_s", round(elapsed, 2))
    relutil.figure("pin_max_op_s", round(max(r["stats"]["max_op_s"] for r in results), 3))


RACE_WORKER = r"""
import json, os, sys, time
import cython_pin
root, go, ready, src = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
t = time.perf_counter()
r = cython_pin.compile_and_load_result(src, cache_dir=root)
print(json.dumps({"key": r.key, "used_cache": r.used_cache, "v": r.module.f(5), "tag": r.module.tag(),
                  "s": time.perf_counter() - t, "pid": os.getpid()}))
"""


def test_4_processes_same_new_source_compile_once(cache_copy, tmp_path):
    root = cache_copy
    src = f"def f(int n):\n    return n*n + 2\n\ndef tag():\n    return 'race {os.getpid()}'\n"
    log = str(tmp_path / "cc.log")
    go = str(tmp_path / "go")
    before = relutil.entries_and_pins(root)
    procs = []
    for i in range(4):
        ready = str(tmp_path / f"ready{i}")
        p = subprocess.Popen(
            [sys.executable, "-c", RACE_WORKER, root, go, ready, src],
            env=relutil.sub_env({"REL_CC_LOG": log}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append((ready, p))
    assert relutil.wait_for(lambda: all(os.path.exists(r) for r, _ in procs), 60)
    open(go, "w").close()
    res = []
    for _, p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
        res.append(relutil.last_json((out, err), "race worker"))
    with open(log) as f:
        compiles = len([ln for ln in f if ln.strip()])
    assert compiles == 1, f"{compiles} compiler runs for one source"
    assert sum(1 for r in res if r["used_cache"] is False) == 1
    assert len({r["key"] for r in res}) == 1
    assert all(r["v"] == 27 and r["tag"] == f"race {os.getpid()}" for r in res)
    # exactly one new entry, complete; the old ones unchanged
    after = relutil.entries_and_pins(root)
    assert {k: v for k, v in after.items() if k in before} == before
    new_dirs = {k.split(os.sep)[0] for k in after if k not in before}
    assert new_dirs == {res[0]["key"]}
    assert os.listdir(os.path.join(root, ".staging")) == []
    relutil.figure("compiles_in_race", compiles)
    relutil.figure("race_processes", len(res))
