"""The contract (protocol/cython-pin.schema.json) against the real Python side.

Every shared vector (test/protocol/vectors.json), every op result and error reply of the real dispatcher
over a real cache with a real build, every event the helper emits, the build-result bundle the real magic
displays for a successful and a failed build, the magic-line grammar, and the Python constants: all checked
against the schema. jsonschema is a test-only dependency (scripts/requirements-dev.txt).
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from protocol_checks import DEFS, KIND_DEF, SCHEMA, check, result_def, validator
from support import REPO, SQUARE

VECTORS = json.loads((Path(REPO) / "test" / "protocol" / "vectors.json").read_text(encoding="utf-8"))


def helper() -> types.SimpleNamespace:
    """The kernel-side names this test drives: the one place to change when the package layout moves."""
    import cython_pin
    from cython_pin import constants, events
    from cython_pin.jupyter import magic, ops, protocol

    return types.SimpleNamespace(
        package=cython_pin,
        dispatch=ops.dispatch,
        make_event=protocol.make_event,
        request_args=protocol._ARGS,
        events=events,
        magic=magic,
        protocol_versions={constants.PROTOCOL_VERSION},
        comm_target=constants.COMM_TARGET,
        mime_type=constants.MIME_TYPE,
        ops=protocol.OPS,
        event_names=constants.EVENTS,
        profiles=constants.PROFILES,
        severities=constants.SEVERITIES,
        timing_keys=(*constants.TIMING_KEYS, "total"),
    )


# ---- the schema itself ---------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_schema_lists_each_op_and_event_once_everywhere():
    ops = DEFS["Op"]["enum"]
    assert list(DEFS["OpArgs"]["properties"]) == ops == DEFS["OpArgs"]["required"]
    assert list(DEFS["OpResults"]["properties"]) == ops == DEFS["OpResults"]["required"]
    variants = [DEFS[r["$ref"].rsplit("/", 1)[-1]] for r in DEFS["Request"]["oneOf"]]
    assert [v["properties"]["op"]["const"] for v in variants] == ops
    for v in variants:
        op = v["properties"]["op"]["const"]
        assert v["properties"]["args"] == {"$ref": f"#/$defs/OpArgs/properties/{op}"}
    events = [DEFS[r["$ref"].rsplit("/", 1)[-1]] for r in DEFS["Event"]["oneOf"]]
    assert [e["properties"]["event"]["const"] for e in events] == DEFS["EventName"]["enum"]
    assert list(DEFS["Timings"]["properties"]) == DEFS["TimingKey"]["enum"]
    from cython_pin.constants import OPTIONAL_TIMING_KEYS

    optional = set(OPTIONAL_TIMING_KEYS)
    assert DEFS["Timings"]["required"] == [k for k in DEFS["TimingKey"]["enum"] if k not in optional]


def test_every_object_in_the_schema_is_closed():
    """additionalProperties: false everywhere, so a renamed or extra field on either side is an error."""
    open_objects = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "additionalProperties" not in node:
                open_objects.append(path)
            for k, v in node.items():
                walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}/{i}")

    walk(SCHEMA, "#")
    assert open_objects == ["#/$defs/OkReply/properties/result"]  # checked per op against OpResults


# ---- Python's constants are the schema's ---------------------------------------------------------------


def test_python_constants_equal_the_schema():
    h = helper()
    assert h.protocol_versions == {DEFS["ProtocolVersion"]["const"]} == {VECTORS["protocol_version"]}
    assert h.comm_target == DEFS["CommTarget"]["const"] == VECTORS["comm_target"]
    assert h.mime_type == DEFS["BuildMimeType"]["const"] == VECTORS["mime_type"]
    assert list(h.ops) == DEFS["Op"]["enum"]
    assert list(h.event_names) == DEFS["EventName"]["enum"]
    assert list(h.profiles) == DEFS["Profile"]["enum"]
    assert list(h.severities) == DEFS["Severity"]["enum"]
    assert list(h.timing_keys) == DEFS["TimingKey"]["enum"]


def test_python_request_checks_take_the_schema_arguments():
    """The dispatcher checks requests by hand (jsonschema stays out of the kernel): same names, same rules."""
    for op, (required, optional) in helper().request_args.items():
        args = DEFS[DEFS["OpArgs"]["properties"][op]["$ref"].rsplit("/", 1)[-1]]
        assert sorted(required) == sorted(args.get("required", [])), op
        assert sorted([*required, *optional]) == sorted(args.get("properties", {})), op


def test_magic_profile_choices_are_the_schema_profiles():
    parser = helper().magic.CythonPinMagics.cython_pin.parser
    (profile,) = [a for a in parser._actions if "--profile" in a.option_strings]
    assert list(profile.choices) == DEFS["Profile"]["enum"]


# ---- the shared vectors --------------------------------------------------------------------------------


@pytest.mark.parametrize("vec", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vector_matches_the_schema(vec):
    check(KIND_DEF[vec["kind"]], vec["message"])
    if "op" in vec:
        check(result_def(vec["op"]), vec["message"]["result"])


@pytest.mark.parametrize("vec", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vector_is_rejected_by_the_schema(vec):
    name = result_def(vec["op"]) if vec["kind"] == "result" else KIND_DEF[vec["kind"]]
    assert not validator(name).is_valid(vec["message"])


def test_vectors_cover_every_op_event_and_error_code():
    valid = VECTORS["valid"]
    ops = DEFS["Op"]["enum"]
    assert sorted({v["message"]["op"] for v in valid if v["kind"] == "request"}) == sorted(ops)
    assert sorted({v["op"] for v in valid if v["kind"] == "reply" and "op" in v}) == sorted(ops)
    assert sorted({v["message"]["event"] for v in valid if v["kind"] == "event"}) == sorted(
        DEFS["EventName"]["enum"]
    )
    codes = {v["message"]["error"]["type"] for v in valid if v["kind"] == "reply" and not v["message"]["ok"]}
    codes |= {
        v["message"]["error"]["type"] for v in valid if v["kind"] == "build_result" and v["message"]["error"]
    }
    assert set(DEFS["ErrorCode"]["enum"]) <= codes


@pytest.mark.parametrize(
    "vec", [v for v in VECTORS["invalid"] if v["kind"] == "request"], ids=lambda v: v["name"]
)
def test_invalid_request_vectors_get_protocol_error_replies(vec):
    reply = helper().dispatch(vec["message"])
    check("Reply", reply)
    assert reply["ok"] is False and reply["error"]["type"] == "ProtocolError"


# ---- the real dispatcher, events and builds ------------------------------------------------------------


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> types.SimpleNamespace:
    """A private cache directory with one real build in it."""
    root = str(tmp_path_factory.mktemp("contract_cache"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYTHON_PIN_CACHE_DIR", root)
        built = helper().package.compile_and_load_result(SQUARE)
    return types.SimpleNamespace(root=root, key=built.key)


@pytest.fixture()
def emitted(cache, monkeypatch) -> list[dict[str, Any]]:
    """Every event the helper emits during the test, as the kernel bridge sends it."""
    h = helper()
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", cache.root)
    seen: list[dict[str, Any]] = []
    listener = h.events.subscribe(lambda event, data: seen.append(h.make_event(event, data)))
    yield seen
    h.events.unsubscribe(listener)


class Session:
    """Sends requests through the real dispatcher; checks every reply against the schema."""

    def __init__(self) -> None:
        self.ns: dict[str, Any] = {}
        self.ops: set[str] = set()
        self._n = 0

    def send(self, op: str, **args: Any) -> dict[str, Any]:
        self._n += 1
        mid = f"r{self._n}"
        reply = helper().dispatch({"type": "request", "id": mid, "op": op, "args": args}, user_ns=self.ns)
        check("Reply", reply)
        assert reply["id"] == mid
        if reply["ok"]:
            check(result_def(op), reply["result"])
            self.ops.add(op)
        else:
            assert reply["error"]["type"] in DEFS["ErrorCode"]["enum"], reply
        return reply

    def ok(self, op: str, **args: Any) -> dict[str, Any]:
        reply = self.send(op, **args)
        assert reply["ok"], reply
        return reply["result"]

    def error(self, op: str, **args: Any) -> str:
        reply = self.send(op, **args)
        assert not reply["ok"], reply
        return reply["error"]["type"]


def test_every_op_result_and_error_of_the_real_dispatcher(cache, emitted):
    s = Session()
    assert s.ok("hello")["cache_dir"] == cache.root
    assert [e["key"] for e in s.ok("list_cached")["entries"]] == [cache.key]
    assert s.ok("cache_stats")["entries"] == 1
    assert s.ok("pin", key=cache.key, alias="sq") == {"alias": "sq", "key": cache.key}
    assert s.error("pin", key=cache.key, alias="sq2") == "KeyCollisionError"  # key already pinned as sq
    assert s.error("pin", key=cache.key, alias="1bad") == "ValueError"
    assert s.error("pin", key="f" * 64, alias="nothing") == "FileNotFoundError"
    assert s.error("pin", key="nothex", alias="nothing") == "ValueError"
    assert s.ok("rename_pin", old="sq", new="square")["alias"] == "square"
    assert s.error("rename_pin", old="sq", new="other") == "KeyError"
    assert s.ok("list_pins")["pins"][0]["in_cache"] is True
    one_walk = s.ok("catalogue")  # the panel's refresh: the three answers in one reply
    from cython_pin.cache.catalogue import list_toolchain

    assert one_walk == {
        "cache_dir": cache.root,
        "pins": s.ok("list_pins")["pins"],
        "entries": s.ok("list_cached")["entries"],  # no memoryview cell here: no shared utility module
        "toolchain": list_toolchain(),
        "stats": s.ok("cache_stats"),
    }
    imported = s.ok("import_pinned", alias="square")
    assert imported["names"] == ["f"] and s.ns["f"](7) == 49
    assert s.error("import_pinned", alias="missing") == "KeyError"
    assert s.ok("gc_cache", dry_run=True, keep_n_newest=0)["removed"] == []  # pinned entries stay
    assert s.error("gc_cache", dry_run=True) == "ValueError"
    assert s.ok("unpin", alias="square")["removed"] is True
    assert s.ok("unpin", alias="square")["removed"] is False
    assert [r["key"] for r in s.ok("gc_cache", dry_run=True, max_bytes=0)["removed"]] == [cache.key]
    assert s.error("nonsense") == "ProtocolError"
    cell = "%%cython_pin\n" + SQUARE  # built by the fixture: nothing to build ahead, no worker started
    assert s.ok("prebuild", cell_id="c1", generation=3, source=cell) == {
        "cell_id": "c1",
        "generation": 3,
        "key": cache.key,
        "decision": "cached",
        "reason": None,
    }
    assert s.ok("prebuild", cell_id="c1", generation=4, source="print(1)\n")["decision"] == "skipped"
    assert s.ok("prebuild", cell_id="c1", generation=5, source=cell, annotate=True)["decision"] == "cached"
    assert s.ok("team_catalogue") == {  # no CYTHON_PIN_REMOTE here
        "remote": {
            "configured": False,
            "url": None,
            "mode": None,
            "reachable": None,
            "trusted_keys": 0,
            "can_write": False,
            "signing_key_id": None,
            "message": None,
        },
        "pins": [],
    }
    assert s.error("pin", key=cache.key, alias="team_sq", team=True) == "RemoteError"
    assert s.ops == set(DEFS["Op"]["enum"])
    for event in emitted:
        check("Event", event)
    assert {e["event"] for e in emitted} == {"pins_changed"}


def test_rows_of_a_pin_whose_entry_is_gone_and_a_real_gc(cache, emitted, tmp_path, monkeypatch):
    h = helper()
    root = str(tmp_path / "gc_cache")
    h.package.import_exported(
        h.package.export_cached(cache.key, tmp_path, cache_dir=cache.root), cache_dir=root
    )
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", root)
    s = Session()
    s.ok("pin", key=cache.key, alias="kept")
    s.ok("unpin", alias="kept")
    gc = s.ok("gc_cache", dry_run=False, max_bytes=0)
    assert gc["kept"] == 0 and len(gc["removed"]) == 1
    pins_file = Path(root, "pins.json")
    pins_file.write_text(json.dumps({"ghost": cache.key}))  # a pin whose entry gc removed behind its back
    (row,) = s.ok("list_pins")["pins"]
    assert row["in_cache"] is False and row["size_bytes"] is None
    assert s.error("import_pinned", alias="ghost") == "FileNotFoundError"
    pins_file.write_text("{not json")
    assert s.error("list_pins") == "PinRegistryError"
    for event in emitted:
        check("Event", event)
    assert {e["event"] for e in emitted} == {"pins_changed", "cache_changed"}


EVERY_KIND = {
    "memoryview": "def total(double[:] a):\n    cdef double s = 0\n    cdef Py_ssize_t i\n"
    "    for i in range(a.shape[0]):\n        s += a[i]\n    return s\n",
    "numpy": "cimport numpy as cnp\nimport numpy as np\ncnp.import_array()\n"
    "def first(cnp.ndarray[cnp.float64_t, ndim=1] a):\n    return a[0]\n",
    "pgo": "def work(int n):\n    cdef long s = 0\n    cdef int i\n    for i in range(n):\n        s += i\n"
    "    return s\n",
}


def test_catalogue_and_gc_rows_of_every_kind_of_entry(cache, tmp_path, monkeypatch):
    """A real cache holding each kind of entry: a cell, a memoryview cell (and the shared utility module it
    creates), a numpy cell, a package, both steps of a PGO build and an entry whose meta.json is corrupt.
    The panel's catalogue and gc replies for it are valid, row by row, against the contract."""
    pytest.importorskip("numpy")
    h = helper()
    root = str(tmp_path / "every_kind")
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", root)
    plain = h.package.compile_and_load_result("def plain(int n):\n    return n + 11\n")
    mv = h.package.compile_and_load_result(EVERY_KIND["memoryview"])
    numpy_cell = h.package.compile_and_load_result(EVERY_KIND["numpy"])
    pkg = h.package.build_package({"m": "def one():\n    return 1\n"}, package_name="contract_pkg")
    pgo = h.package.compile_and_load_result(EVERY_KIND["pgo"], pgo=True, profile="release")
    broken = h.package.compile_and_load_result("def broken():\n    return 0\n")
    Path(root, broken.key, "meta.json").write_text("{truncated")
    s = Session()
    s.ok("pin", key=mv.key, alias="mv")
    catalogue = s.ok("catalogue")
    rows = {r["key"]: r for r in catalogue["entries"]}
    kinds = {(r["kind"], r["pgo"], r["numpy"]) for r in rows.values()}
    assert kinds == {
        ("module", None, False),
        ("module", None, True),
        ("package", None, False),
        ("module", "generate", False),
        ("module", "use", False),
        (None, None, False),
    }
    assert rows[mv.key]["aliases"] == ["mv"] and rows[numpy_cell.key]["numpy"] is True
    assert rows[mv.key]["kind"] == rows[plain.key]["kind"] == "module"
    assert rows[pkg.key]["kind"] == "package" and rows[pgo.key]["pgo"] == "use"
    assert rows[broken.key]["module_name"] is None and rows[broken.key]["profile"] is None
    # the shared utility module is a toolchain entry, beside the precompiled headers gcc builds make
    (shared,) = [t for t in catalogue["toolchain"] if t["kind"] == "shared"]
    assert shared["id"] == json.loads(Path(root, mv.key, "meta.json").read_text())["shared"]["key"]
    assert all(t["present"] is True and t["toolchain"] for t in catalogue["toolchain"])
    listed = s.ok("list_cached")["entries"]  # every keyed entry: the shared one too
    assert [r for r in listed if r["key"] != shared["id"]] == list(rows.values())
    assert {r["kind"] for r in listed if r["key"] == shared["id"]} == {"shared"}
    preview = s.ok("gc_cache", dry_run=True, max_bytes=0)  # the shared module stays while mv is pinned
    assert {r["key"] for r in preview["removed"]} == set(rows) - {mv.key}
    assert {r["kind"] for r in preview["removed"]} == {"module", "package", None}
    assert preview["removed_toolchain"] == []  # and the precompiled headers of this toolchain always do
    assert s.ok("unpin", alias="mv")["removed"] is True
    gc = s.ok("gc_cache", dry_run=False, max_bytes=0)  # nothing imports the shared one now
    assert {r["key"] for r in gc["removed"]} == set(rows)
    assert [t["id"] for t in gc["removed_toolchain"]] == [shared["id"]]


