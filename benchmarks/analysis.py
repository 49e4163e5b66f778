"""From raw samples to figures: medians per figure and side, compile counts, the targets met or not."""

from __future__ import annotations

import json
import os
import statistics
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


N_CONCURRENT = 4


# id, figure, unit, target text, check(ours, magic, figures) -> bool | None
FIGURES: list[tuple[str, str]] = [
    ("P1", "cache hit, fresh kernel process: the call alone"),
    ("P1m", "  same, through the cell magic (%%cython_pin vs %%cython)"),
    ("P2", "whole process: start, import, load cached, call"),
    ("P2m", "  same in IPython: shell + %load_ext + magic hit"),
    ("P3", "cold tiny build, whole fresh process (fast-debug)"),
    ("P3i", "  of which the build call alone (in-process)"),
    ("P3s", "  same, in a cache that has built another module before"),
    ("P3w", "new source in a warm process (2nd cell)"),
    ("P3b", "cold 300-line numeric module (release), whole process"),
    ("P3bw", "  same, in a cache that has built a memoryview module before"),
    ("P4i", "import_pinned, fresh kernel process, the call alone"),
    ("P4i+", "  same with 10,000 pins"),
    ("P4iy", "  same in plain Python (no IPython loaded)"),
    ("P4p", "pin, 10,000 pins (kernel process)"),
    ("P4l", "list_pins, 10,000 pins (kernel process)"),
    ("P5", f"{N_CONCURRENT} processes build the same new source at once: wall"),
    ("P6", "browser: Compile on an unchanged cell, click -> result drawn and cell done"),
    ("P7", "browser: new source, type, pause 1.5 s, click Compile -> result drawn and cell done"),
    ("P8", "browser: stop typing -> live diagnostic marker shown"),
    ("P9", "browser: stop typing -> heat gutter drawn (live annotation)"),
    ("L", "load_ext / import of the helper in a fresh shell"),
]


