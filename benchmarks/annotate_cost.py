"""What live annotation costs the build ahead (``python -m benchmarks.annotate_cost [N]`` from the repo root):
a new source built ahead by a warm worker with the annotation (Cython writes it during its pass, the done
event carries the cell's line scores) and without, for the tiny module and the ~300-line numeric module,
samples interleaved (on, off, on, off, ...) on a private cache.

Medians of N samples (default 7) of submit -> "cython" state and submit -> done event, each on a source
never built before, and the annotation payload's size.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python_helper"))

from benchmarks.sources import NUMERIC, TINY  # noqa: E402 - after the path


def _new(source: str) -> str:
    return source + f"\ncdef int _unique = {uuid.uuid4().int % 10**9}\n"


def _once(sched: Any, root: str, source: str, annotate: bool) -> tuple[float, float, int]:
    """Seconds to the "cython" state and to "done", and the annotation's JSON size, for one new source."""
    from cython_pin.ahead.scheduler import Request
    from cython_pin.engine import module_key

    src = _new(source)
    opts = {"cache_dir": root, "profile": "release"}
    key = module_key(src, opts)[0]
    marks: dict[str, float] = {}
    size = [0]
    done = threading.Event()

    def on_event(event: str, data: dict[str, Any]) -> None:
        if event == "prebuild_state" and data["key"] == key:
            marks.setdefault(data["stage"], time.perf_counter())
            if data["stage"] == "done" and "annotation" in data:
                size[0] = len(json.dumps(data["annotation"]))
            if data["stage"] in ("done", "failed", "cancelled"):
                done.set()

    sched._emit = on_event
    t0 = time.perf_counter()
    sched.submit(Request("bench", 0, key, src, opts, root, 1, annotate))
    done.wait(300)
    if "done" not in marks:
        raise RuntimeError(f"build ahead did not finish: {marks}")
    if annotate and not size[0]:
        raise RuntimeError("the done event carried no annotation")
    return marks["cython"] - t0, marks["done"] - t0, size[0]


def main(n: int = 7) -> None:
    root = tempfile.mkdtemp(prefix="cython_pin_bench_annotate_")
    os.environ["CYTHON_PIN_CACHE_DIR"] = root
    from cython_pin.ahead.scheduler import Scheduler

    sched = Scheduler(lambda e, d: None)
    ms = lambda xs: f"{statistics.median(xs) * 1e3:8.1f} ms"  # noqa: E731
    print(f"build ahead with and without live annotation, median of {n} new sources (cache {root})")
    for name, source in (("tiny", TINY), ("300-line numeric", NUMERIC)):
        _once(sched, root, source, True)  # warm: the worker, the shared utility module, the header
        on, off = [], []
        for _ in range(n):
            on.append(_once(sched, root, source, True))
            off.append(_once(sched, root, source, False))
        done_on = statistics.median([d for _, d, _ in on])
        done_off = statistics.median([d for _, d, _ in off])
        print(f"  {name}:")
        print(f"    cython state  off {ms([c for c, _, _ in off])}   on {ms([c for c, _, _ in on])}")
        print(f"    done          off {ms([d for _, d, _ in off])}   on {ms([d for _, d, _ in on])}")
        print(f"    cost of the annotation: {100 * (done_on / done_off - 1):+.1f}% of the build ahead")
        print(f"    annotation in the done event: {statistics.median([s for _, _, s in on]) / 1024:.1f} KiB")
    sched.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
