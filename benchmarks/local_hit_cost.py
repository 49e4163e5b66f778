"""A local cache hit in a fresh process, for two source trees of cython_pin (e.g. before/after a change).

    python benchmarks/local_hit_cost.py OLD_HELPER_DIR NEW_HELPER_DIR [--runs N]

Each tree gets its own cache with one build of the same module; then N fresh processes per tree, interleaved,
each timing ``compile_and_load_result`` (a hit, after ``import cython_pin``) by wall and CPU time.
No CYTHON_PIN_REMOTE in the environment. Prints the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

SRC = "def f(int n):\n    return n * 5\n"
PROBE = f"""
import time
import cython_pin
w0, c0 = time.perf_counter(), time.process_time()
r = cython_pin.compile_and_load_result({SRC!r})
w1, c1 = time.perf_counter(), time.process_time()
assert r.used_cache
print(w1 - w0, c1 - c0)
"""


def run(helper: str, cache: str) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYTHON_PIN_")}
    env.update(PYTHONPATH=helper, CYTHON_PIN_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--runs", type=int, default=31)
    a = p.parse_args()
    caches = {name: tempfile.mkdtemp(prefix=f"hitcost_{name}_") for name in ("old", "new")}
    trees = {"old": a.old, "new": a.new}
    for name in trees:  # the build, then one untimed hit (toolchain memo written)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYTHON_PIN_")}
        env.update(PYTHONPATH=trees[name], CYTHON_PIN_CACHE_DIR=caches[name])
        subprocess.run(
            [sys.executable, "-c", f"import cython_pin; cython_pin.compile_and_load({SRC!r})"],
            env=env,
            check=True,
        )
        run(trees[name], caches[name])
    res: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for _ in range(a.runs):
        for name in ("old", "new"):
            res[name].append(run(trees[name], caches[name]))
    out = {
        name: {
            "wall_ms_median": round(statistics.median(w for w, _ in rows) * 1e3, 3),
            "cpu_ms_median": round(statistics.median(c for _, c in rows) * 1e3, 3),
            "runs": len(rows),
        }
        for name, rows in res.items()
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
