"""Cython 3.3's shared utility module for builds that use typed memoryviews.

Cython puts its memoryview machinery (and other utility code) into every module's C unless the module is
compiled with ``--shared=NAME``; it then imports those functions from the extension module ``NAME`` at load
time. For a module with memoryviews that halves the C the compiler sees. The shared module
``cython_pin_shared_<key[:16]>`` is built once per toolchain and profile flags as a cache entry of its own
(kind ``"shared"``, verified like any entry), its key is part of each dependent module's key, and it is loaded
before a dependent module. A dependent's ``meta.json`` records it under ``"shared"``, so a missing or corrupt
shared entry (gc, another cache, a damaged file) is fetched from the team cache or built again.

Only modules that use typed memoryviews get it (a module without them would gain little and pay for one more
load on each cache hit), in C, without PGO, user compile flags or macros beyond the profile's.
``CYTHON_PIN_SHARED=0`` turns it off (the keys of new builds then do not include it).
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess
    from concurrent.futures import Future
    from typing import Any

    from ..report.diagnostics import Diagnostic
    from .options import BuildOptions

ENV = "CYTHON_PIN_SHARED"
KIND = "shared"
SCHEMA = 1
# a typed memoryview: ``double[:]``, ``int[:, ::1]``, ``float[::1, :]`` (a plain ``x[:]`` slice matches too,
# which only costs the dependency)
MEMORYVIEW = r"\[\s*:[\s:1]*[,\]]"


def _may_use_memoryviews(source: str) -> bool:
    """The cheap test the key makes first: does ``source`` contain memoryview syntax at all."""
    return re.search(MEMORYVIEW, source) is not None


def spec(source: str, opts: BuildOptions, root: str) -> dict[str, Any] | None:
    """The shared module a build of ``source`` with ``opts`` depends on (``key``, ``module``, and the flags
    to build it with), or None when it is built without one."""
    if not _may_use_memoryviews(source) or not _eligible(opts):
        return None
    macros = [[n, v] for n, v in opts.define_macros]
    key = _key(opts.opt_flags, macros, root)
    return {
        "key": key,
        "module": module_name(key),
        "opt_flags": list(opts.opt_flags),
        "define_macros": macros,
    }


def _eligible(opts: BuildOptions) -> bool:
    if os.environ.get(ENV, "1") == "0" or opts.language != "c" or opts.pgo or opts.extra_compile_args:
        return False
    from .options import PROFILE_SETTINGS

    return list(opts.define_macros) == list(PROFILE_SETTINGS[opts.profile].get("define_macros", []))


def _key(opt_flags: list[str], macros: list[list[str | None]], root: str | None) -> str:
    import hashlib
    import json

    from .toolchain import toolchain_fingerprint

    material = {
        "schema": SCHEMA,
        "kind": KIND,
        "toolchain": toolchain_fingerprint("c", False, root),
        "opt_flags": opt_flags,
        "define_macros": macros,
    }
    blob = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def module_name(key: str) -> str:
    return f"cython_pin_shared_{key[:16]}"


def check_spec(s: Any) -> dict[str, Any]:
    """``s`` as read from a dependent's meta.json, checked (CacheIntegrityError if it is not a spec)."""
    from ..names import is_key

    ok = (
        isinstance(s, dict)
        and isinstance(s.get("key"), str)
        and is_key(s["key"])
        and s.get("module") == module_name(s["key"])
        and isinstance(s.get("opt_flags"), list)
        and all(isinstance(f, str) for f in s["opt_flags"])
        and isinstance(s.get("define_macros"), list)
        and all(isinstance(m, list) and len(m) == 2 for m in s["define_macros"])
    )
    if not ok:
        from ..errors import CacheIntegrityError

        raise CacheIntegrityError(f"A cache entry names an invalid shared utility module: {str(s)[:200]}.")
    spec_: dict[str, Any] = s
    return spec_