def test_a_kernel_interrupt_during_an_op_still_gets_a_reply(monkeypatch):
    """KeyboardInterrupt (the kernel's interrupt) inside an op ends it with an Interrupted error reply."""
    from cython_pin.jupyter import ops

    def interrupted(args: dict[str, Any], ns: Any) -> dict[str, Any]:
        raise KeyboardInterrupt

    monkeypatch.setitem(ops._OPS, "gc_cache", interrupted)
    reply = Session().send("gc_cache", dry_run=False, max_bytes=0)
    assert reply["ok"] is False and reply["id"] == "r1"
    assert reply["error"] == {
        "type": "Interrupted",
        "message": "The kernel was interrupted while it ran the gc_cache request; "
        "it may have been done in part.",
    }


def test_a_corrupt_entry_is_a_cache_integrity_error(cache, tmp_path, monkeypatch):
    h = helper()
    root = str(tmp_path / "corrupt_cache")
    h.package.import_exported(
        h.package.export_cached(cache.key, tmp_path, cache_dir=cache.root), cache_dir=root
    )
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", root)
    Path(root, cache.key, "meta.json").write_text("{truncated")
    assert Session().error("pin", key=cache.key, alias="broken") == "CacheIntegrityError"


# ---- the build-result bundle the magic displays --------------------------------------------------------


