"""Two nodes, one store: A builds and uploads, B (which cannot compile) fetches; what B refuses."""

from __future__ import annotations

import json
import os

from conftest import FIGURES, Nodes, Target, expected, source
from cython_pin.remote import manifest as M
from cython_pin.remote import signing


def _abi() -> str:
    return M.abi_tag()


def _build(tag: str) -> dict:
    return {"op": "build", "source": source(tag)}


def test_a_builds_b_fetches(nodes: Nodes, target: Target, keys) -> None:
    tag = f"ab-{target.kind}"
    a = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    ra = nodes.run(a, [_build(tag), {"op": "flush"}, {"op": "stats"}])
    assert ra[0]["origin"] == "built" and ra[1]["flushed"] is True
    assert ra[2]["stats"]["uploads_created"] == 1
    key = ra[0]["key"]
    assert target.admin.get(M.manifest_path(_abi(), key)) is not None

    b = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    rb = nodes.run(b, [_build(tag), {"op": "stats"}])
    hit = rb[0]
    assert "error" not in hit, hit
    assert hit["origin"] == "remote" and hit["used_cache"] is True
    assert hit["key"] == key and hit["sha256s"] == ra[0]["sha256s"]
    assert hit["signer"].startswith("SHA256:") and "ci@team" in hit["signer"]
    assert hit["value"] == expected(tag)
    assert not os.path.exists(b["CC_REFUSE_LOG"])  # the compiler never ran on B

    # B's compiler really refuses: a source nobody uploaded fails to build there, and is logged
    miss = nodes.run(b, [_build(tag + "-nobody")])[0]
    assert "error" in miss and os.path.getsize(b["CC_REFUSE_LOG"]) > 0

    # a second process on B: a local hit now
    again = nodes.run(b, [_build(tag)])[0]
    assert again["origin"] == "local"
    if target.kind == "s3":
        FIGURES["remote_hit_fresh_process_s"] = round(hit["wall_s"], 4)
        FIGURES["local_build_fresh_process_s"] = round(ra[0]["wall_s"], 4)
        FIGURES["local_hit_fresh_process_s"] = round(again["wall_s"], 4)


def test_read_only_credentials_cannot_write(nodes: Nodes, weed, s3url: str, keys) -> None:
    from conftest import READER

    env = nodes.env(s3url, mode="read-write", sign=keys.priv, extra=weed.env(READER))
    rows = nodes.run(env, [_build("ro-1"), {"op": "flush"}, _build("ro-2"), {"op": "flush"}, {"op": "stats"}])
    first, second, stats = rows[0], rows[2], rows[4]
    assert first["origin"] == "built" and second["origin"] == "built"  # still builds locally
    assert stats["mode"] == "read-only" and stats["stats"]["upload_failures"] == 1
    warned = [m for m in second["diagnostics"] if "refused a write" in m]
    assert len(warned) == 1 and "now read-only" in warned[0]
    admin = weed.admin(s3url)
    for r in (first, second):
        assert admin.get(M.manifest_path(_abi(), r["key"])) is None


def _upload(nodes: Nodes, target: Target, keys, tag: str, sign: str | None = None) -> dict:
    env = nodes.env(target.url, mode="read-write", sign=sign or keys.priv, extra=target.rw)
    row = nodes.run(env, [_build(tag), {"op": "flush"}])[0]
    assert row["origin"] == "built"
    return row


def _overwrite(target: Target, path: str, data: bytes) -> None:
    """Replace an object in place, as someone with write access to the store but no signing key could."""
    if target.kind == "file":
        with open(target.admin._path(path), "wb") as f:  # type: ignore[attr-defined]
            f.write(data)
    else:
        import obstore

        obstore.put(target.admin._store, path, data)  # type: ignore[attr-defined]


def _refused(nodes: Nodes, target: Target, tag: str, reason: str) -> None:
    env = nodes.env(target.url, extra=target.ro)
    rows = nodes.run(env, [_build(tag), {"op": "stats"}])
    res, stats = rows[0], rows[1]["stats"]
    assert "error" not in res, res
    assert res["origin"] == "built" and res["value"] == expected(tag)  # rebuilt locally
    assert stats["refused"] == {reason: 1}, stats
    assert any("refused" in m for m in res["diagnostics"]), res["diagnostics"]


