"""What to build for one key (a module or a package): the unit of work the engine runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .options import BuildOptions


class Job:
    """What to build for one key. ``prepare(staging)`` writes the sources and returns the units."""

    def __init__(
        self,
        kind: str,
        key: str,
        name: str,
        root: str,
        opts: BuildOptions,
        numpy_used: bool,
        prepare: Callable[[str], tuple[list[Any], dict[str, str | None], str]],
        t0: float,
        t_hash: float,
    ) -> None:
        self.kind, self.key, self.name, self.root, self.opts = kind, key, name, root, opts
        self.numpy_used, self.prepare, self.t0, self.t_hash = numpy_used, prepare, t0, t_hash
        # the same build keyed and compiled with numpy (when Cython's output turns out to need it)
        self.with_numpy: Callable[[], Job] | None = None
        # the options to compile with in a staging dir (default: ``opts``); PGO adds its flags here
        self.build_opts: Callable[[str], BuildOptions] | None = None
        # runs after a successful compile in the staging dir; returns more files (relative) to keep
        self.after_build: Callable[[str, list[Any]], set[str]] | None = None
        self.meta_extra: dict[str, Any] = {}
        # steps outside the build proper: PGO's instrumented build (added to cythonize/compile), waiting for
        # the key lock ("wait"), the team cache ("fetch"), the shared utility module ("shared"), the build
        # redone with numpy ("rebuild")
        self.extra_timings: dict[str, float] = {}
        # the inputs that make this Job again in another process (the build server), None if it cannot be
        self.spec: dict[str, Any] | None = None
        self.log: list[str] = []  # command lines and output of every step (the result's ``log``)
