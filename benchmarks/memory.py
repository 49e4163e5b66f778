"""``python -m benchmarks.memory``: what the build server saves in memory, and what a cold build costs with
it, beside Cython's ``%%cython`` in the same run (issue 21).

Memory is read from ``/proc/PID/status`` (``VmRSS``) of real ipykernels started with jupyter_client:
- one kernel: bare, after the extension activates, after its first cold build (``%%cython_pin``), with the
  build server (default) and with ``CYTHON_PIN_BUILD_SERVER=0`` (built in the kernel);
- five kernels that each built a cell and had another built ahead: their growth plus the server's RSS.
Time, each sample a whole fresh process (wall, median of ``--samples``), same run:
- P3  a new tiny source in a fresh process, the cache has built before and its server is warm;
- P3d the same with no server running (the day's first build: the server starts);
- P3w a new tiny source in a warm process (its second build);
each against ``%%cython`` in a fresh process (IPython shell, ``%load_ext Cython``; P3w: its second cell).

It measures the ``cython_pin`` this interpreter imports, in private cache and runtime folders, and stops
the build servers it started. It is a benchmark, not a test: nothing asserts on its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

MARKER = "CYTHON_PIN_BUILD_SERVER_PROCESS"


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def servers(runtime: str) -> list[int]:
    """The build servers (and their build children) whose runtime folder is ``runtime``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if (
            any(e.startswith(MARKER.encode() + b"=") for e in env)
            and f"XDG_RUNTIME_DIR={runtime}".encode() in env
        ):
            found.append(int(pid))
    return found


def stop_servers(runtime: str) -> None:
    for pid in servers(runtime):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 10
    while servers(runtime) and time.monotonic() < deadline:
        time.sleep(0.05)


def tiny() -> str:
    """A tiny source no build has seen."""
    return f"def f(int n):\n    return n * {uuid.uuid4().int % 10**9}\n"


class Place:
    """Private folders for one measurement: cache, runtime (sockets), IPython dir."""

    def __init__(self, top: str, name: str) -> None:
        self.cache = os.path.join(top, name, "cache")
        self.ipython = os.path.join(top, name, "ipython")
        self.runtime = tempfile.mkdtemp(prefix="cpmem_")
        os.makedirs(self.cache)
        os.makedirs(self.ipython)

    def env(self, server: bool = True) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CYTHON_PIN_CACHE_DIR=self.cache,
            XDG_RUNTIME_DIR=self.runtime,
            IPYTHONDIR=self.ipython,
            XDG_CACHE_HOME=self.ipython,
            CYTHON_PIN_BUILD_SERVER="1" if server else "0",
            PYTHONDONTWRITEBYTECODE="1",
        )
        return env

    def close(self) -> None:
        stop_servers(self.runtime)
        shutil.rmtree(self.runtime, ignore_errors=True)


# --- memory: real kernels -------------------------------------------------------------------------------


class Kernel:
    """A real ipykernel (jupyter_client) and its pid."""

    def __init__(self, env: dict[str, str]) -> None:
        from jupyter_client.manager import start_new_kernel

        self.km, self.kc = start_new_kernel(kernel_name="python3", env=env)
        self.pid = int(self.expr("__import__('os').getpid()"))

    def expr(self, code: str) -> str:
        reply = self.kc.execute("", silent=True, user_expressions={"x": code}, reply=True, timeout=120)
        value = reply["content"]["user_expressions"]["x"]
        if value["status"] != "ok":
            raise RuntimeError(f"{code}: {value}")
        return str(value["data"]["text/plain"])

    def run(self, code: str) -> None:
        reply = self.kc.execute(code, store_history=False, reply=True, timeout=300)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{code[:60]!r}: {reply['content']}")

    def activate(self) -> None:
        self.run("import cython_pin.kernel; cython_pin.kernel.activate()")

    def build(self) -> None:
        self.run("%%cython_pin\n" + tiny())

    def build_ahead(self) -> None:
        """What an edit of a cell does: the prebuild op, then wait for the build ahead to end."""
        cell = "%%cython_pin\n" + tiny()
        self.run(
            "from cython_pin.jupyter.prebuild import prebuild\n"
            f"_r = prebuild({{'cell_id': 'c', 'generation': 1, 'source': {cell!r}}}, get_ipython())\n"
            "from cython_pin.ahead.scheduler import scheduler\n"
            "import time\n"
            "while scheduler().busy: time.sleep(0.02)\n"
        )

    @property
    def rss(self) -> float:
        return rss_mb(self.pid)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def settle() -> None:
    time.sleep(2.0)  # the activation's background start, the allocator's trimming


def one_kernel(top: str, server: bool) -> dict[str, float]:
    place = Place(top, f"one-{'on' if server else 'off'}")
    k = Kernel(place.env(server))
    try:
        settle()
        out = {"bare": k.rss}
        k.activate()
        settle()
        out["activated"] = k.rss
        k.build()
        settle()
        out["built"] = k.rss
        out["server"] = sum(rss_mb(p) for p in servers(place.runtime))
        return out
    finally:
        k.close()
        place.close()


