"""The build server with real processes: fresh interpreters and real ipykernels as its clients, real Cython
and gcc in it. Each test has its own runtime folder (XDG_RUNTIME_DIR) and cache, and kills the servers it
started (found by the marker in their environment)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from support import HELPER, build_servers, run_py, stop_build_servers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_PEERCRED and /proc: Linux")

BUILD = """
import json, os, sys, cython_pin
r = cython_pin.compile_and_load_result({source!r})
print(json.dumps({{"value": r.module.f(7), "used_cache": r.used_cache, "key": r.key,
    "compiler_loaded": any(m.startswith("Cython.Compiler") for m in sys.modules)}}))
"""


def _source(tag: str) -> str:
    return f"def f(int n):\n    return n * {len(tag) + 1}  # {tag}\n"


def _value(tag: str) -> int:
    """What the build of ``_source(tag)`` returns for f(7)."""
    return 7 * (len(tag) + 1)


@pytest.fixture()
def place(tmp_path):
    """A private runtime folder (short: it holds a socket) and cache; their servers are stopped after."""
    runtime = tempfile.mkdtemp(prefix="cpst_")
    os.chmod(runtime, 0o700)
    env = {
        "XDG_RUNTIME_DIR": runtime,
        "CYTHON_PIN_CACHE_DIR": str(tmp_path / "cache"),
        "CYTHON_PIN_BUILD_SERVER_IDLE_S": "120",
    }
    yield env
    stop_build_servers(runtime)
    shutil.rmtree(runtime, ignore_errors=True)


def _build(place: dict[str, str], tag: str, **env: str) -> dict:
    p = run_py(BUILD.format(source=_source(tag)), env={**place, **env}, timeout=180)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def _wait_for(pred, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


REUSE = """
import json, sys, cython_pin
first = cython_pin.compile_and_load_result({plain!r})
again = cython_pin.compile_and_load_result({plain!r})  # the loaded module reused: module-level code not rerun
effects = cython_pin.compile_and_load_result({effects!r})
effects_again = cython_pin.compile_and_load_result({effects!r})
print(json.dumps({{"reused": again.reused_module, "plain_skipped": again.module_code_skipped,
    "effects_skipped": effects_again.module_code_skipped,
    "compiler_loaded": any(m.startswith("Cython.Compiler") for m in sys.modules)}}))
"""


def test_reusing_a_loaded_module_reads_its_effects_from_the_build_not_cythons_parser(place):
    plain = _source("reuse")
    effects = _source("reuse-effects") + "print('module-level code')\n"
    p = run_py(REUSE.format(plain=plain, effects=effects), env=place, timeout=180)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out == {"reused": True, "plain_skipped": False, "effects_skipped": True, "compiler_loaded": False}


def test_cold_builds_go_through_one_server_and_the_process_never_imports_cython(place):
    first = _build(place, "one")
    assert first == {**first, "value": _value("one"), "used_cache": False, "compiler_loaded": False}
    servers = build_servers(place["XDG_RUNTIME_DIR"])
    assert len(servers) == 1
    second = _build(place, "second")
    assert second["value"] == _value("second") and second["compiler_loaded"] is False
    assert build_servers(place["XDG_RUNTIME_DIR"]) == servers  # the same server built both
    hit = _build(place, "one")
    assert hit["used_cache"] is True and hit["key"] == first["key"]
    folder = os.path.join(place["XDG_RUNTIME_DIR"], "cython_pin")
    assert os.stat(folder).st_mode & 0o777 == 0o700
    sock = next(n for n in os.listdir(folder) if n.endswith(".sock"))
    assert os.stat(os.path.join(folder, sock)).st_mode & 0o777 == 0o600
    with open(os.path.join(folder, sock[: -len(".sock")] + ".log")) as f:
        assert "listening on" in f.read()


def test_racing_first_builds_start_one_server(place):
    code = BUILD.format(source=_source("race")).replace("r = ", "time.sleep(max(0, T - time.time())); r = ")
    code = "import time\nT = " + repr(time.time() + 1.5) + "\n" + code
    env = dict(os.environ, PYTHONPATH=HELPER, **place)
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = [json.loads(p.communicate(timeout=180)[0].strip().splitlines()[-1]) for p in procs]
    assert [o["value"] for o in outs] == [_value("race")] * 3
    assert len(build_servers(place["XDG_RUNTIME_DIR"])) == 1


def test_switched_off_builds_in_the_process_and_starts_no_server(place):
    out = _build(place, "off", CYTHON_PIN_BUILD_SERVER="0")
    assert out["value"] == _value("off") and out["compiler_loaded"] is True
    assert build_servers(place["XDG_RUNTIME_DIR"]) == []


WARM_CYTHON = """
import json, os, sys
from Cython.Compiler.Code import UtilityCodeBase
from cython_pin.build.builder import warm_up_cython
before = len(UtilityCodeBase._utility_cache)
warm_up_cython({scratch!r})
print(json.dumps({{"before": before, "after": len(UtilityCodeBase._utility_cache),
    "left": os.path.exists({scratch!r})}}))
