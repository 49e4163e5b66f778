"""The benchmark driver: every figure for cython_pin and for Cython's ``%%cython`` in one run, each sample
in a fresh process with a fresh cache directory (``CYTHON_PIN_CACHE_DIR`` / ``IPYTHONDIR``)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from . import sources

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child.py")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = "BENCH_JSON:"
N_PINS = 10_000
N_CONCURRENT = 4

# id, figure, unit, target text, check(ours, magic, figures) -> bool | None
FIGURES: list[tuple[str, str]] = [
    ("P1", "cache hit, fresh kernel process: the call alone"),
    ("P1m", "  same, through the cell magic (%%cython_pin vs %%cython)"),
    ("P2", "whole process: start, import, load cached, call"),
    ("P2m", "  same in IPython: shell + %load_ext + magic hit"),
    ("P3", "cold tiny build, whole fresh process (fast-debug)"),
    ("P3i", "  of which the build call alone (in-process)"),
    ("P3w", "new source in a warm process (2nd cell)"),
    ("P3b", "cold 300-line numeric module (release), whole process"),
    ("P4i", "import_pinned, fresh kernel process, the call alone"),
    ("P4i+", "  same with 10,000 pins"),
    ("P4iy", "  same in plain Python (no IPython loaded)"),
    ("P4p", "pin, 10,000 pins (kernel process)"),
    ("P4l", "list_pins, 10,000 pins (kernel process)"),
    ("P5", f"{N_CONCURRENT} processes build the same new source at once: wall"),
    ("P6", "browser: Compile click -> rendered result (cache hit)"),
    ("L", "load_ext / import of the helper in a fresh shell"),
]


def _median(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Runner:
    def __init__(
        self, repeat: int, quiet: bool = False, keep: bool = False, heavy: int | None = None
    ) -> None:
        self.repeat = repeat
        self.heavy = repeat if heavy is None else heavy  # repetitions that also run P3b and the magic's P5
        self.quiet = quiet
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix="cython_pin_bench_")
        self.raw: dict[str, Any] = {"samples": [], "errors": []}
        self.src: dict[str, str] = {}
        for name in ("TINY", "TINY2", "NUMERIC"):
            path = os.path.join(self.tmp, name.lower() + ".pyx")
            with open(path, "w", encoding="utf-8") as f:
                f.write(getattr(sources, name))
            self.src[name] = path
        self._n = 0

    # ---------------------------------------------------------------- processes
    def fresh_dir(self, what: str) -> str:
        self._n += 1
        d = os.path.join(self.tmp, f"{self._n:04d}-{what}")
        os.mkdir(d)
        return d

    def env(self, cache_dir: str | None = None, ipython_dir: str | None = None) -> dict[str, str]:
        env = dict(os.environ)
        # the installed cython_pin is measured, and stays as installed: no .pyc written into it
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["CYTHON_PIN_CACHE_DIR"] = cache_dir or self.fresh_dir("unused-cache")
        # IPython's get_ipython_cache_dir() (the magic's build folder) is $XDG_CACHE_HOME/ipython on Linux.
        env["IPYTHONDIR"] = env["XDG_CACHE_HOME"] = ipython_dir or self.fresh_dir("ipython")
        env.pop("CYTHON_PIN_VERBOSE", None)
        return env

    def cmd(self, task: str, params: dict[str, Any], importtime: bool = False) -> list[str]:
        return (
            [sys.executable]
            + (["-X", "importtime"] if importtime else [])
            + [
                CHILD,
                task,
                json.dumps(params),
            ]
        )

    def _parse(self, task: str, rc: int, out: str, err: str, wall: float) -> dict[str, Any] | None:
        for line in reversed(out.splitlines()):
            if line.startswith(MARK):
                res = json.loads(line[len(MARK) :])
                res["wall_s"] = wall
                return res
        self.raw["errors"].append({"task": task, "rc": rc, "stdout": out[-4000:], "stderr": err[-4000:]})
        if not self.quiet:
            print(f"  ! {task} failed (rc {rc}): {(err or out).strip().splitlines()[-1:]}", file=sys.stderr)
        return None

    def run(self, task: str, params: dict[str, Any], env: dict[str, str]) -> dict[str, Any] | None:
        c0, t0 = _children_cpu(), time.perf_counter()
        p = subprocess.run(self.cmd(task, params), env=env, capture_output=True, text=True, check=False)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        res = self._parse(task, p.returncode, p.stdout, p.stderr, wall)
        if res is not None:
            res["cpu_s"] = cpu
        return res

    def run_many(self, task: str, params: dict[str, Any], env: dict[str, str], n: int) -> dict[str, Any]:
        """Start ``n`` identical processes at once; wall = first start to last exit."""
        c0, t0 = _children_cpu(), time.perf_counter()
        procs = [
            subprocess.Popen(
                self.cmd(task, params), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(n)
        ]
        results = []
        for p in procs:
            out, err = p.communicate()
            results.append((p.returncode, out, err))
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        parsed = [self._parse(task, rc, out, err, wall) for rc, out, err in results]
        return {"wall_s": wall, "cpu_s": cpu, "procs": parsed}

    # ---------------------------------------------------------------- one repetition
    def rep(self, i: int) -> dict[str, Any]:
        s: dict[str, Any] = {"rep": i, "loadavg_start": _loadavg()}
        tiny = [self.src["TINY"], list(sources.TINY_CALL)]
        tiny2 = [self.src["TINY2"], list(sources.TINY2_CALL)]
        numeric = [self.src["NUMERIC"], list(sources.NUMERIC_CALL)]
        fd = {"profile": "fast-debug"}

        # --- cold tiny build (P3), then hits from that cache (P1, P1m, P2, P2m)
        ours_cache = self.fresh_dir("ours-cache")
        s["ours_cold"] = self.run("ours_build", {"sources": [tiny + [fd]]}, self.env(ours_cache))
        magic_ipy = self.fresh_dir("magic-ipython")
        s["magic_cold"] = self.run("magic", {"sources": [tiny]}, self.env(ipython_dir=magic_ipy))
        # --- P3w: a session that builds the tiny module, then a new source (timed) in the same process
        s["ours_warm"] = self.run(
            "ours_build", {"sources": [tiny + [fd], tiny2 + [fd]]}, self.env(self.fresh_dir("ours-warm"))
        )
        s["magic_warm"] = self.run(
            "magic", {"sources": [tiny, tiny2]}, self.env(ipython_dir=self.fresh_dir("magic-warm"))
        )
        s["ours_size"] = _ours_entry_sizes(ours_cache)
        s["magic_size"] = _magic_sizes(magic_ipy)

        s["ours_hit"] = self.run("ours_build", {"sources": [tiny + [{}]]}, self.env(ours_cache))
        s["magic_hit"] = self.run("magic", {"sources": [tiny]}, self.env(ipython_dir=magic_ipy))
        s["ours_kernel_hit"] = self.run(
            "ours_kernel", {"source": tiny[0], "call": tiny[1]}, self.env(ours_cache)
        )
        s["ours_magic_hit"] = self.run("ours_magic", {"sources": [tiny]}, self.env(ours_cache))

        # --- P4: pins next to the real entry: import_pinned with 3 pins (kernel, plain), then 10,000 pins
        key = ((s["ours_cold"] or {}).get("builds") or [{}])[0].get("key")
        if key:
            params = {"alias": "bench_tiny", "key": key, "new_alias": "bench_new", "call": tiny[1]}
            _write_pins(ours_cache, key, 3)
            s["ours_pins_small"] = self.run("ours_pins", {**params, "kernel": True}, self.env(ours_cache))
            s["ours_pins_plain"] = self.run("ours_pins", params, self.env(ours_cache))
            _write_pins(ours_cache, key, N_PINS)
            s["ours_pins"] = self.run("ours_pins", {**params, "kernel": True}, self.env(ours_cache))

        # --- P5 (ours): four processes, one fresh cache, the same new source
        s["ours_concurrent"] = self.run_many(
            "ours_build", {"sources": [tiny + [fd]]}, self.env(self.fresh_dir("ours-p5")), N_CONCURRENT
        )
        if i >= self.heavy:  # P3b and the magic's P5 (four -O3 builds) in the first `heavy` repetitions
            s["loadavg_end"] = _loadavg()
            return s

        # --- P3b: the 300-line numeric module, release
        s["ours_numeric"] = self.run(
            "ours_build",
            {"sources": [numeric + [{"profile": "release"}]]},
            self.env(self.fresh_dir("ours-numeric")),
        )
        s["magic_numeric"] = self.run(
            "magic", {"sources": [numeric]}, self.env(ipython_dir=self.fresh_dir("magic-numeric"))
        )

        # --- P5 (%%cython): the same in four IPython processes sharing one IPYTHONDIR
        s["magic_concurrent"] = self.run_many(
            "magic", {"sources": [tiny]}, self.env(ipython_dir=self.fresh_dir("magic-p5")), N_CONCURRENT
        )
        s["loadavg_end"] = _loadavg()
        return s

    def importtime(self) -> dict[str, Any]:
        """One extra cache-hit process under ``-X importtime``: what a hit imports and what each costs."""
        cache = self.fresh_dir("importtime")
        tiny = [self.src["TINY"], list(sources.TINY_CALL)]
        self.run("ours_build", {"sources": [tiny + [{}]]}, self.env(cache))  # build
        p = subprocess.run(
            self.cmd("ours_build", {"sources": [tiny + [{}]]}, importtime=True),
            env=self.env(cache),
            capture_output=True,
            text=True,
            check=False,
        )
        res = self._parse("ours_build(importtime)", p.returncode, p.stdout, p.stderr, 0.0) or {}
        new = set(res.get("new_modules", []))
        rows = []
        for line in p.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            parts = line[len("import time:") :].split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            self_us, cum_us, name = parts[0].strip(), parts[1].strip(), parts[2].rstrip()
            mod = name.strip()
            if mod in new:
                depth = (len(name) - len(name.lstrip()) - 1) // 2
                rows.append({"module": mod, "self_us": int(self_us), "cum_us": int(cum_us), "depth": depth})
        return {"new_modules": sorted(new), "importtime": rows}

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _cython_pin_location() -> str | None:
    """Folder of the cython_pin the child processes import (found without importing it here)."""
    import importlib.util

    spec = importlib.util.find_spec("cython_pin")
    return os.path.dirname(spec.origin) if spec is not None and spec.origin else None


def _children_cpu() -> float:
    """CPU seconds (user + system) of the child processes this process has waited for (and theirs)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _loadavg() -> list[float] | None:
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _du(path: str) -> tuple[int, int]:
    """(bytes on disk, apparent bytes) of a tree."""
    disk = app = 0
    for dirpath, _dirs, files in os.walk(path):
        for n in files:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            disk += st.st_blocks * 512
            app += st.st_size
    return disk, app


