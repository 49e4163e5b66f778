"""Compiled cells in worker processes (issue 20): what a reference costs to send and to resolve.

    python -m benchmarks.workers [--runs N] [--workers W]

Run from the repository root with .venv's Python (the installed wheel's import hook is measured). Figures:
- pickled size of a function of a tiny cell and of a 300-line cell, with pickle and cloudpickle (the
  reference carries key, module name, aliases and the compressed recipe);
- resolve: a fresh process unpickling a function whose build is in its local cache (wall time of
  ``pickle.loads`` alone, median), beside the same hit through ``import_cached`` (the baseline);
- joblib: a batch on fresh loky workers (a new executor per sample) with the compiled function, and the same
  batch with a stdlib function; the difference per worker is the cost of resolving the build there
  (target: <= 30 ms per worker on a local-cache hit);
- start-up: what the wheel's .pth adds to Python start-up, timed inside a ``python -S`` process around
  ``site.addsitedir`` of a folder holding only that .pth (and of an empty folder), medians, with the modules
  start-up imports (target: <= 1 ms, nothing of cython_pin).
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(os.path.dirname(HERE), "python_helper")
PTH = os.path.join(HELPER, "cython_pin_import_hook.pth")


def cell(lines: int) -> str:
    """A cell of about ``lines`` lines: small cdef helpers, then ``f``."""
    helpers = "".join(f"cdef int _h{i}(int n):\n    return n * {i} + 1\n" for i in range(lines // 2))
    return helpers + "def f(int n):\n    return n * 3\n"


def resolve_times(data: bytes, env: dict[str, str], runs: int) -> list[float]:
    code = (
        "import pickle, sys, time\n"
        "data = sys.stdin.buffer.read()\n"
        "t = time.perf_counter(); f = pickle.loads(data); dt = time.perf_counter() - t\n"
        "assert f(2) == 6; print(dt)\n"
    )
    out = []
    for _ in range(runs):
        p = subprocess.run([sys.executable, "-c", code], input=data, env=env, capture_output=True, check=True)
        out.append(float(p.stdout))
    return out


def hit_times(key: str, env: dict[str, str], runs: int) -> list[float]:
    """The same build through ``import cython_pin; import_cached(key)`` in a fresh process: the baseline."""
    code = (
        "import time\n"
        f"t = time.perf_counter(); import cython_pin; m = cython_pin.import_cached({key!r})\n"
        "print(time.perf_counter() - t)\n"
    )
    out = []
    for _ in range(runs):
        p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
        out.append(float(p.stdout))
    return out


def joblib_times(fn: object, n_workers: int, runs: int) -> list[float]:
    from joblib import Parallel, delayed
    from joblib.externals.loky import get_reusable_executor

    out = []
    for _ in range(runs):
        get_reusable_executor().shutdown(wait=True)  # fresh workers for every sample
        t = time.perf_counter()
        Parallel(n_jobs=n_workers, backend="loky")(delayed(fn)(i) for i in range(n_workers * 8))
        out.append(time.perf_counter() - t)
    get_reusable_executor().shutdown(wait=True)
    return out


def startup_times(runs: int) -> tuple[list[float], list[float], list[str]]:
    with tempfile.TemporaryDirectory() as d:
        with_pth, empty = os.path.join(d, "with"), os.path.join(d, "empty")
        os.mkdir(with_pth)
        os.mkdir(empty)
        shutil.copy(PTH, with_pth)
        code = (
            "import sys, time, site\n"
            "t = time.perf_counter(); site.addsitedir(sys.argv[1]); dt = time.perf_counter() - t\n"
            "print(dt, sorted(m for m in sys.modules if 'cython' in m.lower()))\n"
        )
        a, b, mods = [], [], []
        for _ in range(runs):
            for folder, into in ((with_pth, a), (empty, b)):
                p = subprocess.run(
                    [sys.executable, "-S", "-c", code, folder], capture_output=True, text=True, check=True
                )
                dt, imported = p.stdout.split(" ", 1)
                into.append(float(dt))
                if folder == with_pth:
                    mods = eval(imported)
    return a, b, mods


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="cython_pin_bench_workers_")
    os.environ["CYTHON_PIN_CACHE_DIR"] = cache
    os.environ["PYTHONPATH"] = os.pathsep.join([HELPER, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    sys.path.insert(0, HELPER)
    import cloudpickle
    import cython_pin

    ms = lambda xs: statistics.median(xs) * 1e3  # noqa: E731
    try:
        tiny = cython_pin.compile_and_load(cell(2))
        big = cython_pin.compile_and_load(cell(300))
        print(f"{'pickled function reference':<44} {'pickle':>8} {'cloudpickle':>12}")
        for label, m in (("tiny cell (3 lines)", tiny), ("300-line cell", big)):
            print(f"  {label:<42} {len(pickle.dumps(m.f)):>6} B {len(cloudpickle.dumps(m.f)):>10} B")
        r = resolve_times(pickle.dumps(tiny.f), dict(os.environ), args.runs)
        h = hit_times(cython_pin.key_for(cell(2)), dict(os.environ), args.runs)
        print(
            f"resolve in a fresh process, local cache hit: {ms(r):.1f} ms (pickle.loads, median); the same "
            f"hit through import cython_pin + import_cached: {ms(h):.1f} ms"
        )
        compiled = joblib_times(tiny.f, args.workers, args.runs)
        stdlib = joblib_times(abs, args.workers, args.runs)
        per_worker = (ms(compiled) - ms(stdlib)) / args.workers
        print(
            f"joblib batch on {args.workers} fresh loky workers: compiled {ms(compiled):.0f} ms, stdlib "
            f"{ms(stdlib):.0f} ms: {per_worker:.1f} ms per worker (target <= 30)"
        )
        a, b, mods = startup_times(args.runs * 3)
        print(
            f"start-up: the .pth adds {ms(a) - ms(b):.3f} ms (addsitedir {ms(a):.3f} vs {ms(b):.3f} ms, "
            f"medians; target <= 1); modules it imports: {mods or 'none'}"
        )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
