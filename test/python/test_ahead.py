"""Build ahead (issue 12 §1-§2, kernel side): real Cython, gcc and a real build server.

The prebuild op builds a cell's exact key in the build server without loading it; the run is then a cache
hit that says it was built ahead; the Cython pass's diagnostics arrive as prebuild_state events before the C
compiler runs; a newer source for a cell cancels the older build; a Compile that arrives mid-build waits for
it and does not compile again; a real ipykernel keeps running cells while the server builds.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import sysconfig
import time
import uuid
from typing import Any

import pytest
from cython_pin import events
from cython_pin.ahead.scheduler import Request, Scheduler
from cython_pin.jupyter.magic import CELL_LINE_OFFSET
from cython_pin.jupyter.prebuild import prebuild, split_cell
from cython_pin.jupyter.protocol import make_event
from cython_pin.server.daemon import AHEAD_NICE
from protocol_checks import check
from support import HELPER, build_servers, live_processes, open_helper_comm, stop_build_servers


def _fresh_source(extra: str = "") -> str:
    """A source no other test has built (its key is new)."""
    return f"def f(int n):\n    return n*n + {uuid.uuid4().int % 10**9}{extra}\n"


def _wait(pred: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def _final(seen: list[tuple[str, dict[str, Any]]], generation: int) -> bool:
    return any(
        e == "prebuild_state"
        and d["generation"] == generation
        and d["stage"] in ("done", "failed", "cancelled")
        for e, d in seen
    )


def _states(seen: list[tuple[str, dict[str, Any]]], cell_id: str) -> list[tuple[int, str]]:
    return [
        (d["generation"], d["stage"]) for e, d in seen if e == "prebuild_state" and d["cell_id"] == cell_id
    ]


@pytest.fixture()
def seen():
    """Every event emitted in this process during the test, each checked as the comm bridge checks it."""
    got: list[tuple[str, dict[str, Any]]] = []

    def listener(event: str, data: dict[str, Any]) -> None:
        make_event(event, data)
        got.append((event, data))

    events.subscribe(listener)
    yield got
    events.unsubscribe(listener)


@pytest.fixture()
def slow_cc(tmp_path, monkeypatch):
    """CC = a wrapper that logs each compile+link to a file and sleeps first, so a build can be caught in
    its C compiler stage; a private cache (the compiler is part of the key)."""
    real = shlex.split(sysconfig.get_config_var("CC") or "cc")
    log = tmp_path / "cc.log"
    wrapper = tmp_path / "cc.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case " $* " in\n'
        f'  *" -o "*) echo "$$" >> {shlex.quote(str(log))}; sleep "${{AHEAD_CC_SLEEP:-2}}";;\n'
        "esac\n"
        f'exec {" ".join(shlex.quote(w) for w in real)} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("CC", str(wrapper))
    root = tmp_path / "cache"
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", str(root))

    def compiles() -> int:
        return len(log.read_text().split()) if log.exists() else 0

    return compiles


def _server_for(root: str) -> int:
    """The pid of the build server of the cache ``root`` (the session's runtime folder), 0 if none."""
    for pid in build_servers(os.environ["XDG_RUNTIME_DIR"]):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:  # it just exited
            continue
        if b"--cache-dir" in args and args[args.index(b"--cache-dir") + 1] == root.encode():
            return pid
    return 0


def _server_log(root: str) -> str:
    """The end of the log of the build server of the cache ``root`` (for a failing test's message)."""
    from cython_pin.server.protocol import identity, log_path, runtime_dir, server_name

    try:
        with open(log_path(runtime_dir(root), server_name(identity(root)))) as f:
            return f.read()[-3000:]
    except OSError as e:
        return f"(no log: {e})"


def _build_children(server: int) -> list[int]:
    return live_processes(parent=server)


@pytest.fixture()
def private_scheduler():
    """A scheduler of its own (its builds take this test's environment, e.g. the slow CC)."""
    got: list[tuple[str, dict[str, Any]]] = []
    s = Scheduler(lambda event, data: got.append((event, make_event(event, data)["data"])))
    yield s, got
    s.close()


def _in_its_compiler(compiles, got: list[tuple[str, dict[str, Any]]]) -> bool:
    """The first build is in its C compiler and the kernel has heard so: its "cython" state has arrived.
    The compiler can start before the server's progress event reaches the scheduler's reader thread."""
    return compiles() == 1 and any(d.get("stage") == "cython" for _e, d in got)


def _request(cell_id: str, generation: int, source: str) -> Request:
    from cython_pin.engine import module_key

    key, _o, root, _np = module_key(source, {})
    return Request(cell_id, generation, key, source, {}, root, CELL_LINE_OFFSET)


def test_split_cell_is_what_ipython_runs():
    assert split_cell("%%cython_pin sq --profile release\ndef f(): pass", None) == (
        "cython_pin",
        "sq --profile release",
        "def f(): pass\n",
    )
    assert split_cell("\n\n%%cython_pin\nx = 1\n", None) == ("cython_pin", "", "x = 1\n")
    assert split_cell("print(1)\n", None) is None
    assert split_cell("%%time\nx = 1\n", None) == ("time", "", "x = 1\n")


def test_prebuild_then_run_is_a_hit_that_says_built_ahead(shell, shown, seen):
    src = _fresh_source()
    cell = "%%cython_pin --profile release\n" + src
    res = prebuild({"cell_id": "c1", "generation": 1, "source": cell}, shell)
    assert res["decision"] == "started" and res["reason"] is None
    _wait(lambda: _final(seen, 1))
    assert _states(seen, "c1") == [(1, "cython"), (1, "done")]
    assert ("cache_changed", {"cache_dir": os.environ["CYTHON_PIN_CACHE_DIR"]}) in seen
    name = f"cython_pin_{res['key'][:16]}"
    assert name not in sys.modules  # the kernel never imported what the server built
    entry = os.path.join(os.environ["CYTHON_PIN_CACHE_DIR"], res["key"])
    assert os.path.exists(os.path.join(entry, "meta.json"))
    server = _server_for(os.environ["CYTHON_PIN_CACHE_DIR"])  # it stays, warm, for the next edit
    assert server
    with open(f"/proc/{server}/maps") as f:
        assert entry not in f.read()  # nor did the server load it

    shell.run_cell(cell)
    payload = shown[-1]["application/vnd.cython-pin.build+json"]
    assert payload["key"] == res["key"] and payload["used_cache"] is True
    assert payload["built_ahead_utc"] is not None and payload["profile"] == "release"
    with open(os.path.join(entry, "meta.json")) as f:  # when the entry was made, not when the build began
        assert payload["built_ahead_utc"] == json.load(f)["created_utc"]
    assert "built ahead: in the background at " + payload["built_ahead_utc"] in shown[-1]["text/plain"]
    assert shell.user_ns["f"](3) == 9 + int(src.split("+ ")[1])
    shell.run_cell(cell)  # the second run: a plain hit, nothing to explain
    again = shown[-1]["application/vnd.cython-pin.build+json"]
    assert again["used_cache"] is True and again["built_ahead_utc"] is None
    assert "built ahead" not in shown[-1]["text/plain"]
    assert prebuild({"cell_id": "c1", "generation": 2, "source": cell}, shell)["decision"] == "cached"


def test_an_annotated_build_ahead_brings_the_cells_line_scores_and_the_run_shows_none(shell, shown, seen):
    more = "def g(x):\n    return x + 1\n\ncdef int h(int a):\n    return a * 2\n"
    cell = "%%cython_pin\n" + _fresh_source() + more
    res = prebuild({"cell_id": "ann", "generation": 4, "source": cell, "annotate": True}, shell)
    assert res["decision"] == "started"
    _wait(lambda: _final(seen, 4))
    (done,) = [d for e, d in seen if e == "prebuild_state" and d["stage"] == "done"]
    (cython_state,) = [d for e, d in seen if e == "prebuild_state" and d["stage"] == "cython"]
    # the scores come as soon as Cython wrote them (before the C compiler), the same again when done
    assert cython_state["annotation"] == done["annotation"]
    check("Event", make_event("prebuild_state", cython_state))
    lines = {ln["line"]: ln for ln in done["annotation"]["lines"]}
    cell_lines = cell.split("\n")
    for n in (2, 3, 4, 5, 7, 8):  # on the cell's lines: the magic line is 1
        assert lines[n]["source"] == cell_lines[n - 1]
    assert lines[5]["score"] > 0 and "__pyx_v_x" in lines[5]["c_code"]  # x + 1 on a Python object
    assert lines[8]["score"] == 0 and "__pyx_v_a * 2" in lines[8]["c_code"]  # pure C
    assert done["annotation"]["max_score"] == max(ln["score"] for ln in lines.values())
    assert "full_c" not in done["annotation"]
    check("Event", make_event("prebuild_state", done))  # the contract's shape

    # The entry is the one the plain cell's run uses (same key), and that run shows no annotation.
    shell.run_cell(cell)
    payload = shown[-1]["application/vnd.cython-pin.build+json"]
    assert payload["key"] == res["key"] and payload["used_cache"] is True
    assert payload["annotation"] is None and "text/html" not in shown[-1]
    assert shell.user_ns["g"](2) == 3
    entry = os.path.join(os.environ["CYTHON_PIN_CACHE_DIR"], res["key"])
    with open(os.path.join(entry, "meta.json")) as f:
        assert json.load(f)["annotation"] is None
    assert os.path.exists(os.path.join(entry, "annotation.json"))


def test_a_build_ahead_not_asked_to_annotate_writes_and_sends_no_annotation(shell, seen):
    cell = "%%cython_pin\n" + _fresh_source()
    res = prebuild({"cell_id": "plain", "generation": 1, "source": cell}, shell)
    _wait(lambda: _final(seen, 1))
    (done,) = [d for e, d in seen if e == "prebuild_state" and d["stage"] == "done"]
    assert "annotation" not in done
    entry = os.path.join(os.environ["CYTHON_PIN_CACHE_DIR"], res["key"])
    assert not os.path.exists(os.path.join(entry, "annotation.json"))


def test_an_annotated_cell_built_ahead_keeps_its_annotation_for_the_run(shell, shown, seen):
    cell = "%%cython_pin -a\n" + _fresh_source()
    res = prebuild({"cell_id": "a", "generation": 2, "source": cell, "annotate": True}, shell)
    _wait(lambda: _final(seen, 2))
    (done,) = [d for e, d in seen if e == "prebuild_state" and d["stage"] == "done"]
    assert [ln["line"] for ln in done["annotation"]["lines"]][:2] == [2, 3]
    shell.run_cell(cell)
    payload = shown[-1]["application/vnd.cython-pin.build+json"]
    assert payload["key"] == res["key"] and payload["used_cache"] is True
    assert [ln["line"] for ln in payload["annotation"]["lines"]][:2] == [2, 3]


def test_cython_error_arrives_as_a_live_diagnostic_on_the_cell_line(shell, seen):
    cell = "%%cython_pin\n" + _fresh_source() + "def g(int n):\n    return n +\n"
    res = prebuild({"cell_id": "bad", "generation": 7, "source": cell}, shell)
    assert res["decision"] == "started"
    _wait(lambda: _final(seen, 7))
    states = [d for e, d in seen if e == "prebuild_state"]
    assert [d["stage"] for d in states] == ["cython", "failed"]
    (diag,) = [d for d in states[0]["diagnostics"] if d["severity"] == "error"]
    assert diag["line"] == 5 and diag["source"] == "cython"  # `return n +` is the cell's 5th line
    assert states[0]["key"] == res["key"]
    assert not os.path.exists(os.path.join(os.environ["CYTHON_PIN_CACHE_DIR"], res["key"]))


def test_cython_warnings_arrive_before_the_c_compiler_and_the_build_goes_on(shell, seen):
    cell = (
        "%%cython_pin\n" + _fresh_source() + "cdef int unused_thing(int x):\n    cdef int y\n    return x\n"
    )
    res = prebuild({"cell_id": "warn", "generation": 1, "source": cell}, shell)
    _wait(lambda: _final(seen, 1))
    states = [d for e, d in seen if e == "prebuild_state"]
    assert [d["stage"] for d in states] == ["cython", "done"], states
    assert res["decision"] == "started"


def test_skips_and_cached(shell, square):
    def ask(source: str) -> dict[str, Any]:
        return prebuild({"cell_id": "s", "generation": 0, "source": source}, shell)

    from cython_pin.constants import PREBUILD_MAX_SOURCE_CHARS

    old = build_servers(os.environ["XDG_RUNTIME_DIR"])
    stop_build_servers(os.environ["XDG_RUNTIME_DIR"])
    assert ask("%%cython_pin\n" + square_source())["decision"] == "cached"
    # started by a cached answer, so the next edit's build finds it warm
    _wait(lambda: _server_for(os.environ["CYTHON_PIN_CACHE_DIR"]) not in (0, *old))
    assert ask("%%cython_pin\n" + square_source())["key"] == square.key
    big = ask("%%cython_pin\n" + "x = 1\n" * (PREBUILD_MAX_SOURCE_CHARS // 6 + 1))
    assert big["decision"] == "skipped" and big["key"] is None
    assert f"over {PREBUILD_MAX_SOURCE_CHARS}" in big["reason"]
    assert ask("print(1)\n")["reason"] == "not a %%cython_pin cell"
    assert ask("%%cython\ndef f(): pass\n")["reason"] == "not a %%cython_pin cell"  # takeover is off
    assert ask("%%cython_pin --profile nope\nx = 1\n")["reason"].startswith("bad %%cython_pin line: ")
    assert ask("%%cython_pin -f\nx = 1\n")["reason"] == "--force rebuilds on every run"
    assert "--pgo" in ask("%%cython_pin --pgo\nx = 1\n")["reason"]
    assert "empty" in ask("%%cython_pin\n\n")["reason"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CYTHON_PIN_BUILD_SERVER", "0")
        off = ask("%%cython_pin\n" + _fresh_source())
    assert off["decision"] == "skipped" and "CYTHON_PIN_BUILD_SERVER=0" in off["reason"]


def square_source() -> str:
    from support import SQUARE

    return SQUARE


def test_foreground_build_reports_its_stages(seen):
    import cython_pin

    res = cython_pin.compile_and_load_result(_fresh_source())
    progress = [d for e, d in seen if e == "build_progress"]
    assert [d["stage"] for d in progress] == ["cython", "compile"]
    assert {d["key"] for d in progress} == {res.key}
    assert {d["module_name"] for d in progress} == {res.module_name}
    cython_pin.compile_and_load_result("x = 1\n")  # built here or by an earlier test
    seen.clear()
    cython_pin.compile_and_load_result("x = 1\n")  # a hit reports nothing
    assert seen == []


def test_newer_source_cancels_the_older_build_of_the_cell(slow_cc, private_scheduler):
    sched, got = private_scheduler
    first, second = _request("c", 1, _fresh_source()), _request("c", 2, _fresh_source())
    sched.submit(first)
    _wait(lambda: (1, "cython") in [(d["generation"], d["stage"]) for _e, d in got])  # in the C compiler
    sched.submit(second)
    _wait(lambda: any(d["generation"] == 2 and d["stage"] == "done" for _e, d in got))
    states = [(d["generation"], d["stage"]) for e, d in got if e == "prebuild_state"]
    assert states == [(1, "cython"), (1, "cancelled"), (2, "cython"), (2, "done")]
    cancelled = next(d for _e, d in got if d.get("stage") == "cancelled")
    assert cancelled["elapsed_s"] < float(os.environ.get("AHEAD_CC_SLEEP", 2)) + 5
    root = first.root
    assert not os.path.exists(os.path.join(root, first.key))
    assert os.path.exists(os.path.join(root, second.key, "meta.json"))
    assert not os.listdir(os.path.join(root, ".staging"))  # the cancelled build left nothing behind


def test_pending_slot_keeps_the_newest_request(private_scheduler):
    sched, got = private_scheduler
    a, b, c = (
        _request("a", 1, _fresh_source()),
        _request("b", 1, _fresh_source()),
        _request("c", 1, _fresh_source()),
    )
    sched.submit(a)
    sched.submit(b)  # waits behind a (another cell: a is not cancelled)
    sched.submit(c)  # replaces b in the one pending slot
    _wait(lambda: not sched.busy)
    states = [(d["cell_id"], d["stage"]) for e, d in got if e == "prebuild_state"]
    assert ("b", "cancelled") in states and ("a", "done") in states and ("c", "done") in states
    assert states.index(("a", "done")) < states.index(("c", "cython"))  # one build at a time


def test_compile_during_the_build_ahead_waits_for_it_and_compiles_once(slow_cc, private_scheduler, seen):
    import cython_pin

    sched, got = private_scheduler
    src = _fresh_source()
    req = _request("c", 1, src)
    sched.submit(req)
    _wait(lambda: slow_cc() == 1)  # the server's build is in its C compiler
    res = cython_pin.compile_and_load_result(src)
    assert res.key == req.key and res.used_cache is True and res.built_ahead_utc is not None
    assert res.module.f(2) == 4 + int(src.split("+ ")[1])
    assert slow_cc() == 1  # one compiler run in all: the server's
    assert [d["stage"] for e, d in seen if e == "build_progress"] == ["waiting"]
    _wait(lambda: not sched.busy)
    assert [d["stage"] for e, d in got if e == "prebuild_state"] == ["cython", "done"]


def test_a_dead_server_fails_the_running_build_and_the_next_request_starts_a_new_one(
    slow_cc, private_scheduler, monkeypatch
):
    sched, got = private_scheduler
    req = _request("c", 1, _fresh_source())
    sched.submit(req)
    _wait(lambda: any(d["stage"] == "cython" for _e, d in got))
    server = _server_for(req.root)
    assert server
    os.kill(server, 9)
    _wait(lambda: any(d.get("stage") == "failed" for _e, d in got))
    failed = next(d for _e, d in got if d.get("stage") == "failed")
    assert "build server stopped" in failed["diagnostics"][0]["message"]
    monkeypatch.setenv("AHEAD_CC_SLEEP", "0")
    sched.submit(_request("c", 2, req.source))
    _wait(lambda: any(d.get("generation") == 2 and d["stage"] == "done" for _e, d in got))
    assert _server_for(req.root) not in (0, server)


def test_real_ipykernel_keeps_running_cells_during_a_build_ahead(tmp_path, slow_cc):
    """The prebuild reply comes at once, a cell runs and replies while the server builds, and the server's
    prebuild_state events reach the frontend from the scheduler's thread."""
    jc = pytest.importorskip("jupyter_client.manager")
    from test_kernel import _iopub_until

    env = dict(os.environ, PYTHONPATH=HELPER, AHEAD_CC_SLEEP="3")
    km, kc = jc.start_new_kernel(kernel_name="python3", env=env)
    try:
        comm_id = open_helper_comm(kc)
        cell = "%%cython_pin\n" + _fresh_source()
        request = {
            "type": "request",
            "id": "p1",
            "op": "prebuild",
            "args": {"cell_id": "k", "generation": 1, "source": cell},
        }
        kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": request}))
        msg = _iopub_until(
            kc, lambda m: m["msg_type"] == "comm_msg" and m["content"]["data"].get("id") == "p1"
        )
        assert msg["content"]["data"]["result"]["decision"] == "started"

        order: list[str] = []
        mid = kc.execute(
            "import time; t=time.perf_counter(); sum(range(10**7)); print(time.perf_counter()-t)"
        )
        deadline = time.monotonic() + 120
        while "done" not in order and time.monotonic() < deadline:
            try:
                m = kc.get_iopub_msg(timeout=1)
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if m["msg_type"] == "status" and m["parent_header"].get("msg_id") == mid:
                if m["content"]["execution_state"] == "idle":
                    order.append("cell finished")
            elif m["msg_type"] == "comm_msg" and m["content"]["data"].get("event") == "prebuild_state":
                order.append(m["content"]["data"]["data"]["stage"])
        assert "cell finished" in order and order.index("cell finished") < order.index("done"), order
        assert order.count("done") == 1 and "cython" in order
        reply = kc.get_shell_msg(timeout=10)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_going_back_to_the_source_being_cancelled_builds_it_again(slow_cc, private_scheduler):
    sched, got = private_scheduler
    src_a, src_b = _fresh_source(), _fresh_source()
    sched.submit(_request("c", 1, src_a))
    _wait(lambda: any(d["stage"] == "cython" for _e, d in got))
    sched.submit(_request("c", 2, src_b))  # cancels the build of A
    sched.submit(_request("c", 3, src_a))  # back to A: B is dropped, A is built again
    _wait(lambda: any(d.get("generation") == 3 and d["stage"] == "done" for _e, d in got))
    states = [(d["generation"], d["stage"]) for e, d in got if e == "prebuild_state"]
    assert states == [(1, "cython"), (2, "cancelled"), (1, "cancelled"), (3, "cython"), (3, "done")]


def test_a_key_the_server_does_not_agree_with_is_not_built(private_scheduler):
    sched, got = private_scheduler
    req = _request("c", 1, _fresh_source())
    real_key, req.key = req.key, "0" * 64
    sched.submit(req)
    _wait(lambda: not sched.busy)
    (state,) = [d for e, d in got if e == "prebuild_state"]
    assert state["stage"] == "failed" and state["key"] == "0" * 64
    assert "environments differ" in state["diagnostics"][0]["message"]
    assert not os.path.exists(os.path.join(req.root, real_key))


def test_a_closing_kernel_cancels_its_build_ahead_and_its_compiler_goes_too(
    slow_cc, private_scheduler, monkeypatch
):
    """The kernel's exit cancels its build ahead: the server's build child and its compiler stop now; the
    build ran niced, in a process group of its own (its compilers in it)."""
    monkeypatch.setenv("AHEAD_CC_SLEEP", "60")
    sched, got = private_scheduler
    req = _request("c", 1, _fresh_source())
    sched.submit(req)
    _wait(lambda: _in_its_compiler(slow_cc, got))
    server = _server_for(req.root)
    (child,) = _build_children(server)
    with open(f"/proc/{child}/stat") as f:
        group = int(f.read().rsplit(")", 1)[1].split()[2])
    assert group == child
    assert os.getpriority(os.PRIO_PROCESS, child) == min(
        19, os.getpriority(os.PRIO_PROCESS, server) + AHEAD_NICE
    )
    sched.close()  # what the kernel's exit does
    _wait(lambda: live_processes(group=group) == [], timeout=15)  # the child and the compiler went
    _wait(lambda: not sched.busy)
    assert [d["stage"] for e, d in got if e == "prebuild_state"] == ["cython", "cancelled"]
    assert server in build_servers(os.environ["XDG_RUNTIME_DIR"])  # the server stays


def test_the_same_source_again_renames_the_running_build_and_keeps_another_cells_pending(
    slow_cc, private_scheduler, monkeypatch
):
    monkeypatch.setenv("AHEAD_CC_SLEEP", "1")
    sched, got = private_scheduler
    src = _fresh_source()
    first = _request("a", 1, src)
    sched.submit(first)
    _wait(lambda: _in_its_compiler(slow_cc, got))
    sched.submit(_request("b", 1, _fresh_source()))  # another cell: waits in the pending slot
    sched.submit(_request("a", 2, src))  # an edit that came back to the same text: the running build is it
    _wait(lambda: not sched.busy)
    states = [(d["cell_id"], d["generation"], d["stage"]) for e, d in got if e == "prebuild_state"]
    expected = [("a", 1, "cython"), ("a", 2, "done"), ("b", 1, "cython"), ("b", 1, "done")]
    assert states == expected, (got, _server_log(first.root))
    assert slow_cc() == 2


def test_prebuild_requests_the_schema_refuses_are_protocol_errors():
    from cython_pin.jupyter.ops import dispatch

    def reply(**args: Any) -> dict[str, Any]:
        return dispatch({"type": "request", "id": "p", "op": "prebuild", "args": args})

    cell = "%%cython_pin\nx = 1\n"
    assert reply(cell_id="c", generation=-1, source=cell)["error"]["type"] == "ProtocolError"
    assert reply(cell_id="", generation=0, source=cell)["error"]["type"] == "ProtocolError"
    assert reply(cell_id="c", generation=True, source=cell)["error"]["type"] == "ProtocolError"
    ok = reply(cell_id="c", generation=0, source="print(1)\n")
    assert ok["ok"] and ok["result"]["decision"] == "skipped"


def test_how_long_ago_a_build_ahead_was():
    from cython_pin.report.result import _ago

    def at(seconds_ago: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))

    assert _ago(at(3)) in (" (3 s ago)", " (4 s ago)")
    assert _ago(at(600)) == " (10 min ago)"
    assert _ago(at(3 * 3600 + 5)) == " (3 h ago)"
    assert _ago(at(5 * 86400 + 5)) == " (5 days ago)"
    assert _ago("not a time") == ""


def test_the_server_builds_with_the_kernels_compiler_flags_as_of_the_request(private_scheduler, monkeypatch):
    """A `%env CFLAGS=...` after the server started: the server computes the kernel's key, builds with it."""
    for name in ("CFLAGS", "CPPFLAGS", "LDFLAGS", "LDSHARED"):
        monkeypatch.delenv(name, raising=False)
    sched, got = private_scheduler
    sched.start_server()  # started with the environment as it was
    monkeypatch.setenv("CFLAGS", "-DAHEAD_VALUE=11")
    src = (
        'cdef extern from *:\n    """\n    #ifndef AHEAD_VALUE\n    #define AHEAD_VALUE 0\n    #endif\n'
        f'    """\n    int AHEAD_VALUE\n\ndef v():\n    return AHEAD_VALUE + {uuid.uuid4().int % 10**9} * 0\n'
    )
    req = _request("c", 1, src)
    sched.submit(req)
    _wait(lambda: not sched.busy)
    assert [d["stage"] for e, d in got if e == "prebuild_state"] == ["cython", "done"]
    import cython_pin

    res = cython_pin.compile_and_load_result(src)
    assert res.key == req.key and res.used_cache and res.module.v() == 11


def test_a_cancel_once_the_build_is_being_published_is_too_late(tmp_path, monkeypatch):
    """A build child (forked here, as the server forks it): a cancel (its SIGUSR1) that arrives while the
    finished build is being published leaves the entry published, reported built, and its upload queued."""
    import signal

    import cython_pin.build.cold as cold
    import cython_pin.cache.tiers as tiers
    from cython_pin.server.client import kernel_context
    from cython_pin.server.runner import run

    root = tmp_path / "cache"
    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", str(root))
    uploads: list[str] = []

    class RecordingTeam:
        def fetch(self, root: str, key: str, opts: Any) -> tuple[None, list[Any]]:
            return None, []

        def after_build(self, root: str, key: str, opts: Any) -> list[Any]:
            uploads.append(key)
            return []

    monkeypatch.setattr(tiers, "team_tier", RecordingTeam)
    real_publish = cold.publish

    def publish_while_cancelled(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGUSR1)  # what the server does when the kernel's cancel arrives now
        time.sleep(0.2)  # the signal is handled meanwhile
        real_publish(*args, **kwargs)

    monkeypatch.setattr(cold, "publish", publish_while_cancelled)
    src = _fresh_source()
    req = _request("c", 1, src)
    msg = {"op": "build", "mode": "ahead", "source": src, "opts": {}, "key": req.key, **kernel_context()}
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            out = os.fdopen(w, "w")
            run(msg, lambda m: out.write(json.dumps(m) + "\n"))
            out.write(json.dumps({"uploads": uploads}) + "\n")
            out.flush()
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        reports = [json.loads(line) for line in f]
    os.waitpid(pid, 0)
    assert [m.get("stage") or m.get("op") for m in reports[:-1]] == ["cython", "compile", "result"]
    assert os.path.exists(os.path.join(root, req.key, "meta.json"))
    assert reports[-1] == {"uploads": [req.key]}