def _by_ext(path: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for dirpath, _dirs, files in os.walk(path):
        for n in files:
            ext = ".so" if n.endswith(".so") else os.path.splitext(n)[1] or n
            try:
                out[ext] = out.get(ext, 0) + os.lstat(os.path.join(dirpath, n)).st_size
            except OSError:
                pass
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _ours_entry_sizes(root: str) -> dict[str, Any]:
    entries = [os.path.join(root, n) for n in os.listdir(root) if len(n) == 64]
    sizes = [_du(e) for e in entries]
    kinds: dict[str, int] = {}
    for e in entries:
        for k, v in _by_ext(e).items():
            kinds[k] = kinds.get(k, 0) + v
    n = max(len(entries), 1)
    return {
        "builds": len(entries),
        "disk_per_build": sum(d for d, _ in sizes) / n,
        "apparent_per_build": sum(a for _, a in sizes) / n,
        "by_ext_per_build": {k: v / n for k, v in kinds.items()},
        "root_total_disk": _du(root)[0],
    }


def _magic_sizes(ipython_dir: str) -> dict[str, Any]:
    lib = os.path.join(ipython_dir, "ipython", "cython")
    if not os.path.isdir(lib):
        return {"builds": 0}
    n = max(sum(1 for x in os.listdir(lib) if x.endswith(".so")), 1)
    disk, app = _du(lib)
    return {
        "builds": n,
        "disk_per_build": disk / n,
        "apparent_per_build": app / n,
        "by_ext_per_build": {k: v / n for k, v in _by_ext(lib).items()},
    }


def _write_pins(root: str, key: str, n: int) -> None:
    import hashlib

    pins = {f"p{i:05d}": hashlib.sha256(str(i).encode()).hexdigest() for i in range(n - 1)}
    pins["bench_tiny"] = key
    with open(os.path.join(root, "pins.json"), "w", encoding="utf-8") as f:
        json.dump(dict(sorted(pins.items())), f, indent=1)
        f.write("\n")


# -------------------------------------------------------------------- figures
def _get(d: Any, *path: Any) -> Any:
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
        add("P1", "ours", _get(s, "ours_kernel_hit", "call_s"))
        add("P1", "magic", _get(s, "magic_hit", "cells", 0, "s"))
        add("P1m", "ours", _get(s, "ours_magic_hit", "cells", 0, "s"))
        add("P1m", "magic", _get(s, "magic_hit", "cells", 0, "s"))
        add("P2", "ours", _get(s, "ours_hit", "wall_s"))
        add("P2", "magic", _get(s, "magic_hit", "wall_s"))
        add("P2m", "ours", _get(s, "ours_magic_hit", "wall_s"))
        add("P2m", "magic", _get(s, "magic_hit", "wall_s"))
        add("P3", "ours", _get(s, "ours_cold", "wall_s"))
        add("P3", "magic", _get(s, "magic_cold", "wall_s"))
        add("P3i", "ours", _get(s, "ours_cold", "builds", 0, "s"))
        add("P3i", "magic", _get(s, "magic_cold", "cells", 0, "s"))
        add("P3w", "ours", _get(s, "ours_warm", "builds", 1, "s"))
        add("P3w", "magic", _get(s, "magic_warm", "cells", 1, "s"))
        add("P3b", "ours", _get(s, "ours_numeric", "wall_s"))
        add("P3b", "magic", _get(s, "magic_numeric", "wall_s"))
        add("P4i", "ours", _get(s, "ours_pins_small", "import_pinned_s"))
        add("P4i+", "ours", _get(s, "ours_pins", "import_pinned_s"))
        add("P4iy", "ours", _get(s, "ours_pins_plain", "import_pinned_s"))
        add("P4p", "ours", _get(s, "ours_pins", "pin_s"))
        add("P4l", "ours", _get(s, "ours_pins", "list_pins_s"))
        add("P5", "ours", _get(s, "ours_concurrent", "wall_s"))
        add("P5", "magic", _get(s, "magic_concurrent", "wall_s"))
        add("L", "ours", _get(s, "ours_magic_hit", "load_ext_s"))
        add("L", "magic", _get(s, "magic_hit", "load_ext_s"))
    return f


CPU_PATHS: dict[str, tuple[tuple[Any, ...], tuple[Any, ...] | None]] = {
    "P1": (("ours_kernel_hit", "call_cpu"), ("magic_hit", "cells", 0, "cpu")),
    "P1m": (("ours_magic_hit", "cells", 0, "cpu"), ("magic_hit", "cells", 0, "cpu")),
    "P2": (("ours_hit", "cpu_s"), ("magic_hit", "cpu_s")),
    "P2m": (("ours_magic_hit", "cpu_s"), ("magic_hit", "cpu_s")),
    "P3": (("ours_cold", "cpu_s"), ("magic_cold", "cpu_s")),
    "P3i": (("ours_cold", "builds", 0, "cpu"), ("magic_cold", "cells", 0, "cpu")),
    "P3w": (("ours_warm", "builds", 1, "cpu"), ("magic_warm", "cells", 1, "cpu")),
    "P3b": (("ours_numeric", "cpu_s"), ("magic_numeric", "cpu_s")),
    "P4i": (("ours_pins_small", "import_pinned_cpu"), None),
    "P4i+": (("ours_pins", "import_pinned_cpu"), None),
    "P4iy": (("ours_pins_plain", "import_pinned_cpu"), None),
    "P4p": (("ours_pins", "pin_cpu"), None),
    "P4l": (("ours_pins", "list_pins_cpu"), None),
    "P5": (("ours_concurrent", "cpu_s"), ("magic_concurrent", "cpu_s")),
}


def cpu_figures(samples: list[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """CPU seconds (user + system, including the compilers) per figure: what other load disturbs least."""
    out: dict[str, dict[str, list[Any]]] = {}
    for fid, (ours, magic) in CPU_PATHS.items():
        out[fid] = {
            "ours": [_get(s, *ours) for s in samples],
            "magic": [_get(s, *magic) for s in samples] if magic else [],
        }
    return out


def cpu_table(cpu: dict[str, dict[str, list[Any]]], counts: list[Any]) -> str:
    labels = dict(FIGURES)
    med = {fid: {"ours": None, "magic": None} for fid, _ in FIGURES}
    for fid, d in cpu.items():
        med[fid] = {"ours": _median(d["ours"]), "magic": _median(d["magic"])}
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


def compile_counts(samples: list[dict[str, Any]], side: str) -> list[int | None]:
    out: list[int | None] = []
    for s in samples:
        if f"{side}_concurrent" not in s:
            continue
        procs = _get(s, f"{side}_concurrent", "procs") or []
        if side == "ours":
            n = [None if p is None else sum(not b["used_cache"] for b in p["builds"]) for p in procs]
        else:
            n = [None if p is None else sum(c["compiled"] for c in p["cells"]) for p in procs]
        out.append(None if not n or None in n else sum(n))
    return out


def concurrent_failures(samples: list[dict[str, Any]], side: str) -> int:
    bad = 0
    for s in samples:
        for p in _get(s, f"{side}_concurrent", "procs") or []:
            items = [] if p is None else (p.get("builds") or p.get("cells") or [])
            if p is None or not all(x.get("ok") for x in items):
                bad += 1
    return bad


def read_p6(cwd: str) -> list[float] | None:
    """P6 from the browser harness, if it wrote ``test-output/e2e/perf.json`` ({"P6_ms": [..]})."""
    for base in (cwd, REPO):
        path = os.path.join(base, "test-output", "e2e", "perf.json")
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            vals = data.get("P6_ms")
            if isinstance(vals, list) and vals:
                return [float(v) / 1000.0 for v in vals]
        except (OSError, ValueError, AttributeError):
            continue
    return None


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
        "P3": ("<= 0.5x", le(ratio("P3"), 0.5)),
        "P3i": ("(info)", None),
        "P3w": ("<= 0.3x", le(ratio("P3w"), 0.3)),
        "P3b": ("<= 0.8x", le(ratio("P3b"), 0.8)),
        "P4i": ("<= 2 ms", le(med["P4i"]["ours"], 0.002)),
        "P4i+": ("(info)", None),
        "P4iy": ("(info)", None),
        "P4p": ("<= 5 ms", le(med["P4p"]["ours"], 0.005)),
        "P4l": ("<= 10 ms", le(med["P4l"]["ours"], 0.010)),
        "P5": (
            "1 compile; <= 1.2x P3" + (f" (={p5_ratio:.2f}x)" if p5_ratio is not None else ""),
            both(one_compile, le(p5_ratio, 1.2)),
        ),
        "P6": ("<= 150 ms", le(med["P6"]["ours"], 0.150)),
        "L": ("(info)", None),
    }


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "-"
    if v < 0.1:
        return f"{v * 1000:.2f} ms"
    return f"{v:.3f} s"


def table(med: dict[str, dict[str, float | None]], ev: dict[str, tuple[str, Any]], p6_note: str) -> str:
    rows = [("id", "figure", "ours (median)", "magic (median)", "ratio", "target", "met?")]
    for fid, label in FIGURES:
        o, m = med[fid]["ours"], med[fid]["magic"]
        r = f"{o / m:.3f}x" if o is not None and m else "-"
        tgt, met = ev[fid]
        met_s = {True: "yes", False: "NO", None: "-"}[met]
        ours_s = _fmt_s(o) if not (fid == "P6" and o is None) else p6_note
        rows.append((fid, label, ours_s, _fmt_s(m), r, tgt, met_s))
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
    mnew = sorted({m for s in samples for m in (_get(s, "magic_hit", "cells", 0, "new_modules") or [])})
    onew = sorted({m for s in samples for m in (_get(s, "ours_kernel_hit", "new_modules") or [])})
    mheavy = sorted({m.split(".")[0] for m in mnew if m.split(".")[0] in heavy_names})
    out.append(
        f"In a fresh IPython shell the hit call itself imports: ours {len(onew)} modules, "
        f"%%cython {len(mnew)} modules" + (f" (incl. {', '.join(mheavy)})" if mheavy else "")
    )
    osz = [_get(s, "ours_size", "disk_per_build") for s in samples]
    msz = [_get(s, "magic_size", "disk_per_build") for s in samples]
    oext = _get(samples[-1], "ours_size", "by_ext_per_build") if samples else None
    mext = _get(samples[-1], "magic_size", "by_ext_per_build") if samples else None
    out.append(
        f"Cache entry on disk per tiny build: ours {_kb(_median(osz))}, %%cython {_kb(_median(msz))}"
        + (f" (ours by file: {_ext_str(oext)}; %%cython by file: {_ext_str(mext)})" if oext and mext else "")
    )
    oc, mc = compile_counts(samples, "ours"), compile_counts(samples, "magic")
    out.append(
        f"P5 compiles per run of {N_CONCURRENT} processes: ours {oc}, %%cython {mc}; failed processes: ours "
        f"{concurrent_failures(samples, 'ours')}, %%cython {concurrent_failures(samples, 'magic')}"
    )
    phases = {
        k: _median([_get(s, "ours_cold", "builds", 0, "timings", k) for s in samples])
        for k in ("hash", "cythonize", "compile", "load")
    }
    imp = _median([_get(s, "ours_cold", "import_s") for s in samples])
    out.append(
        "Ours, cold tiny build phases (medians): "
        + ", ".join(f"{k} {_fmt_s(v)}" for k, v in phases.items())
        + f"; import cython_pin {_fmt_s(imp)}"
    )
    outside = {
        side: _median(
            [
                _get(s, f"{side}_cold", "wall_s") - _get(s, f"{side}_cold", "child_s")
                for s in samples
                if _get(s, f"{side}_cold", "child_s") is not None
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
        k: _median([_get(s, "ours_numeric", "builds", 0, "timings", k) for s in samples])
        for k in ("cythonize", "compile")
    }
    out.append(
        "Ours, numeric release build phases (medians): "
        + ", ".join(f"{k} {_fmt_s(v)}" for k, v in nb.items())
    )
    bad = [
        (name, s["rep"])
        for s in samples
        for name in (
            "ours_cold",
            "magic_cold",
            "ours_warm",
            "magic_warm",
            "ours_hit",
            "magic_hit",
            "ours_kernel_hit",
            "ours_numeric",
            "magic_numeric",
            "ours_pins",
            "ours_pins_small",
            "ours_pins_plain",
        )
        if s.get(name) is not None
        and not all(x.get("ok", True) for x in (s[name].get("builds") or s[name].get("cells") or [s[name]]))
    ]
    numeric_results = {
        (_get(s, "ours_numeric", "builds", 0, "result"), _get(s, "magic_numeric", "cells", 0, "result"))
        for s in samples
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


def environment() -> dict[str, Any]:
    def ver(mod: str) -> str | None:
        try:
            from importlib.metadata import version

            return version(mod)
        except Exception:  # noqa: BLE001
            return None

    cc = None
    try:
        cc = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=False).stdout
        cc = cc.splitlines()[0] if cc else None
    except OSError:
        pass
    import sysconfig

    return {
        "python": sys.version,
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cython": ver("Cython"),
        "ipython": ver("ipython"),
        "cython_pin_from": _cython_pin_location(),
        "gcc": cc,
        "python_cflags": sysconfig.get_config_var("CFLAGS"),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="cython_pin vs Cython's %%cython magic: the same figures, the same sources, fresh "
        "processes and fresh cache directories, several repetitions. A benchmark, not a test.",
    )
    ap.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    ap.add_argument("--quick", action="store_true", help="3 repetitions")
    ap.add_argument("--out", default="bench-results.json", help="JSON file with every raw number")
    ap.add_argument("--keep", action="store_true", help="keep the temporary cache directories")
    ap.add_argument(
        "--heavy-repeat",
        type=int,
        default=None,
        help="repetitions that also run the slow P3b (-O3) and the magic's P5 (default: min(repeat, 3))",
    )
    args = ap.parse_args(argv)
    repeat = 3 if args.quick else max(1, args.repeat)
    heavy = min(repeat, 3) if args.heavy_repeat is None else max(1, min(repeat, args.heavy_repeat))

    r = Runner(repeat, keep=args.keep, heavy=heavy)
    t0 = time.perf_counter()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(
        f"cython_pin bench: {repeat} repetitions ({heavy} with P3b and the magic's P5), temp dir {r.tmp}",
        flush=True,
    )
    try:
        for i in range(repeat):
            ti = time.perf_counter()
            r.raw["samples"].append(r.rep(i))
            print(f"  repetition {i + 1}/{repeat}: {time.perf_counter() - ti:.1f} s", flush=True)
        r.raw["hit_imports"] = r.importtime()
    finally:
        r.cleanup()
    samples = r.raw["samples"]
    figs = figures(samples)
    p6 = read_p6(os.getcwd())
    if p6:
        figs["P6"]["ours"] = p6
    med = {k: {side: _median(v) for side, v in d.items()} for k, d in figs.items()}
    counts = compile_counts(samples, "ours")
    ev = evaluate(med, counts)
    p6_note = "not measured here (see e2e)"
    doc = {
        "started_utc": started,
        "duration_s": time.perf_counter() - t0,
        "repeat": repeat,
        "heavy_repeat": heavy,
        "environment": environment(),
        "figures": {
            fid: {
                "label": label,
                "unit": "s",
                "ours": figs[fid]["ours"],
                "magic": figs[fid]["magic"],
                "median_ours": med[fid]["ours"],
                "median_magic": med[fid]["magic"],
                "ratio": (med[fid]["ours"] / med[fid]["magic"])
                if med[fid]["ours"] is not None and med[fid]["magic"]
                else None,
                "target": ev[fid][0],
                "met": ev[fid][1],
            }
            for fid, label in FIGURES
        },
        "figures_cpu": cpu_figures(samples),
        "p5_compiles": {"ours": counts, "magic": compile_counts(samples, "magic")},
        **r.raw,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print()
    print(table(med, ev, p6_note))
    print()
    print("CPU time (user + system, including the C compiler; P5: all four processes), medians:")
    print(cpu_table(doc["figures_cpu"], counts))
    print()
    print(summary_text(r.raw))
    print(f"\nRaw numbers: {os.path.abspath(args.out)} ({time.perf_counter() - t0:.0f} s in all)")
    return 1 if r.raw["errors"] else 0
