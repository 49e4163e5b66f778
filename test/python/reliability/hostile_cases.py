"""The hostile-input cases of names: aliases, keys, module and package names, support files (the shared
Ctx/Case table and ``case()`` live here too). Collected by test_hostile.py."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cython_pin


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
