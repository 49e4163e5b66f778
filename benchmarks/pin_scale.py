"""pin, unpin, resolve and list_pins with many existing pins, in one process.

``python -m benchmarks.pin_scale [--pins 10000] [--repeat 50]`` from the repository root (``PYTHONPATH``
chooses the cython_pin measured, e.g. an older checkout's ``python_helper`` for "before"). Builds one real
module, writes ``--pins`` pins to other keys as a ``pins.json`` of earlier versions (read, or moved into the
per-alias layout, by the first call, which is not timed), then times each call ``--repeat`` times, each pin
under a new alias. Prints the median and spread of each (wall, which includes waiting for fsync, and
CPU), in ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable


def _times(call: Callable[[int], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU times of ``repeat`` calls, in ms (wall includes the waits for fsync)."""
    wall, cpu = [], []
    for i in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        call(i)
        wall.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pins", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args(argv)
    root = tempfile.mkdtemp(prefix="cython_pin_pin_scale_")
    try:
        import cython_pin

        key = cython_pin.compile_and_load_result("def f(int n):\n    return n * n\n", cache_dir=root).key
        pins = {f"p{i:05d}": hashlib.sha256(str(i).encode()).hexdigest() for i in range(args.pins - 1)}
        pins["bench"] = key
        with open(os.path.join(root, "pins.json"), "w", encoding="utf-8") as f:
            json.dump(dict(sorted(pins.items())), f, indent=1)
        t0 = time.perf_counter()
        assert len(cython_pin.list_pins(cache_dir=root)) == args.pins
        first = (time.perf_counter() - t0) * 1e3
        n = args.repeat
        results = {
            "pin (a new alias)": _times(
                lambda i: cython_pin.pin(key, alias=f"new{i}", overwrite=True, cache_dir=root), n
            ),
            "pin (re-point an alias)": _times(
                lambda i: cython_pin.pin(key, alias=f"p{i:05d}", overwrite=True, cache_dir=root), n
            ),
            "resolve_pinned_key": _times(lambda i: cython_pin.resolve_pinned_key("bench", cache_dir=root), n),
            "unpin": _times(lambda i: cython_pin.unpin(f"new{i}", cache_dir=root), n),
            "list_pins": _times(lambda i: cython_pin.list_pins(cache_dir=root), min(n, 10)),
        }
        print(f"{args.pins} pins; first read (pins.json, or its move into the layout): {first:.1f} ms")
        for label, (wall, cpu) in results.items():
            print(
                f"  {label:28s} wall median {statistics.median(wall):7.2f} ms"
                f"  (min {min(wall):.2f}, max {max(wall):.2f}), CPU median {statistics.median(cpu):6.2f} ms"
                f"  ({len(wall)} runs)"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
