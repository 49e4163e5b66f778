"""Key stability: same inputs -> same key in any process and cwd; any changed input -> new key."""

from __future__ import annotations

import json

import cython_pin
import pytest
from cython_pin import names
from cython_pin.build import toolchain
from cython_pin.cache import keys
from cython_pin.engine import key_for
from support import SQUARE, run_py


def test_key_is_sha256_hex_and_name_derived(square):
    assert names.is_key(square.key)
    assert square.module_name == "cython_pin_" + square.key[:16]
    assert key_for(SQUARE) == square.key


def test_same_key_in_two_processes_with_different_cwd(square, tmp_path):
    code = (
        "import json, cython_pin\n"
        f"r = cython_pin.compile_and_load_result({SQUARE!r})\n"
        "print(json.dumps([r.key, r.used_cache, r.module.f(7)]))\n"
    )
    outs = []
    for d in (tmp_path / "a", tmp_path / "b"):
        d.mkdir()
        p = run_py(code, cwd=str(d))
        assert p.returncode == 0, p.stderr
        outs.append(json.loads(p.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1] == [square.key, True, 49]


def test_cache_location_and_non_build_options_not_in_key(square, tmp_path):
    assert key_for(SQUARE, cache_dir=str(tmp_path / "elsewhere")) == square.key
    assert key_for(SQUARE, verbose=2, force_rebuild=True, use_cache=False, lock_timeout_s=5) == square.key
    assert key_for(SQUARE, profile="fast-debug") == square.key


@pytest.mark.parametrize(
    "source,opts",
    [
        (SQUARE + "\n", {}),
        (SQUARE, {"profile": "release"}),
        (SQUARE, {"profile": "annotate"}),
        (SQUARE, {"annotate": True}),
        (SQUARE, {"language": "c++"}),
        (SQUARE, {"module_name": "named_square"}),
        (SQUARE, {"compiler_directives": {"boundscheck": False}}),
        (SQUARE, {"define_macros": [("FOO", "1")]}),
        (SQUARE, {"extra_compile_args": ["-O1"]}),
        (SQUARE, {"extra_link_args": ["-lm"]}),
        (SQUARE, {"libraries": ["m"]}),
        (SQUARE, {"include_dirs": ["/tmp"]}),
        (SQUARE, {"library_dirs": ["/tmp"]}),
        (SQUARE, {"support_files": {"x.pxi": "DEF A = 1\n"}}),
        (SQUARE, {"numpy": True}),
    ],
)
def test_changed_input_changes_key(square, source, opts):
    assert key_for(source, **opts) != square.key


def test_support_file_content_and_name_in_key():
    a = key_for(SQUARE, support_files={"x.pxi": "A = 1\n"})
    assert a != key_for(SQUARE, support_files={"x.pxi": "A = 2\n"})
    assert a != key_for(SQUARE, support_files={"y.pxi": "A = 1\n"})
    assert a == key_for(SQUARE, support_files={"x.pxi": b"A = 1\n"})


def test_extra_source_content_in_key(tmp_path):
    c = tmp_path / "helper.c"
    c.write_text("int one(void) { return 1; }\n")
    k1 = key_for(SQUARE, extra_sources=[str(c)])
    c.write_text("int one(void) { return 2; }\n")
    assert key_for(SQUARE, extra_sources=[str(c)]) != k1


def test_toolchain_changes_change_key(square, monkeypatch):
    monkeypatch.setitem(toolchain._proc_memo, "cython", "0.0.0-test")
    assert key_for(SQUARE) != square.key
    monkeypatch.setitem(toolchain._proc_memo, "cython", toolchain.cython_version())
    fp = toolchain.toolchain_fingerprint("c", False, None)
    assert {
        "python_implementation",
        "python_version",
        "ext_suffix",
        "soabi",
        "cython_version",
        "compiler_path",
        "compiler_version",
    } <= set(fp)
    assert "numpy_version" not in fp and "numpy_version" in toolchain.toolchain_fingerprint("c", True, None)


def test_numpy_auto_detection():
    from cython_pin.build.options import uses_numpy

    assert uses_numpy("import numpy as np\n", {})
    assert uses_numpy("cimport numpy as cnp\n", {})
    assert uses_numpy("from numpy cimport ndarray\n", {})
    assert not uses_numpy("def f(): return 'numpy'\n", {})
    assert uses_numpy("x = 1\n", {"d.pxd": b"cimport numpy\n"})


def test_compiler_version_memoised_on_disk(square, cache_dir):
    with open(f"{cache_dir}/toolchain.json") as f:
        memo = json.load(f)
    assert any(v for v in memo.values())


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="Unknown profile"):
        key_for(SQUARE, profile="turbo")
    with pytest.raises(ValueError, match="Unknown option"):
        key_for(SQUARE, optimise=True)
    with pytest.raises(ValueError, match="language"):
        key_for(SQUARE, language="fortran")
    with pytest.raises(ValueError, match="module_name"):
        key_for(SQUARE, module_name="bad-name")
    with pytest.raises(ValueError, match="support_files"):
        key_for(SQUARE, support_files={"../evil.pxd": ""})
    with pytest.raises(ValueError, match="source must be a str"):
        cython_pin.compile_and_load_result(b"def f(): pass")
    with pytest.raises(FileNotFoundError, match="extra_sources"):
        key_for(SQUARE, extra_sources=["/nonexistent/x.c"])


