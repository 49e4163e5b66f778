"""An entry that does not verify is never uploaded, and a manifest that readers refuse does not block a good
upload of the same key (bug 1); uploads queued before the environment changed are still flushed (bug 7)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

from conftest import Nodes, Target, expected, source
from cython_pin.remote import archive, manifest, signing


def _abi() -> str:
    return manifest.abi_tag()


def _build_locally(nodes: Nodes, target: Target, tags: list[str]) -> tuple[str, list[str]]:
    """Build ``tags`` on a node that does not use the team cache: (its cache folder, the keys)."""
    env = nodes.env(target.url, mode="off")
    rows = nodes.run(env, [{"op": "build", "source": source(t)} for t in tags])
    return env["CYTHON_PIN_CACHE_DIR"], [r["key"] for r in rows]


def _corrupt(entry: str) -> None:
    """Flip one byte of the entry's compiled module, leaving meta.json as it was."""
    with open(os.path.join(entry, "meta.json"), encoding="utf-8") as f:
        so = os.path.join(entry, json.load(f)["artifacts"][0]["path"])
    with open(so, "r+b") as f:
        f.seek(200)
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0xFF]))


def _writer(
    nodes: Nodes, target: Target, keys, cache: str | None = None, timeout: float = 5
) -> dict[str, str]:
    return nodes.env(
        target.url, mode="read-write", sign=keys.priv, extra=target.rw, cache=cache, timeout=timeout
    )


