"""Toolchain detection: Cython, numpy and the C compiler, found cheaply (versions read from source files, the
compiler's version memoised on disk in ``<cache root>/toolchain.json``), so a cache hit spawns nothing."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

_proc_memo: dict[Any, Any] = {}  # keys: "cython", "numpy", ("disk", root), ("cmd", ...), ("ccver", stamp)


def ext_suffix() -> str:
    """The extension-module suffix of this interpreter (e.g. ``.cpython-311-x86_64-linux-gnu.so``)."""
    import importlib.machinery

    return importlib.machinery.EXTENSION_SUFFIXES[0]


def python_include_dirs() -> list[str]:
    """Python's C header directories (include, platinclude), deduplicated."""
    import sysconfig

    paths = sysconfig.get_paths()
    out: list[str] = []
    for k in ("include", "platinclude"):
        p = paths.get(k)
        if p and p not in out:
            out.append(p)
    return out


def _read_version(path: str, names: tuple[str, ...], annotated: bool = False) -> str | None:
    """The string assigned to one of ``names`` at the start of a line in the file's first 4 KB
    (``NAME = "1.2"``; with ``annotated``, also ``NAME: str = "1.2"``). Plain string tests, no regex."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096)
    except OSError:
        return None
    for line in head.splitlines():
        for name in names:
            if not line.startswith(name):
                continue
            rest = line[len(name) :].lstrip()
            if annotated and rest.startswith(":"):
                rest = rest[1:].lstrip()
                if not rest.startswith("str"):
                    continue
                rest = rest[3:].lstrip()
            if not rest.startswith("="):
                continue
            rest = rest[1:].lstrip()
            if rest[:1] not in ("'", '"'):
                continue
            body = rest[1:]
            end = min((i for i in (body.find("'"), body.find('"')) if i >= 0), default=-1)
            if end > 0:
                return body[:end]
    return None


def _package_dir(name: str) -> str | None:
    import importlib.util

    mod = sys.modules.get(name)
    file = getattr(mod, "__file__", None)
    if isinstance(file, str):
        return os.path.dirname(file)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def cython_version(root: str | None = None) -> str | None:
    """Installed Cython version without importing Cython (reads ``Cython/Shadow.py``). With a cache
    ``root``, the version read is memoised in its ``toolchain.json`` per (path, mtime, size) of that file,
    so a fresh process pays one stat instead of reading it."""
    if "cython" not in _proc_memo:
        d = _package_dir("Cython")
        v = None
        if d is not None:
            v = _memoised_version(os.path.join(d, "Shadow.py"), root)
        _proc_memo["cython"] = v
    version: str | None = _proc_memo["cython"]
    return version


def _memoised_version(path: str, root: str | None) -> str | None:
    """``__version__`` of the file at ``path``, through the disk memo when ``root`` is given."""
    if root is None:
        return _read_version(path, ("__version__",))
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = f"version|{path}|{st.st_mtime_ns}|{st.st_size}"
    v = _disk_memo(root).get(stamp)
    if v is None:
        v = _read_version(path, ("__version__",))
        if v is not None:
            _disk_memo_put(root, stamp, v)
    return v


def numpy_version() -> str | None:
    """Installed numpy version without importing numpy (reads ``numpy/version.py``)."""
    if "numpy" not in _proc_memo:
        d = _package_dir("numpy")
        v = None
        if d is not None:
            v = _read_version(os.path.join(d, "version.py"), ("__version__", "version"), annotated=True)
        _proc_memo["numpy"] = v
    version: str | None = _proc_memo["numpy"]
    return version


def _disk_memo(root: str | None) -> dict[str, str]:
    """``<root>/toolchain.json``: toolchain facts that are slow to find out; read once per process."""
    if root is None:
        return {}
    memo = _proc_memo.get(("disk", root))
    if memo is None:
        try:
            with open(os.path.join(root, "toolchain.json"), encoding="utf-8") as f:
                loaded = json.load(f)
            memo = {k: v for k, v in loaded.items() if isinstance(v, str)} if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            memo = {}
        _proc_memo[("disk", root)] = memo
    return memo


def _disk_memo_put(root: str | None, key: str, value: str) -> None:
    """Record ``key -> value`` in ``<root>/toolchain.json`` (atomic replace; best effort)."""
    if root is None or not os.path.isdir(root):
        return
    from ..cache.atomic import atomic_write

    memo = _disk_memo(root)
    memo[key] = value
    try:  # what other processes recorded since this one read the file (a long-lived build server) stays
        with open(os.path.join(root, "toolchain.json"), encoding="utf-8") as f:
            on_disk = json.load(f)
        if isinstance(on_disk, dict):
            memo.update({k: v for k, v in on_disk.items() if isinstance(v, str) and k not in memo})
    except (OSError, ValueError):
        pass
    try:
        atomic_write(
            os.path.join(root, "toolchain.json"),
            lambda f: json.dump(memo, f, indent=0, sort_keys=True),
            durable=False,
            mode=0o666,
        )
    except OSError:
        pass


# What setuptools (and so ``%%cython``) takes from the environment besides CC and CXX: CFLAGS and CPPFLAGS on
# every compile, LDFLAGS on every link, LDSHARED as the whole link command.
FLAG_VARIABLES = ("CFLAGS", "CPPFLAGS", "LDFLAGS", "LDSHARED")
COMPILER_VARIABLES = ("CC", "CXX", *FLAG_VARIABLES)


def compiler_environment() -> dict[str, str]:
    """Every compiler variable set (non-empty) in the environment now, CC and CXX included."""
    return {name: os.environ[name] for name in COMPILER_VARIABLES if os.environ.get(name)}


def flag_environment() -> dict[str, str]:
    """The compiler flag variables set (non-empty) in the environment now: read at each build, so a
    ``%env CFLAGS=...`` in a running kernel applies to the next build; part of the key when any is set."""
    return {name: os.environ[name] for name in FLAG_VARIABLES if os.environ.get(name)}


def compiler_run_env(tmp: str) -> dict[str, str]:
    """The environment a build's compiler runs in: messages in plain English (the diagnostics are parsed
    from them), and temporary files in ``tmp``, a folder of the build's own that goes with it: a compiler
    killed on a cancel cannot remove what it left in /tmp."""
    return dict(os.environ, LC_ALL="C", TMPDIR=tmp)


def compiler_command(language: str = "c", root: str | None = None) -> list[str]:
    """The compiler command: CC / CXX from the environment (read at each call, so a change in a running
    kernel applies), else from sysconfig. The sysconfig value is memoised in ``<root>/toolchain.json`` per
    Python installation: a cache hit need not import sysconfig."""
    var = "CXX" if language == "c++" else "CC"
    cmd = os.environ.get(var)
    memo_key = ("cmd", language, root, cmd)  # per root: each cache's toolchain.json gets the memo
    if memo_key not in _proc_memo:
        if not cmd:
            try:
                exe_mtime = os.stat(sys.executable).st_mtime_ns
            except OSError:
                exe_mtime = 0
            stamp = f"sysconfig|{var}|{sys.base_prefix}|{sys.version}|{exe_mtime}"
            cmd = _disk_memo(root).get(stamp)
            if cmd is None:
                import sysconfig

                cmd = sysconfig.get_config_var(var) or ("g++" if language == "c++" else "cc")
                _disk_memo_put(root, stamp, cmd)
        # a plain command (no quotes or escapes) splits the same on whitespace, without importing shlex
        _proc_memo[memo_key] = cmd.split() if not any(c in cmd for c in "\"'\\") else _shlex_split(cmd)
    return list(_proc_memo[memo_key])


def _shlex_split(cmd: str) -> list[str]:
    import shlex

    return shlex.split(cmd)


def _which(exe: str) -> str | None:
    if os.sep in exe:
        return os.path.realpath(exe) if os.access(exe, os.X_OK) else None
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        p = os.path.join(d or ".", exe)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return os.path.realpath(p)
    return None


def compiler_identity(language: str, root: str | None) -> dict[str, Any]:
    """Compiler path and version. ``--version`` runs once per (path, mtime, size) and is memoised in
    ``<root>/toolchain.json``, so a cache hit in a fresh process does not spawn the compiler."""
    cmd = compiler_command(language, root)
    path = _which(cmd[0]) if cmd else None
    ident: dict[str, Any] = {"command": cmd, "path": path, "version": None}
    if path is None:
        return ident
    st = os.stat(path)
    stamp = f"{path}|{st.st_mtime_ns}|{st.st_size}"
    version = _proc_memo.get(("ccver", stamp)) or _disk_memo(root).get(stamp)
    if version is None:
        import subprocess

        try:
            out = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=30, check=False
            ).stdout
            version = out.splitlines()[0].strip() if out else "unknown"
        except (OSError, subprocess.SubprocessError):
            version = "unknown"
    if root is not None and _disk_memo(root).get(stamp) != version:
        _disk_memo_put(root, stamp, version)
    _proc_memo[("ccver", stamp)] = version
    ident["version"] = version
    return ident


def toolchain_fingerprint(language: str, numpy_used: bool, root: str | None) -> dict[str, Any]:
    """What about the toolchain goes into the key (never the cwd, OS kernel release or cache path)."""
    cc = compiler_identity(language, root)
    suffix = ext_suffix()
    fp = {
        "python_implementation": sys.implementation.name,
        "python_version": list(sys.version_info),
        "ext_suffix": suffix,
        "soabi": suffix.split(".")[1] if suffix.count(".") >= 2 else "",
        "cython_version": cython_version(root),
        "compiler_command": cc["command"],
        "compiler_path": cc["path"],
        "compiler_version": cc["version"],
    }
    flags = flag_environment()
    if flags:  # only when set: keys made without them stay what they were
        fp["compiler_flags"] = flags
    if numpy_used:
        fp["numpy_version"] = numpy_version()
    return fp