def five_kernels(top: str, server: bool) -> dict[str, float]:
    place = Place(top, f"five-{'on' if server else 'off'}")
    kernels = [Kernel(place.env(server)) for _ in range(5)]
    try:
        settle()
        bare = [k.rss for k in kernels]
        for k in kernels:
            k.activate()
            k.build()
            k.build_ahead()
        settle()
        grown = sum(k.rss - b for k, b in zip(kernels, bare, strict=True))
        srv = sum(rss_mb(p) for p in servers(place.runtime))
        return {
            "kernels_growth": grown,
            "server": srv,
            "total_extra": grown + srv,
            "servers": len(servers(place.runtime)),
        }
    finally:
        for k in kernels:
            k.close()
        place.close()


# --- time: whole fresh processes ------------------------------------------------------------------------

OURS = "import cython_pin\nfor s in {sources!r}:\n    cython_pin.compile_and_load_result(s)\n"
MAGIC = (
    "from IPython.core.interactiveshell import InteractiveShell\n"
    "sh = InteractiveShell.instance()\nsh.run_line_magic('load_ext', 'Cython')\n"
    "for s in {sources!r}:\n    sh.run_cell_magic('cython', '', s)\n"
)
OURS_2 = (
    "import cython_pin, time\nss = {sources!r}\ncython_pin.compile_and_load_result(ss[0])\n"
    "t0 = time.perf_counter()\ncython_pin.compile_and_load_result(ss[1])\nprint(time.perf_counter() - t0)\n"
)
MAGIC_2 = (
    "import time\nfrom IPython.core.interactiveshell import InteractiveShell\n"
    "sh = InteractiveShell.instance()\nsh.run_line_magic('load_ext', 'Cython')\nss = {sources!r}\n"
    "sh.run_cell_magic('cython', '', ss[0])\nt0 = time.perf_counter()\n"
    "sh.run_cell_magic('cython', '', ss[1])\nprint(time.perf_counter() - t0)\n"
)


def timed(code: str, env: dict[str, str]) -> float:
    """Wall time of a whole fresh process running ``code``."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return wall


def second_build(code: str, env: dict[str, str]) -> float:
    """What ``code`` (OURS_2 or MAGIC_2) prints: the time of its second new source."""
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return float(p.stdout.strip().splitlines()[-1])


def cold_times(top: str, samples: int) -> dict[str, dict[str, float]]:
    place = Place(top, "cold")
    try:
        env = place.env()
        timed(OURS.format(sources=[tiny()]), env)  # the cache has built before; its server is warm
        p3 = [timed(OURS.format(sources=[tiny()]), env) for _ in range(samples)]
        p3d = []
        for _ in range(samples):
            stop_servers(place.runtime)
            p3d.append(timed(OURS.format(sources=[tiny()]), env))
        p3w = [second_build(OURS_2.format(sources=[tiny(), tiny()]), env) for _ in range(samples)]
        magic, magic_w = [], []
        for i in range(samples):
            menv = dict(env, IPYTHONDIR=os.path.join(top, f"m{i}"), XDG_CACHE_HOME=os.path.join(top, f"m{i}"))
            magic.append(timed(MAGIC.format(sources=[tiny()]), menv))
            magic_w.append(second_build(MAGIC_2.format(sources=[tiny(), tiny()]), menv))
    finally:
        place.close()
    m, mw = statistics.median(magic), statistics.median(magic_w)
    return {
        "P3": {"ours": statistics.median(p3), "magic": m},
        "P3d": {"ours": statistics.median(p3d), "magic": m},
        "P3w": {"ours": statistics.median(p3w), "magic": mw},
    }


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--out", default="bench-memory.json")
    args = ap.parse_args()
    top = tempfile.mkdtemp(prefix="cython_pin_mem_")
    try:
        res: dict[str, Any] = {
            "one_kernel": {"server": one_kernel(top, True), "in_kernel": one_kernel(top, False)},
            "five_kernels": {"server": five_kernels(top, True), "in_kernel": five_kernels(top, False)},
            "cold": cold_times(top, args.samples),
        }
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("Kernel RSS (MB, VmRSS)            bare   activated  after a cold build   (server RSS)")
    for mode, r in res["one_kernel"].items():
        print(
            f"  {mode:<30} {r['bare']:6.0f} {r['activated']:8.0f} (+{r['activated'] - r['bare']:.0f})"
            f" {r['built']:8.0f} (+{r['built'] - r['bare']:.0f})        {r['server']:.0f}"
        )
    print("Five kernels, each built a cell and had one built ahead: extra RSS (MB)")
    for mode, r in res["five_kernels"].items():
        print(
            f"  {mode:<30} kernels +{r['kernels_growth']:.0f}, server {r['server']:.0f} "
            f"({r['servers']} process(es)): total +{r['total_extra']:.0f}"
        )
    print(f"Cold tiny builds, whole process wall, median of {args.samples} (s)   ours   %%cython   ratio")
    for fig, r in res["cold"].items():
        print(f"  {fig:<52} {r['ours']:.3f}   {r['magic']:.3f}    {r['ours'] / r['magic']:.2f}x")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
