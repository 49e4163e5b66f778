"""The package's shape: the core never imports IPython, no import cycles, one definition of the constants."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

from support import HELPER

PKG = os.path.join(HELPER, "cython_pin")
ROOT = os.path.dirname(HELPER)
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


def test_no_module_imports_another_modules_private_names():
    modules = _modules()
    offenders = []
    for name, path in modules.items():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                offenders += [
                    f"{name}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                    and not a.name.startswith("__")
                    and a.name not in modules_leafs(modules)
                ]
    assert offenders == []


def modules_leafs(modules: dict[str, str]) -> set[str]:
    """Last parts of the package's module names: `from . import _version` imports a module, not a name."""
    return {n.rsplit(".", 1)[-1] for n in modules}


# --- docs/layout.md is the map of the repository: checked, so it cannot go stale ----------------------------

LAYOUT = os.path.join(ROOT, "docs", "layout.md")


def _layout_text() -> str:
    with open(LAYOUT, encoding="utf-8") as f:
        return f.read()


def _package_tree_in_layout() -> set[str]:
    """The files the layout's python_helper/cython_pin/ tree lists, as paths relative to the package."""
    text = _layout_text()
    block = text[text.index("python_helper/cython_pin/\n") :]
    block = block[: block.index("```")]
    listed, stack = set(), []
    for line in block.splitlines()[1:]:
        m = re.match(r"^( +)(\S+)", line)
        if (
            not m
            or m.group(1) == " " * len(line)
            or len(m.group(1)) % 2
            or len(m.group(1)) > 2 * (len(stack) + 1)
        ):
            continue  # a continuation line of a description
        depth = len(m.group(1)) // 2 - 1
        entry = m.group(2)
        if not (entry.endswith("/") or "." in entry):
            continue
        stack = stack[:depth]
        if entry.endswith("/"):
            stack.append(entry.rstrip("/"))
        else:
            listed.add("/".join([*stack, entry]))
    return listed


def test_layout_lists_every_package_module_and_nothing_gone():
    on_disk = set()
    for dirpath, dirs, files in os.walk(PKG):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            if f.endswith((".py", ".typed")):
                on_disk.add(os.path.relpath(os.path.join(dirpath, f), PKG).replace(os.sep, "/"))
    listed = _package_tree_in_layout()
    assert "cache/entries.py" in listed  # the parser sees nested entries
    assert sorted(on_disk - listed) == [], "modules missing from docs/layout.md"
    assert sorted(listed - on_disk) == [], "docs/layout.md lists modules that are gone"


def _tracked(*roots: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *roots],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [p for p in out if os.path.exists(os.path.join(ROOT, p))]


def test_layout_names_every_test_and_source_file():
    text = _layout_text()
    files = _tracked("test", "src", "benchmarks")
    wanted = [p for p in files if p.endswith((".py", ".ts", ".tsx")) and not p.endswith("__init__.py")]
    wanted = [p for p in wanted if "/helpers/" not in p and "/setup/" not in p]
    missing = [p for p in wanted if os.path.basename(p) not in text]
    assert missing == [], "files docs/layout.md does not name"


def test_layout_names_no_file_that_is_gone():
    text = _layout_text()
    names = {os.path.basename(p) for p in _tracked()}
    names |= {"protocol.ts", "settings.ts"}  # src/_generated/, written by `npm run generate`
    mentioned = set(re.findall(r"(?<![\w./-])([\w-]+\.(?:py|ts|tsx))\b", text))
    assert sorted(m for m in mentioned if m not in names) == []
