"""The comm protocol: every op against a real temp cache (the shared vectors: test_contract.py)."""

from __future__ import annotations

import os

import cython_pin
import pytest
from cython_pin import events
from cython_pin.jupyter import protocol
from cython_pin.jupyter.ops import dispatch
from cython_pin.jupyter.protocol import ProtocolError
from protocol_checks import validate


@pytest.fixture()
def pcache(square, tmp_path, monkeypatch):
    d = str(tmp_path / "proto_cache")
    cython_pin.import_exported(cython_pin.export_cached(square.key, tmp_path), cache_dir=d)
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", d)
    return d


def _req(op, args, mid="r1"):
    reply = dispatch({"type": "request", "id": mid, "op": op, "args": args}, user_ns=NS)
    validate("reply", reply)
    assert reply["id"] == mid
    return reply


NS: dict = {}


def test_every_op_against_real_cache(square, pcache):
    seen = []
    listener = events.subscribe(lambda e, d: seen.append(e))
    try:
        r = _req("hello", {})["result"]
        assert r["protocol_version"] == 1 and r["helper_version"] == cython_pin.__version__
        assert r["cache_dir"] == pcache and r["cython_version"]

        r = _req("pin", {"key": square.key, "alias": "demo_square", "overwrite": False})
        assert r["ok"] and r["result"] == {"alias": "demo_square", "key": square.key}

        rows = _req("list_pins", {})["result"]
        assert rows["cache_dir"] == pcache
        assert rows["pins"] == [
            {
                "alias": "demo_square",
                "key": square.key,
                "module_name": square.module_name,
                "size_bytes": rows["pins"][0]["size_bytes"],
                "created_utc": rows["pins"][0]["created_utc"],
                "in_cache": True,
            }
        ]
        assert rows["pins"][0]["size_bytes"] > 0

        r = _req("rename_pin", {"old": "demo_square", "new": "square"})["result"]
        assert r == {"alias": "square", "key": square.key}

        NS.clear()
        r = _req("import_pinned", {"alias": "square"})["result"]
        assert r == {"alias": "square", "key": square.key, "module_name": square.module_name, "names": ["f"]}
        # Import binds the public names only, exactly what the inserted import_pinned(..., into=globals())
        # does: one meaning for the panel's Import and Insert import.
        assert set(NS) == {"f"} and NS["f"](3) == 9
        inserted: dict[str, object] = {}
        exec('from cython_pin import import_pinned\nimport_pinned("square", into=globals())', inserted)
        assert {k: v for k, v in inserted.items() if k not in ("__builtins__", "import_pinned")} == NS

        cached = _req("list_cached", {})["result"]
        assert cached["cache_dir"] == pcache and [e["key"] for e in cached["entries"]] == [square.key]
        assert cached["entries"][0]["aliases"] == ["square"]

        stats = _req("cache_stats", {})["result"]
        assert stats["entries"] == 1 and stats["pins"] == 1 and stats["total_bytes"] > 0

        gc = _req("gc_cache", {"keep_n_newest": 0, "max_bytes": None, "max_age_days": None, "dry_run": True})
        assert gc["result"] == {
            "dry_run": True,
            "removed": [],
            "removed_toolchain": [],  # the precompiled header of this toolchain stays
            "freed_bytes": 0,
            "kept": 1,
        }

        r = _req("unpin", {"alias": "square"})["result"]
        assert r == {"alias": "square", "removed": True}
        gc = _req("gc_cache", {"max_age_days": 0, "dry_run": False})["result"]
        assert [e["key"] for e in gc["removed"]] == [square.key] and gc["kept"] == 0
    finally:
        events.unsubscribe(listener)
    assert seen.count("pins_changed") == 3 and seen.count("cache_changed") == 1


def test_op_errors_are_replies_with_user_messages(square, pcache):
    _req("pin", {"key": square.key, "alias": "a1"})
    other = "b" * 64
    r = _req("pin", {"key": other, "alias": "a1"})
    assert r["ok"] is False and r["error"]["type"] == "FileNotFoundError"
    r = _req("import_pinned", {"alias": "missing"})
    assert r["error"]["type"] == "KeyError" and r["error"]["message"].startswith("Unknown alias 'missing'")
    r = _req("gc_cache", {"dry_run": True})
    assert r["error"]["type"] == "ValueError" and "at least one criterion" in r["error"]["message"]
    r = _req("pin", {"key": square.key, "alias": "bad alias"})
    assert r["error"]["type"] == "ValueError"
    r = _req("rename_pin", {"old": "nope", "new": "x"})
    assert r["error"]["type"] == "KeyError"
    with open(os.path.join(pcache, "pins.json"), "w") as f:
        f.write("[")
    r = _req("list_pins", {})
    assert r["error"]["type"] == "PinRegistryError" and "pins.json" in r["error"]["message"]


def test_make_event_and_build_result_json_validate(square):
    validate("event", protocol.make_event("cache_changed", {"cache_dir": "/x"}))
    validate("build_result", square.to_json(line_offset=1, names=["f"]))
    with pytest.raises(ProtocolError):
        protocol.make_event("reboot", {"cache_dir": "/x"})
