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


def render_html(annotation: dict[str, Any], title: str = "") -> str:
    """Static annotation: one ``<details>`` per line shaded by score (Python interaction), expandable to
    its C code. No scripts, inline styles only, readable in light and dark themes."""
    max_score = max(1, int(annotation.get("max_score") or 0))
    out = [
        '<div class="cython-pin-annotation" style="font-family:var(--jp-code-font-family,monospace);'
        'font-size:var(--jp-code-font-size,12px);line-height:1.4">'
    ]
    if title:
        out.append(
            f'<div style="margin-bottom:4px;opacity:.8">{html.escape(title)} — yellow = Python '
            "interaction (click a line for its C code)</div>"
        )
    for ln in annotation.get("lines", []):
        score = int(ln["score"])
        alpha = 0.0 if score == 0 else 0.15 + 0.6 * min(1.0, score / max_score)
        bg = f"background:rgba(255,215,0,{alpha:.2f});" if alpha else ""
        label = f'<span style="opacity:.6;user-select:none">{ln["line"]:>4} </span>' + html.escape(
            ln["source"]
        )
        if ln.get("c_code"):
            out.append(
                f'<details style="{bg}margin:0" title="score {score}"><summary style="white-space:pre;'
                f'cursor:pointer">{label}</summary><pre style="margin:0 0 0 3em;padding:2px 4px;'
                f'border-left:2px solid rgba(128,128,128,.5);overflow-x:auto;font-size:90%">'
                f"{html.escape(ln['c_code'])}</pre></details>"
            )
        else:
            out.append(f'<div style="{bg}white-space:pre;padding-left:1.1em">{label}</div>')
    if annotation.get("full_c"):
        out.append(
            '<details style="margin-top:4px"><summary style="cursor:pointer">'
            "Complete cythonized code</summary>"
            '<pre style="margin:0;padding:2px 4px;overflow-x:auto;font-size:90%">'
            f"{html.escape(annotation['full_c'])}</pre></details>"
        )
    out.append("</div>")
    return "\n".join(out)