def test_trailing_newline_is_not_a_valid_key_or_name():
    with pytest.raises(ValueError):
        names.validate_key("a" * 64 + "\n")
    with pytest.raises(ValueError, match="module_name"):
        key_for(SQUARE, module_name="name\n")


def test_headers_in_include_dirs_are_in_key(tmp_path, monkeypatch):
    inc = tmp_path / "inc"
    inc.mkdir()
    (inc / "my.h").write_text("#define X 1\n")
    (inc / "notes.txt").write_text("ignored\n")
    k1 = key_for(SQUARE, include_dirs=[str(inc)])
    (inc / "notes.txt").write_text("still ignored\n")
    assert key_for(SQUARE, include_dirs=[str(inc)]) == k1
    (inc / "my.h").write_text("#define X 2\n")
    k2 = key_for(SQUARE, include_dirs=[str(inc)])
    assert k2 != k1
    (inc / "extra.pxd").write_text("cdef int y\n")
    assert key_for(SQUARE, include_dirs=[str(inc)]) != k2
    monkeypatch.setattr(keys, "INCLUDE_DIR_CONTENT_LIMIT", (1, 1 << 20))  # big dir: stat signature
    assert "stat" in keys.include_dir_digest(str(inc))


def test_key_and_identifier_checks_match_the_regular_expressions_they_replace():
    import re

    key_re, ident_re = re.compile(r"^[0-9a-f]{64}\Z"), re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
    keys_ = ["a" * 64, "0123456789abcdef" * 4, "A" * 64, "a" * 63, "a" * 65, "a" * 63 + "\n", "g" * 64, ""]
    idents = ["x", "_x1", "Mod_2", "1x", "", "a-b", "a\n", "é", "a b", "__init__", "ａ"]
    assert [names.is_key(k) for k in keys_] == [bool(key_re.match(k)) for k in keys_]
    assert [names.is_identifier(s) for s in idents] == [bool(ident_re.match(s)) for s in idents]
    assert not names.is_key(None) and not names.is_identifier(3)


def test_version_files_read_without_a_regex(tmp_path):
    f = tmp_path / "v.py"
    cases = {
        '__version__ = "3.3.1"\n': "3.3.1",
        "x = 1\n__version__='1.0b2'  # c\n": "1.0b2",
        'version: str = "2.4.6"\n': "2.4.6",
        '__version_info__ = "9"\nversion = "2.0"\n': "2.0",
        '  __version__ = "indented"\n': None,
        '__version__ = ""\n': None,
        "__version__ = get()\n": None,
    }
    for text, want in cases.items():
        f.write_text(text)
        assert toolchain._read_version(str(f), ("__version__", "version"), annotated=True) == want, text
    f.write_text('__version__: str = "1"\n')
    assert toolchain._read_version(str(f), ("__version__",)) is None  # annotations only where allowed


def test_cython_version_is_memoised_per_file_stat(tmp_path, monkeypatch):
    import os

    shadow = tmp_path / "Shadow.py"
    shadow.write_text('__version__ = "1.2.3"\n')
    root = tmp_path / "cache"
    root.mkdir()
    assert toolchain._memoised_version(str(shadow), str(root)) == "1.2.3"
    memo = json.loads((root / "toolchain.json").read_text())
    assert "1.2.3" in memo.values()
    monkeypatch.setattr(toolchain, "_read_version", lambda *a, **k: pytest.fail("read despite the memo"))
    toolchain._proc_memo.pop(("disk", str(root)), None)  # a fresh process: the memo comes from disk
    assert toolchain._memoised_version(str(shadow), str(root)) == "1.2.3"
    monkeypatch.undo()
    shadow.write_text('__version__ = "1.2.4"\n')  # an upgrade changes the file's stat: read again
    st = shadow.stat()
    os.utime(shadow, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert toolchain._memoised_version(str(shadow), str(root)) == "1.2.4"


def test_a_long_lived_process_keeps_what_others_memoised(tmp_path):
    """The build server read toolchain.json when it started; what a kernel recorded since stays when the
    server records something of its own."""
    shadow = tmp_path / "Shadow.py"
    shadow.write_text('__version__ = "1.2.3"\n')
    other = tmp_path / "Other.py"
    other.write_text('__version__ = "4.5.6"\n')
    root = tmp_path / "cache"
    root.mkdir()
    toolchain._proc_memo.pop(("disk", str(root)), None)
    assert toolchain._memoised_version(str(shadow), str(root)) == "1.2.3"  # this process has read the file
    memo = json.loads((root / "toolchain.json").read_text())
    (root / "toolchain.json").write_text(json.dumps({**memo, "another process": "its fact"}))
    assert toolchain._memoised_version(str(other), str(root)) == "4.5.6"
    assert set(json.loads((root / "toolchain.json").read_text()).values()) == {"1.2.3", "4.5.6", "its fact"}


def test_plain_compiler_commands_split_like_shlex(monkeypatch):
    import shlex

    for cmd in ("gcc", "gcc -pthread -B /x/compiler_compat", "ccache  gcc\t-O2", "gcc '-DX=a b'", "g\\ cc"):
        monkeypatch.setenv("CC", cmd)
        toolchain._proc_memo.pop(("cmd", "c", None), None)
        assert toolchain.compiler_command("c", None) == shlex.split(cmd)
    toolchain._proc_memo.pop(("cmd", "c", None), None)
