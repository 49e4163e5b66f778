"""One pin-panel refresh over a cache of 1,000 entries, through the real op dispatcher.

``python -m benchmarks.panel_refresh [--entries 1000] [--pins 50] [--repeat 15]`` from the repository root
(``PYTHONPATH`` chooses the cython_pin measured, e.g. an older checkout's ``python_helper`` for "before").
Builds one real module, copies its entry to ``--entries`` keys (each with its own meta.json, artifact and
source, as a real cache holds them), pins ``--pins`` of them, then times both ways a refresh can read the
cache: the three ops the panel used to send (list_pins, list_cached, cache_stats: three walks) and the one
``catalogue`` op it sends now (one walk). Prints the median and spread of each, in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time


def _fill(root: str, entries: int, pins: int) -> None:
    import cython_pin

    res = cython_pin.compile_and_load_result("def f(int n):\n    return n * n\n", cache_dir=root)
    src = os.path.join(root, res.key)
    with open(os.path.join(src, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    keys = []
    for i in range(entries - 1):
        key = f"{i:064x}"
        d = os.path.join(root, key)
        shutil.copytree(src, d)
        m = dict(meta, key=key, created_utc=f"2026-11-{1 + i % 28:02d}T12:00:00Z")
        with open(os.path.join(d, "meta.json"), "w", encoding="utf-8") as f:
            json.dump(m, f)
        keys.append(key)
    for i in range(min(pins, len(keys))):
        cython_pin.pin(keys[i], alias=f"pin_{i}", cache_dir=root)


def _time(dispatch: object, ops: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for n, op in enumerate(ops):
            reply = dispatch({"type": "request", "id": str(n), "op": op, "args": {}})  # type: ignore[operator]
            assert reply["ok"], reply
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1000)
    ap.add_argument("--pins", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    root = tempfile.mkdtemp(prefix="cython_pin_panel_bench_")
    os.environ["CYTHON_PIN_CACHE_DIR"] = root
    try:
        from cython_pin.jupyter.ops import dispatch
        from cython_pin.jupyter.protocol import OPS

        _fill(root, args.entries, args.pins)
        results = {
            "three ops (list_pins + list_cached + cache_stats)": ["list_pins", "list_cached", "cache_stats"],
        }
        if "catalogue" in OPS:  # not in helpers before it (run against an older checkout for "before")
            results["one op (catalogue)"] = ["catalogue"]
        for ops in results.values():
            _time(dispatch, ops, 2)  # warm the page cache, the imports and the helper's own memos
        print(f"panel refresh, {args.entries} entries, {args.pins} pins, {args.repeat} runs each:")
        for label, ops in results.items():
            times = _time(dispatch, ops, args.repeat)
            print(
                f"  {label:50s} median {statistics.median(times):7.1f} ms"
                f"  (min {min(times):.1f}, max {max(times):.1f})"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
