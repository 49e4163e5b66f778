"""The %%cython_pin magic in a real IPython shell."""

from __future__ import annotations

import cython_pin
import pytest
from cython_pin.constants import MIME_TYPE
from protocol_checks import validate

IPython = pytest.importorskip("IPython")


def test_magic_builds_binds_names_pins_and_displays(shell, shown, square):
    res = shell.run_cell(f"%%cython_pin magic_sq\n{'def f(int n):'}\n    return n*n\n")
    assert res.success, res.error_in_exec
    assert shell.user_ns["f"](6) == 36
    bundle = shown[-1]
    payload = bundle[MIME_TYPE]
    validate("build_result", payload)
    assert payload["status"] == "ok" and payload["key"] == square.key
    assert payload["names"] == ["f"] and payload["aliases"] == ["magic_sq"]
    assert payload["used_cache"] is True and payload["reused_module"] is True
    # It only defines a function: reusing the loaded module misses nothing, so no note.
    assert payload["module_code_skipped"] is False
    assert cython_pin.list_pins()["magic_sq"] == square.key
    text = bundle["text/plain"]
    assert square.key in text and "from cache : yes" in text and "module-level code" not in text
    assert "text/html" not in bundle
    cython_pin.unpin("magic_sq")


def test_magic_notes_reuse_only_when_module_code_was_skipped(shell, shown):
    cell = "%%cython_pin\nSEEN = []\nSEEN.append(1)\ndef seen():\n    return len(SEEN)\n"
    assert shell.run_cell(cell).success
    assert shown[-1][MIME_TYPE]["module_code_skipped"] is False  # first load: the code ran
    assert shell.run_cell(cell).success
    payload = shown[-1][MIME_TYPE]
    validate("build_result", payload)
    assert payload["reused_module"] is True and payload["module_code_skipped"] is True
    assert "module-level code did not re-run" in shown[-1]["text/plain"]
    assert shell.user_ns["seen"]() == 1  # indeed: the append did not run again


def test_magic_failure_fails_cell_with_cell_line_numbers(shell, shown):
    res = shell.run_cell("%%cython_pin\ndef g():\n    x = 1\n    return y\n")
    assert not res.success
    err = res.error_in_exec
    assert type(err).__name__ == "BuildError"
    payload = shown[-1][MIME_TYPE]
    validate("build_result", payload)
    assert payload["status"] == "error"
    d = payload["diagnostics"][0]
    assert (d["line"], d["column"], d["severity"], d["file"]) == (4, 12, "error", None)
    assert payload["error"] == {
        "type": "BuildError",
        "message": "Cython compilation failed: 1 error (line 4)",
    }
    assert "4:12 error undeclared name not builtin: y" in shown[-1]["text/plain"]
    assert str(err) == "Cython compilation failed: 1 error (line 4)"
    # The diagnostics are in the result only; the traceback names the failure in one line.
    assert err._render_traceback_() == ["BuildError: Cython compilation failed: 1 error (line 4)"]


def test_magic_pin_collision_fails_cell(shell, shown, square):
    cython_pin.pin(square.key, alias="taken", overwrite=True)
    try:
        res = shell.run_cell("%%cython_pin taken\ndef other():\n    return 5\n")
        assert not res.success and isinstance(res.error_in_exec, ValueError)
        payload = shown[-1][MIME_TYPE]
        assert payload["status"] == "error" and payload["error"] == {
            "type": "AliasCollisionError",
            "message": "Alias collision: 'taken' already points to another build. "
            "Add --overwrite to the %%cython_pin line to replace it.",
        }
        assert "overwrite=True" not in payload["error"]["message"]
        res = shell.run_cell("%%cython_pin taken --overwrite\ndef other():\n    return 5\n")
        assert res.success and cython_pin.list_pins()["taken"] == shown[-1][MIME_TYPE]["key"]
    finally:
        cython_pin.unpin("taken")


def test_magic_annotate_name_and_options(shell, shown):
    cell = (
        "%%cython_pin --annotate --name magic_named -c -DMAGIC=7 -c=-DOTHER=1\n"
        "cdef extern from *:\n"
        "    int MAGIC\n"
        "def h(x):\n"
        "    return x + MAGIC\n"
    )
    res = shell.run_cell(cell)
    assert res.success, res.error_in_exec
    bundle = shown[-1]
    payload = bundle[MIME_TYPE]
    assert payload["module_name"] == "magic_named"
    assert [ln["line"] for ln in payload["annotation"]["lines"]] == [2, 3, 4, 5]
    # Exports prefer text/html: it starts with the summary (key, timings); text/plain has the annotation as
    # one line per source line with its score, and no C code.
    assert payload["key"][:16] in bundle["text/html"].split('class="cython-pin-line', 1)[0]
    text = bundle["text/plain"]
    assert payload["key"] in text and "timings" in text
    assert "annotation : Python-interaction score per line" in text
    assert "       5 " in text and "return x + MAGIC" in text
    assert "__pyx" not in text and len(text.splitlines()) < 20
    assert any(d["source"] == "helper" and "magic_named" in d["message"] for d in payload["diagnostics"])
    assert shell.user_ns["h"](1) == 8


def test_magic_usage_error_and_bad_alias(shell, shown):
    res = shell.run_cell("%%cython_pin --profile turbo\ndef z():\n    pass\n")
    assert not res.success
    res = shell.run_cell("%%cython_pin bad-alias\ndef z():\n    pass\n")
    assert not res.success and "Invalid alias" in str(res.error_in_exec)