def test_push_refuses_a_corrupted_entry(nodes: Nodes, target: Target, keys) -> None:
    cache, (key,) = _build_locally(nodes, target, [f"corrupt-push-{target.kind}"])
    _corrupt(os.path.join(cache, key))
    env = _writer(nodes, target, keys, cache=cache)
    r = subprocess.run(
        [sys.executable, "-m", "cython_pin", "remote", "push", key],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and r.stdout.strip() == "failed", r.stdout + r.stderr
    assert "local entry does not verify" in r.stderr and "sha256 does not match" in r.stderr
    assert target.admin.get(manifest.manifest_path(_abi(), key)) is None


def test_background_upload_refuses_a_corrupted_entry(nodes: Nodes, target: Target, keys) -> None:
    cache, (key,) = _build_locally(nodes, target, [f"corrupt-bg-{target.kind}"])
    _corrupt(os.path.join(cache, key))
    rows = nodes.run(
        _writer(nodes, target, keys, cache=cache),
        [{"op": "queue_upload", "key": key}, {"op": "flush"}, {"op": "pending"}, {"op": "stats"}],
    )
    assert rows[1]["flushed"] is True
    # the warning goes to the next result: the queueing call's own, if the upload failed that fast
    said = rows[0]["diagnostics"] + rows[2]["messages"]
    assert len([m for m in said if "local entry does not verify" in m]) == 1, said
    assert rows[3]["stats"]["upload_failures"] == 1 and rows[3]["stats"]["uploads_created"] == 0
    assert target.admin.get(manifest.manifest_path(_abi(), key)) is None


def _publish_poisoned(target: Target, keys, cache: str, key: str) -> None:
    """Generation 0 of ``key``: a trusted signer's manifest whose archive holds a corrupted module, as an
    upload that packed without verifying could publish it."""
    entry = os.path.join(cache, key)
    _corrupt(entry)
    with open(os.path.join(entry, "meta.json"), encoding="utf-8") as f:
        meta = json.load(f)
    data = archive.pack(entry)
    sha = hashlib.sha256(data).hexdigest()
    priv = signing.load_private_key(keys.priv)
    m = manifest.make_manifest(key, _abi(), meta, sha, len(data), signing.signer_id(priv))
    target.admin.put_create(manifest.archive_path(_abi(), sha), data)
    assert target.admin.put_create(
        manifest.manifest_path(_abi(), key), json.dumps(signing.sign(m, priv)).encode()
    )


def test_a_good_upload_supersedes_a_refused_manifest(nodes: Nodes, target: Target, keys) -> None:
    tag = f"superseded-{target.kind}"
    cache, (key,) = _build_locally(nodes, target, [tag])
    _publish_poisoned(target, keys, cache, key)

    # a reader refuses it and builds locally
    first = nodes.run(nodes.env(target.url, extra=target.ro), [{"op": "build", "source": source(tag)}])[0]
    assert first["origin"] == "built" and [
        m for m in first["diagnostics"] if "does not match its sha256" in m
    ]

    # a writer builds it (refusing generation 0 the same way) and publishes generation 1
    w = nodes.run(
        _writer(nodes, target, keys),
        [{"op": "build", "source": source(tag)}, {"op": "flush"}, {"op": "stats"}],
    )
    assert w[0]["origin"] == "built" and w[1]["flushed"] is True
    assert w[2]["stats"]["uploads_created"] == 1 and w[2]["stats"]["uploads_existing"] == 0
    assert target.admin.get(manifest.manifest_path(_abi(), key, 1)) is not None

    # a node that cannot compile now gets the good entry, walking past the refused one
    b = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    hit, stats = nodes.run(b, [{"op": "build", "source": source(tag)}, {"op": "stats"}])
    assert "error" not in hit, hit
    assert hit["origin"] == "remote" and hit["value"] == expected(tag) and hit["sha256s"] == w[0]["sha256s"]
    assert not hit["diagnostics"] and not os.path.exists(b["CC_REFUSE_LOG"])
    assert stats["stats"]["refused"] == {"artifact-sha256": 1} and stats["stats"]["hits"] == 1

    # and a later writer finds a manifest that verifies: nothing more is published
    again = nodes.run(_writer(nodes, target, keys), [{"op": "build", "source": source(tag)}])[0]
    assert again["origin"] == "remote"
    assert target.admin.get(manifest.manifest_path(_abi(), key, 2)) is None


def _wait_for(path: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_a_team_pin_supersedes_a_refused_manifest(nodes: Nodes, target: Target, keys) -> None:
    """Pinning a key whose only manifest readers refuse uploads the pinning node's good entry."""
    tag = f"pin-superseded-{target.kind}"
    poisoned_cache, (key,) = _build_locally(nodes, target, [tag])
    _publish_poisoned(target, keys, poisoned_cache, key)
    good_cache, _ = _build_locally(nodes, target, [tag])
    rows = nodes.run(
        _writer(nodes, target, keys, cache=good_cache), [{"op": "pin", "key": key, "alias": "good"}]
    )
    assert rows[0] == {"op": "pin", "key": key}
    assert target.admin.get(manifest.manifest_path(_abi(), key, 1)) is not None
    reader = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    got = nodes.run(reader, [{"op": "import_pinned", "alias": "good"}])[0]
    assert got == {"op": "import_pinned", "key": key, "origin": "remote", "value": expected(tag)}


def _hold_lock(cache: str, key: str):  # noqa: ANN202
    from cython_pin.cache.entries import key_lock

    return key_lock(cache, key, 10).acquire()


def test_uploads_queued_before_an_environment_change_are_flushed(
    nodes: Nodes, target: Target, keys, tmp_path
) -> None:
    cache, (k1, k2) = _build_locally(nodes, target, [f"env1-{target.kind}", f"env2-{target.kind}"])
    other = tmp_path / "other-store"
    other.mkdir()
    ready, released = str(tmp_path / "ready"), str(tmp_path / "released")
    lock = _hold_lock(cache, k1)  # k1's upload waits for this lock (as for a build of the same key)
    try:
        proc = nodes.start(
            _writer(nodes, target, keys, cache=cache, timeout=30),
            [
                {"op": "queue_upload", "key": k1},
                {"op": "setenv", "env": {"CYTHON_PIN_REMOTE": f"file://{other}"}},
                {"op": "queue_upload", "key": k2},
                {"op": "flush", "timeout": 1},
                {"op": "touch", "path": ready},
                {"op": "wait_file", "path": released},
                {"op": "flush", "timeout": 60},
            ],
        )
        _wait_for(ready)
    finally:
        lock.release()
    open(released, "w").close()
    rows = nodes.finish(proc)
    assert rows[3]["flushed"] is False  # k1 is still pending, though queued under the old environment
    assert rows[6]["flushed"] is True
    assert target.admin.get(manifest.manifest_path(_abi(), k1)) is not None
    assert (other / manifest.manifest_path(_abi(), k2)).is_file()


def test_the_exit_flush_waits_for_uploads_queued_before_an_environment_change(
    nodes: Nodes, target: Target, keys, tmp_path
) -> None:
    cache, (key,) = _build_locally(nodes, target, [f"exit-{target.kind}"])
    ready = str(tmp_path / "ready")
    lock = _hold_lock(cache, key)
    try:
        proc = nodes.start(
            _writer(nodes, target, keys, cache=cache, timeout=30),
            [
                {"op": "queue_upload", "key": key},
                {"op": "setenv", "env": {"CYTHON_PIN_REMOTE_TIMEOUT": "29"}},
                {"op": "stats"},  # the process now uses the tier of the new environment
                {"op": "touch", "path": ready},
            ],
        )
        _wait_for(ready)
    finally:
        lock.release()
    nodes.finish(proc)  # the process exits after its last step: the exit flush uploads
    assert target.admin.get(manifest.manifest_path(_abi(), key)) is not None
