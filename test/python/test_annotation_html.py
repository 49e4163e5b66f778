"""The HTML annotation every frontend shows: Cython's own three annotate tests adapted to ``%%cython_pin``
(Cython/Build/Tests/TestIpythonMagic.py: test_cython_annotate, _default, _complete_c_code), what the HTML
holds (summary first, the cell's lines shaded, each line's C), and an ``nbconvert --to html`` export of it."""

from __future__ import annotations

import re

import pytest
from cython_pin.constants import MIME_TYPE
from cython_pin.report.annotation import COMPLETE_CODE_TITLE, render_html

pytest.importorskip("IPython")

CODE = "def ann_f(int x):\n    return 2.5 * x\n\ndef ann_g(list items):\n    return len(items) + 1\n"


def annotated(shell, shown, options: str, code: str = CODE) -> dict:
    res = shell.run_cell(f"%%cython_pin {options}\n{code}")
    assert res.success, res.error_in_exec
    return shown[-1]


def test_cython_annotate(shell, shown):
    html = annotated(shell, shown, "--annotate")["text/html"]
    assert COMPLETE_CODE_TITLE not in html


def test_cython_annotate_default(shell, shown):
    html = annotated(shell, shown, "-a")["text/html"]
    assert COMPLETE_CODE_TITLE not in html


def test_cython_annotate_complete_c_code(shell, shown):
    html = annotated(shell, shown, "--annotate-fullc")["text/html"]
    assert COMPLETE_CODE_TITLE in html and "PyInit_" in html


def test_html_holds_summary_then_the_cells_lines_with_their_c(shell, shown):
    bundle = annotated(shell, shown, "-a")
    html, payload = bundle["text/html"], bundle[MIME_TYPE]
    summary_at = html.index('class="cython-pin-summary"')
    assert payload["key"][:16] in html[summary_at:] and payload["module_name"] in html
    first_line_at = html.index('class="cython-pin-line')
    assert summary_at < first_line_at
    # every cell line is there, numbered as in the cell (the magic line is line 1)
    for ln in payload["annotation"]["lines"]:
        assert f"{ln['line']:>4}  " in html
    assert "return 2.5 * x" in html and "len(items)" in html
    # lines that call into Python are shaded, and open to their C code; the plain-C line is not shaded
    assert re.search(r'<details style="background-color:#[0-9a-f]{6};', html)
    assert "__Pyx_" in html or "PyObject" in html
    assert "<script" not in html and "<link" not in html and "<style" not in html
    assert "PyInit_" not in bundle["text/plain"]


def test_no_html_without_annotation(shell, shown):
    bundle = annotated(shell, shown, "", "def ann_plain(int x):\n    return x\n")
    assert "text/html" not in bundle  # the summary is text/plain; the extension renders the MIME type


def test_shading_reads_on_light_and_dark():
    ann = {
        "max_score": 10,
        "lines": [
            {"line": n, "score": s, "source": "x", "c_code": "c"} for n, s in ((1, 0), (2, 1), (3, 10))
        ],
    }
    html = render_html(ann)
    # hex colours: Jupyter's HTML sanitizer (untrusted notebooks) keeps hex, rgb() and names, drops hsl()
    shades = [_rgb(x) for x in re.findall(r"background-color:#([0-9a-f]{6});", html)]
    assert len(shades) == 2 and sum(shades[0]) > sum(shades[-1])  # more Python, deeper shade
    # every shaded line sets its own dark text: WCAG AA against the deepest shade, whatever the page colour
    assert html.count("color:#1f1f1f") == len(shades)
    assert _contrast((31, 31, 31), shades[-1]) >= 4.5
    assert "hsl(" not in html


def test_nbconvert_html_export_shows_annotation_and_summary(shell, shown):
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    bundle = annotated(shell, shown, "-a")
    cell = nbformat.v4.new_code_cell("%%cython_pin -a\n" + CODE)
    cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    assert 'class="cython-pin-line' in body and "return 2.5 * x" in body
    assert bundle[MIME_TYPE]["key"][:16] in body


def _rgb(hex6: str) -> tuple[int, int, int]:
    return int(hex6[0:2], 16), int(hex6[2:4], 16), int(hex6[4:6], 16)


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(c: tuple[int, int, int]) -> float:
        ch = [x / 255 for x in c]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
