"""The package's shape: the core never imports IPython, no import cycles, one definition of the constants."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from support import HELPER

PKG = os.path.join(HELPER, "cython_pin")
# Jupyter-facing modules; everything else is the core.
JUPYTER = ("cython_pin.jupyter", "cython_pin.kernel")


def _modules() -> dict[str, str]:
    """Dotted name -> path of every module of the package."""
    out = {}
    for dirpath, dirs, files in os.walk(PKG):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), HELPER)[: -len(".py")].split(os.sep)
                if rel[-1] == "__init__":
                    rel = rel[:-1]
                out[".".join(rel)] = os.path.join(dirpath, f)
    return out


def _imports(name: str, path: str, modules: dict[str, str]) -> set[str]:
    """Package modules that ``name`` imports anywhere in its body (lazy imports in functions count too)."""
    is_pkg = path.endswith("__init__.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = name.split(".")
                base_parts = parts if is_pkg else parts[:-1]
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from pkg import sub` imports the submodule; `from mod import name` imports the module
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
    return {m for m in found if m in modules and m != name}


def test_no_import_cycles_among_package_modules():
    modules = _modules()
    graph = {n: _imports(n, p, modules) for n, p in modules.items()}
    assert graph["cython_pin.cache.catalogue"] >= {
        "cython_pin.pins.registry",
        "cython_pin.cache.entries",
    }  # the walk sees imports
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                cycles.append(path[path.index(m) :] + [m])
            elif m not in state:
                visit(m, [*path, m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
    assert cycles == []


def test_core_modules_never_import_ipython():
    core = sorted(n for n in _modules() if not n.startswith(JUPYTER))
    assert "cython_pin.engine" in core and "cython_pin.jupyter.magic" not in core
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}:\n"
        "    importlib.import_module(name)\n"
        "jupyter = ('IPython', 'ipykernel', 'jupyter_client')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in jupyter))\n"
    )
    env = dict(os.environ, PYTHONPATH=HELPER)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_profiles_defined_once():
    from cython_pin.build.options import PROFILE_SETTINGS
    from cython_pin.constants import DEFAULT_PROFILE, PROFILES
    from cython_pin.jupyter.magic import CythonPinMagics

    assert tuple(PROFILE_SETTINGS) == PROFILES and DEFAULT_PROFILE in PROFILES
    profile_arg = next(
        a for a in CythonPinMagics.cython_pin.parser._actions if "--profile" in a.option_strings
    )
    assert tuple(profile_arg.choices) == PROFILES