# ---------------------------------------------------------------------------------------------- loading
def load(root: str, s: dict[str, Any], lock_timeout_s: float | None = None) -> None:
    """Make the shared module ``s`` importable before a dependent module loads: verified from the cache,
    else from the team cache, else built again (a corrupt entry is set aside first)."""
    from ..cache import loader

    s = check_spec(s)
    mod = loader.loaded(s["key"])
    if mod is not None:
        # Dependents import it by name: put it back if someone took it out of sys.modules meanwhile.
        sys.modules.setdefault(s["module"], mod)
        return
    path = _present(root, s["key"])
    if path is None:
        ensure(root, s, lock_timeout_s)
        path = _present(root, s["key"])
        if path is None:
            from ..errors import CacheIntegrityError

            raise CacheIntegrityError(f"The shared utility module {s['module']} could not be made in {root}.")
    loader.load_module(s["key"], s["module"], path)


def _present(root: str, key: str) -> str | None:
    """The verified artifact of shared entry ``key``, or None (absent; a corrupt one is removed)."""
    from ..cache.entries import read_meta, remove_tree, verify_entry
    from ..cache.paths import entry_dir
    from ..errors import CacheIntegrityError

    try:
        meta = read_meta(root, key)
        if meta is None:
            return None
        if meta.get("kind") != KIND:
            raise CacheIntegrityError(f"entry {key[:16]}... is not a shared utility module")
        verify_entry(root, key, meta)
    except CacheIntegrityError:
        remove_tree(root, entry_dir(root, key))
        return None
    return os.path.join(entry_dir(root, key), meta["artifacts"][0]["path"])


# ---------------------------------------------------------------------------------------------- building
def ensure(
    root: str, s: dict[str, Any], lock_timeout_s: float | None = None, children: Children | None = None
) -> None:
    """The shared entry ``s`` is in the cache when this returns (fetched or built under its key lock).
    ``children``: runs the build's commands (stoppable from another thread)."""
    from ..cache.entries import key_lock
    from ..cache.paths import ensure_root
    from ..cache.tiers import team_tier

    if _present(root, s["key"]) is not None:
        return
    ensure_root(root)
    team = team_tier()
    with key_lock(root, s["key"], lock_timeout_s):
        if _present(root, s["key"]) is not None:
            return
        if team is not None:  # the signed entry may be in the team cache
            signer, _diags = team.fetch(root, s["key"], None)
            if signer is not None and _present(root, s["key"]) is not None:
                return
        _build(root, s, children or Children())
    if team is not None:
        team.after_build(root, s["key"], None)


class Stopped(Exception):
    """The background build was stopped (its dependent build was interrupted)."""


class Children:
    """Runs a build's commands one after another, so that another thread can stop them: :meth:`stop` kills
    the running one and refuses the next ones."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._running: subprocess.Popen[str] | None = None
        self._stopped = False

    def run(self, cmd: list[str], cwd: str, what: str) -> None:
        """Run ``cmd`` in the build folder ``cwd`` (:func:`.toolchain.compiler_run_env`); RuntimeError
        naming ``what`` when it fails, Stopped when the build was stopped."""
        import subprocess

        from .toolchain import compiler_run_env

        with self._lock:
            if self._stopped:
                raise Stopped(what)
            env = compiler_run_env(cwd)
            p = self._running = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        try:
            text, _ = p.communicate()
        except BaseException:  # interrupted while this thread waits (a build in the kernel's own thread)
            p.kill()
            p.wait()
            raise
        finally:
            with self._lock:
                self._running = None
        if self._stopped:
            raise Stopped(what)
        if p.returncode != 0:
            tail = text.strip().splitlines()[-3:]
            raise RuntimeError(f"{what} exited with {p.returncode}: {' | '.join(tail)}")

    def stop(self) -> None:
        """Kill the running command; refuse the next ones."""
        with self._lock:
            self._stopped = True
            if self._running is not None and self._running.poll() is None:
                self._running.kill()


class Background:
    """``ensure`` run in a thread beside a dependent build (its work is in child processes)."""

    def __init__(self, root: str, s: dict[str, Any], lock_timeout_s: float | None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._children = Children()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cython_pin-shared")
        self._future: Future[None] = pool.submit(ensure, root, s, lock_timeout_s, self._children)
        pool.shutdown(wait=False)  # the thread ends with this one task

    def wait(self) -> None:
        """Wait for it; its failure becomes the dependent build's failure."""
        diag = self.failure()
        if diag is not None:
            from ..errors import BuildError

            raise BuildError(
                diag.message + " (CYTHON_PIN_SHARED=0 builds without it)",
                diagnostics=[diag],
                stage="shared utility module",
            )

    def failure(self) -> Diagnostic | None:
        """Wait for it; its failure as a diagnostic, or None."""
        error = self._future.exception()
        if error is None:
            return None
        from ..report.diagnostics import Diagnostic

        return Diagnostic(0, 0, "error", f"building Cython's shared utility module failed: {error}", "helper")

    def stop(self) -> None:
        """Stop it now (the dependent build was interrupted): its compiler is killed, its thread ends."""
        self._children.stop()
        self._future.exception()  # waits: its staging folder and key lock are cleaned up on the way out


