"""Team-cache integration fixtures: a real SeaweedFS S3 server on 127.0.0.1 (one read-write and one read-only
identity), file:// stores, signing keys, a compiler wrapper, and "nodes" (separate processes with separate
local caches). The suite's figures go to test-output/remote-figures.json."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
HELPER = os.path.join(REPO, "python_helper")
NODE = os.path.join(HERE, "node.py")
BUCKET = "team"
WRITER = ("WRITERKEY0000001", "writer-secret-0000000000001")
READER = ("READERKEY0000001", "reader-secret-0000000000001")

FIGURES: dict[str, object] = {
    "lookups": 0,
    "hits": 0,
    "refusals": {},
    "lost_updates": 0,
}


def add_stats(stats: dict | None) -> None:
    """Fold one node's tier stats into the suite's figures."""
    if not stats:
        return
    FIGURES["lookups"] = int(FIGURES["lookups"]) + stats["lookups"]  # type: ignore[arg-type]
    FIGURES["hits"] = int(FIGURES["hits"]) + stats["hits"]  # type: ignore[arg-type]
    ref: dict[str, int] = FIGURES["refusals"]  # type: ignore[assignment]
    for reason, n in stats["refused"].items():
        ref[reason] = ref.get(reason, 0) + n


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = os.path.join(REPO, "test-output")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "remote-figures.json"), "w", encoding="utf-8") as f:
        json.dump(FIGURES, f, indent=1, sort_keys=True)


def _free_port_pair() -> int:
    """A port p with p and p + 10000 free (SeaweedFS puts each service's gRPC on port + 10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p + 10000 > 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + 10000))
        except OSError:
            continue
        return p
    raise RuntimeError("no free port pair")


class Weed:
    """A running ``weed server -s3``."""

    def __init__(self, base: str) -> None:
        self.dir = base
        ports = []
        while len(ports) < 4:
            p = _free_port_pair()
            if all(abs(p - q) > 1 and abs(p - q) != 10000 for q in ports):
                ports.append(p)
        master, volume, filer, s3 = ports
        self.endpoint = f"http://127.0.0.1:{s3}"
        self.port = s3
        ids = {
            "identities": [
                {
                    "name": "writer",
                    "credentials": [{"accessKey": WRITER[0], "secretKey": WRITER[1]}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {
                    "name": "reader",
                    "credentials": [{"accessKey": READER[0], "secretKey": READER[1]}],
                    "actions": [f"Read:{BUCKET}", f"List:{BUCKET}"],
                },
            ]
        }
        cfg = os.path.join(base, "identities.json")
        with open(cfg, "w", encoding="utf-8") as f:
            json.dump(ids, f)
        data = os.path.join(base, "data")
        os.mkdir(data)
        weed = os.path.join(os.path.dirname(sys.executable), "weed")
        # its own log files go to base too (-logdir; by default weed leaves them in /tmp)
        self.log = open(os.path.join(base, "weed.log"), "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                weed, f"-logdir={base}", "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={master}", f"-volume.port={volume}", "-filer", f"-filer.port={filer}",
                "-s3", f"-s3.port={s3}", f"-s3.config={cfg}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-master.telemetry=false",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                self.admin("s3://team/ready").put_create("probe", b"ok")
                break
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed did not start; see {base}/weed.log") from None
                time.sleep(0.2)

    def admin(self, url: str):  # noqa: ANN201
        """A read-write store client for ``url`` used by the test itself (to inspect or tamper)."""
        from cython_pin.remote.stores import ObjectStore

        env = {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": WRITER[0],
            "AWS_SECRET_ACCESS_KEY": WRITER[1],
        }
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            return ObjectStore(url, 10.0)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def env(self, creds: tuple[str, str] = READER) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": creds[0],
            "AWS_SECRET_ACCESS_KEY": creds[1],
            "AWS_REGION": "us-east-1",
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="session")
def weed(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    w = Weed(str(tmp_path_factory.mktemp("weed")))
    yield w
    w.stop()


class Keys:
    def __init__(self, base: str) -> None:
        from cython_pin.remote.signing import keygen, load_private_key, signer_id

        self.priv, _pub, self.line = keygen(base, "ci", "ci@team")
        self.key_id = signer_id(load_private_key(self.priv))
        self.untrusted_priv, _p, _l = keygen(base, "stranger", "stranger")
        self.trusted = os.path.join(base, "trusted_keys")
        with open(self.trusted, "w", encoding="utf-8") as f:
            f.write(f"# team cache signers\n{self.line}\n")


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(str(tmp_path_factory.mktemp("keys")))


@pytest.fixture(scope="session")
def cc(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A compiler wrapper: same ``--version`` as gcc; compiles with gcc, or, when CC_REFUSE_LOG is set,
    logs the command line there and fails (a node that must not compile)."""
    d = tmp_path_factory.mktemp("cc")
    path = os.path.join(d, "cc")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "#!/bin/sh\n"
            'if [ "$1" = "--version" ]; then exec gcc --version; fi\n'
            'if [ -n "$CC_REFUSE_LOG" ]; then echo "$*" >> "$CC_REFUSE_LOG"; '
            'echo "this node may not compile" >&2; exit 1; fi\n'
            'exec gcc "$@"\n'
        )
    os.chmod(path, 0o755)
    return path


class Nodes:
    """Runs node.py processes, each with its own local cache."""

    def __init__(self, base: str, cc: str, keys: Keys) -> None:
        self.base, self.cc, self.keys = base, cc, keys
        self.n = 0

    def env(
        self,
        url: str,
        *,
        mode: str = "read-only",
        sign: str | None = None,
        extra: dict[str, str] | None = None,
        refuse_cc: bool = False,
        cache: str | None = None,
        timeout: float = 5,
    ) -> dict[str, str]:
        self.n += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CYTHON_PIN_", "AWS_"))}
        if "CYTHON_PIN_TEST_RUN" in os.environ:
            env["CYTHON_PIN_TEST_RUN"] = os.environ["CYTHON_PIN_TEST_RUN"]
        # each node's cache has its own build server: it exits soon after the node's last build
        env["CYTHON_PIN_BUILD_SERVER_IDLE_S"] = os.environ.get("CYTHON_PIN_BUILD_SERVER_IDLE_S", "30")
        env.update(
            PYTHONPATH=HELPER,
            CC=self.cc,
            CYTHON_PIN_CACHE_DIR=cache or os.path.join(self.base, f"cache{self.n}"),
            CYTHON_PIN_REMOTE=url,
            CYTHON_PIN_REMOTE_MODE=mode,
            CYTHON_PIN_TRUSTED_KEYS=self.keys.trusted,
            CYTHON_PIN_REMOTE_TIMEOUT=str(timeout),
        )
        if sign:
            env["CYTHON_PIN_SIGNING_KEY"] = sign
        if refuse_cc:
            env["CC_REFUSE_LOG"] = os.path.join(self.base, f"cc-refused{self.n}.log")
        env.update(extra or {})
        return env

    def start(self, env: dict[str, str], steps: list[dict]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, NODE, json.dumps(steps)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, proc: subprocess.Popen[str], timeout: float = 240) -> list[dict]:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]
        rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        for r in rows:
            if r["op"] == "stats":
                add_stats(r["stats"])
        return rows

    def run(self, env: dict[str, str], steps: list[dict], timeout: float = 240) -> list[dict]:
        return self.finish(self.start(env, steps), timeout)


@pytest.fixture
def nodes(tmp_path: os.PathLike[str], cc: str, keys: Keys) -> Nodes:
    return Nodes(str(tmp_path), cc, keys)


@pytest.fixture
def s3url(weed: Weed, request: pytest.FixtureRequest) -> str:
    return f"s3://{BUCKET}/{request.node.name.replace('[', '-').strip(']')}-{os.urandom(3).hex()}"


def source(tag: str) -> str:
    """A small module whose f(7) is deterministic; ``tag`` makes the key unique."""
    return f"# {tag}\ndef f(int n):\n    return n * 6 + {len(tag)}\n"


def expected(tag: str) -> int:
    return 7 * 6 + len(tag)


def tmpdir() -> str:
    return tempfile.mkdtemp(prefix="cython_pin_remote_")


class Target:
    """One store under test: its URL, the credentials of a writer and a reader, and an admin client."""

    def __init__(self, kind: str, url: str, rw: dict[str, str], ro: dict[str, str], admin: object) -> None:
        self.kind, self.url, self.rw, self.ro, self.admin = kind, url, rw, ro, admin


@pytest.fixture(params=["s3", "file"])
def target(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Target:
    if request.param == "s3":
        w: Weed = request.getfixturevalue("weed")
        url = request.getfixturevalue("s3url")
        return Target("s3", url, w.env(WRITER), w.env(READER), w.admin(url))
    from cython_pin.remote.stores import FileStore

    d = os.path.join(str(tmp_path), "shared")
    os.mkdir(d)
    url = "file://" + d
    return Target("file", url, {}, {}, FileStore(url))
