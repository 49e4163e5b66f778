"""Opt-in: run ``%%cython`` cells through cython_pin, unchanged (keys, cache, diagnostics, the Compile
button). Off by default; when off, Cython's own ``%%cython`` is what IPython runs.

Notebooks written for Cython's magic start with ``%load_ext cython``, which registers Cython's ``%%cython``
again: while the takeover is on, a ``pre_run_cell`` hook puts ours back before every cell (a cell magic is
a cell's first line, so no ``%%cython`` cell can run between the two).
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class

_state: dict[int, dict[str, Any]] = {}  # id(shell) -> {"ours": magic, "theirs": magic or None, "hook": fn}


def _cell_magics(shell: Any) -> dict[str, Any]:
    magics: dict[str, Any] = shell.magics_manager.magics["cell"]
    return magics


def _shell(shell: Any | None) -> Any:
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("take_over_cython_magic needs an IPython shell (a kernel or IPython).")
    return shell


def take_over_cython_magic(on: bool = True, *, shell: Any | None = None) -> bool:
    """``on=True``: ``%%cython`` cells run as ``%%cython_pin`` cells (same options, same meaning).
    ``on=False``: give ``%%cython`` back to Cython's magic (if it was loaded). Returns whether the takeover
    is on. Idempotent."""
    shell = _shell(shell)
    from .magic import CythonPinMagics

    state = _state.get(id(shell))
    if on:
        if state is None:
            shell.register_magics(CythonPinMagics)
            ours = shell.magics_manager.registry["CythonPinMagics"].cython_pin
            state = {"ours": ours, "theirs": _cell_magics(shell).get("cython"), "hook": None}

            def reassert(*_args: Any) -> None:
                current = _cell_magics(shell).get("cython")
                if current is not state["ours"]:
                    if current is not None:  # e.g. %load_ext cython ran since: remember it for "off"
                        state["theirs"] = current
                    _cell_magics(shell)["cython"] = state["ours"]

            state["hook"] = reassert
            shell.events.register("pre_run_cell", reassert)
            _state[id(shell)] = state
        _cell_magics(shell)["cython"] = state["ours"]
        return True
    if state is not None:
        shell.events.unregister("pre_run_cell", state["hook"])
        del _state[id(shell)]
        if _cell_magics(shell).get("cython") is state["ours"]:
            if state["theirs"] is not None:
                _cell_magics(shell)["cython"] = state["theirs"]
            else:
                del _cell_magics(shell)["cython"]
    return False


def is_taken_over(shell: Any | None = None) -> bool:
    """Whether ``%%cython`` currently runs through cython_pin in ``shell``."""
    return id(_shell(shell)) in _state


@magics_class
class TakeoverMagics(Magics):
    """``%cython_pin_takeover`` (registered by ``%load_ext cython_pin``)."""

    @line_magic
    def cython_pin_takeover(self, line: str) -> None:
        """``%cython_pin_takeover on|off``: run ``%%cython`` cells through cython_pin (on, the same options
        with the same meaning) or through Cython's own magic (off). No argument: say which."""
        from IPython.core.error import UsageError

        word = line.strip().lower()
        if word not in ("", "on", "off"):
            raise UsageError("%cython_pin_takeover takes 'on' or 'off'.")
        on = is_taken_over(self.shell) if not word else take_over_cython_magic(word == "on", shell=self.shell)
        print(f"%%cython cells run through {'cython_pin' if on else 'Cython'}.")
