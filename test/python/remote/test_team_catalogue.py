"""The pin panel's side of the team cache, through the real comm dispatcher against real stores (SeaweedFS
S3 and a file:// directory): the team_catalogue op (status and team pins), the team flag on pin, rename_pin,
unpin and import_pinned, RemoteError, and a status that stays bounded when the store does not answer."""

from __future__ import annotations

import os
import signal
import socket
import time
from typing import Any

import pytest
from conftest import FIGURES, Nodes, Target, Weed, expected, source
from cython_pin.jupyter.ops import dispatch
from cython_pin.remote import current_tier
from support import open_helper_comm

TIMEOUT = 1.5


def send(op: str, ns: dict[str, Any] | None = None, **args: Any) -> dict[str, Any]:
    reply = dispatch({"type": "request", "id": "t", "op": op, "args": args}, user_ns=ns)
    assert reply["id"] == "t"
    return reply


def ok(op: str, ns: dict[str, Any] | None = None, **args: Any) -> dict[str, Any]:
    reply = send(op, ns, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def error(op: str, **args: Any) -> dict[str, str]:
    reply = send(op, **args)
    assert not reply["ok"], reply
    err: dict[str, str] = reply["error"]
    return err


def use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Run this process as the node ``env`` describes (the kernel's environment)."""
    for k in list(os.environ):
        if k.startswith(("CYTHON_PIN_", "AWS_")) and k not in env:
            monkeypatch.delenv(k)
    for k, v in env.items():
        if k.startswith(("CYTHON_PIN_", "AWS_")):
            monkeypatch.setenv(k, v)


def test_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CYTHON_PIN_REMOTE", raising=False)
    cat = ok("team_catalogue")
    assert cat["pins"] == [] and cat["remote"]["configured"] is False
    assert cat["remote"]["reachable"] is None and cat["remote"]["message"] is None
    err = error("pin", key="a" * 64, alias="x", team=True)
    assert err["type"] == "RemoteError" and "CYTHON_PIN_REMOTE" in err["message"]


def test_writer_manages_team_pins_and_a_reader_imports_them(
    nodes: Nodes, target: Target, keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = f"catalogue-{target.kind}"
    use(monkeypatch, nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw))
    writer = ok("team_catalogue")
    assert writer == {
        "remote": {
            "configured": True,
            "url": target.url,
            "mode": "read-write",
            "reachable": True,
            "trusted_keys": 1,
            "can_write": True,
            "signing_key_id": keys.key_id,
            "message": None,
        },
        "pins": [],
    }
    import cython_pin
    from cython_pin import events

    key = cython_pin.compile_and_load_result(source(tag)).key
    seen: list[tuple[str, dict[str, Any]]] = []
    listener = events.subscribe(lambda event, data: seen.append((event, data)))
    try:
        assert ok("pin", key=key, alias="shared_f", team=True) == {"alias": "shared_f", "key": key}
    finally:
        events.unsubscribe(listener)
    # the panel hears of a team pin change as of a personal one (this cache's personal pins: none)
    assert seen == [("pins_changed", {"cache_dir": os.environ["CYTHON_PIN_CACHE_DIR"], "pins": {}})]
    assert error("pin", key=key, alias="shared_f2", team=True)["type"] == "KeyCollisionError"
    assert ok("rename_pin", old="shared_f", new="team_f", team=True) == {"alias": "team_f", "key": key}
    assert ok("pin", key=key, alias="spare", overwrite=True, team=True)["alias"] == "spare"
    assert ok("unpin", alias="spare", team=True) == {"alias": "spare", "removed": True}
    assert ok("list_pins")["pins"] == []  # personal pins untouched
    assert ok("team_catalogue")["pins"] == [{"alias": "team_f", "key": key, "in_cache": True}]

    # a reader on another cache: sees the pin, may not change it, imports it without compiling
    use(monkeypatch, nodes.env(target.url, extra=target.ro, refuse_cc=True))
    t0 = time.monotonic()
    reader = ok("team_catalogue")
    FIGURES[f"team_catalogue_{target.kind}_s"] = round(time.monotonic() - t0, 3)
    assert reader["remote"]["mode"] == "read-only" and reader["remote"]["can_write"] is False
    assert reader["remote"]["reachable"] is True and reader["remote"]["message"] is None
    assert reader["pins"] == [{"alias": "team_f", "key": key, "in_cache": False}]
    err = error("rename_pin", old="team_f", new="other", team=True)
    assert err["type"] == "RemoteError" and "read-only" in err["message"]
    ns: dict[str, Any] = {}
    imported = ok("import_pinned", ns, alias="team_f", team=True)
    assert imported["key"] == key and imported["names"] == ["f"] and ns["f"](7) == expected(tag)
    assert ok("team_catalogue")["pins"] == [{"alias": "team_f", "key": key, "in_cache": True}]
    assert error("import_pinned", alias="nobody", team=True)["type"] == "KeyError"


def test_writer_without_a_trusted_signing_key_cannot_write(
    nodes: Nodes, target: Target, keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, nodes.env(target.url, mode="read-write", sign=keys.untrusted_priv, extra=target.rw))
    st = ok("team_catalogue")["remote"]
    assert st["reachable"] is True and st["can_write"] is False
    assert "not in the trusted keys" in st["message"]
    env = nodes.env(target.url, mode="read-write", extra=target.rw)
    use(monkeypatch, env)
    st = ok("team_catalogue")["remote"]
    assert st["can_write"] is False and "CYTHON_PIN_SIGNING_KEY is not set" in st["message"]


def test_no_trusted_keys_and_bad_settings(nodes: Nodes, target: Target, monkeypatch) -> None:
    env = nodes.env(target.url, extra=target.ro)
    del env["CYTHON_PIN_TRUSTED_KEYS"]
    use(monkeypatch, env)
    cat = ok("team_catalogue")
    assert cat["pins"] == [] and cat["remote"]["trusted_keys"] == 0
    assert "no trusted keys: remote not read" in cat["remote"]["message"]
    use(monkeypatch, nodes.env(target.url, extra={**target.ro, "CYTHON_PIN_REMOTE_MODE": "sometimes"}))
    st = ok("team_catalogue")["remote"]
    assert st["configured"] is True and st["mode"] is None and st["reachable"] is None
    assert "CYTHON_PIN_REMOTE_MODE='sometimes'" in st["message"]
    use(monkeypatch, nodes.env(target.url, mode="off", extra=target.ro))
    st = ok("team_catalogue")["remote"]
    assert st["mode"] == "off" and st["reachable"] is None and "off" in st["message"]


def _s3_env(nodes: Nodes, port: int) -> dict[str, str]:
    return nodes.env(
        f"s3://team/panel-{port}",
        timeout=TIMEOUT,
        extra={
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
            "AWS_REGION": "us-east-1",
        },
    )


def test_unreachable_and_hung_stores_are_bounded(nodes: Nodes, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # nothing listens: refused at once
        s.bind(("127.0.0.1", 0))
        refused_port = s.getsockname()[1]
    use(monkeypatch, _s3_env(nodes, refused_port))
    t0 = time.monotonic()
    cat = ok("team_catalogue")
    FIGURES["team_catalogue_refused_s"] = round(time.monotonic() - t0, 3)
    assert time.monotonic() - t0 <= TIMEOUT + 0.5
    assert cat["pins"] == [] and cat["remote"]["reachable"] is False
    assert "unreachable" in cat["remote"]["message"] and "\n" not in cat["remote"]["message"]

    with socket.socket() as hung:  # accepts connections (backlog) and never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        use(monkeypatch, _s3_env(nodes, hung.getsockname()[1]))
        assert current_tier() is not None
        t0 = time.monotonic()
        cat = ok("team_catalogue")
        took = time.monotonic() - t0
        assert took <= TIMEOUT + 0.5, took
        assert cat["remote"]["reachable"] is False
        assert f"no answer within {TIMEOUT:g} s" in cat["remote"]["message"]
        FIGURES["team_catalogue_hung_s"] = round(took, 3)
        # a build's lookup fails too and the remote is skipped for a while: the panel is not kept waiting
        t = current_tier()
        assert t is not None and t.fetch_into(nodes.base, "0" * 64)[0] is None and t.backing_off()
        t0 = time.monotonic()
        cat = ok("team_catalogue")
        FIGURES["team_catalogue_backing_off_s"] = round(time.monotonic() - t0, 3)
    assert cat["remote"]["reachable"] is False and "back-off" in cat["remote"]["message"]
    assert FIGURES["team_catalogue_backing_off_s"] < 0.5


def _replies(msgs: list[dict[str, Any]], rid: str) -> list[dict[str, Any]]:
    return [
        m["content"]["data"]
        for m in msgs
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("id") == rid
    ]


def _open_writer(fifo: str) -> int:
    """Open ``fifo`` for writing once its reader (the kernel's store lookup) has it open."""
    import errno

    for _ in range(600):
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            if e.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            time.sleep(0.1)
    raise AssertionError("the kernel never read the team cache's store")


def test_team_catalogue_never_holds_the_kernel(nodes: Nodes, tmp_path: Any, monkeypatch) -> None:
    """A store that hangs (a file:// store whose object is a FIFO nobody writes) keeps team_catalogue
    pending, not the kernel: the next execute is answered first; the catalogue follows once the store
    answers."""
    jc = pytest.importorskip("jupyter_client.manager")
    from cython_pin.remote.manifest import manifest_path

    store = os.path.join(str(tmp_path), "hung-store")
    env = nodes.env("file://" + store, timeout=300)
    use(monkeypatch, env)
    t = current_tier()
    assert t is not None
    fifo = os.path.join(store, *manifest_path(t.abi, "0" * 64).split("/"))  # the lookup status makes first
    os.makedirs(os.path.dirname(fifo))
    os.mkfifo(fifo)
    km, kc = jc.start_new_kernel(kernel_name="python3", env=env)
    writer = None
    try:
        comm_id = open_helper_comm(kc)
        request = {"type": "request", "id": "team", "op": "team_catalogue", "args": {}}
        kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": request}))
        reply = kc.execute("", silent=True, user_expressions={"x": "6 * 7"}, reply=True, timeout=60)
        assert reply["content"]["user_expressions"]["x"]["data"]["text/plain"] == "42"
        seen = []
        while True:  # everything the kernel said so far: no catalogue yet, the store has not answered
            try:
                seen.append(kc.get_iopub_msg(timeout=1))
            except Exception:  # noqa: BLE001 - queue.Empty: drained
                break
        assert _replies(seen, "team") == []
        writer = _open_writer(fifo)
        os.close(writer)  # the store answers (an empty object): the catalogue can finish
        for _ in range(120):
            try:
                seen.append(kc.get_iopub_msg(timeout=1))
            except Exception:  # noqa: BLE001 - queue.Empty
                continue
            if _replies(seen, "team"):
                break
        (answer,) = _replies(seen, "team")
        assert answer["type"] == "reply" and answer["ok"], answer
        assert answer["result"]["remote"]["reachable"] is True and answer["result"]["pins"] == []
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_stopped_s3_server_holds_team_catalogue_not_the_kernel(
    nodes: Nodes, weed: Weed, s3url: str
) -> None:
    """SeaweedFS SIGSTOPped (a store that accepts and never answers): while team_catalogue waits for it, the
    kernel answers a cell's next line at once (the catalogue is not out yet then); the catalogue ends within
    the remote timeout."""
    jc = pytest.importorskip("jupyter_client.manager")
    env = nodes.env(s3url, timeout=6, extra=weed.env())
    km, kc = jc.start_new_kernel(kernel_name="python3", env=env)
    try:
        comm_id = open_helper_comm(kc)
        kc.execute("", silent=True, user_expressions={"x": "1"}, reply=True, timeout=60)
        os.kill(weed.proc.pid, signal.SIGSTOP)
        try:
            request = {"type": "request", "id": "stopped", "op": "team_catalogue", "args": {}}
            kc.shell_channel.send(kc.session.msg("comm_msg", {"comm_id": comm_id, "data": request}))
            t0 = time.monotonic()
            reply = kc.execute("", silent=True, user_expressions={"x": "6 * 7"}, reply=True, timeout=60)
            answered = time.monotonic() - t0
            assert reply["content"]["user_expressions"]["x"]["data"]["text/plain"] == "42"
            seen: list[dict[str, Any]] = []
            while True:  # what the kernel said by then: no catalogue, the store has not answered
                try:
                    seen.append(kc.get_iopub_msg(timeout=0.2))
                except Exception:  # noqa: BLE001 - queue.Empty: drained
                    break
            assert _replies(seen, "stopped") == []
            deadline = time.monotonic() + 60
            while not _replies(seen, "stopped") and time.monotonic() < deadline:
                try:
                    seen.append(kc.get_iopub_msg(timeout=1))
                except Exception:  # noqa: BLE001 - queue.Empty
                    continue
            done = time.monotonic() - t0
        finally:
            os.kill(weed.proc.pid, signal.SIGCONT)
        (answer,) = _replies(seen, "stopped")
        assert answer["type"] == "reply" and answer["ok"], answer
        FIGURES["team_catalogue_stopped_store_next_line_s"] = round(answered, 3)
        FIGURES["team_catalogue_stopped_store_reply_s"] = round(done, 3)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_magic_team_pin_result_names_the_team_alias_and_signer(
    nodes: Nodes, target: Target, keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``%%cython_pin ALIAS --team`` the result lists the team alias, marked as team, and says the
    entry is in the team cache, signed by this kernel's key."""
    from IPython.core.interactiveshell import InteractiveShell

    tag = f"magic-team-{target.kind}"
    use(monkeypatch, nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "cython_pin")
    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, metadata=None, **kw: shown.append(data))
    res = shell.run_cell(f"%%cython_pin team_magic --team\n{source(tag)}")
    assert res.success, res.error_in_exec
    assert shell.user_ns["f"](7) == expected(tag)
    payload = shown[-1]["application/vnd.cython-pin.build+json"]
    assert payload["aliases"] == [] and payload["team_aliases"] == ["team_magic"]
    assert payload["team_signer"] == keys.key_id
    assert (
        f"team pin   : team_magic (shared: in the team cache, signed by {keys.key_id})"
        in shown[-1]["text/plain"]
    )
    assert ok("team_catalogue")["pins"] == [{"alias": "team_magic", "key": payload["key"], "in_cache": True}]
