"""Hostile and malformed input, table-driven: every case gets a specific error naming the bad value,
nothing is written outside the cache root, nothing already in the cache changes, and no shell ever runs.

Each case runs against its own copy of the golden cache, under a sentinel folder that must stay unchanged (the
process also runs with the sentinel's ``cwd`` subfolder as working directory). Shell-metacharacter flags
name files in the sentinel: if any shell ran them, the file would appear.
"""

from __future__ import annotations

import os
import shutil

import cython_pin
import pytest
from cython_pin.errors import BuildError

from . import relutil
from .hostile_cases import Case, Ctx
from .hostile_cases_build import CASES

# ---------------------------------------------------------------- the runner

_src_counter = iter(range(10**6))


@pytest.fixture(scope="module")
def hostile_base(golden, tmp_path_factory) -> str:  # noqa: ANN001
    base = str(tmp_path_factory.mktemp("hostile"))
    shutil.copytree(golden.root, os.path.join(base, "template"), symlinks=True)
    cython_pin.pin(golden.key_a, alias="keep", cache_dir=os.path.join(base, "template"))
    return base


def _error_text(e: BaseException) -> str:
    text = str(e)
    if isinstance(e, BuildError):
        text += "\n" + (e.output or "") + "\n" + "\n".join(d.message for d in e.diagnostics)
    return text


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_hostile_input(c: Case, golden, hostile_base, monkeypatch) -> None:  # noqa: ANN001
    n = next(_src_counter)
    sentinel = os.path.join(hostile_base, f"s{n}")
    root = os.path.join(sentinel, "cache")
    shutil.copytree(os.path.join(hostile_base, "template"), root, symlinks=True)
    os.mkdir(os.path.join(sentinel, "cwd"))
    os.mkdir(os.path.join(sentinel, "in"))
    monkeypatch.chdir(os.path.join(sentinel, "cwd"))
    ctx = Ctx(root, sentinel, golden.key_a, golden.key_b, f"def f(int n):\n    return n*n + {n}\n")
    needle = c.needle(ctx) if callable(c.needle) else c.needle
    outside_before = relutil.snapshot(sentinel, skip=("cache", "in"))
    cache_before = relutil.entries_and_pins(root)

    outcome = "raised"
    try:
        result = c.call(ctx)
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        err = e
    else:
        err = None
    if c.exc is None:  # a build with odd-but-legal argv: success or a BuildError; never a shell
        if err is None:
            outcome = "built"
            relutil.add("cases_built_ok", 1)
            assert result.module.f(3) == 9 + n
        else:
            assert isinstance(err, BuildError), f"{c.id}: {type(err).__name__}: {err}"
            relutil.add("cases_build_error", 1)
            # the compiler's complaint names the odd argument (each one contains 'pwned<N>')
            assert needle in _error_text(err), f"{c.id}: the BuildError does not name the bad flag: {err}"
    else:
        assert err is not None, f"{c.id}: accepted, expected {c.exc}"
        assert isinstance(err, c.exc), f"{c.id}: {type(err).__name__}: {err}"
        assert needle in _error_text(err), f"{c.id}: error does not name the bad value {needle!r}: {err}"

    # nothing written outside the cache root (the sentinel's other contents and the cwd are unchanged)
    outside_after = relutil.snapshot(sentinel, skip=("cache", "in"))
    created = sorted(set(outside_after) - set(outside_before))
    assert created == [], f"{c.id}: files appeared outside the cache: {created}"
    assert outside_after == outside_before
    # nothing already in the cache changed; only a successful build may add its own entry
    cache_after = relutil.entries_and_pins(root)
    assert {k: cache_after.get(k) for k in cache_before} == cache_before, f"{c.id}: the cache changed"
    added = {k.split(os.sep)[0] for k in set(cache_after) - set(cache_before)}
    if outcome == "built":
        assert added == {result.key}
    else:
        assert added == set(), f"{c.id}: refused input left files in the cache: {added}"
    staging = os.path.join(root, ".staging")
    assert not os.path.isdir(staging) or os.listdir(staging) == []
    assert [x for x in os.listdir(root) if x.endswith(".tmp")] == []
    relutil.add("cases", 1)
    shutil.rmtree(sentinel, ignore_errors=True)
