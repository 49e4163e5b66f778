"""``@cython_pin.compile``: build a pure-Python-mode function with Cython and return the compiled one.

The function's own source (from ``inspect``, which also sees IPython cells) becomes a ``.py``-mode module:
the ``@cython_pin.compile`` line is replaced by ``import cython`` (so line numbers stay those of the
function), other decorators such as ``@cython.cfunc``/``@cython.locals`` stay. The build goes through
``compile_and_load_result``, so it is keyed and cached like every other build.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _is_us(node: ast.expr, namespace: dict[str, Any]) -> bool:
    """Whether decorator expression ``node`` (``compile`` or ``compile(...)``) names this decorator."""
    target = node.func if isinstance(node, ast.Call) else node
    try:
        value = eval(builtins.compile(ast.Expression(target), "<decorator>", "eval"), dict(namespace))  # noqa: S307
    except Exception:  # noqa: BLE001 - an unresolvable decorator is not ours
        return False
    return value is _compile_function


def function_module_source(func: Callable[..., Any]) -> str:
    """The source of the module built for ``func``: its definition with this decorator's line(s) replaced by
    ``import cython`` and blank lines."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError) as e:
        raise ValueError(
            f"cython_pin.compile cannot read the source of {func!r} ({e}); define it in a file or a notebook "
            "cell, or pass its module's source to compile_and_load_result(..., pure_python=True)."
        ) from None
    tree = ast.parse(source)
    fdef = tree.body[0]
    if not isinstance(fdef, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError(f"cython_pin.compile decorates functions, not {type(fdef).__name__}.")
    lines = source.splitlines()
    ours = [d for d in fdef.decorator_list if _is_us(d, func.__globals__)]
    for d in ours:
        for i in range(d.lineno - 1, (d.end_lineno or d.lineno)):
            lines[i] = ""
    first = min((d.lineno for d in ours), default=None)
    if first is not None:
        lines[first - 1] = "import cython"
    else:
        lines.insert(0, "import cython")
    return "\n".join(lines) + "\n"


def _compile_function(func: Callable[..., Any] | None = None, **opts: Any) -> Any:
    """``@cython_pin.compile`` or ``@cython_pin.compile(profile="release", ...)`` on a pure-Python-mode
    function: returns the Cython-compiled function (options as for ``compile_and_load_result``).
    The build result is on the function as ``__cython_pin_result__`` when the function type allows it."""
    if func is None:
        return lambda f: _compile_function(f, **opts)
    from .engine import compile_and_load_result

    result = compile_and_load_result(function_module_source(func), pure_python=True, **opts)
    compiled = getattr(result.module, func.__name__)
    try:
        compiled.__cython_pin_result__ = result
    except (AttributeError, TypeError):
        pass
    return compiled


compile = _compile_function  # noqa: A001 - the public name, ``cython_pin.compile``
