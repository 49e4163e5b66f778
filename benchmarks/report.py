"""The benchmark's printed report: the tables of medians and ratios, and the summary text."""

from __future__ import annotations

import os
from typing import Any

from .analysis import (
    BROWSER_FIGURES,
    FIGURES,
    N_CONCURRENT,
    compile_counts,
    concurrent_failures,
    dig,
    evaluate,
    median,
)


def cpu_table(cpu: dict[str, dict[str, list[Any]]], counts: list[Any]) -> str:
    labels = dict(FIGURES)
    med = {fid: {"ours": None, "magic": None} for fid, _ in FIGURES}
    for fid, d in cpu.items():
        med[fid] = {"ours": median(d["ours"]), "magic": median(d["magic"])}
    ev = evaluate(med, counts)
    rows = [("id", "figure", "ours CPU", "magic CPU", "ratio", "met on CPU?")]
    for fid in cpu:
        o, m = med[fid]["ours"], med[fid]["magic"]
        r = f"{o / m:.3f}x" if o is not None and m else "-"
        met = {True: "yes", False: "NO", None: "-"}[ev[fid][1]] if fid != "P5" else "-"
        rows.append((fid, labels[fid].strip(), _fmt_s(o), _fmt_s(m), r, met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 0.1:
        return f"{v * 1000:.2f} ms"
    return f"{v:.3f} s"


def table(med: dict[str, dict[str, float | None]], ev: dict[str, tuple[str, Any]], browser_note: str) -> str:
    """Every figure: medians, ratio, target, met."""
    rows = [("id", "figure", "ours (median)", "magic (median)", "ratio", "target", "met?")]
    for fid, label in FIGURES:
        o, m = med[fid]["ours"], med[fid]["magic"]
        rows.append((fid, label, *_cells(fid, o, m, ev, browser_note)))
    return _grid(rows)


# Issue 12 section 4: (row label, figure id) in the issue's order; P4 is two figures on one line there.
ISSUE_ROWS: list[tuple[str, str]] = [
    ("P1 cache hit, fresh kernel, call alone", "P1"),
    ("P3 cold tiny module, fresh process", "P3"),
    ("P3 same, the cache has built before", "P3s"),
    ("P3w new source in a warm process", "P3w"),
    ("P3b 300-line numeric module, release", "P3b"),
    ("P3b same, shared module already in the cache", "P3bw"),
    ("P6 Compile on an unchanged cell (browser)", "P6"),
    ("P7 new source, pause, Compile (browser)", "P7"),
    ("P8 stop typing -> lint marker (browser)", "P8"),
    ("P9 stop typing -> heat gutter (browser)", "P9"),
    ("P4 pin, 10,000 pins", "P4p"),
    ("P4 list_pins, 10,000 pins", "P4l"),
]


def issue_table(
    med: dict[str, dict[str, float | None]], ev: dict[str, tuple[str, Any]], browser_note: str
) -> str:
    """The issue's target table: ours and %%cython from this run, the ratio, the target, met or not."""
    rows = [("figure", "ours (median)", "%%cython (median)", "ratio", "target", "met?")]
    for label, fid in ISSUE_ROWS:
        o, m = med[fid]["ours"], med[fid]["magic"]
        rows.append((label, *_cells(fid, o, m, ev, browser_note)))
    return _grid(rows)


def _cells(
    fid: str, o: float | None, m: float | None, ev: dict[str, tuple[str, Any]], browser_note: str
) -> tuple[str, str, str, str, str]:
    r = f"{o / m:.3f}x" if o is not None and m else "-"
    tgt, met = ev[fid]
    ours_s = browser_note if fid in BROWSER_FIGURES and o is None else _fmt_s(o)
    return ours_s, _fmt_s(m), r, tgt, {True: "yes", False: "NO", None: "-"}[met]


def _grid(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _kb(v: float | None) -> str:
    return "-" if v is None else f"{v / 1024:.0f} KB"


def summary_text(raw: dict[str, Any]) -> str:
    samples = raw["samples"]
    out = []
    it = raw.get("hit_imports") or {}
    new = it.get("new_modules") or []
    heavy_names = ("Cython", "setuptools", "distutils", "numpy", "IPython", "ipykernel", "subprocess")
    heavy = sorted({m.split(".")[0] for m in new if m.split(".")[0] in heavy_names})
    top = sorted(it.get("importtime", []), key=lambda r: -r["self_us"])[:8]
    out.append(
        f"What a cache hit imports (plain Python, after start-up): {len(new)} modules; heavy ones: "
        + (", ".join(heavy) if heavy else "none (no Cython, setuptools, numpy, IPython, subprocess)")
    )
    if top:
        out.append(
            "  costliest of them (-X importtime, self time): "
            + ", ".join(f"{r['module']} {r['self_us'] / 1000:.2f} ms" for r in top)
        )
    mnew = sorted({m for s in samples for m in (dig(s, "magic_hit", "cells", 0, "new_modules") or [])})
    onew = sorted({m for s in samples for m in (dig(s, "ours_kernel_hit", "new_modules") or [])})
    mheavy = sorted({m.split(".")[0] for m in mnew if m.split(".")[0] in heavy_names})
    out.append(
        f"In a fresh IPython shell the hit call itself imports: ours {len(onew)} modules, "
        f"%%cython {len(mnew)} modules" + (f" (incl. {', '.join(mheavy)})" if mheavy else "")
    )
    osz = [dig(s, "ours_size", "disk_per_build") for s in samples]
    msz = [dig(s, "magic_size", "disk_per_build") for s in samples]
    oext = dig(samples[-1], "ours_size", "by_ext_per_build") if samples else None
    mext = dig(samples[-1], "magic_size", "by_ext_per_build") if samples else None
    out.append(
        f"Cache entry on disk per tiny build: ours {_kb(median(osz))}, %%cython {_kb(median(msz))}"
        + (f" (ours by file: {_ext_str(oext)}; %%cython by file: {_ext_str(mext)})" if oext and mext else "")
    )
    oc, mc = compile_counts(samples, "ours"), compile_counts(samples, "magic")
    out.append(
        f"P5 compiles per run of {N_CONCURRENT} processes: ours {oc}, %%cython {mc}; failed processes: ours "
        f"{concurrent_failures(samples, 'ours')}, %%cython {concurrent_failures(samples, 'magic')}"
    )
    phases = {
        k: median([dig(s, "ours_cold", "builds", 0, "timings", k) for s in samples])
        for k in ("hash", "cythonize", "compile", "load")
    }
    imp = median([dig(s, "ours_cold", "import_s") for s in samples])
    out.append(
        "Ours, cold tiny build phases (medians): "
        + ", ".join(f"{k} {_fmt_s(v)}" for k, v in phases.items())
        + f"; import cython_pin {_fmt_s(imp)}"
    )
    outside = {
        side: median(
            [
                dig(s, f"{side}_cold", "wall_s") - dig(s, f"{side}_cold", "child_s")
                for s in samples
                if dig(s, f"{side}_cold", "child_s") is not None
            ]
        )
        for side in ("ours", "magic")
    }
    out.append(
        "Cold tiny build process, time outside the child's own code (interpreter start-up + shut-down; "
        f"shut-down with Cython's compiler loaded is most of it): ours {_fmt_s(outside['ours'])}, "
        f"%%cython {_fmt_s(outside['magic'])}"
    )
    nb = {
        k: median([dig(s, "ours_numeric", "builds", 0, "timings", k) for s in samples])
        for k in ("cythonize", "compile")
    }
    out.append(
        "Ours, numeric release build phases (medians): "
        + ", ".join(f"{k} {_fmt_s(v)}" for k, v in nb.items())
    )
    nbw = {
        k: median([dig(s, "ours_numeric_seeded", "builds", 0, "timings", k) for s in samples])
        for k in ("cythonize", "compile")
    }
    out.append(
        "  the same with the shared utility module and precompiled header in the cache: "
        + ", ".join(f"{k} {_fmt_s(v)}" for k, v in nbw.items())
    )
    bad = [
        (name, s["rep"])
        for s in samples
        for name in (
            "ours_cold",
            "ours_cold_seeded",
            "magic_cold",
            "ours_warm",
            "magic_warm",
            "ours_hit",
            "magic_hit",
            "ours_kernel_hit",
            "ours_numeric",
            "ours_numeric_seeded",
            "magic_numeric",
            "ours_pins",
            "ours_pins_small",
            "ours_pins_plain",
        )
        if s.get(name) is not None
        and not all(x.get("ok", True) for x in (s[name].get("builds") or s[name].get("cells") or [s[name]]))
    ]
    numeric_results = {
        (dig(s, ours, "builds", 0, "result"), dig(s, "magic_numeric", "cells", 0, "result"))
        for s in samples
        for ours in ("ours_numeric", "ours_numeric_seeded")
        if s.get(ours) is not None
    }
    if bad:
        out.append(f"WRONG RESULTS in: {bad}")
    if any(a != b for a, b in numeric_results):
        out.append(f"NUMERIC RESULTS DIFFER between the sides: {numeric_results}")
    la = [s.get("loadavg_start") for s in samples if s.get("loadavg_start")]
    if la:
        out.append(
            f"Load average (1 min) during the run: {min(x[0] for x in la):.2f}-{max(x[0] for x in la):.2f} "
            f"on {os.cpu_count()} CPUs (other work on the machine adds noise)"
        )
    if raw["errors"]:
        out.append(f"{len(raw['errors'])} child process(es) failed: see 'errors' in the JSON file.")
    return "\n".join(out)


def _ext_str(d: dict[str, float]) -> str:
    return ", ".join(f"{k} {_kb(v)}" for k, v in list(d.items())[:5])
