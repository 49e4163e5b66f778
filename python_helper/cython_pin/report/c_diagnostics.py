"""C compiler and linker messages put where the user wrote the code.

- Verbatim C (``cdef extern from *: \"\"\"…\"\"\"``) is copied into the generated C without a ``#line`` or a
  source comment, so a message on such a line is mapped back by finding the block's lines in the user's
  files (the line and its neighbours must match).
- Linker lines that name a symbol (``multiple definition of``, ``undefined reference to``) become one
  diagnostic each, naming the symbol and the user file where the linker says it is.
- A flag the compiler refuses is found by trying the user's flags one at a time on an empty file.
"""

from __future__ import annotations

import os
import re

_CONTEXT = 40  # neighbour lines compared on each side when several user lines read the same

_SYMBOL_RE = re.compile(
    r"^(?:/\S*/)?(?:ld(?:\.\w+)?: )?(?P<where>\S+?):(?:\(\S+\)|(?P<line>\d+)): "
    r"(?P<what>multiple definition of|undefined reference to) [`'‘](?P<sym>[^'’`]+)['’`]"
    r"(?:; (?P<first>\S+?):(?:\(\S+\)|(?P<fline>\d+)): first defined here)?"
)


def _score(c_lines: list[str], ci: int, u_lines: list[str], ui: int) -> int:
    """How many neighbours of C line ``ci`` and user line ``ui`` read the same (stripped), both ways."""
    n = 0
    for step in (-1, 1):
        for k in range(1, _CONTEXT + 1):
            a, b = ci + step * k, ui + step * k
            if not (0 <= a < len(c_lines) and 0 <= b < len(u_lines)):
                break
            if c_lines[a].strip() != u_lines[b].strip():
                break
            n += 1
    return n


def map_verbatim(
    c_lines: list[str], line: int, col: int, user_texts: dict[str | None, list[str]]
) -> tuple[str | None, int, int] | None:
    """(file, line, column) in a user file for generated C line ``line`` (1-based) when it is a line of a
    verbatim C block there; None otherwise. ``user_texts`` maps a logical file (None = the user's source)
    to its lines."""
    if not 0 < line <= len(c_lines):
        return None
    c_line = c_lines[line - 1]
    text = c_line.strip()
    if len(text) < 2:
        return None
    best: tuple[int, str | None, int] | None = None
    ambiguous = False
    for file, lines in user_texts.items():
        for ui, u_line in enumerate(lines):
            if u_line.strip() != text:
                continue
            score = _score(c_lines, line - 1, lines, ui)
            if best is None or score > best[0]:
                best, ambiguous = (score, file, ui), False
            elif score == best[0]:
                ambiguous = True
    if best is None or (ambiguous and best[0] == 0) or (best[0] == 0 and len(text) < 8):
        return None
    _score_, file, ui = best
    u_line = user_texts[file][ui]
    shift = (len(u_line) - len(u_line.lstrip())) - (len(c_line) - len(c_line.lstrip()))
    return file, ui + 1, max(col + shift, 1) if col else 0


def user_texts(src_dir: str, user_files: dict[str, str | None]) -> dict[str | None, list[str]]:
    """The lines of the user's source and text support files (those a verbatim block can come from)."""
    out: dict[str | None, list[str]] = {}
    for name, logical in user_files.items():
        if not name.endswith((".pyx", ".py", ".pxd", ".pxi")):
            continue
        try:
            with open(os.path.join(src_dir, name), encoding="utf-8", errors="replace") as f:
                out[logical] = f.read().splitlines()
        except OSError:
            continue
    return out


def linker_symbol_message(line: str, user_files: dict[str, str | None]) -> tuple[str | None, int, str] | None:
    """(user file or None, line, message) for a linker line naming a symbol; None for other lines."""
    m = _SYMBOL_RE.match(line.strip())
    if not m:
        return None
    sym, what = m.group("sym"), m.group("what")

    def place(path: str | None, lno: str | None) -> tuple[str | None, int]:
        if not path:
            return None, 0
        base = os.path.basename(path)
        if base in user_files and user_files[base] is not None:
            return user_files[base], int(lno or 0)
        return None, 0

    file, lno = place(m.group("where"), m.group("line"))
    msg = f"{what} `{sym}'"
    if what == "multiple definition of":
        msg = f"`{sym}' is defined twice (multiple definition of `{sym}')"
        first, _ = place(m.group("first"), m.group("fline"))
        first_name = first or (os.path.basename(m.group("first")) if m.group("first") else None)
        if first_name:
            msg += f"; first defined in {first_name}"
        if file is None and m.group("where"):
            msg += f"; again in {os.path.basename(m.group('where'))}"
    else:
        msg = f"undefined reference to `{sym}' (the symbol is used but no linked file or library defines it)"
    return file, lno, msg


def rejected_flags(compiler: list[str], flags: list[str]) -> list[str]:
    """The flags in ``flags`` that ``compiler`` refuses on their own (each tried on an empty C file)."""
    import subprocess
    import tempfile

    bad: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cython_pin_flag_") as d:
        src = os.path.join(d, "empty.c")
        with open(src, "w") as f:
            f.write("int cython_pin_flag_probe;\n")
        for flag in dict.fromkeys(flags):
            cmd = [*compiler, "-fPIC", "-shared", flag, src, "-o", os.path.join(d, "probe.so")]
            try:
                p = subprocess.run(cmd, capture_output=True, timeout=60, check=False, cwd=d)
            except (OSError, subprocess.SubprocessError):
                continue
            if p.returncode != 0:
                bad.append(flag)
    return bad
