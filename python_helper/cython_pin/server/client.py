"""The kernel's side of the build server: find the server for this user, cache and toolchain (start it if
there is none, replace it if it is of another version), send it a cold build, relay its stages as
``build_progress`` and give back its result, or raise its BuildError again.

Nothing here imports Cython. A kernel interrupt while waiting cancels the build in the server; a server
that dies mid-build is replaced once (a second death is reported as an error).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import TYPE_CHECKING

from .protocol import (
    MARKER_ENV,
    dumps,
    enabled,
    encode_value,
    identity,
    log_path,
    runtime_dir,
    server_name,
    socket_path,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from ..build.job import Job

LOG_LIMIT = 1 << 20  # bytes of server log kept before a new server starts a fresh one
START_TIMEOUT_S = 60.0  # the server says hello once it has imported Cython's compiler


class ServerError(RuntimeError):
    """The build server could not be reached, or stopped during the build twice."""


def build(job: Job) -> tuple[dict[str, Any], dict[str, float]]:
    """The engine's cold build (caller holds the key lock): in the build server, or in this process when
    the server is turned off (``CYTHON_PIN_BUILD_SERVER=0``) or the job cannot travel (PGO trains the
    module in the build's own process)."""
    msg = _request_for(job) if enabled() else None
    if msg is None:
        from ..build.cold import build as build_here

        return build_here(job)
    from ..build import progress

    def on_stage(stage: str, diagnostics: list[dict[str, Any]]) -> None:
        from ..report.diagnostics import Diagnostic

        progress.stage(stage, job.key, job.name, job.t0, [Diagnostic.from_json(d) for d in diagnostics])

    reply = request(job.root, msg, on_stage)
    if reply.get("stdout"):
        print(reply["stdout"], end="")
    _warn_again(reply.get("warnings") or [])
    if reply["op"] == "error":
        raise rebuild_error(reply)
    job.log.append(reply.get("log", ""))
    return reply["meta"], {k: float(v) for k, v in reply["timings"].items()}


def _warn_again(caught: list[dict[str, str]]) -> None:
    """The warnings the server's build emitted, emitted here, where the user sees them."""
    import builtins
    import warnings

    for w in caught:
        category = getattr(builtins, w.get("category", ""), None)
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = UserWarning
        warnings.warn(w.get("message", ""), category, stacklevel=3)


def _request_for(job: Job) -> dict[str, Any] | None:
    """The build request for ``job``, or None when it must be built here."""
    if job.spec is None or job.build_opts is not None or job.after_build is not None or job.opts.pgo:
        return None
    try:
        opts = encode_value(dict(job.opts.__dict__))
    except TypeError:
        return None
    return {
        "op": "build",
        "mode": "build",
        "spec": job.spec,
        "key": job.key,
        "root": job.root,
        "opts": opts,
        "numpy_used": job.numpy_used,
        "meta_extra": job.meta_extra,
        "extra_timings": job.extra_timings,  # the kernel's waits so far: the build adds its own
        "t_hash": job.t_hash,
        **kernel_context(),
    }


def kernel_context() -> dict[str, Any]:
    """What a build in the server takes from this process: environment, working folder, module path."""
    return {
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "sys_path": [p for p in sys.path if isinstance(p, str)],
    }


def rebuild_error(reply: dict[str, Any]) -> BaseException:
    """The exception the server's build raised, as this process would have raised it."""
    kind, message = reply.get("type", ""), str(reply.get("message", ""))
    if kind == "BuildError":
        from ..errors import BuildError
        from ..report.diagnostics import Diagnostic

        return BuildError(
            message,
            diagnostics=[Diagnostic.from_json(d) for d in reply.get("diagnostics", [])],
            output=reply.get("output", ""),
            log=reply.get("log", ""),
            key=reply.get("key"),
            module_name=reply.get("module_name"),
            stage=reply.get("stage", ""),
            timings=reply.get("timings"),
        )
    if kind == "NumpyNeeded":
        from ..build.numpy_detect import NumpyNeeded

        return NumpyNeeded(message)
    if kind == "Cancelled":
        return KeyboardInterrupt()
    import builtins

    from .. import errors
    from ..cache import locks

    for where in (errors, locks, builtins):  # cython_pin's own (e.g. LockTimeout), then Python's
        cls = getattr(where, kind, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls(message)
    return ServerError(f"the build server's build failed: {kind}: {message}")


def request(
    root: str, msg: dict[str, Any], on_stage: Callable[[str, list[dict[str, Any]]], None]
) -> dict[str, Any]:
    """Send ``msg`` to the server for ``root`` and wait for its outcome, relaying stages to ``on_stage``.
    A server that dies meanwhile is replaced once and the request sent again."""
    for attempt in (1, 2):
        sock = connect(root)
        try:
            sock.sendall(dumps(msg))
            reply = _wait(sock, on_stage)
        finally:
            sock.close()
        if reply is not None:
            return reply
        if attempt == 2:
            break
    raise ServerError(
        "the build server stopped twice during this build; see its log in "
        f"{runtime_dir(root)} (or set CYTHON_PIN_BUILD_SERVER=0 to build in the kernel)"
    )


def _wait(
    sock: socket.socket, on_stage: Callable[[str, list[dict[str, Any]]], None]
) -> dict[str, Any] | None:
    """The final message from the server, or None if the connection closed first."""
    reader = _Lines(sock)
    try:
        while True:
            msg = reader.next()
            if msg is None:
                return None
            if msg.get("op") == "stage":
                on_stage(str(msg.get("stage")), msg.get("diagnostics") or [])
            else:
                return msg
    except KeyboardInterrupt:
        try:  # cancel it there, and wait a little for its compilers to be stopped (the key lock is ours)
            sock.sendall(dumps({"op": "cancel"}))
            sock.settimeout(15.0)
            while (msg := reader.next()) is not None and msg.get("op") == "stage":
                pass
        except OSError:
            pass
        raise


def read_messages(sock: socket.socket) -> Iterator[dict[str, Any]]:
    """The messages on ``sock`` until it closes."""
    reader = _Lines(sock)
    while (msg := reader.next()) is not None:
        yield msg


class _Lines:
    """JSON lines read from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buf = sock, b""

    def next(self) -> dict[str, Any] | None:
        import json

        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(1 << 16)
            except ConnectionError:
                data = b""
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        msg = json.loads(line)
        return msg if isinstance(msg, dict) else {}


_identities: dict[str, dict[str, Any]] = {}


def connect(root: str) -> socket.socket:
    """A connection to this process's server for ``root``, started (or replaced) if need be."""
    ident = _identities.get(root)
    if ident is None:  # once per process: the code this process runs does not change under it
        ident = _identities[root] = identity(root)
    directory = runtime_dir(root)
    name = server_name(ident)
    path = socket_path(directory, name)
    deadline = time.monotonic() + START_TIMEOUT_S
    started: set[str] = set()  # the tokens of the servers this call started
    while True:
        sock = _hello(path, ident)
        if isinstance(sock, socket.socket):
            return sock
        if isinstance(sock, dict) and sock.get("started_by") in started:
            # The server this process just started describes itself otherwise (files changed under a running
            # kernel, an upgrade): starting another would not change that.
            theirs = sock["identity"] if isinstance(sock.get("identity"), dict) else {}
            what = "; ".join(
                "cython_pin's files changed since this process imported them"
                if k == "code"
                else f"{k} {theirs.get(k)!r}, this process {ident[k]!r}"
                for k in ident
                if theirs.get(k) != ident[k]
            )
            raise ServerError(
                f"the build server this process starts differs from it ({what}): restart the kernel, or "
                "set CYTHON_PIN_BUILD_SERVER=0 to build in the kernel"
            )
        if isinstance(sock, dict) or not started:  # another server under this name (other code) is replaced
            started.add(_spawn(root, directory, name))
        if time.monotonic() > deadline:
            raise ServerError(
                f"the build server did not start within {START_TIMEOUT_S:g} s; see its log "
                f"{log_path(directory, name)} (or set CYTHON_PIN_BUILD_SERVER=0: build in the kernel)"
            )
        time.sleep(0.02)


def _hello(path: str, ident: dict[str, Any]) -> socket.socket | dict[str, Any] | None:
    """A connection that passed the handshake, or why not: None (nobody listens) or the hello of the server
    of another identity that listened (it was asked to retire)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sock.sendall(dumps({"op": "hello", "identity": ident}))
        msg = _Lines(sock).next()
    except OSError:
        sock.close()
        return None
    if msg is None:  # it was exiting
        sock.close()
        return None
    if msg.get("identity") == ident:
        return sock
    try:
        sock.sendall(dumps({"op": "retire"}))
        _Lines(sock).next()
    except OSError:
        pass
    sock.close()
    return msg


def _spawn(root: str, directory: str, name: str) -> str:
    """Start a server (detached: its own session, stdio to its log); it leaves at once if another server
    of this name holds the lock, so racing kernels end up with one. Returns the token it says hello with."""
    import subprocess

    token = os.urandom(8).hex()

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env[MARKER_ENV] = name
    path = log_path(directory, name)
    try:
        if os.path.getsize(path) > LOG_LIMIT:
            os.replace(path, path + ".1")  # the previous servers' log, one generation kept
    except OSError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cython_pin.server",
                "--cache-dir",
                root,
                "--name",
                name,
                "--token",
                token,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            cwd=directory,
            start_new_session=True,  # a kernel interrupt (SIGINT to its group) is not for the server
        )
    proc.wait()  # the server forks itself away at once: it is nobody's child
    return token


def start_in_background(root: str | None = None) -> None:
    """Make sure a server is running for ``root`` (default: the default cache), without waiting for it."""
    if not enabled():
        return
    import threading

    def start() -> None:
        from ..cache.paths import ensure_root, get_cache_dir

        try:
            connect(ensure_root(get_cache_dir(root))).close()
        except (OSError, ServerError):
            pass  # the first build reports it

    threading.Thread(target=start, name="cython_pin-server-start", daemon=True).start()
