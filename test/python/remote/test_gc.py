"""``python -m cython_pin remote gc`` and the inventory in ``remote status``, on SeaweedFS and file://:
orphans of killed uploads go once past the grace period, a writer racing the gc keeps its archive, --dry-run
removes nothing, and a gc that cannot work says so."""

from __future__ import annotations

import os
import socket
import time

from conftest import Nodes, Target, expected, source
from test_cli import cli

MONTH = 30 * 86400


def archives(target: Target) -> set[str]:
    return {o.path for o in target.admin.list_objects("v1") if "/archives/" in o.path}


def wait_for(path: str, proc, timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def backdate(target: Target, paths: set[str]) -> None:
    """On a file store, make objects a month old (an S3 store's last-modified cannot be set)."""
    then = time.time() - MONTH
    for p in paths:
        os.utime(os.path.join(target.admin.root, *p.split("/")), (then, then))


def held_upload(nodes: Nodes, target: Target, keys, tag: str):  # noqa: ANN001, ANN201
    """A node that builds ``tag`` and uploads it, held after its archive is in the store; returns the node,
    its "ready" and "go" files."""
    env = nodes.env(target.url, mode="off", sign=keys.priv, extra=target.rw)
    ready, go = os.path.join(nodes.base, f"{tag}.ready"), os.path.join(nodes.base, f"{tag}.go")
    steps = [
        {"op": "build", "source": source(tag)},
        {"op": "setenv", "env": {"CYTHON_PIN_REMOTE_MODE": "read-write"}},
        {"op": "upload_held", "ready": ready, "go": go},
    ]
    return nodes.start(env, steps), ready, go


def test_gc_spares_a_racing_writer_and_removes_old_orphans(nodes: Nodes, target: Target, keys) -> None:
    rw = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    nodes.run(rw, [{"op": "build", "source": source("gc-kept")}, {"op": "flush"}])
    kept = archives(target)
    assert len(kept) == 1

    killed, ready, _go = held_upload(nodes, target, keys, "gc-killed")
    wait_for(ready, killed)
    killed.kill()
    killed.communicate()
    orphan = archives(target) - kept
    assert len(orphan) == 1

    racing, ready, go = held_upload(nodes, target, keys, "gc-racing")
    wait_for(ready, racing)
    fresh = archives(target) - kept - orphan
    assert len(fresh) == 1  # the racing writer's archive is in the store, its manifest is not

    if target.kind == "file":
        backdate(target, kept | orphan)
    r = cli(rw, "remote", "gc")
    assert r.returncode == 0, r.stdout + r.stderr
    if target.kind == "file":  # the month-old orphan goes; the referenced archive, however old, stays
        assert archives(target) == kept | fresh
        assert f"removed {next(iter(orphan))}" in r.stdout
        assert "removed 1 orphan archive(s)" in r.stdout and "1 younger orphan(s) kept" in r.stdout
    else:  # nothing on S3 is past the default grace period yet
        assert archives(target) == kept | orphan | fresh
        assert "removed 0 orphan archive(s)" in r.stdout and "2 younger orphan(s) kept" in r.stdout

    open(go, "w").close()
    assert nodes.finish(racing)[-1]["outcome"] == "created"
    if target.kind == "s3":  # with no grace period, only the archive no manifest refers to goes
        r = cli(rw, "remote", "gc", "--older-than", "0s")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "removed 1 orphan archive(s)" in r.stdout
    assert archives(target) == kept | fresh

    reader = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    rows = nodes.run(reader, [{"op": "build", "source": source(t)} for t in ("gc-kept", "gc-racing")])
    assert [(row.get("error"), row["origin"]) for row in rows] == [(None, "remote")] * 2
    assert [row["value"] for row in rows] == [expected("gc-kept"), expected("gc-racing")]


def test_dry_run_lists_and_removes_nothing(nodes: Nodes, target: Target, keys) -> None:
    rw = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    nodes.run(rw, [{"op": "build", "source": source("gc-dry")}, {"op": "flush"}])
    kept = archives(target)
    killed, ready, _go = held_upload(nodes, target, keys, "gc-dry-killed")
    wait_for(ready, killed)
    killed.kill()
    killed.communicate()
    before = archives(target)
    (orphan,) = before - kept
    r = cli(rw, "remote", "gc", "--dry-run", "--older-than", "0s")
    assert r.returncode == 0 and f"would remove {orphan}" in r.stdout
    assert "dry run: 1 orphan archive(s) would be removed" in r.stdout
    assert r.stdout.count("would remove ") == 1  # the referenced archive is not listed
    assert archives(target) == before
    r = cli(rw, "remote", "gc", "--dry-run")
    assert r.returncode == 0 and "would remove" not in r.stdout and "1 younger orphan(s) kept" in r.stdout


def test_status_reports_entries_orphans_and_bytes(nodes: Nodes, target: Target, keys) -> None:
    rw = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    nodes.run(rw, [{"op": "build", "source": source(t)} for t in ("st-a", "st-b")] + [{"op": "flush"}])
    killed, ready, _go = held_upload(nodes, target, keys, "st-killed")
    wait_for(ready, killed)
    killed.kill()
    killed.communicate()
    total = sum(o.size for o in target.admin.list_objects("v1"))
    r = cli(nodes.env(target.url, extra=target.ro), "remote", "status")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "entries    : 2 (keys with a manifest; 2 manifest(s)" in r.stdout
    assert "archives   : 3 (" in r.stdout
    assert "orphans    : 1 (" in r.stdout and "0 older than 7d" in r.stdout
    assert f"in all ({total} B)" in r.stdout
    if target.kind == "file":
        backdate(target, archives(target))
        r = cli(nodes.env(target.url, extra=target.ro), "remote", "status")
        assert "1 older than 7d (python -m cython_pin remote gc removes those)" in r.stdout


def test_gc_needs_read_write(nodes: Nodes, target: Target, keys) -> None:
    ro = nodes.env(target.url, extra=target.ro)
    r = cli(ro, "remote", "gc", "--older-than", "0")
    assert r.returncode == 1 and "CYTHON_PIN_REMOTE_MODE=read-write" in r.stderr


def test_gc_on_an_unreachable_store_says_so(nodes: Nodes, tmp_path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = nodes.env(
        "s3://team/x",
        mode="read-write",
        timeout=1,
        extra={
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "a",
            "AWS_SECRET_ACCESS_KEY": "b",
        },
    )
    r = cli(env, "remote", "gc")
    assert r.returncode == 1 and "did not answer; nothing removed" in r.stderr
    gone = nodes.env("file://" + str(tmp_path / "not-mounted"), mode="read-write")
    r = cli(gone, "remote", "gc")
    assert r.returncode == 1 and "not a directory (not mounted?)" in r.stderr


def test_gc_refuses_a_bad_age(nodes: Nodes, tmp_path) -> None:
    r = cli(nodes.env("file://" + str(tmp_path), mode="read-write"), "remote", "gc", "--older-than", "7x")
    assert r.returncode == 2 and "'7x' is not an age" in r.stderr
