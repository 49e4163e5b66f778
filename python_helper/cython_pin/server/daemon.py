"""The build server process: ``python -m cython_pin.server --cache-dir ROOT --name NAME [--token T]``.

It holds ``NAME.lock`` for its whole life (a second server of the same name exits at once: a start race
ends with one server), listens on ``NAME.sock`` in its private folder, refuses peers of another uid
(``SO_PEERCRED``), imports Cython's compiler once, then serves; while its first build runs it runs Cython
once itself, so the builds after it start warm. One thread, one select loop: each build runs in a child
forked from this warm process (so builds run side by side with their own working folder, environment and
captured output), foreground builds at once, builds ahead at a lower priority and only
while fewer than the cores are busy. It exits after a set idle time (``CYTHON_PIN_BUILD_SERVER_IDLE_S``).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from typing import TYPE_CHECKING

from .protocol import dumps, idle_seconds, runtime_dir, socket_path

if TYPE_CHECKING:
    from typing import Any

AHEAD_NICE = 10  # below the kernels and the foreground builds
CANCEL_GRACE_S = 10.0  # a cancelled child that is still there after this is killed with its compilers


def log(text: str) -> None:
    """One line to the server's log (its stderr)."""
    sys.stderr.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} [{os.getpid()}] {text}\n")
    sys.stderr.flush()


class Connection:
    """One client connection: its input buffer and the build it asked for."""

    def __init__(self, sock: socket.socket, peer_pid: int) -> None:
        self.sock, self.peer_pid = sock, peer_pid
        self.buf = b""
        self.build: Build | None = None

    def send(self, msg: dict[str, Any]) -> None:
        """One message to the client (a client that went away is noticed by the select loop)."""
        try:
            self.sock.sendall(dumps(msg))
        except OSError:
            pass


class Build:
    """One build request and, once started, the child running it."""

    def __init__(self, conn: Connection, msg: dict[str, Any]) -> None:
        self.conn, self.msg = conn, msg
        self.ahead = msg.get("mode") == "ahead"
        self.pid = 0
        self.pipe = -1
        self.buf = b""
        self.finished = False
        self.cancelled = False
        self.cancel_deadline: float | None = None


