"""The benchmark driver: every figure for cython_pin and for Cython's ``%%cython`` in one run, each sample
in a fresh process with a fresh cache directory (``CYTHON_PIN_CACHE_DIR`` / ``IPYTHONDIR``)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

from . import sources
from .analysis import (
    FIGURES,
    N_CONCURRENT,
    compile_counts,
    cpu_figures,
    evaluate,
    figures,
    median,
    read_browser,
)
from .report import cpu_table, issue_table, summary_text, table

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child.py")


MARK = "BENCH_JSON:"


N_PINS = 10_000


class Runner:
    def __init__(
        self,
        repeat: int,
        quiet: bool = False,
        keep: bool = False,
        heavy: int | None = None,
        only_hits: bool = False,
    ) -> None:
        self.repeat = repeat
        self.only_hits = only_hits  # the cache-hit figures and the cold builds that fill their caches
        self.heavy = repeat if heavy is None else heavy  # repetitions that also run P3b and the magic's P5
        self.quiet = quiet
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix="cython_pin_bench_")
        self.raw: dict[str, Any] = {"samples": [], "errors": []}
        self.src: dict[str, str] = {}
        for name in ("TINY", "TINY2", "NUMERIC", "MV_SEED"):
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
        # each cache's build server listens in <cache>/.server, and exits when that folder goes at the end
        env["XDG_RUNTIME_DIR"] = ""
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
        if self.only_hits:
            self._hits(s, tiny, ours_cache, magic_ipy)
            s["loadavg_end"] = _loadavg()
            return s
        # --- P3s: the tiny module in a fresh process whose cache has built another module before (untimed)
        seeded = self.fresh_dir("ours-seeded")
        self.run("ours_build", {"sources": [tiny2 + [fd]]}, self.env(seeded))
        s["ours_cold_seeded"] = self.run("ours_build", {"sources": [tiny + [fd]]}, self.env(seeded))
        # --- P3w: a session that builds the tiny module, then a new source (timed) in the same process
        s["ours_warm"] = self.run(
            "ours_build", {"sources": [tiny + [fd], tiny2 + [fd]]}, self.env(self.fresh_dir("ours-warm"))
        )
        s["magic_warm"] = self.run(
            "magic", {"sources": [tiny, tiny2]}, self.env(ipython_dir=self.fresh_dir("magic-warm"))
        )
        s["ours_size"] = _ours_entry_sizes(ours_cache)
        s["magic_size"] = _magic_sizes(magic_ipy)

        self._hits(s, tiny, ours_cache, magic_ipy)

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
        # --- P3bw: the same in a cache that has built a memoryview module before (untimed, own process)
        seeded = self.fresh_dir("ours-numeric-seeded")
        seed = [self.src["MV_SEED"], list(sources.MV_SEED_CALL), {"profile": "release"}]
        self.run("ours_build", {"sources": [seed]}, self.env(seeded))
        s["ours_numeric_seeded"] = self.run(
            "ours_build", {"sources": [numeric + [{"profile": "release"}]]}, self.env(seeded)
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

    def _hits(self, s: dict[str, Any], tiny: list[Any], ours_cache: str, magic_ipy: str) -> dict[str, Any]:
        """P1, P1m, P2, P2m: cache hits in fresh processes, from the caches the cold builds filled."""
        s["ours_hit"] = self.run("ours_build", {"sources": [tiny + [{}]]}, self.env(ours_cache))
        s["magic_hit"] = self.run("magic", {"sources": [tiny]}, self.env(ipython_dir=magic_ipy))
        s["ours_kernel_hit"] = self.run(
            "ours_kernel", {"source": tiny[0], "call": tiny[1]}, self.env(ours_cache)
        )
        s["ours_magic_hit"] = self.run("ours_magic", {"sources": [tiny]}, self.env(ours_cache))
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
    """``n`` pins in ``root``: written as an earlier version's ``pins.json`` (pins need no entries then), then
    moved into the current layout by cython_pin itself, so the measured calls do not pay for that move."""
    import hashlib

    pins = {f"p{i:05d}": hashlib.sha256(str(i).encode()).hexdigest() for i in range(n - 1)}
    pins["bench_tiny"] = key
    with open(os.path.join(root, "pins.json"), "w", encoding="utf-8") as f:
        json.dump(dict(sorted(pins.items())), f, indent=1)
        f.write("\n")
    code = f"import cython_pin; assert len(cython_pin.list_pins(cache_dir={root!r})) >= {n}"
    subprocess.run([sys.executable, "-c", code], check=True)


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
    ap.add_argument(
        "--only-hits",
        action="store_true",
        help="only the cache-hit figures (P1, P1m, P2, P2m) and the cold builds that fill their caches",
    )
    args = ap.parse_args(argv)
    repeat = 3 if args.quick else max(1, args.repeat)
    heavy = min(repeat, 3) if args.heavy_repeat is None else max(1, min(repeat, args.heavy_repeat))

    r = Runner(repeat, keep=args.keep, heavy=heavy, only_hits=args.only_hits)
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
    for fid, vals in read_browser(os.getcwd()).items():
        figs[fid]["ours"] = vals
    med = {k: {side: median(v) for side, v in d.items()} for k, d in figs.items()}
    counts = compile_counts(samples, "ours")
    ev = evaluate(med, counts)
    browser_note = "not measured here (see e2e)"
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
    print("Issue 12 section 4 (ours and %%cython in this run):")
    print(issue_table(med, ev, browser_note))
    print()
    print("Every figure:")
    print(table(med, ev, browser_note))
    print()
    print("CPU time (user + system, including the C compiler; P5: all four processes), medians:")
    print(cpu_table(doc["figures_cpu"], counts))
    print()
    print(summary_text(r.raw))
    print(f"\nRaw numbers: {os.path.abspath(args.out)} ({time.perf_counter() - t0:.0f} s in all)")
    return 1 if r.raw["errors"] else 0