def test_tampered_archive_refused(nodes: Nodes, target: Target, keys) -> None:
    import gzip
    import hashlib
    import io
    import tarfile

    tag = f"tamper-{target.kind}"
    key = _upload(nodes, target, keys, tag)["key"]
    man = json.loads(target.admin.get(M.manifest_path(_abi(), key)))["signed"]
    data = target.admin.get(man["archive"])
    # a different .so inside an otherwise well-formed archive, under the same name
    src = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as out:
        for m in src.getmembers():
            body = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name.endswith(".so"):
                body = body[:-1] + bytes([body[-1] ^ 1])
            out.addfile(m, io.BytesIO(body))
    assert hashlib.sha256(buf.getvalue()).hexdigest() != man["archive_sha256"]
    _overwrite(target, man["archive"], buf.getvalue())
    _refused(nodes, target, tag, "archive-sha256")


def test_unsigned_manifest_refused(nodes: Nodes, target: Target, keys) -> None:
    tag = f"unsigned-{target.kind}"
    key = _upload(nodes, target, keys, tag)["key"]
    path = M.manifest_path(_abi(), key)
    envelope = json.loads(target.admin.get(path))
    _overwrite(target, path, json.dumps({"signed": envelope["signed"]}).encode())
    _refused(nodes, target, tag, "unsigned")


def test_untrusted_signer_refused(nodes: Nodes, target: Target, keys) -> None:
    tag = f"stranger-{target.kind}"
    _upload(nodes, target, keys, tag, sign=keys.untrusted_priv)
    _refused(nodes, target, tag, "untrusted")


def test_manifest_for_another_keys_archive_refused(nodes: Nodes, target: Target, keys) -> None:
    """A valid signed manifest of key X copied to key Y's name (no signing key needed to do that)."""
    x = _upload(nodes, target, keys, f"other-x-{target.kind}")["key"]
    tag_y = f"other-y-{target.kind}"
    ykey = nodes.run(nodes.env(target.url, mode="off"), [_build(tag_y)])[0]["key"]
    assert ykey != x
    target.admin.put_create(M.manifest_path(_abi(), ykey), target.admin.get(M.manifest_path(_abi(), x)))
    _refused(nodes, target, tag_y, "other-key")


def test_signed_manifest_with_wrong_archive_refused(nodes: Nodes, target: Target, keys) -> None:
    """Even a trusted signer's manifest is refused if its archive holds another key's entry."""
    x = _upload(nodes, target, keys, f"wrong-x-{target.kind}")["key"]
    tag_y = f"wrong-y-{target.kind}"
    ykey = nodes.run(nodes.env(target.url, mode="off"), [_build(tag_y)])[0]["key"]
    mx = json.loads(target.admin.get(M.manifest_path(_abi(), x)))["signed"]
    my = dict(mx, key=ykey)
    body = json.dumps(signing.sign(my, signing.load_private_key(keys.priv))).encode()
    target.admin.put_create(M.manifest_path(_abi(), ykey), body)
    _refused(nodes, target, tag_y, "other-key")


