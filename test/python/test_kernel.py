"""jupyter.comm.activate() (the extension runs it as cython_pin.kernel.activate()): idempotent, registers
the comm target, answers requests, pushes events."""

from __future__ import annotations

import os
import time
import uuid

import cython_pin
import pytest
from cython_pin.jupyter import comm as bridge
from protocol_checks import validate
from support import HELPER


class FakeComm:
    def __init__(self):
        self.sent: list[dict] = []
        self.handler = None
        self.close_cb = None

    def send(self, data):
        self.sent.append(data)

    def on_msg(self, fn):
        self.handler = fn

    def on_close(self, fn):
        self.close_cb = fn


class FakeCommManager:
    def __init__(self):
        self.targets = {}

    def register_target(self, name, cb):
        self.targets[name] = cb


class FakeKernel:
    def __init__(self):
        self.comm_manager = FakeCommManager()


@pytest.fixture()
def ip(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell, "kernel", FakeKernel(), raising=False)
    return shell


def test_activate_is_idempotent_and_bridges_comm(ip, square):
    assert bridge.activate() == 1
    assert bridge.activate() == 1
    assert "cython_pin" in ip.magics_manager.magics["cell"]
    cb = ip.kernel.comm_manager.targets["cython_pin"]
    comm = FakeComm()
    cb(comm, {})
    try:
        comm.handler({"content": {"data": {"type": "request", "id": "h", "op": "hello", "args": {}}}})
        assert comm.sent[-1]["ok"] is True and comm.sent[-1]["result"]["protocol_version"] == 1
        cython_pin.pin(square.key, alias="from_user_code", overwrite=True)
        ev = comm.sent[-1]
        validate("event", ev)
        assert ev["event"] == "pins_changed" and ev["data"]["pins"]["from_user_code"] == square.key
        comm.handler(
            {
                "content": {
                    "data": {"type": "request", "id": "u", "op": "unpin", "args": {"alias": "from_user_code"}}
                }
            }
        )
        kinds = [(m["type"], m.get("event")) for m in comm.sent[-2:]]
        assert ("event", "pins_changed") in kinds and ("reply", None) in kinds
    finally:
        comm.close_cb({})
    assert comm not in bridge._comms


def test_activate_outside_ipython_raises(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    with pytest.raises(RuntimeError, match="inside an IPython kernel"):
        bridge.activate()


def _iopub_until(kc, pred, timeout=60):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Exception:  # noqa: BLE001 - queue.Empty
            continue
        seen.append(msg)
        if pred(msg):
            return msg
    raise AssertionError(f"no matching iopub message; saw {[m['msg_type'] for m in seen]}")


def _run(kc, code, timeout=60):
    """Execute ``code``; return the iopub messages up to its idle status."""
    mid = kc.execute(code)
    msgs = []
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        msgs.append(m)
        if (
            m["msg_type"] == "status"
            and m["parent_header"].get("msg_id") == mid
            and m["content"]["execution_state"] == "idle"
        ):
            return msgs


def _events(msgs):
    return [
        m["content"]["data"]
        for m in msgs
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("type") == "event"
    ]


def test_real_ipykernel_activate_comm_and_magic(square, cache_dir):
    jc = pytest.importorskip("jupyter_client.manager")
    env = dict(os.environ, PYTHONPATH=HELPER, CYTHON_PIN_CACHE_DIR=cache_dir)
    km, kc = jc.start_new_kernel(kernel_name="python3", env=env)
    try:
        reply = kc.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={
                "python": "__import__('sys').executable",
                "activate": "__import__('cython_pin.kernel', fromlist=['activate']).activate()",
            },
            reply=True,
            timeout=60,
        )
        assert reply["content"]["user_expressions"]["activate"]["data"]["text/plain"] == "1"

        comm_id = uuid.uuid4().hex
        kc.shell_channel.send(
            kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "cython_pin", "data": {}})
        )
        kc.shell_channel.send(
            kc.session.msg(
                "comm_msg",
                {"comm_id": comm_id, "data": {"type": "request", "id": "1", "op": "hello", "args": {}}},
            )
        )
        msg = _iopub_until(kc, lambda m: m["msg_type"] == "comm_msg")
        data = msg["content"]["data"]
        validate("reply", data)
        assert data["ok"] and data["result"]["cache_dir"] == cache_dir

        msgs = _run(kc, "%%cython_pin kernel_sq\ndef f(int n):\n    return n*n\n")
        displays = [m for m in msgs if m["msg_type"] == "display_data"]
        payload = displays[0]["content"]["data"]["application/vnd.cython-pin.build+json"]
        validate("build_result", payload)
        assert (
            payload["key"] == square.key
            and payload["used_cache"] is True
            and payload["aliases"] == ["kernel_sq"]
        )
        assert [e["event"] for e in _events(msgs)] == ["pins_changed"]
        msgs = _run(kc, "import cython_pin; cython_pin.unpin('kernel_sq')")
        evs = _events(msgs)
        assert len(evs) == 1 and "kernel_sq" not in evs[0]["data"]["pins"]

        bad = (
            '%%cython_pin\ncdef extern from *:\n    """\n    struct S { int a; };\n    """\n'
            "    struct S:\n        int b\ndef f():\n    cdef S s\n    s.b = 1\n    return s.b\n"
        )
        msgs = _run(kc, bad)
        kinds = [m["msg_type"] for m in msgs]
        assert "stream" not in kinds, [m["content"] for m in msgs if m["msg_type"] == "stream"]
        payload = next(m for m in msgs if m["msg_type"] == "display_data")["content"]["data"][
            "application/vnd.cython-pin.build+json"
        ]
        assert payload["status"] == "error" and payload["diagnostics"][0]["line"] == 10
        err = next(m for m in msgs if m["msg_type"] == "error")["content"]
        assert err["ename"] == "BuildError" and len(err["traceback"]) == 1
        assert err["traceback"][0].startswith("BuildError: C compilation failed")
        # The diagnostic is said once: in the result (and its text/plain), not again in the traceback.
        assert not any("s.b" in line or "10:" in line for line in err["traceback"])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