@pytest.fixture()
def shell(cache, monkeypatch):
    """A real IPython shell with the extension loaded; ``shell.shown`` collects every display bundle."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", cache.root)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "cython_pin")
    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(ip.display_pub, "publish", lambda data, metadata=None, **kw: shown.append(data))
    ip.shown = shown
    return ip


def bundle(shell) -> dict[str, Any]:
    payload = shell.shown[-1][DEFS["BuildMimeType"]["const"]]
    check("BuildResult", payload)
    return payload


def test_bundle_of_a_real_build_cache_hit_and_annotation(shell, cache):
    assert shell.run_cell(f"%%cython_pin contract_sq --overwrite\n{SQUARE}").success
    assert bundle(shell)["key"] == cache.key and "contract_sq" in bundle(shell)["aliases"]
    assert shell.run_cell("%%cython_pin --profile release -a\ndef h(double x):\n    return x * 2\n").success
    annotated = bundle(shell)
    assert annotated["used_cache"] is False and annotated["annotation"]["lines"]
    helper().package.unpin("contract_sq")


def test_bundle_of_real_failed_builds(shell):
    assert not shell.run_cell("%%cython_pin\ndef g():\n    return y\n").success
    failed = bundle(shell)
    assert failed["status"] == "error" and failed["error"]["type"] == "BuildError"
    assert failed["diagnostics"][0]["line"] == 3
    assert not shell.run_cell(
        "%%cython_pin\ncdef extern from *:\n    int nope_missing_symbol()\n"
        "def k():\n    return nope_missing_symbol()\n"
    ).success
    assert bundle(shell)["status"] == "error"


# ---- the magic-line grammar ----------------------------------------------------------------------------


def parse_magic_line(line: str) -> dict[str, Any]:
    """What the %%cython_pin magic (and %%cython once taken over) reads from its first line."""
    from IPython.core import magic_arguments

    magic = helper().magic
    name = line.split(None, 1)[0]
    assert name in ("%%cython_pin", "%%cython")
    argline = line[len(name) :].strip()
    return vars(
        magic_arguments.parse_argstring(magic.CythonPinMagics.cython_pin, magic._join_flag_values(argline))
    )


@pytest.mark.parametrize("vec", VECTORS["magic_lines"], ids=lambda v: v["name"])
def test_magic_line_grammar(vec):
    from IPython.core.error import UsageError

    if "error" in vec:
        with pytest.raises(UsageError, match=vec["error"]):
            parse_magic_line(vec["line"])
    else:
        assert parse_magic_line(vec["line"]) == vec["options"]


def test_magic_vectors_cover_every_option_of_the_magic():
    parser = helper().magic.CythonPinMagics.cython_pin.parser
    dests = {a.dest for a in parser._actions if a.dest != "help"}
    for vec in VECTORS["magic_lines"]:
        if "options" in vec:
            assert set(vec["options"]) == dests, vec["name"]
    set_somewhere = {
        k for v in VECTORS["magic_lines"] if "options" in v for k, x in v["options"].items() if x
    }
    assert set_somewhere == dests
