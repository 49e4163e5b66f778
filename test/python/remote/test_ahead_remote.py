"""Build ahead with a team cache: the worker asks the team cache before building and uploads what it
builds, as a run in the kernel does (read-write), so building ahead loses no upload and no remote hit."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from conftest import Nodes, Target, source
from cython_pin.ahead.scheduler import Request, Scheduler
from cython_pin.engine import module_key
from cython_pin.remote import manifest as M


def _build_ahead(env: dict[str, str], src: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    """Build ``src`` ahead in a worker started with ``env``; the worker exits after (flushing uploads)."""
    for k in [k for k in os.environ if k.startswith("CYTHON_PIN_")]:
        monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    got: list[dict[str, Any]] = []
    sched = Scheduler(lambda event, data: got.append(data) if event == "prebuild_state" else None)
    key, _o, root, _np = module_key(src, {})
    sched.submit(Request("c", 1, key, src, {}, root, 1))
    deadline = time.monotonic() + 120
    while sched.busy and time.monotonic() < deadline:
        time.sleep(0.01)
    sched.close()
    return key, [d["stage"] for d in got]


@pytest.mark.parametrize("target", ["file"], indirect=True)
def test_build_ahead_uploads_and_fetches(
    nodes: Nodes, target: Target, keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = source("ahead-team")
    a = nodes.env(target.url, mode="read-write", sign=keys.priv, extra=target.rw)
    key, stages = _build_ahead(a, src, monkeypatch)
    assert stages == ["cython", "done"]
    assert target.admin.get(M.manifest_path(M.abi_tag(), key)) is not None  # uploaded by the worker

    b = nodes.env(target.url, extra=target.ro, refuse_cc=True)
    key_b, stages = _build_ahead(b, src, monkeypatch)
    assert key_b == key and stages == ["done"]  # fetched: no Cython pass, no compiler
    assert os.path.exists(os.path.join(b["CYTHON_PIN_CACHE_DIR"], key, "meta.json"))
    assert not os.path.exists(b["CC_REFUSE_LOG"])
    # its first load says where it came from, as a fetch by the run itself would
    for k, v in b.items():
        if k.startswith("CYTHON_PIN_"):
            monkeypatch.setenv(k, v)
    import cython_pin

    first = cython_pin.compile_and_load_result(src)
    assert first.key == key and first.used_cache and first.origin == "remote"
    assert first.signer is not None and first.signer.startswith("SHA256:") and first.built_ahead_utc
    again = cython_pin.compile_and_load_result(src)
    assert again.built_ahead_utc is None  # said once, on the first load