def start(root: str, s: dict[str, Any] | None, lock_timeout_s: float | None) -> Background | None:
    """Start making the shared entry beside a dependent build when it is missing."""
    if s is None or _present(root, s["key"]) is not None:
        return None
    return Background(root, s, lock_timeout_s)


def _build(root: str, s: dict[str, Any], children: Children) -> None:
    """Generate the shared module's C (Cython in a child process: the dependent's Cython runs in this one),
    compile it, publish it as entry ``s["key"]`` (the caller holds its key lock)."""
    import shutil

    from ..cache.entries import new_staging, publish, utc_now, write_meta
    from ..cache.hashing import sha256_file
    from ..cache.toolchains import record
    from .builder import EnvironmentFlags, link_commands
    from .toolchain import compiler_command, cython_version, ext_suffix, python_include_dirs

    key, name = s["key"], s["module"]
    staging = new_staging(root, key)
    try:
        c_path = os.path.join(staging, name + ".c")
        so_name = name + ext_suffix()
        gen = [sys.executable, "-m", "cython", f"--generate-shared={c_path}"]
        children.run(gen, staging, "Cython --generate-shared")
        env_flags = EnvironmentFlags.read()  # the key has them (toolchain fingerprint): built with them
        flags = ["-fPIC", "-fwrapv", "-fno-strict-aliasing", "-pipe", *s["opt_flags"], *env_flags.compile]
        flags += [f"-D{n}" if v is None else f"-D{n}={v}" for n, v in s["define_macros"]]
        for d in python_include_dirs():
            flags += ["-I", d]
        so = os.path.join(staging, so_name)
        for cmd in link_commands(compiler_command("c", root), flags, [c_path], [], so, env_flags):
            children.run(cmd, staging, "the C compiler")
        os.unlink(c_path)
        art = {"path": so_name, "sha256": sha256_file(so), "size": os.path.getsize(so), "module": name}
        meta = {
            "format": 1,
            "key": key,
            "kind": KIND,
            "module_name": name,
            "artifacts": [art],
            "artifact": so_name,
            "artifact_sha256": art["sha256"],
            "artifact_size": art["size"],
            "source": None,
            "annotation": None,
            "created_utc": utc_now(),
            "profile": None,
            "options": {"opt_flags": s["opt_flags"], "define_macros": s["define_macros"]},
            "numpy": False,
            "python_version": sys.version.split()[0],
            "cython_version": cython_version(),
            "toolchain": record(root),  # the cache panel's toolchain row; gc once that toolchain is gone
            "diagnostics": [],
        }
        write_meta(staging, meta)
        publish(root, key, staging, replace=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
