"""Toolchain entries: the shared utility module and the precompiled Python.h a real memoryview build makes are
listed as toolchain rows (which toolchain, present or not), and gc removes those of a toolchain that is gone,
the shared module only once nothing kept imports it; entries from before the record are listed as unknown."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from typing import Any

import cython_pin
import pytest
from cython_pin.build import pch, shared_utility
from cython_pin.build.options import resolve_options
from cython_pin.cache import budget, toolchains
from cython_pin.cache.catalogue import catalogue, gc_cache
from protocol_checks import check

TOTAL = (
    "def total(double[:] a):\n    cdef double s = 0\n    cdef Py_ssize_t i\n"
    "    for i in range(a.shape[0]):\n        s += a[i]\n    return s\n"
)


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> tuple[str, str]:
    """A cache made by one cold build of a memoryview cell: (root, the cell's key)."""
    root = str(tmp_path_factory.mktemp("toolchain_golden"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CYTHON_PIN_PCH", raising=False)
        mp.delenv(shared_utility.ENV, raising=False)
        if pch.header_flags(resolve_options({}), root) is None:
            pytest.skip("the C compiler is not gcc: no precompiled header")
        r = cython_pin.compile_and_load_result(TOTAL, cache_dir=root)
    for t in threading.enumerate():
        if t.name == "cython_pin-pch":
            t.join()
    return root, r.key


@pytest.fixture()
def cache(golden, tmp_path) -> tuple[str, str]:
    """A copy of the golden cache this test may change (the Python.h links copied as links)."""
    root = str(tmp_path / "cache")
    shutil.copytree(golden[0], root, symlinks=True)
    return root, golden[1]


def _rows(root: str) -> dict[str, dict[str, Any]]:
    return {t["kind"]: t for t in catalogue(cache_dir=root)["toolchain"]}


def _pch_folder(root: str) -> str:
    (folder,) = pch.published(root)
    return folder


def _edit_json(path: str, change: Any) -> None:
    """Rewrite the JSON file at ``path`` through ``change`` as a new file (a new inode, as a writer makes)."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    change(data)
    with open(path + ".new", "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(path + ".new", path)


def _gone_interpreter(meta: dict[str, Any]) -> None:
    """Make ``meta`` that of an entry made by another interpreter, since removed."""
    meta["toolchain"].update(python_executable="/gone/python3.9", python_version="3.9.18")


def _shared_meta(root: str, toolchain_row: dict[str, Any]) -> str:
    return os.path.join(root, toolchain_row["id"], "meta.json")


def test_a_cold_memoryview_build_lists_its_toolchain_entries(cache):
    root, key = cache
    cat = catalogue(cache_dir=root)
    check("CatalogueResult", cat)
    assert [r["key"] for r in cat["entries"]] == [key]  # the shared module is not a cell
    rows = {t["kind"]: t for t in cat["toolchain"]}
    assert set(rows) == {"shared", "pch"}
    with open(os.path.join(root, key, "meta.json"), encoding="utf-8") as f:
        assert rows["shared"]["id"] == json.load(f)["shared"]["key"]
    assert rows["pch"]["id"] == os.path.basename(_pch_folder(root))
    import Cython

    cc = rows["pch"]["toolchain"].rsplit(" · ", 1)[-1]
    assert (
        rows["shared"]["toolchain"]
        == rows["pch"]["toolchain"]
        == (f"CPython {sys.version.split()[0]} · Cython {Cython.__version__} · {cc}")
    )
    assert cc.startswith("gcc ") and cc[4:].replace(".", "").isdigit()
    assert all(t["present"] is True and t["size_bytes"] > 0 for t in rows.values())
    assert rows["pch"]["size_bytes"] > 1 << 20 and rows["shared"]["flags"] == rows["pch"]["flags"] == "-O0 -g"
    total = cat["entries"][0]["size_bytes"] + sum(t["size_bytes"] for t in rows.values())
    assert cat["stats"]["entries"] == 1 and cat["stats"]["total_bytes"] == total
    recorded = toolchains.checked(
        json.load(open(_shared_meta(root, rows["shared"]), encoding="utf-8"))["toolchain"]
    )
    assert recorded is not None and recorded["python_executable"] == sys.executable
    assert toolchains.checked(pch.read_meta(_pch_folder(root))["toolchain"]) == recorded
    assert cython_pin.list_toolchain(cache_dir=root) == cat["toolchain"]  # the public API lists the same


def test_gc_removes_the_toolchain_entries_of_a_toolchain_that_is_gone(cache):
    root, key = cache
    shutil.rmtree(os.path.join(root, key))  # nothing imports the shared module any more
    rows = _rows(root)
    kept = gc_cache(max_age_days=1000, cache_dir=root)  # a present toolchain's entries stay
    assert kept["removed_toolchain"] == [] and set(_rows(root)) == {"shared", "pch"}
    # its interpreter is gone (the shared module); its Python is gone (the header link dangles)
    _edit_json(_shared_meta(root, rows["shared"]), _gone_interpreter)
    link = os.path.join(_pch_folder(root), pch.HEADER)
    os.unlink(link)
    os.symlink("/gone/include/python3/Python.h", link)
    listed = _rows(root)
    assert listed["shared"]["present"] is False and listed["pch"]["present"] is False
    dry = gc_cache(max_age_days=1000, dry_run=True, cache_dir=root)
    check("GcResult", dry)
    assert dry["removed"] == [] and sorted(t["kind"] for t in dry["removed_toolchain"]) == ["pch", "shared"]
    assert dry["freed_bytes"] == rows["shared"]["size_bytes"] + rows["pch"]["size_bytes"]
    assert set(_rows(root)) == {"shared", "pch"}  # a dry run removes nothing
    real = gc_cache(max_age_days=1000, cache_dir=root)
    check("GcResult", real)
    assert real["removed_toolchain"] == dry["removed_toolchain"] and real["freed_bytes"] == dry["freed_bytes"]
    assert _rows(root) == {} and pch.published(root) == []
    assert not os.path.exists(os.path.join(root, rows["shared"]["id"]))


def test_a_gone_shared_module_stays_while_a_kept_entry_imports_it(cache):
    root, key = cache
    rows = _rows(root)
    _edit_json(_shared_meta(root, rows["shared"]), _gone_interpreter)
    out = gc_cache(max_age_days=1000, cache_dir=root)
    assert out["removed"] == [] and out["removed_toolchain"] == []
    assert _rows(root)["shared"]["present"] is False  # listed as such, kept for the cell that imports it
    out = gc_cache(keep_n_newest=0, cache_dir=root)  # the cell goes, so does its shared module
    assert [r["key"] for r in out["removed"]] == [key]
    assert [t["kind"] for t in out["removed_toolchain"]] == ["shared"]  # the header of this toolchain stays
    assert set(_rows(root)) == {"pch"}


def test_another_cython_or_compiler_version_under_this_interpreter_is_gone(cache):
    root, _ = cache
    folder = _pch_folder(root)
    recorded = toolchains.checked(pch.read_meta(folder)["toolchain"])
    assert recorded is not None and toolchains.present(recorded, root) is True
    assert toolchains.present({**recorded, "cython_version": "0.29.0"}, root) is False
    assert toolchains.present({**recorded, "python_version": "3.0.1"}, root) is False
    assert toolchains.present({**recorded, "compiler_version": "gcc (GCC) 4.8.5"}, root) is False
    assert toolchains.present({**recorded, "compiler_path": "/gone/gcc"}, root) is False
    # another interpreter that still exists: its versions are its own business (it is never started)
    other = {**recorded, "python_executable": shutil.which("sh"), "cython_version": "0.29.0"}
    assert toolchains.present(other, root) is True
    # made elsewhere (fetched from the team cache, a venv at another path) with what this one builds with:
    # usable here, so present
    assert toolchains.present({**recorded, "python_executable": "/elsewhere/bin/python"}, root) is True
    assert (
        toolchains.present(
            {**recorded, "python_executable": "/elsewhere/bin/python", "compiler_path": "/x/gcc"}, root
        )
        is False
    )
    _edit_json(os.path.join(folder, "meta.json"), lambda m: m["toolchain"].update(cython_version="0.29.0"))
    assert _rows(root)["pch"]["present"] is False
    budget.enforce(root, limit=0)  # the leftover clean-up after a build removes it too
    assert pch.published(root) == []


def test_entries_from_before_the_record_are_listed_as_unknown_and_kept(cache):
    root, key = cache
    shutil.rmtree(os.path.join(root, key))
    rows = _rows(root)
    _edit_json(_shared_meta(root, rows["shared"]), lambda m: m.pop("toolchain"))
    meta = os.path.join(_pch_folder(root), "meta.json")
    _edit_json(meta, lambda m: [m.pop(k) for k in ("toolchain", "flags", "created_utc")])
    listed = _rows(root)
    check("CatalogueResult", catalogue(cache_dir=root))
    for kind in ("shared", "pch"):
        assert listed[kind]["toolchain"] is None and listed[kind]["present"] is None
    assert listed["pch"]["flags"] is None and listed["pch"]["created_utc"].endswith("Z")  # its folder's date
    assert gc_cache(max_age_days=1000, cache_dir=root)["removed_toolchain"] == []
    budget.enforce(root, limit=0)
    assert set(_rows(root)) == {"shared", "pch"}


@pytest.mark.parametrize(
    ("version", "command", "expected"),
    [
        ("gcc (Debian 12.2.0-14) 12.2.0", ["gcc"], "gcc 12.2.0"),
        ("x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0", ["x86_64-linux-gnu-gcc-12"], "gcc 12.2.0"),
        ("Apple clang version 15.0.0 (clang-1500.1.0.2.5)", ["cc"], "clang 15.0.0"),
        ("Ubuntu clang version 14.0.0-1ubuntu1", ["clang"], "clang 14.0.0"),
        ("icx (ICX) 2024.0.2", ["icx"], "icx 2024.0.2"),
        (None, ["cc"], "cc"),
    ],
)
def test_toolchain_label(version, command, expected):
    record = {
        "python_implementation": "cpython",
        "python_version": "3.12.1",
        "cython_version": "3.1.0",
        "compiler_command": command,
        "compiler_version": version,
    }
    assert toolchains.label(record) == f"CPython 3.12.1 · Cython 3.1.0 · {expected}"