def median(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


CPU_PATHS: dict[str, tuple[tuple[Any, ...], tuple[Any, ...] | None]] = {
    "P1": (("ours_kernel_hit", "call_cpu"), ("magic_hit", "cells", 0, "cpu")),
    "P1m": (("ours_magic_hit", "cells", 0, "cpu"), ("magic_hit", "cells", 0, "cpu")),
    "P2": (("ours_hit", "cpu_s"), ("magic_hit", "cpu_s")),
    "P2m": (("ours_magic_hit", "cpu_s"), ("magic_hit", "cpu_s")),
    "P3": (("ours_cold", "cpu_s"), ("magic_cold", "cpu_s")),
    "P3i": (("ours_cold", "builds", 0, "cpu"), ("magic_cold", "cells", 0, "cpu")),
    "P3s": (("ours_cold_seeded", "cpu_s"), ("magic_cold", "cpu_s")),
    "P3w": (("ours_warm", "builds", 1, "cpu"), ("magic_warm", "cells", 1, "cpu")),
    "P3b": (("ours_numeric", "cpu_s"), ("magic_numeric", "cpu_s")),
    "P3bw": (("ours_numeric_seeded", "cpu_s"), ("magic_numeric", "cpu_s")),
    "P4i": (("ours_pins_small", "import_pinned_cpu"), None),
    "P4i+": (("ours_pins", "import_pinned_cpu"), None),
    "P4iy": (("ours_pins_plain", "import_pinned_cpu"), None),
    "P4p": (("ours_pins", "pin_cpu"), None),
    "P4l": (("ours_pins", "list_pins_cpu"), None),
    "P5": (("ours_concurrent", "cpu_s"), ("magic_concurrent", "cpu_s")),
}


# -------------------------------------------------------------------- figures
def dig(d: Any, *path: Any) -> Any:
    for p in path:
        if d is None:
            return None
        try:
            d = d[p]
        except (KeyError, IndexError, TypeError):
            return None
    return d


def figures(samples: list[dict[str, Any]]) -> dict[str, dict[str, list[float | None]]]:
    """Per figure id: {'ours': [...], 'magic': [...]} in seconds (one value per repetition)."""
    f: dict[str, dict[str, list[Any]]] = {fid: {"ours": [], "magic": []} for fid, _ in FIGURES}

    def add(fid: str, side: str, v: Any) -> None:
        f[fid][side].append(v)

    for s in samples:
        add("P1", "ours", dig(s, "ours_kernel_hit", "call_s"))
        add("P1", "magic", dig(s, "magic_hit", "cells", 0, "s"))
        add("P1m", "ours", dig(s, "ours_magic_hit", "cells", 0, "s"))
        add("P1m", "magic", dig(s, "magic_hit", "cells", 0, "s"))
        add("P2", "ours", dig(s, "ours_hit", "wall_s"))
        add("P2", "magic", dig(s, "magic_hit", "wall_s"))
        add("P2m", "ours", dig(s, "ours_magic_hit", "wall_s"))
        add("P2m", "magic", dig(s, "magic_hit", "wall_s"))
        add("P3", "ours", dig(s, "ours_cold", "wall_s"))
        add("P3", "magic", dig(s, "magic_cold", "wall_s"))
        add("P3i", "ours", dig(s, "ours_cold", "builds", 0, "s"))
        add("P3i", "magic", dig(s, "magic_cold", "cells", 0, "s"))
        add("P3s", "ours", dig(s, "ours_cold_seeded", "wall_s"))
        add("P3s", "magic", dig(s, "magic_cold", "wall_s"))
        add("P3w", "ours", dig(s, "ours_warm", "builds", 1, "s"))
        add("P3w", "magic", dig(s, "magic_warm", "cells", 1, "s"))
        add("P3b", "ours", dig(s, "ours_numeric", "wall_s"))
        add("P3b", "magic", dig(s, "magic_numeric", "wall_s"))
        add("P3bw", "ours", dig(s, "ours_numeric_seeded", "wall_s"))
        add("P3bw", "magic", dig(s, "magic_numeric", "wall_s"))
        add("P4i", "ours", dig(s, "ours_pins_small", "import_pinned_s"))
        add("P4i+", "ours", dig(s, "ours_pins", "import_pinned_s"))
        add("P4iy", "ours", dig(s, "ours_pins_plain", "import_pinned_s"))
        add("P4p", "ours", dig(s, "ours_pins", "pin_s"))
        add("P4l", "ours", dig(s, "ours_pins", "list_pins_s"))
        add("P5", "ours", dig(s, "ours_concurrent", "wall_s"))
        add("P5", "magic", dig(s, "magic_concurrent", "wall_s"))
        add("L", "ours", dig(s, "ours_magic_hit", "load_ext_s"))
        add("L", "magic", dig(s, "magic_hit", "load_ext_s"))
    return f


def cpu_figures(samples: list[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """CPU seconds (user + system, including the compilers) per figure: what other load disturbs least."""
    out: dict[str, dict[str, list[Any]]] = {}
    for fid, (ours, magic) in CPU_PATHS.items():
        out[fid] = {
            "ours": [dig(s, *ours) for s in samples],
            "magic": [dig(s, *magic) for s in samples] if magic else [],
        }
    return out


def compile_counts(samples: list[dict[str, Any]], side: str) -> list[int | None]:
    out: list[int | None] = []
    for s in samples:
        if f"{side}_concurrent" not in s:
            continue
        procs = dig(s, f"{side}_concurrent", "procs") or []
        if side == "ours":
            n = [None if p is None else sum(not b["used_cache"] for b in p["builds"]) for p in procs]
        else:
            n = [None if p is None else sum(c["compiled"] for c in p["cells"]) for p in procs]
        out.append(None if not n or None in n else sum(n))
    return out


def concurrent_failures(samples: list[dict[str, Any]], side: str) -> int:
    bad = 0
    for s in samples:
        for p in dig(s, f"{side}_concurrent", "procs") or []:
            items = [] if p is None else (p.get("builds") or p.get("cells") or [])
            if p is None or not all(x.get("ok") for x in items):
                bad += 1
    return bad


BROWSER_FIGURES = ("P6", "P7", "P8", "P9")


def read_browser(cwd: str) -> dict[str, list[float]]:
    """The browser figures the end-to-end tests wrote, in seconds: ``test-output/e2e/perf.json`` (the main
    test's P6) and ``perf-ahead.json`` (the build-ahead test's P6, P7, P8, P9), each ``{"P6_ms": [..], ...}``
    with any figure missing; the samples of both files are pooled."""
    for base in (cwd, REPO):
        out: dict[str, list[float]] = {}
        for name in ("perf.json", "perf-ahead.json"):
            try:
                with open(os.path.join(base, "test-output", "e2e", name), encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError):
                continue
            for fid in BROWSER_FIGURES:
                vals = data.get(f"{fid}_ms") if isinstance(data, dict) else None
                if isinstance(vals, list) and vals and all(isinstance(v, (int, float)) for v in vals):
                    out.setdefault(fid, []).extend(float(v) / 1000.0 for v in vals)
        if out:
            return out
    return {}


def evaluate(med: dict[str, dict[str, float | None]], counts: list[Any]) -> dict[str, tuple[str, Any]]:
    """Target text and met (True/False/None) per figure id."""

    def ratio(fid: str) -> float | None:
        o, m = med[fid]["ours"], med[fid]["magic"]
        return o / m if o is not None and m else None

    def le(v: float | None, lim: float) -> bool | None:
        return None if v is None else v <= lim

    def both(*xs: bool | None) -> bool | None:
        return None if any(x is None for x in xs) else all(xs)

    p5_one = med["P3"]["ours"]
    p5_ratio = med["P5"]["ours"] / p5_one if med["P5"]["ours"] is not None and p5_one else None
    one_compile = None if not counts or None in counts else all(c == 1 for c in counts)
    return {
        "P1": ("<= 3 ms and <= 0.15x", both(le(med["P1"]["ours"], 0.003), le(ratio("P1"), 0.15))),
        "P1m": ("(info)", None),
        "P2": ("<= 0.1x", le(ratio("P2"), 0.10)),
        "P2m": ("(info)", None),
        "P3": ("<= 0.40x", le(ratio("P3"), 0.40)),
        "P3i": ("(info)", None),
        "P3s": ("<= 0.40x", le(ratio("P3s"), 0.40)),
        "P3w": ("<= 0.25x", le(ratio("P3w"), 0.25)),
        "P3b": ("<= 0.60x", le(ratio("P3b"), 0.60)),
        "P3bw": ("<= 0.60x", le(ratio("P3bw"), 0.60)),
        "P4i": ("<= 2 ms", le(med["P4i"]["ours"], 0.002)),
        "P4i+": ("(info)", None),
        "P4iy": ("(info)", None),
        "P4p": ("<= 5 ms", le(med["P4p"]["ours"], 0.005)),
        "P4l": ("<= 5 ms", le(med["P4l"]["ours"], 0.005)),
        "P5": (
            "1 compile; <= 1.2x P3" + (f" (={p5_ratio:.2f}x)" if p5_ratio is not None else ""),
            both(one_compile, le(p5_ratio, 1.2)),
        ),
        "P6": ("<= 60 ms median", le(med["P6"]["ours"], 0.060)),
        "P7": ("<= 120 ms median", le(med["P7"]["ours"], 0.120)),
        "P8": ("<= 1.5 s after the pause", le(med["P8"]["ours"], 1.5)),
        "P9": ("<= 1.5 s after the pause", le(med["P9"]["ours"], 1.5)),
        "L": ("(info)", None),
    }
