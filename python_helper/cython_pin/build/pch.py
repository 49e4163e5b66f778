"""A precompiled ``Python.h`` (gcc's ``.gch``) for module compiles.

Every Cython module starts by including ``Python.h``; gcc can load a precompiled copy instead of parsing it.
One is kept per toolchain and per set of flags that change the header (the profile's optimisation flags and
macros) in ``<cache root>/.pch/<hash>/``: ``Python.h`` (a link to the real header), ``Python.h.gch`` and
``meta.json`` with the ``.gch``'s sha256, checked before each use. The module compile puts that folder first
on the include path; gcc takes the ``.gch`` when it matches the compile's flags and otherwise reads the real
header through the link, so the built module is the same either way and the key does not depend on it.

A missing one is made by a second gcc started before Cython runs: when it is ready by the time the module's
own compile starts, that compile uses it; otherwise it is published when done, for the next builds. Only
gcc, C (not C++), and builds without user compile flags, include folders or macros beyond the profile's get
one.
``CYTHON_PIN_PCH=0`` turns it off.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess
    import threading
    from typing import Any

    from .options import BuildOptions

PCH_DIR = ".pch"
ENV = "CYTHON_PIN_PCH"
HEADER = "Python.h"
BASE_FLAGS = ["-fPIC", "-fwrapv", "-fno-strict-aliasing", "-fdiagnostics-color=never"]


def header_flags(opts: BuildOptions, root: str) -> list[str] | None:
    """The flags a ``.gch`` for this build is made with (those of the module compile that reach the header),
    or None when this build gets none."""
    if os.environ.get(ENV, "1") == "0" or opts.language != "c" or opts.pgo:
        return None
    if opts.extra_compile_args or opts.include_dirs:
        return None
    from .toolchain import flag_environment

    if {"CFLAGS", "CPPFLAGS"} & flag_environment().keys():  # user compile flags, from the environment
        return None
    from .options import PROFILE_SETTINGS

    if list(opts.define_macros) != list(PROFILE_SETTINGS[opts.profile].get("define_macros", [])):
        return None
    if not _is_gcc(root):
        return None
    macros = [f"-D{n}" if v is None else f"-D{n}={v}" for n, v in opts.define_macros]
    return [*BASE_FLAGS, *opts.opt_flags, *macros]


def _is_gcc(root: str) -> bool:
    from .toolchain import compiler_identity

    ident = compiler_identity("c", root)
    path, version = ident["path"] or "", (ident["version"] or "").lower()
    return "gcc" in os.path.basename(path) and "clang" not in version


def _folder(root: str, flags: list[str]) -> str:
    import hashlib
    import json

    from .toolchain import python_include_dirs, toolchain_fingerprint

    material = {
        "toolchain": toolchain_fingerprint("c", False, root),
        "flags": flags,
        "python_include": python_include_dirs(),
    }
    blob = json.dumps(material, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return os.path.join(root, PCH_DIR, hashlib.sha256(blob).hexdigest()[:32])


# folder -> identity (inode, size, mtime) of the .gch and of meta.json when their sha256 last matched: a
# process checks an unchanged header once (the build server checks them before forking its builds). A file
# written in the last seconds is not remembered: a write within the file system's timestamp granularity
# would leave the same identity (git's "racily clean" rule).
_checked: dict[str, tuple[int, ...]] = {}
_SETTLED_S = 2.0


def usable(folder: str) -> bool:
    """True if ``folder`` holds a complete ``.gch`` whose sha256 matches its meta.json."""
    import json

    from ..cache.hashing import sha256_file

    gch, meta_path = os.path.join(folder, HEADER + ".gch"), os.path.join(folder, "meta.json")
    try:
        a, b = os.stat(gch), os.stat(meta_path)
        ident = (a.st_ino, a.st_size, a.st_mtime_ns, b.st_ino, b.st_size, b.st_mtime_ns)
        if _checked.get(folder) == ident:
            return True
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
        ok = isinstance(meta, dict) and sha256_file(gch) == meta.get("sha256")
    except (OSError, ValueError):
        return False
    if ok and time.time() - max(a.st_mtime, b.st_mtime) > _SETTLED_S:
        _checked[folder] = ident
    return ok


def check_all(root: str) -> None:
    """Check (once each, see :func:`usable`) every precompiled header of the cache at ``root``."""
    for folder in published(root):
        usable(folder)


class Pending:
    """A ``.gch`` being made in a private folder while Cython runs (or one already made)."""

    def __init__(
        self,
        final: str,
        tmp: str,
        proc: subprocess.Popen[bytes] | None,
        made_with: dict[str, Any] | None = None,
    ) -> None:
        self.final = final
        self.tmp = tmp
        self.proc = proc
        self.made_with = made_with or {}  # what meta.json records besides the sha256
        self._publisher: threading.Thread | None = None

    def folder(self) -> str | None:
        """The folder to put first on the include path, or None: the ``.gch`` is not usable yet. One still
        being made is then finished and published by a thread (this build compiles without it; the process
        waits for that thread before it exits, so no compiler or half-made folder is left behind)."""
        if self.proc is None:
            return self.final
        if self.proc.poll() is None:
            self.finish_later()
            return None
        return self._publish()

    def _publish(self) -> str | None:
        """Wait for the compiler, publish its ``.gch`` if it made one; the folder to use, or None. Runs once
        (in the build's thread or in the one publisher thread)."""
        import shutil

        assert self.proc is not None
        try:
            self.proc.wait()
            if self.proc.returncode == 0:
                try:
                    _write_meta(self.tmp, self.made_with)
                    os.rename(self.tmp, self.final)
                except OSError:  # another build published it first (use that one), or the disk is full
                    pass
            return self.final if usable(self.final) else None
        finally:
            self.proc = None
            shutil.rmtree(self.tmp, ignore_errors=True)

    def finish_later(self) -> None:
        """Publish the ``.gch`` from a (non-daemon) thread once its compiler is done; a second call (the
        build failed after :meth:`folder` handed it over) changes nothing."""
        if self.proc is None or self._publisher is not None:
            return
        import threading

        self._publisher = threading.Thread(target=self._publish, name="cython_pin-pch")
        self._publisher.start()

    def abandon(self) -> None:
        """Stop the compiler (the build was interrupted) and remove its folder (the publisher thread, if
        there is one, finds the compiler killed and removes it)."""
        import shutil

        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc is not None and self._publisher is None:
            self.proc = None
            shutil.rmtree(self.tmp, ignore_errors=True)


def _write_meta(folder: str, made_with: dict[str, Any]) -> None:
    import json

    from ..cache.entries import utc_now
    from ..cache.hashing import sha256_file

    meta = {
        "format": 1,
        "sha256": sha256_file(os.path.join(folder, HEADER + ".gch")),
        "created_utc": utc_now(),
        **made_with,
    }
    with open(os.path.join(folder, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f)


def start(opts: BuildOptions, root: str) -> Pending | None:
    """For a build about to run Cython: the ready ``.gch`` folder, or a gcc started to make one, or None."""
    flags = header_flags(opts, root)
    if flags is None:
        return None
    final = _folder(root, flags)
    if os.path.isdir(final):
        if usable(final):
            return Pending(final, "", None)
        _discard(final)  # corrupt or half-removed: made again below
    return _make(final, flags, root)


def _discard(folder: str) -> None:
    import shutil

    trash = f"{folder}.bad.{os.getpid()}.{os.urandom(4).hex()}"
    try:
        os.rename(folder, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _make(final: str, flags: list[str], root: str) -> Pending | None:
    import subprocess

    from ..cache.toolchains import record
    from .toolchain import compiler_command, compiler_run_env, python_include_dirs

    os.makedirs(os.path.dirname(final), mode=0o700, exist_ok=True)
    _remove_orphans(os.path.dirname(final))
    tmp = f"{final}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    os.mkdir(tmp, 0o700)
    real = _real_header()
    if real is None:
        os.rmdir(tmp)
        return None
    os.symlink(real, os.path.join(tmp, HEADER))
    # Cython defines it (empty) before including Python.h; gcc refuses a .gch made without the same definition
    cmd = [*compiler_command("c", root), *flags, "-DPY_SSIZE_T_CLEAN="]
    for d in python_include_dirs():
        cmd += ["-I", d]
    cmd += ["-x", "c-header", os.path.join(tmp, HEADER), "-o", os.path.join(tmp, HEADER + ".gch")]
    env = compiler_run_env(tmp)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    except OSError:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        return None
    return Pending(final, tmp, proc, {"toolchain": record(root), "flags": flags})


def maker_pid(name: str) -> int | None:
    """The pid of the process making the header in the ``.pch`` folder ``name`` (its private
    ``<hash>.<pid>.<random>.tmp``), or None for any other folder."""
    parts = name.split(".")
    if len(parts) == 4 and parts[3] == "tmp" and parts[1].isdigit():
        return int(parts[1])
    return None


def _remove_orphans(parent: str) -> None:
    """Remove the private folders of makers that died (killed before publishing or cleaning up)."""
    import shutil

    for n in os.listdir(parent):
        pid = maker_pid(n)
        if pid is not None and not _alive(pid):
            shutil.rmtree(os.path.join(parent, n), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def published(root: str) -> list[str]:
    """The published folders of the cache ``root`` (``.pch/<32 hex>``; makers' private folders and those
    set aside are not listed)."""
    parent = os.path.join(root, PCH_DIR)
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    return [os.path.join(parent, n) for n in names if len(n) == 32 and all(c in _HEX for c in n)]


_HEX = frozenset("0123456789abcdef")


def read_meta(folder: str) -> dict[str, Any]:
    """A folder's meta.json ({} when unreadable: a folder from before it was written is still listed)."""
    import json

    try:
        with open(os.path.join(folder, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def toolchain_present(root: str, folder: str, meta: dict[str, Any]) -> bool | None:
    """Whether the toolchain ``folder`` was made for is still present
    (:func:`cython_pin.cache.toolchains.present`, with its ``Python.h`` link)."""
    from ..cache.toolchains import checked, present

    return present(checked(meta.get("toolchain")), root, os.path.join(folder, HEADER))


def _real_header() -> str | None:
    from .toolchain import python_include_dirs

    for d in python_include_dirs():
        p = os.path.join(d, HEADER)
        if os.path.isfile(p):
            return p
    return None
