"""One measurement in a fresh process: ``python _child.py TASK PARAMS_JSON``.

Run as a script (not ``-m``) so that nothing but the interpreter's own start-up is loaded before the
thing being measured: this file imports only ``os``, ``sys``, ``time`` (loaded by Python's start-up anyway)
and ``resource`` until the measurement is over. The result is printed as one ``BENCH_JSON:<json>`` line on
the original stdout (the magics may print too). Times are ``time.perf_counter()`` seconds; ``*cpu`` values
are CPU seconds (user + system, this process and the compilers it waited for, ``resource.getrusage``),
which other load on the machine disturbs much less than wall time.

Tasks:
  ours_build   plain Python: import cython_pin, compile_and_load_result each source, call it
  ours_kernel  a fresh kernel's state (ipykernel imported, IPython shell): import cython_pin, then time
               compile_and_load alone
  ours_magic   IPython shell: %load_ext cython_pin, then %%cython_pin each source
  magic        IPython shell: %load_ext Cython, then %%cython each source
  ours_pins    import_pinned, pin, list_pins on a registry the parent filled (in an IPython shell if
               params["kernel"], else plain Python)
"""

import os
import resource  # a small built-in module: CPU times with microsecond resolution (os.times() has 10 ms ticks)
import sys
import time

T_START = time.perf_counter()


def _cpu():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


_OUT_FD = os.dup(1)


def _emit(obj):
    import json

    data = ("BENCH_JSON:" + json.dumps(obj) + "\n").encode()
    os.write(_OUT_FD, data)


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _check(fn, call):
    name, arg, expect = call
    f = fn(name)
    got = f(arg) if arg is not None else f()
    return {"result": repr(got), "ok": expect is None or got == expect}


def _shell():
    """A fresh kernel's state before its first cell: ipykernel's modules imported (zmq, jupyter_client with
    hashlib/hmac, asyncio, ...) and an IPython InteractiveShell (no kernel is started)."""
    try:
        import ipykernel.kernelapp  # noqa: F401
    except ImportError:
        pass
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def task_ours_build(p):
    before = set(sys.modules)
    t0 = time.perf_counter()
    import cython_pin

    t_import = time.perf_counter() - t0
    builds = []
    for src_path, call, opts in p["sources"]:
        src = _read(src_path)
        c1, t1 = _cpu(), time.perf_counter()
        res = cython_pin.compile_and_load_result(src, **opts)
        dt, cpu = time.perf_counter() - t1, _cpu() - c1
        chk = _check(lambda n, m=res.module: getattr(m, n), call)
        builds.append(
            {"s": dt, "cpu": cpu, "used_cache": res.used_cache, "timings": res.timings, "key": res.key, **chk}
        )
    new = sorted(set(sys.modules) - before)
    return {"import_s": t_import, "builds": builds, "new_modules": new}


def task_ours_kernel(p):
    shell = _shell()
    t0 = time.perf_counter()
    import cython_pin

    t_import = time.perf_counter() - t0
    src = _read(p["source"])
    before = set(sys.modules)
    c1, t1 = _cpu(), time.perf_counter()
    mod = cython_pin.compile_and_load(src)
    dt, cpu = time.perf_counter() - t1, _cpu() - c1
    new = sorted(set(sys.modules) - before)
    chk = _check(lambda n: getattr(mod, n), p["call"])
    del shell
    return {"import_s": t_import, "call_s": dt, "call_cpu": cpu, "new_modules": new, **chk}


def _cell_magic(shell, magic, sources, count):
    cells = []
    for src_path, call in sources:
        src = _read(src_path)
        before = set(sys.modules)
        n0 = count[0]
        err = None
        c1, t1 = _cpu(), time.perf_counter()
        try:
            shell.run_cell_magic(magic, "", src)
        except Exception as e:  # noqa: BLE001 - e.g. %%cython racing another process: reported, counted
            err = f"{type(e).__name__}: {e}"
        dt, cpu = time.perf_counter() - t1, _cpu() - c1
        new = sorted(set(sys.modules) - before)
        try:
            chk = _check(lambda n: shell.user_ns[n], call)
        except Exception as e:  # noqa: BLE001 - the build failed: report, the parent counts it
            chk = {"result": err or f"{type(e).__name__}: {e}", "ok": False}
        cells.append({"s": dt, "cpu": cpu, "compiled": count[0] - n0, "new_modules": new, **chk})
    return cells


def task_magic(p):
    shell = _shell()
    t0 = time.perf_counter()
    shell.run_line_magic("load_ext", "Cython")
    t_load = time.perf_counter() - t0
    count = [0]
    from Cython.Build.IpythonMagic import CythonMagics

    orig = CythonMagics._cythonize

    def counting(self, *a, **k):  # counts cythonize+compile runs (a cache miss); timing is unchanged
        count[0] += 1
        return orig(self, *a, **k)

    CythonMagics._cythonize = counting
    cells = _cell_magic(shell, "cython", p["sources"], count)
    return {"load_ext_s": t_load, "cells": cells}


def task_ours_magic(p):
    shell = _shell()
    t0 = time.perf_counter()
    shell.run_line_magic("load_ext", "cython_pin")
    t_load = time.perf_counter() - t0
    count = [0]
    from cython_pin.build import cold as build_entry

    orig = build_entry.build

    def counting(job):
        count[0] += 1
        return orig(job)

    build_entry.build = counting
    cells = _cell_magic(shell, "cython_pin", p["sources"], count)
    return {"load_ext_s": t_load, "cells": cells}


def task_ours_pins(p):
    shell = _shell() if p.get("kernel") else None  # noqa: F841 - kept alive like a kernel's shell
    t0 = time.perf_counter()
    import cython_pin

    t_import = time.perf_counter() - t0
    c1, t1 = _cpu(), time.perf_counter()
    mod = cython_pin.import_pinned(p["alias"])
    t_imp, c_imp = time.perf_counter() - t1, _cpu() - c1
    chk = _check(lambda n: getattr(mod, n), p["call"])
    c2, t2 = _cpu(), time.perf_counter()
    cython_pin.pin(p["key"], alias=p["new_alias"], overwrite=True)
    t_pin, c_pin = time.perf_counter() - t2, _cpu() - c2
    c3, t3 = _cpu(), time.perf_counter()
    pins = cython_pin.list_pins()
    t_list, c_list = time.perf_counter() - t3, _cpu() - c3
    return {
        "import_s": t_import,
        "import_pinned_s": t_imp,
        "import_pinned_cpu": c_imp,
        "pin_s": t_pin,
        "pin_cpu": c_pin,
        "list_pins_s": t_list,
        "list_pins_cpu": c_list,
        "n_pins": len(pins),
        **chk,
    }


def main():
    import json

    task, params = sys.argv[1], json.loads(sys.argv[2])
    out = globals()["task_" + task](params)
    out["child_s"] = time.perf_counter() - T_START
    _emit(out)


if __name__ == "__main__":
    main()
