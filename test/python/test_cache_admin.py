"""The cache as a whole and between caches: where it lives, listing, stats, gc, export/import, prereqs."""

from __future__ import annotations

import os

import cython_pin
import pytest
from cython_pin.cache.catalogue import list_toolchain
from support import run_py


def test_import_cached_unknown_key(cache_dir):
    with pytest.raises(FileNotFoundError, match="No cache entry"):
        cython_pin.import_cached_result("0" * 64)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        cython_pin.import_cached("nope")


def test_export_import_and_tamper_refused(square, tmp_path):
    archive = cython_pin.export_cached(square.key, tmp_path)
    assert os.path.basename(archive) == square.key + ".tar.gz"
    other = tmp_path / "other_cache"
    assert cython_pin.import_exported(archive, cache_dir=str(other)) == square.key
    code = (
        "import cython_pin\n"
        f"r = cython_pin.import_cached_result({square.key!r}, cache_dir={str(other)!r})\n"
        "print(r.module.f(3), r.used_cache)\n"
    )
    p = run_py(code)
    assert p.returncode == 0 and p.stdout.split() == ["9", "True"], p.stderr
    art = other / square.key / os.path.basename(square.artifact_path)
    with open(art, "r+b") as f:
        f.seek(100)
        f.write(b"\x00tampered\x00")
    p = run_py(code)
    assert p.returncode != 0
    assert "CacheIntegrityError" in p.stderr and "sha256 does not match" in p.stderr


@pytest.mark.parametrize("kind", ["dotdot", "symlink", "hardlink", "duplicate"])
def test_import_refuses_a_hostile_archive(square, tmp_path, kind):
    """A real export with one hostile member added: refused with a message naming it, nothing written
    outside the cache's staging folder and nothing imported."""
    import io
    import tarfile

    good = cython_pin.export_cached(square.key, tmp_path)
    hostile = str(tmp_path / "hostile.tar.gz")
    with tarfile.open(good) as src, tarfile.open(hostile, "w:gz") as out:
        for m in src.getmembers():
            out.addfile(m, src.extractfile(m) if m.isfile() else None)
        bad = tarfile.TarInfo(f"{square.key}/escape.so")
        if kind == "dotdot":
            bad.name = f"{square.key}/../../../escape.so"
        elif kind == "symlink":
            bad.type, bad.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif kind == "hardlink":
            bad.type, bad.linkname = tarfile.LNKTYPE, "/etc/passwd"
        else:
            bad = src.getmember(f"{square.key}/meta.json")
        out.addfile(bad, io.BytesIO(b"x" * bad.size) if bad.isfile() else None)
    other = tmp_path / "other_cache"
    with pytest.raises(ValueError, match="refused") as e:
        cython_pin.import_exported(hostile, cache_dir=str(other))
    words = {"dotdot": "outside", "symlink": "escape.so", "hardlink": "escape.so", "duplicate": "twice"}
    assert words[kind] in str(e.value)
    assert not list(tmp_path.rglob("escape.so"))
    assert not (other / square.key).exists() and os.listdir(other / ".staging") == []


def test_check_build_prereqs():
    rep = cython_pin.check_build_prereqs(numpy=True)
    for part in ("cython", "compiler", "python_headers", "numpy"):
        assert rep[part]["ok"] is True and rep[part].get("version"), rep
    assert rep["problems"] == []


def test_get_cache_dir_precedence(monkeypatch, tmp_path):
    from cython_pin import get_cache_dir

    monkeypatch.setenv("CYTHON_PIN_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert get_cache_dir(str(tmp_path / "explicit")) == str(tmp_path / "explicit")
    assert get_cache_dir() == str(tmp_path / "env")
    monkeypatch.delenv("CYTHON_PIN_CACHE_DIR")
    assert get_cache_dir() == str(tmp_path / "xdg" / "cython_pin")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_cache_dir() == str(tmp_path / "home" / ".cache" / "cython_pin")


def test_list_stats_gc(square, tmp_path):
    other = str(tmp_path / "gc_cache")
    archive = cython_pin.export_cached(square.key, tmp_path)
    cython_pin.import_exported(archive, cache_dir=other)
    r = cython_pin.compile_and_load_result("def gc_me():\n    return 0\n", cache_dir=other)
    rows = cython_pin.list_cached(cache_dir=other)
    assert [row["key"] for row in rows][0] in (r.key, square.key) and len(rows) == 2
    assert all(row["size_bytes"] > 0 and row["created_utc"].endswith("Z") for row in rows)
    stats = cython_pin.cache_stats(cache_dir=other)
    toolchain = list_toolchain(cache_dir=other)  # e.g. the precompiled Python.h
    assert stats["entries"] == 2
    assert stats["total_bytes"] == sum(x["size_bytes"] for x in [*rows, *toolchain])
    cython_pin.pin(square.key, alias="keep_me", cache_dir=other)
    with pytest.raises(ValueError, match="at least one criterion"):
        cython_pin.gc_cache(cache_dir=other)
    os.makedirs(os.path.join(other, ".staging", "f" * 64 + ".999999.dead"))
    dry = cython_pin.gc_cache(keep_n_newest=0, dry_run=True, cache_dir=other)
    assert [x["key"] for x in dry["removed"]] == [r.key] and dry["kept"] == 1 and dry["dry_run"] is True
    assert len(cython_pin.list_cached(cache_dir=other)) == 2
    res = cython_pin.gc_cache(max_bytes=0, cache_dir=other)
    assert [x["key"] for x in res["removed"]] == [r.key] and res["freed_bytes"] > 0
    assert [x["key"] for x in cython_pin.list_cached(cache_dir=other)] == [square.key]
    assert os.listdir(os.path.join(other, ".staging")) == []
    assert cython_pin.gc_cache(max_age_days=0, cache_dir=other)["removed"] == []  # pinned survives


def test_gc_then_same_source_republishes_entry(square, tmp_path):
    d = str(tmp_path / "regc")
    r = cython_pin.compile_and_load_result("def regc():\n    return 3\n", cache_dir=d)
    cython_pin.gc_cache(max_bytes=0, cache_dir=d)
    assert cython_pin.list_cached(cache_dir=d) == []
    r2 = cython_pin.compile_and_load_result("def regc():\n    return 3\n", cache_dir=d)
    assert r2.key == r.key and r2.module is r.module and r2.reused_module is True
    assert os.path.exists(r2.artifact_path) and cython_pin.pin(r2.key, alias="back", cache_dir=d) == r.key