def test_four_racing_uploaders_one_manifest(nodes: Nodes, target: Target, keys, tmp_path) -> None:
    go = os.path.join(str(tmp_path), "go")
    tag = f"race-{target.kind}"
    procs = [
        nodes.start(
            nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw),
            [{"op": "wait_file", "path": go}, _build(tag), {"op": "flush"}, {"op": "stats"}],
        )
        for _ in range(4)
    ]
    open(go, "w").close()
    rows = [nodes.finish(p) for p in procs]
    assert {r[1]["key"] for r in rows} == {rows[0][1]["key"]}
    created = sum(r[3]["stats"]["uploads_created"] for r in rows)
    existing = sum(r[3]["stats"]["uploads_existing"] for r in rows)
    assert created == 1 and existing == 3, (created, existing)
    key = rows[0][1]["key"]
    if target.kind == "file":
        names = os.listdir(os.path.dirname(target.admin._path(M.manifest_path(_abi(), key))))  # type: ignore[attr-defined]
        assert [n for n in names if n.startswith(key)] == [f"{key}.json"]
    else:
        import obstore

        listed = [
            o["path"]
            for o in obstore.list(target.admin._store, f"v1/{_abi()}/manifests/").collect()  # type: ignore[attr-defined]
        ]
        assert [p for p in listed if key in p] == [M.manifest_path(_abi(), key)]
    FIGURES.setdefault("race_manifests_created", []).append(created)  # type: ignore[union-attr]
    # the winner's manifest is valid: a reader fetches it
    hit = nodes.run(nodes.env(target.url, extra=target.ro, refuse_cc=True), [_build(tag)])[0]
    assert hit["origin"] == "remote"


def test_native_builds_are_not_shared(nodes: Nodes, target: Target, keys) -> None:
    env = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    tag = f"native-{target.kind}"
    build = {"op": "build", "source": source(tag), "opts": {"extra_compile_args": ["-march=native"]}}
    rows = nodes.run(env, [build, {"op": "flush"}, {"op": "stats"}])
    assert rows[0]["origin"] == "built"
    assert [
        m for m in rows[0]["diagnostics"] if "Not uploaded to the team cache: built with -march=native" in m
    ]
    assert rows[2]["stats"]["lookups"] == 0 and rows[2]["stats"]["uploads_created"] == 0
    assert target.admin.get(M.manifest_path(_abi(), rows[0]["key"])) is None


def test_import_cached_names_the_refusal(nodes: Nodes, target: Target, keys) -> None:
    tag = f"why-{target.kind}"
    _upload(nodes, target, keys, tag, sign=keys.untrusted_priv)
    key = nodes.run(nodes.env(target.url, mode="off"), [_build(tag)])[0]["key"]
    env = nodes.env(target.url, extra=target.ro)
    code = (
        f"import cython_pin\ntry:\n    cython_pin.import_cached({key!r})\n"
        "except FileNotFoundError as e:\n    print(e)\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "No cache entry" in out.stdout and "not a trusted key" in out.stdout, out.stdout + out.stderr


def test_a_memoryview_module_brings_its_shared_module(nodes: Nodes, target: Target, keys) -> None:
    """A module built against Cython's shared utility module: both entries go to the store, and a node that
    cannot compile gets both from there (the shared one when the dependent loads)."""
    tag = f"shared-{target.kind}"
    src = source(tag) + "\ndef g(double[:] a):\n    return a.shape[0]\n"
    a = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    ra = nodes.run(a, [{"op": "build", "source": src}, {"op": "flush"}, {"op": "stats"}])
    assert ra[0]["origin"] == "built" and ra[1]["flushed"] is True
    # the module and its shared utility module are in the store (the shared one uploaded by the build
    # server's build child, before the build's result came back)
    with open(os.path.join(a["CYTHON_PIN_CACHE_DIR"], ra[0]["key"], "meta.json"), encoding="utf-8") as f:
        shared_key = json.load(f)["shared"]["key"]
    assert target.admin.get(M.manifest_path(_abi(), ra[0]["key"])) is not None
    assert target.admin.get(M.manifest_path(_abi(), shared_key)) is not None
    b = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    rb = nodes.run(b, [{"op": "build", "source": src}])
    hit = rb[0]
    assert "error" not in hit, hit
    assert hit["origin"] == "remote" and hit["key"] == ra[0]["key"] and hit["value"] == expected(tag)
    assert not os.path.exists(b["CC_REFUSE_LOG"])  # neither module was compiled on B
    with open(os.path.join(b["CYTHON_PIN_CACHE_DIR"], hit["key"], "meta.json"), encoding="utf-8") as f:
        shared_key = json.load(f)["shared"]["key"]
    with open(os.path.join(b["CYTHON_PIN_CACHE_DIR"], shared_key, "meta.json"), encoding="utf-8") as f:
        assert json.load(f)["kind"] == "shared"
