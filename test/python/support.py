"""Helpers shared by the Python test modules (imported as ``support``; pytest.ini puts test/python on the
path)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HELPER = os.path.join(REPO, "python_helper")

SQUARE = "def f(int n):\n    return n*n\n"


def run_py(code: str, *, cwd: str | None = None, env: dict[str, str] | None = None, timeout: float = 120):
    """Run ``code`` in a fresh interpreter with cython_pin importable; return CompletedProcess."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = HELPER + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def live_processes(*, parent: int | None = None, group: int | None = None, marker: str = "") -> list[int]:
    """Pids of the processes (zombies, waiting to be reaped, left out) with that parent pid and/or process
    group whose command line contains ``marker``, read from /proc."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                state, ppid, pgrp = f.read().rsplit(")", 1)[1].split()[:3]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if state == "Z" or marker not in cmdline:
            continue
        if (parent is None or int(ppid) == parent) and (group is None or int(pgrp) == group):
            found.append(int(pid))
    return found


def open_helper_comm(kc: Any) -> str:
    """Activate cython_pin in the kernel behind the jupyter_client ``kc`` as the extension does, and open
    its comm; the comm id."""
    import uuid

    reply = kc.execute(
        "",
        silent=True,
        store_history=False,
        user_expressions={"activate": "__import__('cython_pin.kernel', fromlist=['activate']).activate()"},
        reply=True,
        timeout=60,
    )
    assert reply["content"]["user_expressions"]["activate"]["data"]["text/plain"] == "1"
    comm_id = uuid.uuid4().hex
    kc.shell_channel.send(
        kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "cython_pin", "data": {}})
    )
    return comm_id


def build_servers(runtime_dir: str, *, children: bool = False) -> list[int]:
    """Pids of the live build servers whose sockets are in ``runtime_dir`` (their XDG_RUNTIME_DIR), found
    by the marker in their environment: they are nobody's children. ``children``: their build children
    (forked, so marked too) as well."""
    from cython_pin.server.protocol import MARKER_ENV

    found: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
            with open(f"/proc/{pid}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if (
            state != "Z"
            and MARKER_ENV.encode() in env
            and env.get(b"XDG_RUNTIME_DIR") == runtime_dir.encode()
        ):
            found[int(pid)] = int(ppid)
    return sorted(p for p, pp in found.items() if children or pp not in found)


def stop_build_servers(runtime_dir: str) -> None:
    """Kill the build servers of ``runtime_dir`` (and their build children: their own groups)."""
    import signal

    for pid in build_servers(runtime_dir, children=True):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
