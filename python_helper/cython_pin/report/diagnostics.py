"""Structured diagnostics parsed from Cython's and the C compiler's captured output."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Diagnostic:
    """One message. ``line`` is 1-based in the user's source when ``file`` is None (0 = unknown)."""

    line: int
    column: int
    severity: str
    message: str
    source: str  # "cython" | "compiler" | "linker" | "helper"
    file: str | None = None

    def to_json(self, line_offset: int = 0) -> dict[str, Any]:
        """BuildResultJSON Diagnostic; user-source lines shifted by ``line_offset`` (1 for a magic cell)."""
        d = asdict(self)
        if self.file is None and self.line > 0:
            d["line"] = self.line + line_offset
        return d

    def format(self, line_offset: int = 0) -> str:
        """``[file:]line:col severity message``."""
        line = self.line + line_offset if self.file is None and self.line > 0 else self.line
        where = f"{self.file}:" if self.file else ""
        return f"{where}{line}:{self.column} {self.severity} {self.message}"

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Diagnostic:
        return cls(
            line=int(d.get("line", 0)),
            column=int(d.get("column", 0)),
            severity=str(d.get("severity", "error")),
            message=str(d.get("message", "")),
            source=str(d.get("source", "helper")),
            file=d.get("file"),
        )


_CYTHON_RE = re.compile(
    r"^(?:(?P<kind>warning|performance hint|note): )?(?P<file>[^\s:][^:\n]*?):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<msg>.*)$"
)
_CC_RE = re.compile(
    r"^(?P<file>[^:\n]+?):(?P<line>\d+):(?:(?P<col>\d+):)? "
    r"(?P<sev>fatal error|error|warning|note): (?P<msg>.*)$"
)
_LINKER_RE = re.compile(
    r"^(?:/\S*/)?(?:ld|collect2|ld\.\w+)(?:\.exe)?: (?:(?P<sev>error|warning): )?(?P<msg>.*)$"
)
_C_SRC_COMMENT = re.compile(r'^\s*/\* "(?P<file>[^"]+)":(?P<line>\d+)')


def _logical_file(path: str, user_files: dict[str, str | None]) -> str | None:
    """Map a path in tool output to None (the user's source) or a short display name."""
    base = os.path.basename(path)
    if base in user_files:
        return user_files[base]
    return base


def parse_cython(output: str, user_files: dict[str, str | None]) -> list[Diagnostic]:
    """Parse ``file.pyx:LINE:COL: message`` lines (Cython columns are 0-based; ours are 1-based)."""
    out: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for raw in output.splitlines():
        m = _CYTHON_RE.match(raw.strip())
        if not m or not m.group("file").endswith((".pyx", ".pxd", ".pxi", ".py")):
            continue
        kind = m.group("kind")
        severity = "error" if kind is None else ("warning" if kind == "warning" else "note")
        d = Diagnostic(
            line=int(m.group("line")),
            column=int(m.group("col")) + 1 if int(m.group("line")) > 0 else 0,
            severity=severity,
            message=m.group("msg").strip(),
            source="cython",
            file=_logical_file(m.group("file"), user_files),
        )
        ident = (d.file, d.line, d.column, d.severity, d.message)
        if ident not in seen:
            seen.add(ident)
            out.append(d)
    return out


def _map_c_line(
    c_lines: list[str], line: int, user_files: dict[str, str | None]
) -> tuple[str | None, int] | None:
    """Find the ``/* "x.pyx":N`` comment Cython put above generated code, looking back from ``line``."""
    for i in range(min(line, len(c_lines)) - 1, max(-1, line - 400), -1):
        m = _C_SRC_COMMENT.match(c_lines[i])
        if m:
            base = os.path.basename(m.group("file"))
            if base in user_files:
                return user_files[base], int(m.group("line"))
            return None
    return None


def parse_compiler(
    output: str, user_files: dict[str, str | None], generated_c: dict[str, str]
) -> list[Diagnostic]:
    """Parse gcc/clang and linker output. Errors in generated C map back to the .pyx line when possible.

    ``generated_c`` maps generated C basenames to their paths (read lazily for line mapping).
    """
    from .c_diagnostics import linker_symbol_message, map_verbatim, user_texts

    out: list[Diagnostic] = []
    c_cache: dict[str, list[str]] = {}
    texts: dict[str | None, list[str]] | None = None
    for raw in output.splitlines():
        line = raw.rstrip()
        sym = linker_symbol_message(line, user_files)
        if sym is not None:
            out.append(Diagnostic(sym[1], 0, "error", sym[2], "linker", sym[0]))
            continue
        m = _CC_RE.match(line)
        if m:
            sev = "error" if m.group("sev") == "fatal error" else m.group("sev")
            base = os.path.basename(m.group("file"))
            lno = int(m.group("line"))
            col = int(m.group("col") or 0)
            file: str | None = _logical_file(m.group("file"), user_files)
            if base in generated_c:
                if base not in c_cache:
                    try:
                        with open(generated_c[base], encoding="utf-8", errors="replace") as f:
                            c_cache[base] = f.read().splitlines()
                    except OSError:
                        c_cache[base] = []
                if texts is None:
                    texts = user_texts(os.path.dirname(generated_c[base]), user_files)
                verbatim = map_verbatim(c_cache[base], lno, col, texts)
                mapped = _map_c_line(c_cache[base], lno, user_files) if verbatim is None else None
                if verbatim is not None:
                    file, lno, col = verbatim
                elif mapped is not None:
                    file, lno = mapped
                    col = 0
                else:
                    file = base  # kept under the generated file's name (warnings and notes too)
            out.append(Diagnostic(lno, col, sev, m.group("msg").strip(), "compiler", file))
            continue
        m = _LINKER_RE.match(line)
        if m and "ld returned" not in line and not line.endswith("':"):  # "…: in function `f':" is context
            out.append(Diagnostic(0, 0, m.group("sev") or "error", m.group("msg").strip(), "linker", None))
    return out


def summarize(diags: list[Diagnostic], what: str, line_offset: int = 0) -> str:
    """E.g. ``Cython compilation failed: 1 error (line 3)``; user-source lines only, shifted by offset."""
    errors = [d for d in diags if d.severity == "error"]
    n = len(errors)
    lines = sorted({d.line + line_offset for d in errors if d.file is None and d.line > 0})
    s = f"{what} failed: {n} error{'s' if n != 1 else ''}"
    if lines:
        s += f" (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:5]))})"
    return s
