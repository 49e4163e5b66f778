"""Cache-hit time of one or more cython_pin source trees, measured the same way, interleaved:

    python -m benchmarks.hit_time LABEL=PARENT_DIR [LABEL=PARENT_DIR ...] [--n 40]

PARENT_DIR holds ``cython_pin/``. Each tree is copied to a temp folder twice, without and with ``.pyc`` files
(an installed wheel has them; a source checkout run with PYTHONDONTWRITEBYTECODE has not). Figures, medians:
``fresh``: a fresh process imports cython_pin and gets a cache hit of a tiny module (import + call, its CPU
time, steadier on a busy machine, and the whole process from the parent's side); ``pinned``: the same
through import_pinned; ``warm``: one more hit in a process that already had one (per call).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SRC = "def f(int n):\n    return n * n\n"
FRESH = f"""
import time
c0, t0 = time.process_time(), time.perf_counter()
import cython_pin
t1 = time.perf_counter()
r = cython_pin.compile_and_load_result({SRC!r})
t2, c2 = time.perf_counter(), time.process_time()
assert r.used_cache and r.module.f(3) == 9
print(t1 - t0, t2 - t1, c2 - c0)
"""
PINNED = """
import time
t0 = time.perf_counter()
import cython_pin
m = cython_pin.import_pinned("hit_time")
t1 = time.perf_counter()
assert m.f(3) == 9
print(t1 - t0)
"""
WARM = f"""
import time, cython_pin
cython_pin.compile_and_load_result({SRC!r})
n = 2000
t0 = time.perf_counter()
for _ in range(n):
    cython_pin.compile_and_load_result({SRC!r})
print((time.perf_counter() - t0) / n)
"""


def _run(code: str, env: dict[str, str]) -> tuple[list[float], float]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return [float(x) for x in p.stdout.split()], time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("trees", nargs="+", help="LABEL=PARENT_DIR")
    ap.add_argument("--n", type=int, default=40)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cp_hit_time_")
    try:
        setups = []
        for spec in a.trees:
            label, parent = spec.split("=", 1)
            for pyc in (False, True):
                d = os.path.join(tmp, f"{label}-{'pyc' if pyc else 'src'}")
                shutil.copytree(
                    os.path.join(parent, "cython_pin"),
                    os.path.join(d, "cython_pin"),
                    ignore=shutil.ignore_patterns("__pycache__", "bench"),
                )
                if pyc:
                    compileall.compile_dir(os.path.join(d, "cython_pin"), quiet=2)
                env = dict(os.environ, PYTHONPATH=d, PYTHONDONTWRITEBYTECODE="1")
                env["CYTHON_PIN_CACHE_DIR"] = os.path.join(d, "cache")
                _run(
                    f"import cython_pin; r = cython_pin.compile_and_load_result({SRC!r})\n"
                    "cython_pin.pin(r.key, alias='hit_time')",
                    env,
                )
                setups.append((f"{label} {'pyc' if pyc else 'no-pyc'}", env))
        res: dict[str, dict[str, list[float]]] = {k: {} for k, _ in setups}
        for _ in range(a.n):  # interleaved, so load on the machine hits every tree alike
            for name, env in setups:
                (imp, hit, cpu), wall = _run(FRESH, env)
                r = res[name]
                r.setdefault("fresh: import", []).append(imp)
                r.setdefault("fresh: hit call", []).append(hit)
                r.setdefault("fresh: import + hit", []).append(imp + hit)
                r.setdefault("fresh: import + hit, CPU", []).append(cpu)
                r.setdefault("fresh: whole process", []).append(wall)
                (pinned,), _w = _run(PINNED, env)
                r.setdefault("pinned: import + import_pinned", []).append(pinned)
        for _ in range(5):
            for name, env in setups:
                (warm,), _w = _run(WARM, env)
                res[name].setdefault("warm: hit call", []).append(warm)
        rows = {name: {k: statistics.median(v) * 1e3 for k, v in d.items()} for name, d in res.items()}
        keys = list(next(iter(rows.values())))
        print(f"{'median, ms':32}" + "".join(f"{n:>16}" for n in rows))
        for k in keys:
            print(f"{k:32}" + "".join(f"{rows[n][k]:16.3f}" for n in rows))
        print(json.dumps(rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
