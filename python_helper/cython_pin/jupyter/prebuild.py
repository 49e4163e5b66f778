"""The ``prebuild`` op: turn a notebook cell into a build-ahead request and hand it to the scheduler.

The cell is split into magic line and body by IPython's own input transformation (what running it does),
its line parsed by the magic's own parser, and its key computed by the engine, so the background build is
the very build the run would make. Answers at once: the build runs in the build server.
"""

from __future__ import annotations

import ast
from typing import Any

from ..constants import PREBUILD_MAX_SOURCE_CHARS
from .magic import CELL_LINE_OFFSET


def split_cell(source: str, shell: Any | None) -> tuple[str, str, str] | None:
    """``(magic name, line, body)`` of a cell-magic cell exactly as IPython runs it, or None when the cell
    is not a cell-magic cell."""
    if shell is not None and hasattr(shell, "transform_cell"):
        code = shell.transform_cell(source)
    else:
        from IPython.core.inputtransformer2 import TransformerManager

        code = TransformerManager().transform_cell(source)  # type: ignore[no-untyped-call]
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if (
        not isinstance(call, ast.Call)
        or not isinstance(call.func, ast.Attribute)
        or call.func.attr != "run_cell_magic"
        or len(call.args) != 3
        or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
    ):
        return None
    name, line, body = (a.value for a in call.args)  # type: ignore[attr-defined]
    return str(name), str(line), str(body)


def _runs_through_cython_pin(name: str, shell: Any | None) -> bool:
    if name == "cython_pin":
        return True
    if name == "cython" and shell is not None:
        from .takeover import is_taken_over

        return is_taken_over(shell)
    return False


def prebuild(args: dict[str, Any], shell: Any | None) -> dict[str, Any]:
    """PrebuildResult for a prebuild request: cached, started (in the build server) or skipped, with why."""
    cell_id, generation, source = args["cell_id"], args["generation"], args["source"]

    def answer(decision: str, key: str | None = None, reason: str | None = None) -> dict[str, Any]:
        return {
            "cell_id": cell_id,
            "generation": generation,
            "key": key,
            "decision": decision,
            "reason": reason,
        }

    if len(source) > PREBUILD_MAX_SOURCE_CHARS:
        return answer(
            "skipped",
            reason=f"the cell has {len(source)} characters; cells over {PREBUILD_MAX_SOURCE_CHARS} are "
            "built when run, not ahead",
        )
    parts = split_cell(source, shell)
    if parts is None or not _runs_through_cython_pin(parts[0], shell):
        return answer("skipped", reason="not a %%cython_pin cell")
    _name, line, body = parts
    try:
        from .magic import options_for_cell

        magic_args, opts = options_for_cell(line)
    except Exception as e:  # noqa: BLE001 - UsageError and friends: the run will say it in full
        return answer("skipped", reason=f"bad %%cython_pin line: {e}")
    if magic_args.force:
        return answer("skipped", reason="--force rebuilds on every run")
    if magic_args.pgo:
        return answer("skipped", reason="--pgo runs the module's code to train it: built only when run")
    from ..engine import module_key
    from ..errors import exception_message

    try:
        key, _o, root, _numpy = module_key(body, opts)
    except Exception as e:  # noqa: BLE001 - e.g. an empty cell or a bad header comment
        return answer("skipped", reason=exception_message(e))
    from ..ahead.scheduler import Request, scheduler
    from ..cache.entries import read_meta
    from ..server.protocol import enabled

    if read_meta(root, key) is not None:
        scheduler().start_server(root)  # a notebook of built cells gets edited next: be warm for that edit
        return answer("cached", key)
    if not enabled():
        why = "builds ahead run in the build server, which CYTHON_PIN_BUILD_SERVER=0 turns off"
        return answer("skipped", key, why)
    annotate = bool(args.get("annotate", False))
    scheduler().submit(Request(cell_id, generation, key, body, opts, root, CELL_LINE_OFFSET, annotate))
    return answer("started", key)
