"""C compiler and linker messages land where the user wrote the code (verbatim C blocks, support files),
name the symbol or the rejected flag, and a support .c the source #includes is not compiled twice."""

from __future__ import annotations

import os
import sysconfig

import cython_pin
import pytest
from cython_pin.errors import BuildError

CALL_HELPER = 'cdef extern from "helper.h":\n    int helper(int)\ndef f(int a):\n    return helper(a)\n'


def _fail(source: str, tmp_path, **opts) -> BuildError:
    with pytest.raises(BuildError) as e:
        cython_pin.compile_and_load_result(source, cache_dir=str(tmp_path), **opts)
    return e.value


def _errors(e: BuildError) -> list:
    return [d for d in e.diagnostics if d.severity == "error"]


def test_error_in_verbatim_block_lands_on_its_cell_line(tmp_path) -> None:
    src = (
        "cdef extern from *:\n"  # 1
        '    """\n'  # 2
        "    static int c_sq(int x) {\n"  # 3
        "        return x * y;\n"  # 4
        "    }\n"  # 5
        '    """\n'
        "    int c_sq(int x)\n"
        "def f(int a):\n"
        "    return c_sq(a)\n"
    )
    e = _fail(src, tmp_path)
    [err] = _errors(e)
    assert (err.file, err.line, err.column) == (None, 4, 20)
    assert "'y' undeclared" in err.message
    assert str(e) == "C compilation failed: 1 error (line 4)"
    assert err.to_json(line_offset=1)["line"] == 5  # in a %%cython_pin cell: one line further down


def test_pragma_message_in_verbatim_block_is_kept(tmp_path) -> None:
    src = (
        "cdef extern from *:\n"
        '    """\n'
        '    #pragma message("CWarning")\n'  # 3
        "    static int c_sq(int x) { return x * x; }\n"
        '    """\n'
        "    int c_sq(int x)\n"
        "def f(int a):\n"
        "    return c_sq(a)\n"
    )
    r = cython_pin.compile_and_load_result(src, cache_dir=str(tmp_path))
    assert r.module.f(3) == 9
    [note] = [d for d in r.diagnostics if "CWarning" in d.message]
    assert (note.file, note.line, note.severity) == (None, 3, "note")


def test_error_in_support_header_names_it(tmp_path) -> None:
    e = _fail(
        CALL_HELPER, tmp_path, support_files={"helper.h": "static int helper(int x) {\n  return x +;\n}\n"}
    )
    [err] = _errors(e)
    assert (err.file, err.line) == ("helper.h", 2)
    assert "expected expression" in err.message


def test_error_in_support_c_file_names_it(tmp_path) -> None:
    e = _fail(
        CALL_HELPER,
        tmp_path,
        support_files={
            "helper.h": "int helper(int x);\n",
            "helper.c": "int helper(int x) {\n  return x + z;\n}\n",
        },
    )
    [err] = _errors(e)
    assert (err.file, err.line) == ("helper.c", 2) and "'z' undeclared" in err.message


def test_multiple_definition_names_the_symbol_and_files(tmp_path) -> None:
    e = _fail(
        CALL_HELPER,
        tmp_path,
        support_files={
            "helper.h": "int helper(int x);\n",
            "helper.c": "int helper(int x) { return x; }\n",
            "helper2.c": "int helper(int x) { return 2 * x; }\n",
        },
    )
    [err] = _errors(e)
    assert err.source == "linker"
    assert "multiple definition of `helper'" in err.message
    assert {err.file, err.message.rsplit("first defined in ", 1)[-1]} == {"helper.c", "helper2.c"}
    assert err.line == 1
    assert not any("in function" in d.message for d in e.diagnostics)  # context lines are not errors


@pytest.mark.skipif(
    not sysconfig.get_config_var("Py_ENABLE_SHARED"), reason="needs a shared libpython to link against"
)
def test_undefined_reference_names_the_symbol(tmp_path) -> None:
    libdir = sysconfig.get_config_var("LIBDIR")
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_python_version()
    e = _fail(
        CALL_HELPER,
        tmp_path,
        support_files={
            "helper.h": "int helper(int x);\n",
            "helper.c": "int other(int);\nint helper(int x) { return other(x); }\n",
        },
        extra_link_args=["-Wl,--no-undefined", f"-L{libdir}", f"-lpython{version}"],
    )
    [err] = _errors(e)
    assert err.source == "linker" and "undefined reference to `other'" in err.message
    assert err.file == "helper.c"


def test_support_c_included_by_the_source_is_not_compiled_again(tmp_path) -> None:
    src = (
        'cdef extern from "impl.c":\n    pass\n'
        'cdef extern from "impl.h":\n    int twice(int)\n'
        "def f(int a):\n    return twice(a)\n"
    )
    support = {
        "impl.h": "int twice(int x);\n",
        "impl.c": '#include "impl.h"\nint twice(int x) { return 2 * x; }\n',
    }
    assert cython_pin.compile_and_load(src, cache_dir=str(tmp_path), support_files=support).f(21) == 42


def test_rejected_compiler_flag_is_named(tmp_path) -> None:
    e = _fail("def f(int a):\n    return a\n", tmp_path, extra_compile_args=["-O2;touch x"])
    assert str(e) == "C compilation failed: 1 error: the compiler rejects '-O2;touch x'"
    assert any(
        d.message == "the compiler rejects the flag '-O2;touch x' (from extra_compile_args)"
        for d in e.diagnostics
    )
    assert not os.path.exists(os.path.join(str(tmp_path), "x"))
