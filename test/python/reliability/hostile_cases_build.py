"""The hostile-input cases of what gets built: sources, compiler flags, language and other options, and
hostile archives for import_exported. Collected by test_hostile.py."""

from __future__ import annotations

import io
import json
import os
import tarfile
from typing import Any

import cython_pin
from cython_pin.errors import BuildError

from .hostile_cases import CASES, Ctx, case, shown

__all__ = ["CASES"]  # every case: those of hostile_cases, then these

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


def _a_file(c: Ctx) -> str:
    """A file (not a folder), in the sentinel's input folder."""
    path = os.path.join(c.sentinel, "in", "a_file")
    with open(path, "w", encoding="utf-8") as f:
        f.write("not a folder\n")
    return path


case(
    "include_is_file",
    lambda c: cython_pin.compile_and_load_result(c.src, include_dirs=[_a_file(c)], cache_dir=c.root),
    FileNotFoundError,
    "a_file",
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
    lambda c: cython_pin.compile_and_load_result(c.src, cache_dir=_a_file(c)),
    (ValueError, OSError),
    "a_file",
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
