"""Helpers for the reliability suite: session temp dir, a logging compiler wrapper, the golden cache,
subprocess runners, file-tree snapshots, and the figures printed at the end of the run."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import cython_pin

# Where the cython_pin under test lives (the source tree or the installed wheel): subprocesses use the same.
CP_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(cython_pin.__file__)))

FIGURES: dict[str, Any] = {}
NOTES: list[str] = []
# Cases that are not made safe (printed in the closing note of every run).
NOT_SAFE = [
    "force_rebuild killed between moving the old entry to the trash and renaming the new one in: the key has "
    "no entry (never a half one) until the next build; a pin to it fails with 'rebuild' until then "
    "(an atomic swap needs renameat2(RENAME_EXCHANGE)).",
    "someone who rewrites both an artifact and its sha256 in meta.json is trusted: the check catches "
    "corruption and accidents, not an attacker who can write to the cache folder.",
    "ENOSPC on a build or pins write is a plain OSError '[Errno 28] No space left on device' (errno set, "
    "often without the path); nothing is left half-written.",
    "module_name of a third-party package that is installed but not yet imported (e.g. 'requests') is "
    "accepted and would shadow a later import in that process; stdlib, keywords and imported names are "
    "refused.",
]
_STATE: dict[str, Any] = {}

SRC_A = "def f(int n):\n    return n*n\n\ndef tag():\n    return 'A'\n"
SRC_B = "def f(int n):\n    return n*n + 1\n\ndef tag():\n    return 'B'\n"


def figure(name: str, value: Any) -> None:
    FIGURES[name] = value


def add(name: str, n: int) -> None:
    FIGURES[name] = FIGURES.get(name, 0) + n


def note(text: str) -> None:
    if text not in NOTES:
        NOTES.append(text)


def figures_line() -> str:
    order = [
        "processes",
        "operations",
        "kills",
        "pin_kills",
        "cases",
        "lost",
        "compiles_in_race",
        "race_processes",
    ]
    keys = [k for k in order if k in FIGURES] + sorted(k for k in FIGURES if k not in order)
    return "reliability: " + " ".join(f"{k}={FIGURES[k]}" for k in keys)


def session_tmp() -> str:
    if "tmp" not in _STATE:
        _STATE["tmp"] = tempfile.mkdtemp(prefix="cython_pin_reliability_")
    return _STATE["tmp"]


def cleanup_session() -> None:
    for z in _STATE.pop("zygotes", []):
        z.close()
    d = _STATE.pop("tmp", None)
    if d:
        shutil.rmtree(d, ignore_errors=True)


def cc_wrapper() -> str:
    """A compiler wrapper (``CC``): logs each compile+link to $REL_CC_LOG, touches $REL_CC_MARK, then execs
    the real compiler. The engine honours ``CC``, so builds in subprocesses can be counted and timed."""
    if "cc" in _STATE:
        return _STATE["cc"]
    import sysconfig

    real = shlex.split(sysconfig.get_config_var("CC") or "cc")
    path = os.path.join(session_tmp(), "cc-wrapper.sh")
    with open(path, "w") as f:
        f.write(
            "#!/bin/sh\n"
            'case " $* " in\n'
            '  *" -o "*)\n'
            '    if [ -n "$REL_CC_LOG" ]; then echo "$$" >> "$REL_CC_LOG"; fi\n'
            '    if [ -n "$REL_CC_MARK" ]; then : > "$REL_CC_MARK"; fi\n'
            "    ;;\n"
            "esac\n"
            f'exec {" ".join(shlex.quote(w) for w in real)} "$@"\n'
        )
    os.chmod(path, 0o755)
    _STATE["cc"] = path
    return path


def sub_env(extra: dict[str, str] | None = None, cc: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = CP_PARENT + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("CYTHON_PIN_CACHE_DIR", None)  # every call below passes cache_dir explicitly
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if cc:
        env["CC"] = cc_wrapper()
    env.update(extra or {})
    return env


def run_py(
    code: str, *, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=sub_env(env), capture_output=True, text=True, timeout=timeout
    )


def popen_py(code: str, *, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=sub_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def last_json(p: subprocess.CompletedProcess | tuple[str, str], what: str = "") -> Any:
    out, err = (p.stdout, p.stderr) if isinstance(p, subprocess.CompletedProcess) else p
    lines = [ln for ln in out.strip().splitlines() if ln.startswith("{") or ln.startswith("[")]
    assert lines, f"{what}: no JSON output. stdout={out[-2000:]!r} stderr={err[-4000:]!r}"
    return json.loads(lines[-1])


@dataclass
class Golden:
    root: str
    key_a: str
    key_b: str


def make_golden(tmp: str) -> Golden:
    """Two real builds (SRC_A, SRC_B), built by two processes at once, with the CC wrapper."""
    root = os.path.join(tmp, "golden")
    code = (
        "import json, sys, cython_pin\n"
        "src = sys.argv[1]\n"
        f"r = cython_pin.compile_and_load_result(src, cache_dir={root!r})\n"
        "print(json.dumps({'key': r.key, 'v': r.module.f(3)}))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, src],
            env=sub_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for src in (SRC_A, SRC_B)
    ]
    keys = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        keys.append(last_json((out, err), "golden build")["key"])
    return Golden(root, keys[0], keys[1])


# ---------------------------------------------------------------- file-tree snapshots


def snapshot(path: str, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """relative path -> sha256 (files), 'dir' (dirs) or 'link:<target>' under ``path``."""
    out: dict[str, str] = {}
    for dirpath, dirs, files in os.walk(path):
        rel_dir = os.path.relpath(dirpath, path)
        if any(rel_dir == s or rel_dir.startswith(s + os.sep) for s in skip):
            dirs[:] = []
            continue
        for d in dirs:
            rel = os.path.normpath(os.path.join(rel_dir, d))
            if not any(rel == s or rel.startswith(s + os.sep) for s in skip):
                out[rel] = "dir"
        for n in files:
            p = os.path.join(dirpath, n)
            rel = os.path.normpath(os.path.join(rel_dir, n))
            if any(rel == s or rel.startswith(s + os.sep) for s in skip):
                continue
            if os.path.islink(p):
                out[rel] = "link:" + os.readlink(p)
                continue
            with open(p, "rb") as f:
                out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def entries_and_pins(root: str) -> dict[str, str]:
    """Snapshot of what must never change under bad input: the entry folders and the pins (not the
    toolchain's memo and precompiled headers, which any build attempt may make)."""
    snap = snapshot(root, skip=(".staging", ".locks", ".trash", "toolchain.json", ".pch", ".budget-checked"))
    return {k: v for k, v in snap.items() if not k.endswith(".tmp")}


def pin_files(root: str) -> dict[str, bytes]:
    """The pins as stored: every ``pins/<alias>.json`` and index name (``by-key/<key>/<alias>``) with its
    bytes; temporary files of writers left out."""
    folder = os.path.join(root, "pins")
    out = {}
    for d, _, files in os.walk(folder):
        for n in files:
            if not n.endswith(".tmp"):
                with open(os.path.join(d, n), "rb") as f:
                    out[os.path.relpath(os.path.join(d, n), folder)] = f.read()
    return out


def pin_temp_files(root: str) -> list[str]:
    """Temporary files of pin writers (left only by writers that were killed)."""
    folder = os.path.join(root, "pins")
    return [n for n in os.listdir(folder) if n.endswith(".tmp")] if os.path.isdir(folder) else []


def wait_for(pred, timeout: float, step: float = 0.005) -> bool:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
