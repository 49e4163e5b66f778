"""Build ahead, timed (``python -m benchmarks.ahead_time [N]`` from the repo root): how soon a new tiny
source is in the cache after a prebuild request (warm worker, and the first request that starts the
worker), how soon its Cython diagnostics arrive, beside a new source built in the (warm) process itself and
Cython's ``%%cython`` on the same kind of source in a warm IPython, all in this run, on a private cache.

Medians of N samples (default 7), each on a source never built before.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python_helper"))


def _source() -> str:
    return f"def f(int n):\n    return n*n + {uuid.uuid4().int % 10**9}\n"


def _prebuild_once(sched, root: str) -> tuple[float, float]:  # noqa: ANN001 - a Scheduler
    """Seconds from submit to the "cython" state and to "done" for one new source."""
    from cython_pin.ahead.scheduler import Request
    from cython_pin.engine import module_key

    src = _source()
    key = module_key(src, {"cache_dir": root})[0]
    marks: dict[str, float] = {}
    done = threading.Event()

    def on_event(event: str, data: dict) -> None:
        if event == "prebuild_state" and data["key"] == key:
            marks.setdefault(data["stage"], time.perf_counter())
            if data["stage"] in ("done", "failed", "cancelled"):
                done.set()

    sched._emit = on_event
    t0 = time.perf_counter()
    sched.submit(Request("bench", 0, key, src, {}, root, 1))
    done.wait(120)
    if "done" not in marks:
        raise RuntimeError(f"build ahead did not finish: {marks}")
    return marks["cython"] - t0, marks["done"] - t0


def _cold_build_in_a_fresh_process(root: str) -> float:
    """Seconds from ``import cython_pin`` to the loaded module of a new source, in a fresh interpreter (what
    the first Compile in a new kernel costs without build ahead or warm-up)."""
    import subprocess

    code = (
        "import time; t = time.perf_counter(); import cython_pin; "
        f"cython_pin.compile_and_load_result({_source()!r}); print(time.perf_counter() - t)"
    )
    env = dict(os.environ, PYTHONPATH=sys.path[0], CYTHON_PIN_CACHE_DIR=root)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(n: int = 7) -> None:
    root = tempfile.mkdtemp(prefix="cython_pin_bench_ahead_")
    os.environ["CYTHON_PIN_CACHE_DIR"] = root
    from cython_pin.ahead.scheduler import Scheduler

    sched = Scheduler(lambda e, d: None)
    first_cython, first_done = _prebuild_once(sched, root)  # starts the worker
    warm = [_prebuild_once(sched, root) for _ in range(n)]
    sched.close()

    cold = [_cold_build_in_a_fresh_process(root) for _ in range(n)]

    import cython_pin

    cython_pin.compile_and_load_result(_source())  # the process is warm (Cython imported) from here
    inproc = []
    for _ in range(n):
        t0 = time.perf_counter()
        cython_pin.compile_and_load_result(_source())
        inproc.append(time.perf_counter() - t0)

    magic = []
    try:
        from IPython.core.interactiveshell import InteractiveShell

        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "Cython")
        ip.run_cell_magic("cython", "", _source())
        for _ in range(n):
            t0 = time.perf_counter()
            ip.run_cell_magic("cython", "", _source())
            magic.append(time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - report what we have
        print(f"(%%cython not measured: {e})")

    def ms(xs: list[float]) -> str:
        return f"{statistics.median(xs) * 1e3:7.1f} ms"

    print(f"build ahead, tiny module, median of {n} new sources (private cache {root})")
    print(f"  first request (worker starts): cython state {ms([first_cython])}, done {ms([first_done])}")
    print(f"  warm worker: submit -> cython state (live diagnostics) {ms([c for c, _ in warm])}")
    print(f"  warm worker: submit -> in the cache                   {ms([d for _, d in warm])}")
    print(f"  fresh process: import + new source compile_and_load   {ms(cold)}")
    print(f"  in this warm process: new source compile_and_load     {ms(inproc)}")
    if magic:
        ratio = statistics.median([d for _, d in warm]) / statistics.median(magic)
        print(f"  %%cython in a warm IPython, new source                {ms(magic)}")
        print(f"  ratio build ahead (to cache) / %%cython               {ratio:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
