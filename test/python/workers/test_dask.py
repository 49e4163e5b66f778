"""Dask distributed with a real ``dask scheduler`` and ``dask worker`` processes, each worker a "node" with
its own environment: the user's cache shared, a compiler and nothing else, neither (an error naming the
build, then ``register(client)`` with no compiler run), the team cache (file:// store, keys from ``keygen``)
with no compiler run. The scheduler is a node with neither too: it never needs the binary for functions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import cython_pin
import pytest
from conftest import BASE, CACHE, Node, expected, source
from tasks import loaded_builds, total

distributed = pytest.importorskip("distributed")
DASK = os.path.join(os.path.dirname(sys.executable), "dask")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A scheduler and named workers, each a process started with its node's environment."""

    def __init__(self, scheduler: Node) -> None:
        self.address = f"tcp://127.0.0.1:{_port()}"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.nodes: dict[str, Node] = {}
        port = self.address.rsplit(":", 1)[1]
        self._start(scheduler, [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"])
        self.client = distributed.Client(self.address, timeout=60)

    def _start(self, node: Node, argv: list[str]) -> None:
        log = open(os.path.join(node.dir, f"dask-{len(self.procs)}.log"), "wb")  # noqa: SIM115
        self.procs.append(subprocess.Popen(argv, env=node.env, stdout=log, stderr=subprocess.STDOUT))

    def add_worker(self, name: str, node: Node) -> None:
        self.nodes[name] = node
        local = os.path.join(node.dir, f"dask-{name}")
        self._start(
            node,
            [DASK, "worker", self.address, "--name", name, "--nthreads", "1", "--nworkers", "1",
             "--no-nanny", "--no-dashboard", "--local-directory", local],
        )  # fmt: skip

    def wait(self) -> None:
        self.client.wait_for_workers(len(self.nodes), timeout=120)

    def run(self, fn: object, *args: object, on: str) -> object:
        return self.client.submit(fn, *args, workers=[on], pure=False).result(timeout=120)

    def stop(self) -> None:
        """The workers first, then the scheduler: a worker told to stop while the scheduler closes can hang
        in Dask's own shutdown until it is killed."""
        self.client.close()
        for group in (self.procs[1:], self.procs[:1]):
            for p in group:
                p.send_signal(signal.SIGTERM)
            for p in group:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)


def _keys(base: str) -> tuple[str, str]:
    """(signing key, trusted-keys file) made with ``python -m cython_pin keygen``."""
    p = subprocess.run(
        [sys.executable, "-m", "cython_pin", "keygen", base], capture_output=True, text=True, check=True
    )
    private = next(
        line.split(": ", 1)[1].split(" (")[0] for line in p.stderr.splitlines() if "private" in line
    )
    trusted = os.path.join(base, "trusted_keys")
    with open(trusted, "w", encoding="utf-8") as f:
        f.write(p.stdout)
    return private.strip(), trusted


@pytest.fixture(scope="module")
def team() -> dict[str, str]:
    base = os.path.join(BASE, "team")
    os.makedirs(os.path.join(base, "store"))
    signing, trusted = _keys(base)
    return {
        "CYTHON_PIN_REMOTE": "file://" + os.path.join(base, "store"),
        "CYTHON_PIN_TRUSTED_KEYS": trusted,
        "CYTHON_PIN_SIGNING_KEY": signing,
    }


@pytest.fixture(scope="module")
def cluster(team: dict[str, str]):  # noqa: ANN201
    read_only = {k: v for k, v in team.items() if k != "CYTHON_PIN_SIGNING_KEY"}
    c = Cluster(Node(compiler=False))
    c.add_worker("shared", Node(shared_cache=True, compiler=False))
    c.add_worker("compiler", Node(compiler=True))
    c.add_worker("bare", Node(compiler=False))
    c.add_worker("team", Node(compiler=False, extra=read_only))
    try:
        c.wait()
        yield c
    finally:
        c.stop()


def test_worker_sharing_the_cache(cluster: Cluster) -> None:
    m = cython_pin.compile_and_load(source("dask-shared"))
    assert cluster.run(m.f, 7, on="shared") == expected("dask-shared")
    assert cluster.nodes["shared"].compiler_runs() == 0


def test_worker_with_only_a_compiler_rebuilds(cluster: Cluster) -> None:
    m = cython_pin.compile_and_load(source("dask-compiler"))
    assert cluster.run(m.f, 7, on="compiler") == expected("dask-compiler")
    assert cluster.nodes["compiler"].compiler_runs() >= 1


def test_worker_with_neither_gets_the_tasks_error_naming_the_build(cluster: Cluster) -> None:
    res = cython_pin.compile_and_load_result(source("dask-neither"))
    with pytest.raises(cython_pin.BuildUnavailableError) as e:
        cluster.run(res.module.f, 7, on="bare")
    assert res.module_name in str(e.value) and "register(client)" in str(e.value)


def test_team_cache_serves_a_worker_with_no_compiler(cluster: Cluster, team: dict[str, str]) -> None:
    res = cython_pin.compile_and_load_result(source("dask-team"))
    push = subprocess.run(
        [sys.executable, "-m", "cython_pin", "remote", "push", res.key],
        env=dict(os.environ, CYTHON_PIN_REMOTE_MODE="read-write", CYTHON_PIN_CACHE_DIR=CACHE, **team),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert push.returncode == 0, push.stderr
    assert cluster.run(res.module.f, 7, on="team") == expected("dask-team")
    assert cluster.nodes["team"].compiler_runs() == 0


def test_register_sends_builds_to_workers_with_neither(tmp_path: os.PathLike[str]) -> None:
    from cython_pin.distributed import register

    scheduler = Node(compiler=False)
    c = Cluster(scheduler)
    try:
        c.add_worker("bare1", Node(compiler=False))
        c.wait()
        early = cython_pin.compile_and_load_result(source("dask-register"), module_name="dask_registered")
        assert early.key in register(c.client)
        assert c.run(early.module.f, 7, on="bare1") == expected("dask-register")
        assert c.run(total, early.module.Acc(1), on="bare1") == 2
        late = cython_pin.compile_and_load(source("dask-register-late"))  # built after register: sent too
        c.add_worker("joined-later", Node(compiler=False))
        c.wait()
        assert c.run(late.f, 7, on="joined-later") == expected("dask-register-late")
        assert c.run(early.module.f, 1, on="joined-later") == expected("dask-register", 1)
        assert all(n.compiler_runs() == 0 for n in [scheduler, *c.nodes.values()])
        # the scheduler loaded only what a task's arguments needed (the instance's class), not late's build
        assert c.client.run_on_scheduler(loaded_builds) == ["dask_registered"]
    finally:
        c.stop()
