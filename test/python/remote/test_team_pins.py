"""Team pins in a real store: concurrent writers lose nothing, a rolled-back document is refused, personal
pins win over team pins, and readers cannot write."""

from __future__ import annotations

import json
import os

from conftest import FIGURES, Nodes, Target, expected, source

N_PER_WRITER = 8


def _shared_key(nodes: Nodes, target: Target, keys, tag: str) -> str:
    env = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    row = nodes.run(env, [{"op": "build", "source": source(tag)}, {"op": "flush"}])[0]
    return str(row["key"])


def test_two_writers_lose_no_update(nodes: Nodes, target: Target, keys, tmp_path) -> None:
    key = _shared_key(nodes, target, keys, f"pins-{target.kind}")
    go = os.path.join(str(tmp_path), "go")
    procs = []
    for w in ("a", "b"):
        steps = [{"op": "wait_file", "path": go}]
        steps += [{"op": "pin", "key": key, "alias": f"{w}{i}"} for i in range(N_PER_WRITER)]
        steps.append({"op": "stats"})
        env = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
        procs.append(nodes.start(env, steps))
    open(go, "w").close()
    rows = [nodes.finish(p) for p in procs]
    for r in rows:
        assert not [x for x in r if "error" in x], r
    final = nodes.run(nodes.env(target.url, extra=target.ro), [{"op": "list_team"}])[0]["pins"]
    wanted = {f"{w}{i}" for w in "ab" for i in range(N_PER_WRITER)}
    lost = len(wanted - set(final))
    FIGURES["lost_updates"] = int(FIGURES["lost_updates"]) + lost  # type: ignore[arg-type]
    conflicts = sum(r[-1]["stats"].get("team_pin_conflicts", 0) for r in rows)
    FIGURES.setdefault("team_pin_cas_conflicts", []).append(conflicts)  # type: ignore[union-attr]
    assert lost == 0 and set(final) == wanted and set(final.values()) == {key}


def test_rolled_back_document_refused(nodes: Nodes, target: Target, keys) -> None:
    from cython_pin.remote.stores import PINS_DIR, PINS_OBJECT

    key = _shared_key(nodes, target, keys, f"rollback-{target.kind}")
    writer = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    nodes.run(writer, [{"op": "pin", "key": key, "alias": "first"}])
    old = target.admin.pins_read()  # seq 1, validly signed
    assert old is not None
    reader_cache = os.path.join(nodes.base, "reader-cache")
    reader = nodes.env(target.url, extra=target.ro, cache=reader_cache)
    nodes.run(writer, [{"op": "pin", "key": key, "alias": "second"}])
    seen = nodes.run(reader, [{"op": "list_team"}])[0]
    assert set(seen["pins"]) == {"first", "second"}  # the reader has now seen seq 2
    # someone with write access to the store (no signing key) puts the old signed document back
    if target.kind == "s3":
        import obstore

        obstore.put(target.admin._store, PINS_OBJECT, old[0])  # type: ignore[attr-defined]
    else:
        os.unlink(target.admin._path(f"{PINS_DIR}/pins.{2:012d}.json"))  # type: ignore[attr-defined]
    assert json.loads(target.admin.pins_read()[0])["signed"]["seq"] == 1  # type: ignore[index]
    again = nodes.run(reader, [{"op": "list_team"}, {"op": "stats"}])
    assert "rolled back" in again[0]["error"] and again[1]["stats"]["refused"] == {"team-pins-rollback": 1}


def test_personal_first_then_team(nodes: Nodes, target: Target, keys) -> None:
    tag = f"resolve-{target.kind}"
    key = _shared_key(nodes, target, keys, tag)
    writer = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    nodes.run(writer, [{"op": "pin", "key": key, "alias": "shared_fn"}])
    # a fresh node that never built it and cannot compile: the team pin brings the build from the store
    b = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    row = nodes.run(b, [{"op": "import_pinned", "alias": "shared_fn"}])[0]
    assert row == {"op": "import_pinned", "key": key, "origin": "remote", "value": expected(tag)}
    # a reader cannot change team pins (same error whatever the store)
    bad = nodes.run(b, [{"op": "pin", "key": key, "alias": "mine"}])[0]
    assert "read-only here" in bad["error"]


def test_same_collision_texts_as_personal_pins(nodes: Nodes, target: Target, keys) -> None:
    k1 = _shared_key(nodes, target, keys, f"coll-1-{target.kind}")
    k2 = _shared_key(nodes, target, keys, f"coll-2-{target.kind}")
    w = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    rows = nodes.run(
        w,
        [
            {"op": "pin", "key": k1, "alias": "x"},
            {"op": "pin", "key": k2, "alias": "x", "overwrite": False},
            {"op": "pin", "key": k1, "alias": "y", "overwrite": False},
        ],
    )
    assert rows[1]["error"] == (
        f"AliasCollisionError: Alias collision: alias 'x' already points to a different key ({k1[:16]}...). "
        "Use overwrite=True to replace."
    )
    assert rows[2]["error"].startswith(
        f"KeyCollisionError: Key collision: key {k1[:16]}... is already pinned as 'x'."
    )


def test_magic_team_pin(nodes: Nodes, target: Target, keys) -> None:
    tag = f"magic-{target.kind}"
    w = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    rows = nodes.run(
        w, [{"op": "magic", "cell": f"%%cython_pin magic_team --team\n{source(tag)}"}, {"op": "flush"}]
    )
    assert rows[0]["success"] and rows[0]["value"] == expected(tag)
    b = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    row = nodes.run(b, [{"op": "import_pinned", "alias": "magic_team"}])[0]
    assert row["origin"] == "remote" and row["value"] == expected(tag)
