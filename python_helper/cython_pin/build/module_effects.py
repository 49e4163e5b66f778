"""Whether a module's top level does anything beyond defining names: decides if reusing an already loaded
module (whose module-level code does not run again) loses something the user would notice."""

from __future__ import annotations

from typing import Any

# Statements whose only effect is binding names the loaded module already has.
_DEFINITIONS = frozenset(
    {
        "DefNode",
        "CFuncDefNode",
        "CClassDefNode",
        "PyClassDefNode",
        "CImportStatNode",
        "FromCImportStatNode",
        "FromImportStatNode",
        "CDefExternNode",
        "CTypeDefNode",
        "CStructOrUnionDefNode",
        "CEnumDefNode",
        "CppClassNode",
        "FusedTypeNode",
        "PassStatNode",
    }
)
_CONSTANTS = frozenset(
    {"IntNode", "FloatNode", "UnicodeNode", "StringNode", "BytesNode", "BoolNode", "NoneNode", "ImagNode"}
)


def _is_constant(node: Any) -> bool:
    return node is None or type(node).__name__ in _CONSTANTS


def _stat_has_effects(stat: Any) -> bool:
    name = type(stat).__name__
    if name in _DEFINITIONS:
        return False
    if name in ("StatListNode", "CompilerDirectivesNode"):
        body = stat.stats if name == "StatListNode" else [stat.body]
        return any(_stat_has_effects(s) for s in body)
    if name == "SingleAssignmentNode":
        # `import x` parses as x = __import__(...); `N = 10` rebinds the same constant.
        return not (type(stat.rhs).__name__ == "ImportNode" or _is_constant(stat.rhs))
    if name == "CVarDefNode":
        return not all(_is_constant(getattr(d, "default", None)) for d in stat.declarators)
    if name == "ExprStatNode":  # a bare string (a docstring) does nothing
        return not _is_constant(stat.expr)
    return True


def has_module_level_effects(source: str) -> bool:
    """True if ``source`` (Cython or Python) has top-level statements other than definitions, imports and
    constant assignments, i.e. code whose effects are missed when the loaded module is reused. Source that
    does not parse counts as having effects (saying so is the safe side)."""
    try:
        from Cython.Compiler.TreeFragment import parse_from_strings

        tree = parse_from_strings("cython_pin_effects", source)
    except Exception:
        return True
    return _stat_has_effects(tree.body)