"""


def test_the_warm_up_run_loads_cythons_utility_code_and_leaves_nothing(tmp_path):
    scratch = tmp_path / "b-0123.warm"
    scratch.mkdir()
    (scratch / "cython_pin_warm_up.c").write_text("left by a killed server")
    p = run_py(WARM_CYTHON.format(scratch=str(scratch)), timeout=120)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["after"] > r["before"] + 5 and r["left"] is False


CHILD_IMPORTS = """
import json, sys
from cython_pin.build.builder import warm_up_cython
from cython_pin.server import client, daemon, runner

daemon._warm_up()
warm_up_cython({scratch!r})
asked = []


def request(root, msg, on_stage):  # the kernel's request, kept instead of sent
    asked.append(msg)
    raise KeyboardInterrupt


client.request = request
import cython_pin
try:
    cython_pin.compile_and_load_result({source!r})
except KeyboardInterrupt:
    pass
before, replies = set(sys.modules), []
runner.die_with_parent()
runner.run(asked[0], replies.append)  # what a child forked from the warmed server runs
sys.stdout = sys.__stdout__
print(json.dumps({{"new": sorted(set(sys.modules) - before), "reply": replies[-1]["op"]}}))
"""


def test_a_build_child_imports_nothing_the_warmed_server_has_not(place, tmp_path):
    scratch = str(tmp_path / "warm")
    p = run_py(CHILD_IMPORTS.format(source=_source("child imports"), scratch=scratch), env=place, timeout=120)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r == {"new": [], "reply": "result"}


def test_builds_after_the_first_are_forked_from_a_warmed_server(place):
    assert _build(place, "first")["value"] == _value("first")
    log = os.path.join(place["XDG_RUNTIME_DIR"], "cython_pin")
    [name] = [n for n in os.listdir(log) if n.endswith(".log")]
    _wait_for(lambda: "warm: Cython has run once" in open(os.path.join(log, name)).read())
    frozen = re.search(r"warm-up imports done \((\d+) objects frozen\)", open(os.path.join(log, name)).read())
    assert frozen and int(frozen.group(1)) > 10_000  # Cython's compiler, out of the collector's way
    assert [n for n in os.listdir(log) if n.endswith(".warm")] == []  # its scratch folder went
    assert _build(place, "second")["value"] == _value("second")


def test_the_server_exits_when_idle(place):
    _build(place, "idle", CYTHON_PIN_BUILD_SERVER_IDLE_S="1")
    folder = os.path.join(place["XDG_RUNTIME_DIR"], "cython_pin")
    _wait_for(lambda: build_servers(place["XDG_RUNTIME_DIR"]) == [])
    assert not any(n.endswith(".sock") for n in os.listdir(folder))
    assert _build(place, "idle again")["value"] == _value("idle again")  # the next build starts a new one


SLOW_CC = """#!/bin/sh
case "$*" in *"{marker}"*) sleep {delay};; esac
exec gcc "$@"
"""


def _slow_compiler(tmp_path, marker: str, delay: float) -> str:
    path = tmp_path / "slowcc"
    path.write_text(SLOW_CC.format(marker=marker, delay=delay))
    path.chmod(0o755)
    return str(path)


def test_a_server_killed_mid_build_is_replaced_and_leaves_no_half_entry(place, tmp_path):
    cc = _slow_compiler(
        tmp_path, "cython_pin_", 3
    )  # only the module's compile: its source is cython_pin_<key>.c
    env = dict(os.environ, PYTHONPATH=HELPER, CC=cc, **place)
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD.format(source=_source("killed"))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    runtime = place["XDG_RUNTIME_DIR"]
    # the server and its build child
    _wait_for(lambda: len(build_servers(runtime, children=True)) >= 2, timeout=120)
    (first,) = build_servers(runtime)
    os.kill(first, signal.SIGKILL)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["value"] == _value(
        "killed"
    )  # built again by a new server
    (second,) = build_servers(runtime)
    assert second != first
    cache = place["CYTHON_PIN_CACHE_DIR"]
    _wait_for(lambda: os.listdir(os.path.join(cache, ".staging")) == [], timeout=30)
    entries = [n for n in os.listdir(cache) if len(n) == 64]
    assert len(entries) == 1 and os.path.exists(os.path.join(cache, entries[0], "meta.json"))
    assert len(build_servers(runtime, children=True)) == 1  # the killed server's child went with it


def test_an_interrupt_cancels_the_build_in_the_server(place, tmp_path):
    cc = _slow_compiler(tmp_path, "cython_pin_", 30)
    # Ctrl-C as a terminal's Python gets it: a test run from a background job (CI) hands its processes
    # SIGINT ignored, and Python then keeps it ignored.
    code = (
        "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import cython_pin, sys\ntry:\n"
        f"    cython_pin.compile_and_load_result({_source('interrupted')!r})\n"
        "except KeyboardInterrupt:\n    print('interrupted')\n"
    )
    env = dict(os.environ, PYTHONPATH=HELPER, CC=cc, **place)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    runtime = place["XDG_RUNTIME_DIR"]
    _wait_for(lambda: len(build_servers(runtime, children=True)) >= 2, timeout=120)
    # in the C compiler now (this build's: its environment names this test's runtime folder)
    _wait_for(lambda: _processes_running("sleep 30", runtime), timeout=60)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert out.strip() == "interrupted", f"exit {proc.returncode}; stderr: {err[-3000:]}"
    _wait_for(lambda: len(build_servers(runtime, children=True)) == 1, timeout=30)  # the server stays
    _wait_for(lambda: not _processes_running("sleep 30", runtime), timeout=30)  # the compiler was stopped
    cache = place["CYTHON_PIN_CACHE_DIR"]
    assert [n for n in os.listdir(cache) if len(n) == 64] == []


def _processes_running(cmdline: str, runtime: str) -> bool:
    """Is a process with this command line running with ``runtime`` as its XDG_RUNTIME_DIR."""
    mark = f"XDG_RUNTIME_DIR={runtime}".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().replace(b"\0", b" ").strip() != cmdline.encode():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0"):
                    return True
        except OSError:
            continue
    return False


def test_a_connection_from_another_uid_is_refused(place):
    if os.getuid() != 0:
        pytest.skip("needs root to run a client as another user")
    _build(place, "uid")
    folder = os.path.join(place["XDG_RUNTIME_DIR"], "cython_pin")
    sock = next(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".sock"))
    # open the folders up, as a careless setup might: the server still checks who connects
    os.chmod(place["XDG_RUNTIME_DIR"], 0o711)
    os.chmod(folder, 0o711)
    os.chmod(sock, 0o777)
    assert _as_nobody(sock) == b""  # connected, then closed without a word
    with open(sock[: -len(".sock")] + ".log") as f:
        assert "refused a connection from uid 65534" in f.read()


def _as_nobody(path: str) -> bytes:
    """What the server at ``path`` answers a hello from uid 65534 (a forked child that became nobody:
    this interpreter's files may be out of its reach)."""
    import socket

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(20)
            s.connect(path)
            try:
                s.sendall(b'{"op": "hello", "identity": {}}\n')
                answer = s.recv(100)
            except (BrokenPipeError, ConnectionResetError):  # closed on it, before or after its hello
                answer = b""
            os.write(w, b"answer:" + answer)
        except BaseException as e:  # noqa: BLE001 - reported to the test
            os.write(w, f"error:{e!r}".encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read()
    os.waitpid(pid, 0)
    assert out.startswith(b"answer:"), out
    return out[len(b"answer:") :]


def test_a_kernel_started_by_a_relative_interpreter_path_gets_its_server(place, tmp_path):
    # sys.executable keeps the ".." of a relative start; the server started by that absolute path would not
    python = os.path.relpath(sys.executable, tmp_path)
    assert ".." in python
    env = {**os.environ, **place, "PYTHONPATH": HELPER}
    p = subprocess.run(
        [python, "-c", BUILD.format(source=_source("relative"))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout.strip().splitlines()[-1])["value"] == _value("relative")
    assert len(build_servers(place["XDG_RUNTIME_DIR"])) == 1


def test_a_server_that_describes_itself_otherwise_is_a_clear_error_not_a_wait(place):
    code = (
        "import cython_pin.server.client as c\n"
        "real = c.identity\n"
        "c.identity = lambda root: {**real(root), 'cython': '0.0.test'}  # what its own server will not say\n"
        + BUILD.format(source=_source("otherwise"))
    )
    p = run_py(code, env=place, timeout=120)
    assert p.returncode != 0
    assert "the build server this process starts differs from it (cython '" in p.stderr, p.stderr[-2000:]
    assert "this process '0.0.test'" in p.stderr and "restart the kernel" in p.stderr


def test_package_files_changed_under_a_running_kernel_say_restart_not_a_wait(place, tmp_path):
    copy = tmp_path / "pkg"
    shutil.copytree(os.path.join(HELPER, "cython_pin"), copy / "cython_pin")
    (copy / "cython_pin" / "_version.py").write_text('"""A copy."""\n\n__version__ = "0.0.0.copy"\n')
    script = (
        "import sys, cython_pin\n"
        f"cython_pin.compile_and_load_result({_source('before')!r})\n"
        "print('built', flush=True)\n"
        "sys.stdin.readline()\n"
        f"cython_pin.compile_and_load_result({_source('after')!r})\n"
    )
    env = {**os.environ, **place, "PYTHONPATH": str(copy)}
    p = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "built"
        # an editable install edited while the kernel runs, and its server gone (idle exit): the next one
        # starts from the new files
        names = copy / "cython_pin" / "names.py"
        names.write_text(names.read_text() + "\n")
        stop_build_servers(place["XDG_RUNTIME_DIR"])
        _out, err = p.communicate("go\n", timeout=120)
    finally:
        p.kill()
    assert p.returncode != 0
    assert (
        "the build server this process starts differs from it "
        "(cython_pin's files changed since this process imported them)" in err
    ), err[-2000:]
    assert "restart the kernel" in err


def test_a_server_of_another_version_is_not_used(place, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(os.path.join(HELPER, "cython_pin"), other / "cython_pin")
    (other / "cython_pin" / "_version.py").write_text(
        '"""Another version."""\n\n__version__ = "0.0.0.test"\n'
    )
    runtime = place["XDG_RUNTIME_DIR"]
    assert _build(place, "mine")["value"] == _value("mine")
    (mine,) = build_servers(runtime)
    assert _build(place, "theirs", PYTHONPATH=str(other))["value"] == _value("theirs")
    servers = build_servers(runtime)
    assert len(servers) == 2 and mine in servers  # beside it, under another name
    # the same version with other code (an editable install being worked on): replaced, not doubled
    (other / "cython_pin" / "names.py").write_text((other / "cython_pin" / "names.py").read_text() + "\n")
    assert _build(place, "theirs again", PYTHONPATH=str(other))["value"] == _value("theirs again")
    _wait_for(lambda: len(build_servers(runtime)) == 2)
    assert mine in build_servers(runtime) and not set(build_servers(runtime)) & (set(servers) - {mine})


def test_two_real_kernels_share_one_server(place):
    jc = pytest.importorskip("jupyter_client.manager")
    env = dict(os.environ, PYTHONPATH=HELPER, **place)
    kernels = [jc.start_new_kernel(kernel_name="python3", env=env) for _ in range(2)]
    runtime = place["XDG_RUNTIME_DIR"]
    try:
        for i, (_km, kc) in enumerate(kernels):
            reply = kc.execute(
                "import cython_pin.kernel; cython_pin.kernel.activate()",
                store_history=False,
                reply=True,
                timeout=60,
            )
            assert reply["content"]["status"] == "ok"
            if i == 0:  # activation starts the server, before any build
                _wait_for(lambda: len(build_servers(runtime)) == 1, timeout=60)
            reply = kc.execute(
                f"%%cython_pin\ndef f(int n):\n    return n + {i}\n",
                store_history=False,
                reply=True,
                timeout=120,
            )
            assert reply["content"]["status"] == "ok"
            reply = kc.execute(
                "",
                silent=True,
                user_expressions={
                    "value": "f(40)",
                    "compiler": "any(m.startswith('Cython.Compiler') for m in __import__('sys').modules)",
                },
                reply=True,
                timeout=60,
            )
            got = reply["content"]["user_expressions"]
            assert got["value"]["data"]["text/plain"] == str(40 + i)
            assert got["compiler"]["data"]["text/plain"] == "False"
        assert len(build_servers(runtime)) == 1
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def test_a_cache_hit_never_reaches_the_server(place):
    first = _build(place, "hit")
    stop_build_servers(place["XDG_RUNTIME_DIR"])
    _wait_for(lambda: build_servers(place["XDG_RUNTIME_DIR"]) == [])
    again = _build(place, "hit")
    assert again["used_cache"] is True and again["key"] == first["key"]
    assert build_servers(place["XDG_RUNTIME_DIR"]) == []  # none was started for it


def test_a_build_childs_exception_is_raised_again_as_itself():
    from cython_pin.cache.locks import LockTimeout
    from cython_pin.errors import BuildError
    from cython_pin.report.diagnostics import Diagnostic
    from cython_pin.server.client import ServerError, rebuild_error
    from cython_pin.server.runner import error_fields

    diag = Diagnostic(2, 5, "error", "Expected an identifier", "cython", None)
    err = BuildError(
        "Cython compilation failed", diagnostics=[diag], output="o", log="l", stage="Cython compilation"
    )
    again = rebuild_error(json.loads(json.dumps(error_fields(err))))
    assert isinstance(again, BuildError) and str(again) == str(err)
    assert (again.diagnostics, again.output, again.log, again.stage) == (
        [diag],
        "o",
        "l",
        "Cython compilation",
    )
    assert isinstance(rebuild_error(error_fields(LockTimeout("held"))), LockTimeout)
    assert isinstance(rebuild_error(error_fields(ValueError("bad"))), ValueError)
    assert isinstance(rebuild_error({"type": "SomethingElse", "message": "?"}), ServerError)


@pytest.fixture()
def lone_server(tmp_path):
    """A Server object in this process (no warm-up, no loop running) with one build request from a
    kernel: (server, build, the kernel's end of the connection)."""
    import socket

    from cython_pin.server.daemon import Build, Connection, Server

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "s.sock"))
    listener.listen(1)
    kernel, server_end = socket.socketpair()
    kernel.settimeout(5)
    server = Server(listener, str(tmp_path / "s.sock"), {}, 60.0)
    server.cython_warm = True
    build = Build(Connection(server_end, os.getpid()), {"op": "build", "key": "k" * 64})
    yield server, build, kernel
    server.sel.close()
    for end in (kernel, server_end, listener):
        end.close()


def test_an_unreadable_line_from_a_build_child_is_logged_and_the_build_still_answers(lone_server, capsys):
    """A line on a child's pipe that is not a message (a stray write, a cut line) does not take the server
    down with every build it runs: it is logged and skipped, and the child's outcome still reaches the
    kernel."""
    import selectors

    from cython_pin.server.protocol import dumps

    server, build, kernel = lone_server
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a cut line, then its outcome
        os.write(w, b'{"op":"stage","sta\n' + dumps({"op": "result", "key": "k" * 64}))
        os._exit(0)
    os.close(w)
    build.pid, build.pipe = pid, r
    server.running.append(build)
    server.children[r] = build
    server.sel.register(r, selectors.EVENT_READ, build)
    while r in server.children:
        server._read_child(build)
    assert json.loads(kernel.recv(1 << 16)) == {"op": "result", "key": "k" * 64}
    assert "unreadable line from child" in capsys.readouterr().err


def test_a_build_that_cannot_be_forked_fails_alone_and_the_server_goes_on(lone_server, monkeypatch, capsys):
    """fork() refused (a JupyterHub user's process limit, say): that build gets a clear error, the
    server keeps serving, and no file descriptor is left open."""
    from cython_pin.server import daemon

    server, build, kernel = lone_server
    server.queue.append(build)

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(daemon.os, "fork", refuse)
    fds = len(os.listdir("/proc/self/fd"))
    server._start_builds()
    reply = json.loads(kernel.recv(1 << 16))
    assert reply["op"] == "error" and reply["type"] == "ServerError"
    assert "could not start a build process" in reply["message"]
    assert server.queue == [] and server.running == [] and len(os.listdir("/proc/self/fd")) == fds
    assert "could not fork a build" in capsys.readouterr().err
