"""Exception types raised by cython_pin. Each message says what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


class BuildError(RuntimeError):
    """A Cython or C compilation failed.

    ``diagnostics`` is a list of :class:`cython_pin.report.diagnostics.Diagnostic` (file, line, column,
    severity, message, source) with lines mapped to the user's source. ``output`` holds the raw captured
    tool output; ``log`` the command lines that ran, then that output.
    """

    def __init__(
        self,
        message: str,
        *,
        diagnostics: list[Any] | None = None,
        output: str = "",
        log: str = "",
        key: str | None = None,
        module_name: str | None = None,
        stage: str = "",
        timings: dict[str, float] | None = None,
    ) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])
        self.output = output
        self.log = log
        self.key = key
        self.module_name = module_name
        self.stage = stage
        self.timings = dict(timings or {})
        # Set by the magic so IPython shows a short, cell-relative report instead of a traceback.
        self.render_lines: list[str] | None = None

    def _render_traceback_(self) -> list[str]:  # IPython hook: short report, no giant traceback
        if self.render_lines is not None:
            return list(self.render_lines)
        lines = [f"BuildError: {self}"]
        lines += ["  " + d.format() for d in self.diagnostics if d.severity == "error"]
        return lines


class PinRegistryError(RuntimeError):
    """A pin file (``pins/<alias>.json``, or a ``pins.json`` of earlier versions being migrated) is unreadable
    or corrupt; it is never overwritten. Not a ValueError: code that handles bad arguments must not swallow a
    broken registry."""


class RemoteError(PinRegistryError):
    """A team-pin operation could not be done: no team cache is configured, it is read-only or unreachable
    here, or this kernel has no usable signing key. A PinRegistryError, so code written for personal pins
    handles it too; the protocol reports it by its own name."""


class AliasCollisionError(ValueError):
    """Pinning without ``overwrite``: the alias already points at another key."""


class KeyCollisionError(ValueError):
    """Pinning without ``overwrite``: the key already has another alias."""


class CacheIntegrityError(RuntimeError):
    """A cache entry is incomplete or its artifact does not match the sha256 recorded in ``meta.json``."""


class BuildUnavailableError(ImportError):
    """A process cannot get the build a pickled reference names (no cache entry, no team cache hit, no way to
    rebuild it, or an entry or recipe it refused); the message names the build and the remedies."""


def exception_message(exc: BaseException) -> str:
    """The text to show for ``exc`` (a KeyError without the quotes ``str()`` adds)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)
