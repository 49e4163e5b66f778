"""Opt-in takeover of ``%%cython`` cells: off by default (Cython's magic untouched), on through
``cython_pin.take_over_cython_magic()`` or ``%cython_pin_takeover on``, surviving ``%load_ext cython``."""

from __future__ import annotations

import textwrap

import pytest
from support import run_py

pytest.importorskip("IPython")

PRELUDE = textwrap.dedent(
    """
    import json
    from IPython.core.interactiveshell import InteractiveShell
    import cython_pin
    from cython_pin.constants import MIME_TYPE
    ip = InteractiveShell.instance()
    shown = []
    ip.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)

    def owner():
        m = ip.magics_manager.magics["cell"].get("cython")
        return None if m is None else type(m.__self__).__name__

    def cell(text):
        n = len(shown)
        r = ip.run_cell(text)
        bundles = [b for b in shown[n:] if MIME_TYPE in b]
        return r.success, (bundles[-1][MIME_TYPE] if bundles else None)
    """
)
CELL = "%%cython -3 -n tk_mod_{0}\\ndef tk_f():\\n    return {0}\\n"


def check(code: str) -> None:
    p = run_py(PRELUDE + textwrap.dedent(code), timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]


def test_off_by_default_cythons_own_magic_untouched():
    check(
        f"""
        ip.run_line_magic("load_ext", "cython_pin")
        assert owner() is None
        ip.run_cell("%load_ext cython")
        assert owner() == "CythonMagics"
        ok, bundle = cell("{CELL.format(1)}")
        assert ok and bundle is None and ip.user_ns["tk_f"]() == 1  # Cython built it, not cython_pin
        """
    )


def test_python_call_takes_over_and_survives_load_ext_cython_then_gives_back():
    check(
        f"""
        assert cython_pin.take_over_cython_magic() is True
        assert owner() == "CythonPinMagics"
        ok, bundle = cell("{CELL.format(2)}")
        assert ok and bundle["status"] == "ok" and bundle["module_name"] == "tk_mod_2"
        assert ip.user_ns["tk_f"]() == 2 and len(bundle["key"]) == 64
        ok, again = cell("{CELL.format(2)}")
        assert again["used_cache"] is True and again["key"] == bundle["key"]
        ip.run_cell("%load_ext cython")  # what notebooks written for Cython start with
        ok, bundle = cell("{CELL.format(3)}")
        assert ok and bundle["module_name"] == "tk_mod_3"  # still ours
        ok, bad = cell("%%cython\\ndef tk_g():\\n    return nope\\n")
        assert not ok and bad["diagnostics"][0]["line"] == 3  # our diagnostics, in cell lines
        assert cython_pin.take_over_cython_magic(False) is False
        assert owner() == "CythonMagics"  # Cython's own magic is back
        ok, bundle = cell("{CELL.format(4)}")
        assert ok and bundle is None and ip.user_ns["tk_f"]() == 4
        """
    )


def test_line_magic_on_off_without_cython_loaded():
    check(
        f"""
        ip.run_line_magic("load_ext", "cython_pin")
        ip.run_line_magic("cython_pin_takeover", "on")
        ok, bundle = cell("{CELL.format(5)}")
        assert ok and bundle["module_name"] == "tk_mod_5"
        ip.run_line_magic("cython_pin_takeover", "off")
        assert owner() is None  # Cython's magic was never loaded: nothing to give back
        assert not ip.run_cell("%%cython\\ndef tk_h():\\n    return 1\\n").success
        from IPython.core.error import UsageError
        try:
            ip.run_line_magic("cython_pin_takeover", "maybe")
        except UsageError as e:
            assert "'on' or 'off'" in str(e)
        else:
            raise AssertionError("no UsageError")
        """
    )
