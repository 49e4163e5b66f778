"""Tier policy with an in-memory store: back-off doubling, one warning per failure window, what is never
uploaded, 403 on write -> read-only once. (Real stores: the integration tests one folder up.)"""

from __future__ import annotations

import hashlib
import json

import pytest
from cython_pin.remote import config, tier
from cython_pin.remote.stores import Store, StoreForbidden, StoreUnavailable


class FakeStore(Store):
    def __init__(self) -> None:
        self.url = "mem://"
        self.fail: Exception | None = None
        self.gets = 0

    def get(self, path: str) -> bytes | None:
        self.gets += 1
        if self.fail:
            raise self.fail
        return None

    def put_create(self, path: str, data: bytes) -> bool:
        if self.fail:
            raise self.fail
        return True


@pytest.fixture
def t(tmp_path, monkeypatch) -> tier.Tier:
    trusted = tmp_path / "trusted"
    trusted.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOZos/1Ze3IkVy8GoZDE2PXVItI50gn99Gv9AN4SO1al x\n")
    cfg = config.RemoteConfig("s3://b/p", "read-only", str(trusted), None, timeout_s=1.0, backoff_s=10.0)
    tr = tier.Tier(cfg)
    tr._store = FakeStore()
    return tr


def test_backoff_doubles_and_resets(t: tier.Tier, tmp_path, monkeypatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(tier.time, "monotonic", lambda: now[0])
    store = t._store
    store.fail = StoreUnavailable("down")  # type: ignore[union-attr]
    waits = []
    for _ in range(3):
        fetched, diags = t.fetch_into(str(tmp_path), "a" * 64)
        assert fetched is None and len(diags) == 1 and "unreachable" in diags[0].message
        waits.append(float(diags[0].message.split("next ")[1].split(" s")[0]))
        gets = store.gets  # type: ignore[union-attr]
        assert t.fetch_into(str(tmp_path), "a" * 64) == (None, [])  # skipped, silently
        assert store.gets == gets  # type: ignore[union-attr]
        now[0] += waits[-1] + 0.01
    assert waits == [10.0, 20.0, 40.0]
    store.fail = None  # type: ignore[union-attr]
    assert t.fetch_into(str(tmp_path), "a" * 64) == (None, [])  # answered: a plain miss
    store.fail = StoreUnavailable("down again")  # type: ignore[union-attr]
    assert "next 10 s" in t.fetch_into(str(tmp_path), "a" * 64)[1][0].message  # back to the first step


def test_no_trusted_keys_means_not_read(tmp_path) -> None:
    cfg = config.RemoteConfig("s3://b/p", "read-only", None)
    tr = tier.Tier(cfg)
    tr._store = FakeStore()
    fetched, diags = tr.fetch_into(str(tmp_path), "a" * 64)
    assert fetched is None and "no trusted keys: remote not read" in diags[0].message
    assert tr.fetch_into(str(tmp_path), "a" * 64) == (None, [])  # said once
    assert tr._store.gets == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "opts, words",
    [
        ({"extra_compile_args": ["-O3", "-march=native"]}, "-march=native"),
        ({"extra_compile_args": ["-mtune=native"]}, "-mtune=native"),
        ({"library_dirs": ["/opt/mylibs"]}, "/opt/mylibs"),
        ({"extra_link_args": ["-L/home/me/lib"]}, "/home/me/lib"),
        ({"extra_link_args": ["-Wl,-rpath,/x"]}, "rpath"),
    ],
)
def test_not_shareable(opts: dict, words: str) -> None:
    from types import SimpleNamespace

    full = {"extra_compile_args": [], "extra_link_args": [], "library_dirs": []}
    full.update(opts)
    why = tier.not_shareable(SimpleNamespace(**full))
    assert why is not None and words in why


def test_shareable() -> None:
    from types import SimpleNamespace

    o = SimpleNamespace(
        extra_compile_args=["-O2"], extra_link_args=["-lm"], library_dirs=["/usr/lib/x86_64-linux-gnu"]
    )
    assert tier.not_shareable(o) is None


def test_forbidden_write_switches_to_read_only_once(t: tier.Tier, tmp_path, monkeypatch) -> None:
    from cython_pin.remote import signing

    priv, _pub, _line = signing.keygen(str(tmp_path / "k"), "k", "")
    t.cfg.signing_key = priv
    t.mode = "read-write"
    entry = tmp_path / "c" / ("a" * 64)
    entry.mkdir(parents=True)
    (entry / "m.so").write_bytes(b"not really a module")
    sha = hashlib.sha256(b"not really a module").hexdigest()
    meta = {"key": "a" * 64, "module_name": "m", "artifacts": [{"path": "m.so", "sha256": sha}]}
    (entry / "meta.json").write_text(json.dumps(meta))
    t._store.get = lambda path: None  # type: ignore[method-assign,union-attr]
    t._store.fail = StoreForbidden("403")  # type: ignore[union-attr]
    assert t.upload(str(tmp_path / "c"), "a" * 64) == "failed"
    assert t.mode == "read-only"
    msgs = [d.message for d in t.take_pending()]
    assert len(msgs) == 1 and "now read-only" in msgs[0]
    assert t.upload(str(tmp_path / "c"), "a" * 64) == "skipped" and t.take_pending() == []


@pytest.mark.parametrize(
    "env, words",
    [
        ({"CYTHON_PIN_REMOTE_MODE": "sometimes"}, "CYTHON_PIN_REMOTE_MODE"),
        ({"CYTHON_PIN_REMOTE_TIMEOUT": "-1"}, "CYTHON_PIN_REMOTE_TIMEOUT"),
        ({"CYTHON_PIN_REMOTE_TIMEOUT": "nan"}, "CYTHON_PIN_REMOTE_TIMEOUT"),
        ({"CYTHON_PIN_REMOTE": "http://x"}, "expected s3://"),
    ],
)
def test_config_errors(monkeypatch, env: dict, words: str) -> None:
    monkeypatch.setenv("CYTHON_PIN_REMOTE", "s3://b/p")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(config.RemoteConfigError, match=words):
        config.from_env()


def test_config_defaults(monkeypatch) -> None:
    for k in ("CYTHON_PIN_REMOTE_MODE", "CYTHON_PIN_REMOTE_TIMEOUT", "CYTHON_PIN_TRUSTED_KEYS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.delenv("CYTHON_PIN_REMOTE", raising=False)
    assert config.from_env() is None
    monkeypatch.setenv("CYTHON_PIN_REMOTE", "file:///shared")
    c = config.from_env()
    assert c is not None and c.mode == "read-only" and c.timeout_s == 5.0


def test_team_tier_is_asked_for_in_one_place() -> None:
    """cache.tiers.team_tier(): None without importing cython_pin.remote when CYTHON_PIN_REMOTE is unset or
    blank; the team cache (with the unusable setting as a warning, not an error) when it is set."""
    import os
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from cython_pin.cache.tiers import team_tier\n"
        "os.environ['CYTHON_PIN_REMOTE'] = '  '\n"
        "assert team_tier() is None and 'cython_pin.remote' not in sys.modules\n"
        "os.environ['CYTHON_PIN_REMOTE'] = 'http://not-a-store'\n"
        "team = team_tier()\n"
        "signer, diags = team.fetch('/nonexistent', 'a' * 64, None)\n"
        "assert signer is None and 'Team cache not used' in diags[0].message, diags\n"
        "assert team.after_build('/nonexistent', 'a' * 64, None) == []  # said once per build\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYTHON_PIN_")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "ok", p.stderr