class Server:
    """The select loop and the build queue."""

    def __init__(self, listener: socket.socket, path: str, ident: dict[str, Any], idle_s: float) -> None:
        self.listener, self.path, self.ident, self.idle_s = listener, path, ident, idle_s
        self.sel = selectors.DefaultSelector()
        self.sel.register(listener, selectors.EVENT_READ, None)
        self.queue: list[Build] = []
        self.running: list[Build] = []  # started and not finished (result not yet received)
        self.children: dict[int, Build] = {}  # pipe fd -> build, until the child's pipe closes
        self.slots = os.cpu_count() or 1
        self.last_activity = time.monotonic()
        self.retired = False
        self.lock_fd = -1
        self.socket_inode = 0
        self.cython_warm = False
        self.token = ""  # the token of the client that started it: that client knows its own server

    def serve(self) -> None:
        """Serve until idle (or retired and done)."""
        while True:
            for key, _mask in self.sel.select(timeout=0.5):
                if key.fileobj is self.listener:
                    self._accept()
                elif isinstance(key.data, Connection):
                    self._read_client(key.data)
                elif isinstance(key.data, Build):
                    self._read_child(key.data)
            self._enforce_cancels()
            self._start_builds()
            if self.running or self.queue or self.children:
                self.last_activity = time.monotonic()
                continue
            why = self._why_leave()
            if why:
                log(f"{why}: exiting")
                self._stop_listening()
                return

    def _why_leave(self) -> str:
        """Why the server, with nothing to do, should exit now ("" to stay)."""
        if self.retired:
            return "retired"
        if time.monotonic() - self.last_activity > self.idle_s:
            return "idle"
        try:  # its socket file removed or replaced (e.g. its folder deleted): nobody can reach it any more
            if os.stat(self.path).st_ino != self.socket_inode:
                return "socket replaced"
        except OSError:
            return "socket gone"
        return ""

    def _stop_listening(self) -> None:
        if self.lock_fd < 0:  # done already
            return
        try:
            self.sel.unregister(self.listener)
        except (KeyError, ValueError):
            pass
        self._unlink_own_socket()
        self.listener.close()
        if self.lock_fd >= 0:
            os.close(self.lock_fd)  # a new server may start now
            self.lock_fd = -1

    def _unlink_own_socket(self) -> None:
        """Remove the socket file if it is still ours (a newer server may listen under the name)."""
        try:
            if os.stat(self.path).st_ino == self.socket_inode:
                os.unlink(self.path)
        except OSError:
            pass

    def _accept(self) -> None:
        try:
            sock, _addr = self.listener.accept()
        except OSError:
            return
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", creds)
        if uid != os.getuid():
            log(f"refused a connection from uid {uid} (pid {pid})")
            sock.close()
            return
        sock.settimeout(10.0)
        conn = Connection(sock, pid)
        self.sel.register(sock, selectors.EVENT_READ, conn)
        self.last_activity = time.monotonic()

    def _close_client(self, conn: Connection) -> None:
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        b = conn.build
        if b is not None and not b.finished:  # nobody waits for it any more
            self._cancel(b)

    def _read_client(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(1 << 16)
        except OSError:
            data = b""
        if not data:
            self._close_client(conn)
            return
        conn.buf += data
        while b"\n" in conn.buf:
            line, conn.buf = conn.buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            self._on_message(conn, msg)

    def _on_message(self, conn: Connection, msg: dict[str, Any]) -> None:
        op = msg.get("op")
        if op == "hello":
            conn.send({"op": "hello", "identity": self.ident, "pid": os.getpid(), "started_by": self.token})
        elif op == "build" and conn.build is None and not self.retired:
            conn.build = Build(conn, msg)
            self.queue.append(conn.build)
        elif op == "cancel" and conn.build is not None:
            self._cancel(conn.build)
        elif op == "retire":
            log(f"retired by pid {conn.peer_pid} (another version or toolchain)")
            self.retired = True
            self._stop_listening()
            conn.send({"op": "retired"})

    def _cancel(self, b: Build) -> None:
        if b in self.queue:
            self.queue.remove(b)
            self._finish(b, {"op": "error", "type": "Cancelled", "message": "the build was cancelled"})
        elif b.pid and not b.finished and not b.cancelled:
            b.cancelled = True
            b.cancel_deadline = time.monotonic() + CANCEL_GRACE_S
            try:
                os.kill(b.pid, signal.SIGUSR1)
            except OSError:
                pass

    def _enforce_cancels(self) -> None:
        now = time.monotonic()
        for b in self.running:
            if b.cancel_deadline is not None and now > b.cancel_deadline:
                b.cancel_deadline = None
                try:
                    os.killpg(b.pid, signal.SIGKILL)
                except OSError:
                    pass

    def _start_builds(self) -> None:
        for b in list(self.queue):
            if b.ahead and (len(self.running) >= self.slots or any(not q.ahead for q in self.queue)):
                continue  # a build ahead waits for a free core, and never goes before a foreground build
            self.queue.remove(b)
            try:
                self._fork(b)
            except OSError as e:  # out of processes or memory: this build fails, the server goes on
                log(f"could not fork a build: {e}")
                why = f"the build server could not start a build process: {e}"
                self._finish(b, {"op": "error", "type": "ServerError", "message": why})
                continue
            self._warm_for_next(b.msg.get("root"))

    def _warm_for_next(self, root: object) -> None:
        """What this process does while a child it just forked builds, so the children forked after it
        start warm: one Cython run (its first run in a process loads and parses Cython's utility code) and
        the check of the cache's precompiled headers (each is then checked once, not once per build)."""
        from ..build import pch

        if not self.cython_warm:
            self.cython_warm = True
            from ..build.builder import warm_up_cython

            try:
                # in the server's private folder, under its name: held by one server at a time, and what a
                # killed one left is replaced by the next
                warm_up_cython(self.path.removesuffix(".sock") + ".warm")
                log("warm: Cython has run once; the builds forked from now on start warm")
            except Exception as e:  # noqa: BLE001 - a build reports a broken Cython properly
                log(f"warm-up compile: {type(e).__name__}: {e}")
        if isinstance(root, str):
            pch.check_all(root)

    def _fork(self, b: Build) -> None:
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            raise
        if pid == 0:  # the child: build, report, go
            code = 1
            try:
                os.close(r)
                os.setpgid(0, 0)  # its own group: a cancel or the server's death reaches its compilers
                from .runner import die_with_parent, run

                die_with_parent()
                if os.getppid() == 1:
                    os._exit(1)
                os.closerange(3, w)
                os.closerange(w + 1, 1 << 16)
                if b.ahead:
                    os.nice(AHEAD_NICE)
                out = os.fdopen(w, "wb")  # buffered: a write cut short (a signal) is finished, not lost
                sending = threading.Lock()  # a build's threads report too: one whole line at a time

                def send(m: dict[str, Any]) -> None:
                    with sending:
                        out.write(dumps(m))
                        out.flush()

                run(b.msg, send)
                _join_threads()
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child did it first
        b.pid, b.pipe = pid, r
        self.running.append(b)
        self.children[r] = b
        self.sel.register(r, selectors.EVENT_READ, b)
        log(
            f"build {'ahead ' if b.ahead else ''}{str(b.msg.get('key'))[:16]} for pid {b.conn.peer_pid}: "
            f"child {pid}"
        )

    def _read_child(self, b: Build) -> None:
        try:
            data = os.read(b.pipe, 1 << 16)
        except OSError:
            data = b""
        if data:
            b.buf += data
            while b"\n" in b.buf:
                line, b.buf = b.buf.split(b"\n", 1)
                try:
                    msg = json.loads(line)
                except ValueError:  # not the child's protocol: its outcome still comes, or its exit says it
                    key = str(b.msg.get("key"))[:16]
                    log(f"build {key}: unreadable line from child {b.pid}: {line[:200]!r}")
                    continue
                if msg.get("op") == "stage":
                    b.conn.send(msg)
                else:
                    self._finish(b, msg)
            return
        self.sel.unregister(b.pipe)
        os.close(b.pipe)
        del self.children[b.pipe]
        try:  # what is left in its group (a killed compiler's own children): the zombie still holds the id
            os.killpg(b.pid, signal.SIGKILL)
        except OSError:
            pass
        _pid, status = os.waitpid(b.pid, 0)
        if not b.finished and b.cancelled:  # killed on a cancel before it could say so
            self._finish(b, {"op": "error", "type": "Cancelled", "message": "the build was cancelled"})
        elif not b.finished:
            why = (
                f"signal {os.WTERMSIG(status)}"
                if os.WIFSIGNALED(status)
                else f"status {os.WEXITSTATUS(status)}"
            )
            self._finish(
                b,
                {"op": "error", "type": "ServerError", "message": f"the build process stopped ({why})"},
            )

    def _finish(self, b: Build, msg: dict[str, Any]) -> None:
        b.finished = True
        if b in self.running:
            self.running.remove(b)
        b.conn.send(msg)
        self.last_activity = time.monotonic()


def _join_threads() -> None:
    """Wait for the build's non-daemon threads (a precompiled header being published)."""
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()


def _warm_up() -> None:
    """Import what a build needs now, so no build pays for it."""
    import importlib

    for name in (
        "Cython.Compiler.Main",
        "Cython.Compiler.Pipeline",
        "Cython.Compiler.ParseTreeTransforms",
        "Cython.Compiler.Builtin",
        "Cython.Compiler.CythonScope",
        "Cython.Compiler.ModuleNode",
        "cython_pin.build.cold",
        "cython_pin.build.builder",
        "cython_pin.engine",
        "cython_pin.build.options",
        "cython_pin.build.package",
        "cython_pin.cache.keys",
        "cython_pin.build.headers",
        "cython_pin.report.annotation",
        "cython_pin.ahead.build",
        "cython_pin.server.runner",
        "cython_pin.build.progress",
        "cython_pin.build.shared_utility",
        "cython_pin.build.pch",
        "cython_pin.build.c_sources",
        "cython_pin.build.numpy_detect",
        "cython_pin.build.openmp",
        "cython_pin.build.module_effects",
        "cython_pin.build.toolchain",
        "cython_pin.cache.entries",
        "cython_pin.cache.budget",
        "cython_pin.cache.atomic",
        "cython_pin.cache.toolchains",
        "cython_pin.pins.registry",
        "cython_pin.report.c_diagnostics",
        "ctypes",  # each child asks for its parent-death signal through it
        "shlex",
    ):
        try:
            importlib.import_module(name)
        except ImportError as e:  # a build reports it properly (e.g. Cython is not installed)
            log(f"warm-up: {e}")


def main(argv: list[str] | None = None) -> None:
    """Take the server lock (or leave: a server of this name is running), listen, warm up, serve."""
    import argparse
    import fcntl

    from .protocol import identity

    p = argparse.ArgumentParser(prog="python -m cython_pin.server")
    p.add_argument("--cache-dir", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--token", default="")
    args = p.parse_args(argv)
    if os.fork() > 0:  # the starting kernel reaps this parent at once: the server is nobody's child
        os._exit(0)
    directory = runtime_dir(args.cache_dir)
    lock_fd = os.open(os.path.join(directory, args.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return  # another server of this name is running or starting: it serves
    path = socket_path(directory, args.name)
    try:
        os.unlink(path)  # a dead server's socket (we hold the lock: no live server owns it)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    listener.listen(64)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server = Server(listener, path, identity(args.cache_dir), idle_seconds())
    server.lock_fd = lock_fd
    server.token = args.token
    server.socket_inode = os.stat(path).st_ino
    log(f"listening on {path} (idle exit after {server.idle_s:g} s)")
    import gc

    # Importing Cython's compiler makes many long-lived objects: the collections they would trigger find
    # nothing to free. Frozen after, they are never scanned again, here or in the children forked from here.
    gc.disable()
    try:
        _warm_up()
    finally:
        gc.freeze()
        gc.enable()
    log(f"warm-up imports done ({gc.get_freeze_count()} objects frozen)")
    server.serve()
