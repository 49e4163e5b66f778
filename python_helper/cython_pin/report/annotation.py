"""Cython annotation: parse Cython's HTML into per-line scores and C code, render static script-free HTML."""

from __future__ import annotations

import html
import re
from typing import Any

_LINE_RE = re.compile(
    r'<pre class="cython line score-(?P<score>\d+)"[^>]*>(?P<body>.*?)</pre>'
    r"(?:\s*<pre class='cython code score-\d+ ?'>(?P<code>.*?)</pre>)?",
    re.S,
)
_NUM_RE = re.compile(r'^[^<]*<span class="">(?P<n>\d+)</span>: ?', re.S)  # prefix "+" or "&#xA0;"
_TAG_RE = re.compile(r"<[^>]+>")
# the section Cython's annotate="fullc" (``--annotate-fullc``) adds after the lines
_FULL_C_RE = re.compile(
    r"Complete cythonized code</pre>\s*<pre class='cython code'>(?P<code>.*?)</pre>", re.S
)


def _text(fragment: str) -> str:
    return html.unescape(_TAG_RE.sub("", fragment))


def parse_cython_html(text: str) -> dict[str, Any]:
    """Return ``{"lines": [{line, score, source, c_code}], "max_score"}`` with lines of the .pyx (and
    ``full_c``, the whole generated C, when Cython was asked for it)."""
    lines: list[dict[str, Any]] = []
    for m in _LINE_RE.finditer(text):
        body = m.group("body")
        n = _NUM_RE.match(body)
        if not n:
            continue
        source = _text(body[n.end() :]).rstrip("\n")
        c_code = _text(m.group("code") or "").strip("\n")
        lines.append(
            {"line": int(n.group("n")), "score": int(m.group("score")), "source": source, "c_code": c_code}
        )
    out: dict[str, Any] = {"lines": lines, "max_score": max((ln["score"] for ln in lines), default=0)}
    full = _FULL_C_RE.search(text)
    if full:
        out["full_c"] = _text(full.group("code")).strip("\n")
    return out


def shift(annotation: dict[str, Any] | None, line_offset: int) -> dict[str, Any] | None:
    """Annotation with line numbers shifted (e.g. +1 for a ``%%cython_pin`` cell)."""
    if annotation is None:
        return None
    return dict(annotation, lines=[dict(ln, line=ln["line"] + line_offset) for ln in annotation["lines"]])


# Cython's own title for the whole generated C (``--annotate-fullc``), kept so readers and tools find it.
COMPLETE_CODE_TITLE = "Complete cythonized code"
# Shaded lines get an opaque background from pale to deep yellow and dark text of their own, so they read the
# same on light and dark pages (contrast of #1f1f1f on the deepest shade is above WCAG AA's 4.5:1); lines with
# no Python interaction keep the page's colours. Colours are hex: the HTML sanitizer of JupyterLab and
# Notebook 7 (an untrusted notebook) keeps hex, rgb() and named colours and drops others, such as hsl().
_TEXT_ON_SHADE = "#1f1f1f"
_BOX = (
    "font-family:var(--jp-code-font-family,monospace);font-size:var(--jp-code-font-size,12px);line-height:1.4;"
    "text-align:left"
)
_PRE = "margin:0;padding:0;background:none;border:0;white-space:pre;font:inherit;color:inherit"
_C_CODE = (
    "margin:0 0 2px 3.2em;padding:2px 6px;border-left:2px solid #888;overflow-x:auto;font-size:90%;"
    "white-space:pre;background:none;color:inherit"
)


def _shade(score: int, max_score: int) -> str:
    """The inline style of a line with this score: any Python interaction is visible, more is deeper."""
    if score <= 0:
        return ""
    import colorsys

    lightness = 0.88 - 0.30 * min(1.0, score / max_score)  # hsl(50, 100%, 88%) (a touch) .. 58% (much)
    r, g, b = (round(c * 255) for c in colorsys.hls_to_rgb(50 / 360, lightness, 1.0))
    return f"background-color:#{r:02x}{g:02x}{b:02x};color:{_TEXT_ON_SHADE};"


def render_html(annotation: dict[str, Any], title: str = "", summary: str = "") -> str:
    """Self-contained annotation HTML (no scripts, no external CSS, inline styles only): ``summary`` first (a
    build's text summary, so exports keep it), then one line per source line shaded by its score, each
    expandable to its C code (collapsed), and the whole generated C only when the annotation has it
    (collapsed, under Cython's title)."""
    max_score = max(1, int(annotation.get("max_score") or 0))
    out = [f'<div class="cython-pin-annotation" style="{_BOX}">']
    if summary:
        out.append(
            f'<pre class="cython-pin-summary" style="{_PRE};margin-bottom:6px">{html.escape(summary)}</pre>'
        )
    if title:
        out.append(
            f'<div style="margin-bottom:4px">{html.escape(title)}: shaded lines call into Python '
            "(deeper = more); open a line for its C code</div>"
        )
    for ln in annotation.get("lines", []):
        score = int(ln["score"])
        shade = _shade(score, max_score)
        text = f"{ln['line']:>4}  {ln['source']}"
        line = (
            f'<pre class="cython-pin-line score-{score}" style="{_PRE};display:inline">'
            f"{html.escape(text)}</pre>"
        )
        if ln.get("c_code"):
            out.append(
                f'<details style="{shade}margin:0" title="score {score}">'
                f'<summary style="cursor:pointer">{line}</summary>'
                f'<pre style="{_C_CODE}">{html.escape(ln["c_code"])}</pre></details>'
            )
        else:
            out.append(f'<div style="{shade}padding-left:1.1em" title="score {score}">{line}</div>')
    if annotation.get("full_c"):
        out.append(
            f'<details style="margin-top:4px"><summary style="cursor:pointer">{COMPLETE_CODE_TITLE}</summary>'
            f'<pre style="{_C_CODE};margin-left:0">{html.escape(annotation["full_c"])}</pre></details>'
        )
    out.append("</div>")
    return "\n".join(out)
