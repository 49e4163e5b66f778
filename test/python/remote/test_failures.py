"""A remote that refuses connections, hangs (SIGSTOP) or loses a writer mid-upload never fails a build, and
never leaves a manifest without its archive."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time

from conftest import FIGURES, WRITER, Nodes, Weed, expected, source
from cython_pin.remote import manifest as M

TIMEOUT = 2.0


def _upload(nodes: Nodes, weed: Weed, url: str, keys, tag: str) -> str:
    env = nodes.env(url, mode="read-write", sign=keys.priv, extra=weed.env(WRITER))
    return str(nodes.run(env, [{"op": "build", "source": source(tag)}, {"op": "flush"}])[0]["key"])


def test_refused_connection_is_bounded(nodes: Nodes, keys) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = nodes.env(
        "s3://team/refused",
        timeout=TIMEOUT,
        extra={
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
        },
    )
    rows = nodes.run(
        env,
        [
            {"op": "build", "source": source("refused-1")},
            {"op": "build", "source": source("refused-2")},
            {"op": "stats"},
        ],
    )
    first, second, stats = rows
    assert first["origin"] == "built" and first["value"] == expected("refused-1")
    assert [m for m in first["diagnostics"] if "unreachable" in m], first["diagnostics"]
    assert stats["stats"]["max_lookup_s"] <= TIMEOUT
    # the next build in the back-off window does not ask, and says nothing more
    assert second["origin"] == "built" and not second["diagnostics"]
    assert stats["stats"]["unreachable"] == 1 and stats["stats"]["skipped_backoff"] == 1
    FIGURES["refused_lookup_s"] = round(stats["stats"]["max_lookup_s"], 3)


def test_hung_server_is_bounded_then_recovers(nodes: Nodes, weed: Weed, s3url: str, keys, tmp_path) -> None:
    _upload(nodes, weed, s3url, keys, "hung-x")
    ykey = _upload(nodes, weed, s3url, keys, "hung-y")
    stopped, resumed = os.path.join(str(tmp_path), "stopped"), os.path.join(str(tmp_path), "resumed")
    env = nodes.env(s3url, timeout=TIMEOUT, extra={**weed.env(), "CYTHON_PIN_REMOTE_BACKOFF": "1"})
    proc = nodes.start(
        env,
        [
            {"op": "wait_file", "path": stopped},
            {"op": "build", "source": source("hung-x")},
            {"op": "touch", "path": os.path.join(str(tmp_path), "built")},
            {"op": "wait_file", "path": resumed},
            {"op": "sleep", "s": 1.1},  # the back-off after one failure
            {"op": "build", "source": source("hung-y")},
            {"op": "stats"},
        ],
    )
    os.kill(weed.proc.pid, signal.SIGSTOP)
    try:
        open(stopped, "w").close()
        deadline = time.monotonic() + 120
        while not os.path.exists(os.path.join(str(tmp_path), "built")) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.kill(weed.proc.pid, signal.SIGCONT)
    open(resumed, "w").close()
    _w0, hung, _t, _w, _s, recovered, stats = nodes.finish(proc)
    assert hung["origin"] == "built" and hung["value"] == expected("hung-x")
    assert [m for m in hung["diagnostics"] if "unreachable" in m]
    bound = stats["stats"]["max_lookup_s"]  # the hung lookup (the later one answered at once)
    assert TIMEOUT * 0.9 <= bound <= TIMEOUT + 0.05, bound  # + thread wake-up on a loaded machine
    assert recovered["origin"] == "remote" and recovered["key"] == ykey
    assert stats["stats"]["unreachable"] == 1 and stats["stats"]["hits"] == 1
    FIGURES["hung_lookup_bound_s"] = round(bound, 3)
    FIGURES["remote_timeout_s"] = TIMEOUT


class StallingProxy:
    """A TCP proxy to the S3 port that forwards everything until it sees an archive PUT, then holds that
    request (the server never gets it whole) so the test can kill the writer mid-upload."""

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.stalled = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            u = socket.create_connection(("127.0.0.1", self.upstream))
            self.conns += [c, u]
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, to_server: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if to_server and data.startswith(b"PUT ") and b"/archives/" in data.split(b"\r\n", 1)[0]:
                    self.stalled.set()
                    return  # hold it: nothing more is forwarded on this connection
                dst.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def test_kill_during_upload_leaves_no_manifest(nodes: Nodes, weed: Weed, s3url: str, keys) -> None:
    proxy = StallingProxy(weed.port)
    try:
        env = nodes.env(
            s3url,
            mode="read-write",
            sign=keys.priv,
            timeout=30,
            extra={**weed.env(WRITER), "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{proxy.port}"},
        )
        proc = nodes.start(
            env, [{"op": "build", "source": source("killed")}, {"op": "flush", "timeout": 120}]
        )
        assert proxy.stalled.wait(120), "the upload never started"
        proc.kill()
        out, _err = proc.communicate(timeout=30)
    finally:
        proxy.close()
    key = json.loads(out.splitlines()[0])["key"]
    admin = weed.admin(s3url)
    assert admin.get(M.manifest_path(M.abi_tag(), key)) is None
    # the store is fine: another writer uploads the same key, and a reader gets it
    _upload(nodes, weed, s3url, keys, "killed")
    assert admin.get(M.manifest_path(M.abi_tag(), key)) is not None
    hit = nodes.run(
        nodes.env(s3url, extra=weed.env(), refuse_cc=True), [{"op": "build", "source": source("killed")}]
    )
    assert hit[0]["origin"] == "remote"
    FIGURES["killed_upload_manifests"] = 0
