"""A worker process of the docs-examples suite: builds examples one task at a time, each side its own way.

Reads one JSON task per line on stdin and answers with JSON lines on stdout: ``{"id", "event": "built"}``
once the extension exists (so a crash while importing it still counts as built), then
``{"id", "event": "done", "built", "imported", "error"}``. The examples' own output and stdin are kept off
the protocol pipes (fds 0-2 point at /dev/null and a log file while a task runs).

- side "ours": ``cython_pin.compile_and_load_result`` in this process (which imports the module, running
  its module-level code).
- side "cythonize": the plain route a setup.py takes: ``Cython.Build.cythonize`` on an ``Extension`` of the
  example (its ``# distutils:``/``# cython:`` header comments read by cythonize itself), then setuptools'
  ``build_ext --inplace`` in a temporary copy of the example's directory, then the built file is imported.
  The Extension carries numpy's include directory, as setup.py files that use numpy do.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import traceback

from example_set import Example


def _short(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}".strip()
    return text[:2000]


def _emit(out: int, msg: dict[str, object]) -> None:
    os.write(out, (json.dumps(msg) + "\n").encode())


def run_ours(task: dict[str, object], out: int) -> dict[str, object]:
    import cython_pin
    from cython_pin.errors import BuildError

    ex = Example.from_json(task["example"])  # type: ignore[arg-type]
    root = str(task["root"])
    d = os.path.dirname(os.path.join(root, ex.rel))
    with open(os.path.join(root, ex.rel), encoding="utf-8") as f:
        source = f.read()
    opts: dict[str, object] = dict(task.get("ours_options") or {})  # type: ignore[call-overload]
    opts["cache_dir"] = task["cache_dir"]
    opts["support_files"] = {n: open(os.path.join(d, n), "rb").read() for n in ex.support}
    # the example's folder on the include path, as for cythonize, whose generated C sits there
    opts["include_dirs"] = [d]
    if ex.module_name:
        opts["module_name"] = ex.module_name
    try:
        # the key first: if importing the module kills this process, the parent still finds the build
        _emit(out, {"id": task["id"], "event": "key", "key": cython_pin.key_for(source, **opts)})
        cython_pin.compile_and_load_result(source, **opts)
    except BuildError as e:
        lines = [str(e)] + [dg.format() for dg in e.diagnostics if dg.severity == "error"][:8]
        return {"built": False, "imported": False, "error": "\n".join(lines)[:2000]}
    except Exception as e:  # noqa: BLE001 - any failure is a finding, recorded with its message
        try:
            key = cython_pin.key_for(source, **opts)
            built = os.path.exists(os.path.join(str(task["cache_dir"]), key, "meta.json"))
        except Exception:  # noqa: BLE001
            built = False
        return {"built": built, "imported": False, "error": _short(e)}
    return {"built": True, "imported": True, "error": None}


def run_cythonize(task: dict[str, object], out: int) -> dict[str, object]:
    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension, setup

    ex = Example.from_json(task["example"])  # type: ignore[arg-type]
    src_dir = os.path.dirname(os.path.join(str(task["root"]), ex.rel))
    work = os.path.join(str(task["scratch"]), "build")
    shutil.copytree(src_dir, work)
    fname = os.path.basename(ex.rel)
    old_cwd = os.getcwd()
    os.chdir(work)
    try:
        ext = Extension(ex.stem, [fname], include_dirs=[numpy.get_include()])
        setup(
            name=ex.stem,
            ext_modules=cythonize([ext], quiet=True),
            script_args=["build_ext", "--inplace", "--build-temp", os.path.join(work, "_build")],
        )
    except BaseException as e:  # noqa: BLE001 - Cython raises CompileError, setuptools SystemExit
        if isinstance(e, KeyboardInterrupt):
            raise
        return {"built": False, "imported": False, "error": _short(e)}
    finally:
        os.chdir(old_cwd)
    built = [n for n in os.listdir(work) if n.startswith(ex.stem + ".") and n.endswith((".so", ".pyd"))]
    if not built:
        return {"built": False, "imported": False, "error": "no extension module was produced"}
    _emit(out, {"id": task["id"], "event": "built"})
    try:
        spec = importlib.util.spec_from_file_location(ex.stem, os.path.join(work, built[0]))
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[ex.stem] = mod
        spec.loader.exec_module(mod)
    except BaseException as e:  # noqa: BLE001 - module-level code may raise anything (SystemExit too)
        if isinstance(e, KeyboardInterrupt):
            raise
        return {"built": True, "imported": False, "error": _short(e)}
    return {"built": True, "imported": True, "error": None}


def _forget_built_modules(dirs: tuple[str, ...]) -> None:
    """Drop the examples' modules from sys.modules, so a later example cannot import one by chance."""
    for name, mod in list(sys.modules.items()):
        if str(getattr(mod, "__file__", None) or "").startswith(dirs):
            del sys.modules[name]


def main() -> None:
    inp = os.fdopen(os.dup(0), "r", encoding="utf-8")
    out = os.dup(1)
    log = os.open(os.environ.get("DOCS_EXAMPLES_LOG", os.devnull), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    for line in inp:
        task = json.loads(line)
        os.makedirs(str(task["scratch"]), exist_ok=True)
        os.chdir(str(task["scratch"]))  # module-level code that writes files writes them here
        try:
            runner = run_ours if task["side"] == "ours" else run_cythonize
            res = runner(task, out)
        except BaseException as e:  # noqa: BLE001 - report, keep serving
            if isinstance(e, KeyboardInterrupt):
                raise
            res = {"built": False, "imported": False, "error": "worker: " + traceback.format_exc()[-2000:]}
        sys.stdout.flush()
        sys.stderr.flush()
        _forget_built_modules((str(task["scratch"]), str(task["cache_dir"])))
        _emit(out, {"id": task["id"], "event": "done", **res})


if __name__ == "__main__":
    main()
