"""``python -m cython_pin keygen`` and ``remote status`` / ``remote push`` against real stores."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from conftest import HELPER, WRITER, Nodes, Target, Weed, source
from cython_pin.remote import manifest as M


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cython_pin", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_keygen(tmp_path) -> None:
    env = dict(os.environ, PYTHONPATH=HELPER)
    r = cli(env, "keygen", str(tmp_path / "k"))
    assert r.returncode == 0 and r.stdout.startswith("ssh-ed25519 AAAA")
    priv = tmp_path / "k" / "cython-pin-signing.pem"
    assert stat.S_IMODE(os.stat(priv).st_mode) == 0o600
    assert (tmp_path / "k" / "cython-pin-signing.pub").read_text().strip() == r.stdout.strip()
    again = cli(env, "keygen", str(tmp_path / "k"))
    assert again.returncode == 1 and "not overwriting" in again.stderr
    assert (tmp_path / "k" / "cython-pin-signing.pub").read_text().strip() == r.stdout.strip()


def test_status_usable(nodes: Nodes, target: Target, keys) -> None:
    r = cli(nodes.env(target.url, extra=target.ro), "remote", "status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"remote     : {target.url}" in r.stdout
    assert "mode       : read-only" in r.stdout and "answers    : yes" in r.stdout
    assert "trusted    : 1 key(s)" in r.stdout and "ci@team" in r.stdout


def test_status_writer_shows_its_key(nodes: Nodes, target: Target, keys) -> None:
    r = cli(nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw), "remote", "status")
    assert r.returncode == 0 and "signing key: SHA256:" in r.stdout and "not in the trusted" not in r.stdout
    r = cli(
        nodes.env(target.url, mode="read-write", sign=keys.untrusted_priv, extra=target.rw),
        "remote",
        "status",
    )
    assert "not in the trusted keys" in r.stdout


def test_status_without_trusted_keys(nodes: Nodes, target: Target) -> None:
    env = nodes.env(target.url, extra=target.ro)
    del env["CYTHON_PIN_TRUSTED_KEYS"]
    r = cli(env, "remote", "status")
    assert r.returncode == 1 and "no trusted keys: remote not read" in r.stdout


def test_status_unreachable(nodes: Nodes) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = nodes.env(
        "s3://team/x",
        timeout=1,
        extra={
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "a",
            "AWS_SECRET_ACCESS_KEY": "b",
        },
    )
    r = cli(env, "remote", "status")
    assert r.returncode == 1 and "answers    : no" in r.stdout


def test_status_bad_settings_and_none(nodes: Nodes, tmp_path) -> None:
    env = nodes.env("file://" + str(tmp_path), extra={"CYTHON_PIN_REMOTE_MODE": "sometimes"})
    r = cli(env, "remote", "status")
    assert r.returncode == 1 and "unusable" in r.stdout and "CYTHON_PIN_REMOTE_MODE" in r.stdout
    del env["CYTHON_PIN_REMOTE"]
    r = cli(env, "remote", "status")
    assert r.returncode == 0 and "none" in r.stdout


def test_push(nodes: Nodes, weed: Weed, s3url: str, keys) -> None:
    local = nodes.env(s3url, mode="off")
    key = nodes.run(local, [{"op": "build", "source": source("push")}])[0]["key"]
    env = nodes.env(
        s3url, mode="read-write", sign=keys.priv, extra=weed.env(WRITER), cache=local["CYTHON_PIN_CACHE_DIR"]
    )
    r = cli(env, "remote", "push", key)
    assert r.returncode == 0 and r.stdout.strip() == "created", r.stderr
    assert weed.admin(s3url).get(M.manifest_path(M.abi_tag(), key)) is not None
    assert cli(env, "remote", "push", key).stdout.strip() == "existing"
