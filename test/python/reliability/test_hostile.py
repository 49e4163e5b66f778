"""Hostile and malformed input, table-driven: every case gets a specific error naming the bad value,
nothing is written outside the cache root, nothing already in the cache changes, and no shell ever runs.

Each case runs against its own copy of the golden cache, under a sentinel folder that must stay unchanged (the
process also runs with the sentinel's ``cwd`` subfolder as working directory). Shell-metacharacter flags
name files in the sentinel: if any shell ran them, the file would appear.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cython_pin
import pytest
from cython_pin.errors import BuildError

from . import relutil


@dataclass
class Ctx:
    root: str
    sentinel: str
    key_a: str
    key_b: str
    src: str


@dataclass
class Case:
    id: str
    call: Callable[[Ctx], Any]
    exc: tuple[type[BaseException], ...] | None  # None: a build that may succeed or fail with BuildError
    needle: Callable[[Ctx], str] | str


CASES: list[Case] = []


def case(cid: str, call: Callable[[Ctx], Any], exc: Any, needle: Callable[[Ctx], str] | str) -> None:
    CASES.append(Case(cid, call, exc if exc is None or isinstance(exc, tuple) else (exc,), needle))


def shown(v: Any, n: int = 24) -> str:
    return repr(v)[:n]


# ---- aliases x (pin, rename target, unpin, import_pinned)
BAD_ALIASES: list[Any] = [
    "",
    "../x",
    "a/b",
    "a\\b",
    "ünïcode",
    "名前",
    "🙂",
    "x" * 10000,
    "class",
    "None",
    "def",
    "1abc",
    "9",
    " a",
    "a ",
    "a-b",
    "a.b",
    "a\x00b",
    "a\nb",
    "abc\n",
    "$(touch pwned)",
    None,
    5,
    b"abc",
]
for i, al in enumerate(BAD_ALIASES):
    nd = shown(al)
    case(
        f"alias{i}-pin", lambda c, al=al: cython_pin.pin(c.key_a, alias=al, cache_dir=c.root), ValueError, nd
    )
    case(
        f"alias{i}-rename",
        lambda c, al=al: cython_pin.rename_pin("keep", al, cache_dir=c.root),
        ValueError,
        nd,
    )
    case(f"alias{i}-unpin", lambda c, al=al: cython_pin.unpin(al, cache_dir=c.root), ValueError, nd)
    case(f"alias{i}-import", lambda c, al=al: cython_pin.import_pinned(al, cache_dir=c.root), ValueError, nd)

# ---- keys x (pin, import_cached, export_cached)
BAD_KEYS: list[Callable[[str], Any]] = [
    lambda k: "",
    lambda k: "abc",
    lambda k: "g" * 64,
    lambda k: k.upper(),
    lambda k: k + "\n",
    lambda k: k[:-1],
    lambda k: k + "0",
    lambda k: "../" + k[3:],
    lambda k: k[:32] + "/" + k[33:],
    lambda k: " " + k[1:],
    lambda k: None,
    lambda k: 123,
    lambda k: k.encode(),
]
for i, mk in enumerate(BAD_KEYS):

    def nd(c: Ctx, mk=mk) -> str:
        return shown(mk(c.key_a))

    case(
        f"key{i}-pin",
        lambda c, mk=mk: cython_pin.pin(mk(c.key_a), alias="fresh", cache_dir=c.root),
        ValueError,
        nd,
    )
    case(
        f"key{i}-import",
        lambda c, mk=mk: cython_pin.import_cached(mk(c.key_a), cache_dir=c.root),
        ValueError,
        nd,
    )
    case(
        f"key{i}-export",
        lambda c, mk=mk: cython_pin.export_cached(mk(c.key_a), c.sentinel, cache_dir=c.root),
        ValueError,
        nd,
    )
for uk in ("0" * 64, "f" * 64):
    case(
        f"unknown-{uk[0]}-pin",
        lambda c, uk=uk: cython_pin.pin(uk, alias="fresh", cache_dir=c.root),
        FileNotFoundError,
        uk[:16],
    )
    case(
        f"unknown-{uk[0]}-import",
        lambda c, uk=uk: cython_pin.import_cached(uk, cache_dir=c.root),
        FileNotFoundError,
        uk[:16],
    )
    case(
        f"unknown-{uk[0]}-export",
        lambda c, uk=uk: cython_pin.export_cached(uk, c.sentinel, cache_dir=c.root),
        FileNotFoundError,
        uk[:16],
    )

# ---- module and package names
BAD_NAMES: list[Any] = [
    "a.b",
    "..",
    "a/b",
    "a\\b",
    "sys",
    "os",
    "json",
    "sqlite3",
    "antigravity",
    "builtins",
    "class",
    "None",
    "1a",
    "",
    " ",
    "a-b",
    "ü",
    "x" * 300,
    "m\n",
    "m\x00",
    5,
    b"m",
    "cython_pin",
    "pytest",
]
for i, nm in enumerate(BAD_NAMES):
    case(
        f"module_name{i}",
        lambda c, nm=nm: cython_pin.compile_and_load_result(c.src, module_name=nm, cache_dir=c.root),
        ValueError,
        shown(nm, 20),
    )
    case(
        f"package_name{i}",
        lambda c, nm=nm: cython_pin.build_package({"m": c.src}, package_name=nm, cache_dir=c.root),
        ValueError,
        shown(nm, 20),
    )
for i, sub in enumerate(["a.b", "..", "__init__", "", "m\n", "x/y"]):
    case(
        f"package_module{i}",
        lambda c, sub=sub: cython_pin.build_package({sub: c.src}, package_name="okpkg", cache_dir=c.root),
        ValueError,
        shown(sub, 20),
    )
case(
    "package_module_nonstr",
    lambda c: cython_pin.build_package({5: c.src}, package_name="okpkg", cache_dir=c.root),
    ValueError,
    "5",
)

# ---- support-file names and contents
BAD_SUPPORT: list[Any] = [
    "ABS",  # replaced by an absolute path inside the sentinel
    "../x.pxd",
    "..",
    "a/b.pxd",
    "a\\b.pxd",
    "x\x00.pxd",
    ".hidden.pxd",
    "x.pyx",
    "x.so",
    "",
    "x" * 300 + ".pxd",
    "x\n.pxd",
    "meta.json",
    5,
]
for i, sf in enumerate(BAD_SUPPORT):

    def sf_name(c: Ctx, sf=sf) -> Any:
        return os.path.join(c.sentinel, "abs.pxd") if sf == "ABS" else sf

    case(
        f"support_name{i}",
        lambda c, sf_name=sf_name: cython_pin.compile_and_load_result(
            c.src, support_files={sf_name(c): "cdef int a\n"}, cache_dir=c.root
        ),
        ValueError,
        lambda c, sf_name=sf_name: shown(sf_name(c), 20),
    )
case(
    "support_content_int",
    lambda c: cython_pin.compile_and_load_result(c.src, support_files={"x.pxd": 5}, cache_dir=c.root),
    ValueError,
    "x.pxd",
)
case(
    "support_not_dict",
    lambda c: cython_pin.compile_and_load_result(c.src, support_files="x.pxd", cache_dir=c.root),
    ValueError,
    "support_files",
)

# ---- sources
BIG = "# " + "x" * (20 * 1024 * 1024) + "\n"
case("source_empty", lambda c: cython_pin.compile_and_load_result("", cache_dir=c.root), ValueError, "empty")
case(
    "source_blank",
    lambda c: cython_pin.compile_and_load_result("  \n\t\n", cache_dir=c.root),
    ValueError,
    "empty",
)
case("source_20MB", lambda c: cython_pin.compile_and_load_result(BIG, cache_dir=c.root), ValueError, "MB")
case("source_20MB_key", lambda c: cython_pin.key_for(BIG, cache_dir=c.root), ValueError, "MB")
case(
    "source_bytes",
    lambda c: cython_pin.compile_and_load_result(b"def f(): pass\n\xff", cache_dir=c.root),
    ValueError,
    "bytes",
)
case(
    "source_none",
    lambda c: cython_pin.compile_and_load_result(None, cache_dir=c.root),
    ValueError,
    "NoneType",
)
case(
    "source_surrogate",
    lambda c: cython_pin.compile_and_load_result("x = '\udcff'\n", cache_dir=c.root),
    ValueError,
    "udcff",
)
case(
    "source_nul",
    lambda c: cython_pin.compile_and_load_result("x = 1\x00\n", cache_dir=c.root),
    BuildError,
    "line 1",
)
case(
    "source_syntax",
    lambda c: cython_pin.compile_and_load_result("def (:\n", cache_dir=c.root),
    BuildError,
    "line 1",
)
case(
    "package_source_empty",
    lambda c: cython_pin.build_package({"m": " "}, package_name="okpkg", cache_dir=c.root),
    ValueError,
    "'m'",
)
case(
    "package_source_20MB",
    lambda c: cython_pin.build_package({"m": BIG}, package_name="okpkg", cache_dir=c.root),
    ValueError,
    "MB",
)
case(
    "package_source_bytes",
    lambda c: cython_pin.build_package({"m": b"x = 1"}, package_name="okpkg", cache_dir=c.root),
    ValueError,
    "'m'",
)

# ---- compiler flags with shell metacharacters / newlines: argv only, never a shell
FLAG_CASES: list[tuple[str, dict[str, Any]]] = [
    ("subst", {"extra_compile_args": ["-DX=$(touch {S}/pwned1)"]}),
    ("semicolon", {"extra_compile_args": ["; touch {S}/pwned2"]}),
    ("newline", {"extra_compile_args": ["-DCP_X=1\n-DCP_Y=2 {S}/pwned3"]}),
    ("backtick", {"extra_compile_args": ["`touch {S}/pwned4`"]}),
    ("and", {"extra_compile_args": ["-DX=1 && touch {S}/pwned5"]}),
    ("link_or", {"extra_link_args": ["|| touch {S}/pwned6"]}),
    ("macro_name", {"define_macros": [("A;touch {S}/pwned7", "1")]}),
    ("library", {"libraries": ["m; touch {S}/pwned8"]}),
    ("string_not_list", {"extra_compile_args": "-O2 -DX; touch {S}/pwned9"}),
]


def _fmt(v: Any, s: str) -> Any:
    if isinstance(v, str):
        return v.replace("{S}", s)
    if isinstance(v, (list, tuple)):
        return type(v)(_fmt(x, s) for x in v)
    return v


for fid, kw in FLAG_CASES:
    case(
        f"flags_{fid}",
        lambda c, kw=kw: cython_pin.compile_and_load_result(c.src, cache_dir=c.root, **_fmt(kw, c.sentinel)),
        None,
        "'-O'" if fid == "string_not_list" else "pwned",  # gcc reads '-O2 -DX; touch ...' as one -O value
    )
case(
    "flag_nul",
    lambda c: cython_pin.compile_and_load_result(c.src, extra_compile_args=["-DX\x00"], cache_dir=c.root),
    ValueError,
    "\\x00",
)
case(
    "flag_nul_link",
    lambda c: cython_pin.compile_and_load_result(c.src, extra_link_args=["-l\x00m"], cache_dir=c.root),
    ValueError,
    "\\x00",
)
case(
    "include_missing",
    lambda c: cython_pin.compile_and_load_result(
        c.src, include_dirs=["/nonexistent/cp_inc"], cache_dir=c.root
    ),
    FileNotFoundError,
    "/nonexistent/cp_inc",
)
case(
    "include_missing_in_sentinel",
    lambda c: cython_pin.compile_and_load_result(
        c.src, include_dirs=[os.path.join(c.sentinel, "missing")], cache_dir=c.root
    ),
    FileNotFoundError,
    "missing",
)
case(
    "include_is_file",
    lambda c: cython_pin.compile_and_load_result(
        c.src, include_dirs=[os.path.join(c.root, "pins.json")], cache_dir=c.root
    ),
    FileNotFoundError,
    "pins.json",
)
case(
    "extra_source_missing",
    lambda c: cython_pin.compile_and_load_result(c.src, extra_sources=["/nonexistent/x.c"], cache_dir=c.root),
    FileNotFoundError,
    "/nonexistent/x.c",
)

# ---- language and other options
for i, lang in enumerate(["fortran", "C#", 5, ["c"], "c\n", "c++; rm -rf /", "python"]):
    case(
        f"language{i}",
        lambda c, lang=lang: cython_pin.compile_and_load_result(c.src, language=lang, cache_dir=c.root),
        ValueError,
        shown(lang, 12),
    )
OPTION_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("profile_unknown", {"profile": "turbo"}, "turbo"),
    ("profile_int", {"profile": 5}, "5"),
    ("profile_list", {"profile": ["x"]}, "['x']"),
    ("unknown_option", {"shell": True}, "shell"),
    ("directives_str", {"compiler_directives": "boundscheck=False"}, "compiler_directives"),
    ("verbose_str", {"verbose": "loud"}, "verbose"),
    ("lock_negative", {"lock_timeout_s": -1}, "lock_timeout_s"),
    ("lock_nan", {"lock_timeout_s": float("nan")}, "lock_timeout_s"),
    ("lock_str", {"lock_timeout_s": "soon"}, "lock_timeout_s"),
    ("numpy_str", {"numpy": "yes"}, "numpy"),
    ("macros_int", {"define_macros": 5}, "5"),
    ("macros_triple", {"define_macros": [("A", "B", "C")]}, "('A', 'B', 'C')"),
    ("flags_int", {"extra_compile_args": 5}, "5"),
    ("flags_nested", {"extra_compile_args": [["-O2"]]}, "['-O2']"),
]
for oid, kw, nd in OPTION_CASES:
    case(
        f"option_{oid}",
        lambda c, kw=kw: cython_pin.compile_and_load_result(c.src, cache_dir=c.root, **kw),
        ValueError,
        nd,
    )
case("cache_dir_int", lambda c: cython_pin.compile_and_load_result(c.src, cache_dir=5), ValueError, "5")
case("cache_dir_nul", lambda c: cython_pin.list_pins(cache_dir=c.root + "\x00x"), ValueError, "\\x00")
case(
    "cache_dir_is_file",
    lambda c: cython_pin.compile_and_load_result(c.src, cache_dir=os.path.join(c.root, "pins.json")),
    (ValueError, OSError),
    "pins.json",
)
GC_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("none", {}, "criterion"),
    ("bytes_negative", {"max_bytes": -1}, "-1"),
    ("bytes_nan", {"max_bytes": float("nan")}, "nan"),
    ("age_str", {"max_age_days": "old"}, "old"),
    ("age_nan", {"max_age_days": float("nan")}, "nan"),
    ("keep_bool", {"keep_n_newest": True}, "True"),
    ("keep_negative", {"keep_n_newest": -5}, "-5"),
]
for gid, kw, nd in GC_CASES:
    case(f"gc_{gid}", lambda c, kw=kw: cython_pin.gc_cache(cache_dir=c.root, **kw), ValueError, nd)


# ---- hostile archives for import_exported
def _tar(c: Ctx, kind: str) -> str:
    os.makedirs(os.path.join(c.sentinel, "in"), exist_ok=True)  # inputs: not part of the sentinel check
    path = os.path.join(c.sentinel, "in", f"{kind}.tar.gz")
    k = c.key_a
    with tarfile.open(path, "w:gz") as tar:

        def add(name: str, data: bytes = b"x", **attrs: Any) -> None:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            for a, v in attrs.items():
                setattr(ti, a, v)
            tar.addfile(ti, io.BytesIO(data) if ti.isfile() else None)

        if kind == "traversal":
            add(f"{k}/meta.json", b"{}")
            add(f"{k}/../../escaped.txt")
        elif kind == "absolute":
            add(f"/{k}/meta.json", b"{}")
        elif kind == "symlink":
            add(f"{k}/meta.json", b"{}")
            add(f"{k}/link", type=tarfile.SYMTYPE, linkname="/etc/passwd", size=0)
        elif kind == "hardlink":
            add(f"{k}/meta.json", b"{}")
            add(f"{k}/hl", type=tarfile.LNKTYPE, linkname="/etc/passwd", size=0)
        elif kind == "two_tops":
            add(f"{k}/meta.json", b"{}")
            add(f"{c.key_b}/meta.json", b"{}")
        elif kind == "not_a_key":
            add("evil/meta.json", b"{}")
        elif kind == "other_key_meta":
            meta = json.load(open(os.path.join(c.root, c.key_b, "meta.json")))
            add(f"{k}/meta.json", json.dumps(meta).encode())
        elif kind == "device":
            add(f"{k}/dev", type=tarfile.CHRTYPE, size=0)
    if kind == "not_a_tar":
        with open(path, "wb") as f:
            f.write(b"this is not a tar file")
    return path


for kind, exc, nd in [
    ("traversal", ValueError, "escaped.txt"),
    ("absolute", ValueError, "absolute.tar.gz"),
    ("symlink", ValueError, "link"),
    ("hardlink", ValueError, "hl"),
    ("two_tops", ValueError, "tar.gz"),
    ("not_a_key", ValueError, "tar.gz"),
    ("other_key_meta", (ValueError, cython_pin.CacheIntegrityError), "meta"),
    ("device", ValueError, "dev"),
    ("not_a_tar", (ValueError, tarfile.TarError), ""),
]:
    case(
        f"archive_{kind}",
        lambda c, kind=kind: cython_pin.import_exported(_tar(c, kind), cache_dir=c.root),
        exc,
        nd,
    )


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
