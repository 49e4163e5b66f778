"""The ``%%cython_pin`` cell magic (``%load_ext cython_pin``): a thin IPython layer over the engine."""

from __future__ import annotations

import argparse
from typing import Any

from IPython.core import magic_arguments
from IPython.core.magic import Magics, cell_magic, magics_class

from ..constants import DEFAULT_PROFILE, MIME_TYPE, PROFILES

CELL_LINE_OFFSET = 1  # the %%cython_pin line is line 1 of the cell: source line n is cell line n + 1


def _join_flag_values(line: str) -> str:
    """Let ``-c -O2`` (and ``--link-args -fopenmp``) work: argparse would read ``-O2`` as an option, so pass
    it as ``-c=-O2``."""
    import shlex

    from IPython.utils.process import arg_split  # type: ignore[attr-defined]  # chosen per platform there

    tokens = arg_split(line, posix=True)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        takes_flag = tok in ("-c", "--compile-args", "--link-args")
        if takes_flag and i + 1 < len(tokens) and tokens[i + 1].startswith("-"):
            out.append(f"{tok}={tokens[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return shlex.join(out)


def _fail(exc: BaseException, payload: dict[str, Any]) -> None:
    """Display the error bundle and give the exception a one-line IPython traceback: the result (and its
    text/plain in exports) carries the diagnostics, so the traceback only names the failure."""
    from IPython.display import display

    from .bundle import error_bundle

    display(error_bundle(payload), raw=True)
    short = [f"{payload['error']['type']}: {payload['error']['message']}"]
    try:
        if hasattr(exc, "render_lines"):
            exc.render_lines = short  # BuildError._render_traceback_ uses it
        else:
            exc._render_traceback_ = lambda: short  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - exceptions with __slots__
        pass


def _build_options(args: Any) -> dict[str, Any]:
    """The engine options a parsed ``%%cython_pin`` line asks for (``%%cython``'s options mean what they
    mean there)."""
    opts: dict[str, Any] = {
        "profile": args.profile,
        "language": "c++" if args.cplus else "c",
        "include_dirs": args.include,
        "libraries": args.lib,
        "library_dirs": args.library_dirs,
        "extra_compile_args": args.compile_args,
        "extra_link_args": args.link_args,
        "extra_sources": args.src,
        "force_rebuild": args.force,
        "module_name": args.name,
    }
    if args.annotate is not None:
        opts["annotate"] = "fullc" if args.annotate == "fullc" else True
    if args.language_level is not None:
        opts["compiler_directives"] = {"language_level": args.language_level}
    if args.pgo:
        opts["pgo"] = True
    if args.numpy:
        opts["numpy"] = True
    if args.openmp is not None:
        opts["openmp"] = args.openmp
    if args.pure_python:
        opts["pure_python"] = True
    return opts


def _verbose_log(payload: dict[str, Any], text: str, log: str | None) -> str:
    """``--verbose``: the command lines and output in the payload and at the end of the text."""
    from .bundle import log_text

    payload["log"] = log or "(from the cache: no Cython or compiler run)\n"
    return text + "\n" + log_text(payload["log"])


def _pin_failure(exc: BaseException, alias: str) -> str:
    """The pin failure in the magic's own terms (its ``--overwrite`` option, not the API's overwrite=True)."""
    from ..errors import AliasCollisionError, KeyCollisionError

    if isinstance(exc, AliasCollisionError):
        return (
            f"Alias collision: '{alias}' already points to another build. "
            "Add --overwrite to the %%cython_pin line to replace it."
        )
    if isinstance(exc, KeyCollisionError):
        return (
            "Key collision: this build is already pinned under another alias. "
            f"Add --overwrite to the %%cython_pin line to add '{alias}' as a second alias."
        )
    return str(exc)


@magics_class
class CythonPinMagics(Magics):
    """The ``%%cython_pin`` cell magic (and ``%%cython`` once :func:`take_over_cython_magic` is on)."""

    @magic_arguments.magic_arguments()
    @magic_arguments.argument("alias", nargs="?", default=None, help="pin the build under this alias")
    @magic_arguments.argument(
        "--profile",
        choices=PROFILES,
        default=None,
        help=f"build profile (default {DEFAULT_PROFILE})",
    )
    @magic_arguments.argument("--overwrite", action="store_true", help="re-point an existing alias")
    @magic_arguments.argument("--team", action="store_true", help="make ALIAS a team pin (team cache)")
    @magic_arguments.argument(
        "-a",
        "--annotate",
        action="store_const",
        const="default",
        dest="annotate",
        help="make the annotation (how much each line talks to Python)",
    )
    @magic_arguments.argument(
        "--annotate-fullc",
        action="store_const",
        const="fullc",
        dest="annotate",
        help="the annotation with the entire generated C/C++ code",
    )
    @magic_arguments.argument("-+", "--cplus", action="store_true", help="compile as C++")
    @magic_arguments.argument(
        "-3", dest="language_level", action="store_const", const=3, default=None, help="Python 3 syntax"
    )
    @magic_arguments.argument(
        "-2", dest="language_level", action="store_const", const=2, default=None, help="Python 2 syntax"
    )
    @magic_arguments.argument("-f", "--force", action="store_true", help="rebuild even when cached")
    @magic_arguments.argument(
        "-c", "--compile-args", action="append", default=[], help="extra compiler flag, e.g. -c=-DFOO"
    )
    @magic_arguments.argument(
        "--link-args", action="append", default=[], help="extra linker flag, e.g. --link-args=-fopenmp"
    )
    @magic_arguments.argument("-l", "--lib", action="append", default=[], help="library to link")
    @magic_arguments.argument("-n", "--name", default=None, help="module name (default cython_pin_<key16>)")
    @magic_arguments.argument(
        "-L",
        "--library-dir",
        dest="library_dirs",
        metavar="dir",
        action="append",
        default=[],
        help="library directory",
    )
    @magic_arguments.argument("-I", "--include", action="append", default=[], help="include directory")
    @magic_arguments.argument(
        "-S", "--src", action="append", default=[], help="C/C++ source file compiled into the module"
    )
    @magic_arguments.argument(
        "--pgo",
        action="store_true",
        help="profile-guided optimisation: build instrumented, run the module code as training (where "
        "'_pgo_' in __name__), rebuild with the profile",
    )
    @magic_arguments.argument(
        "--verbose", action="store_true", help="show the Cython and compiler command lines and output"
    )
    @magic_arguments.argument("--numpy", action="store_true", help="build with numpy's headers")
    @magic_arguments.argument(
        "--openmp",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="compile and link with OpenMP (default: when the cell uses cython.parallel or openmp)",
    )
    @magic_arguments.argument(
        "--py", dest="pure_python", action="store_true", help="the cell is pure-Python-mode code (.py)"
    )
    @cell_magic
    def cython_pin(self, line: str, cell: str) -> None:
        """Compile the cell with cython_pin (or load it from the cache), bind its public names, optionally
        pin it, show the result. Accepts every option of Cython's ``%%cython`` with the same meaning."""
        from IPython.display import display

        from ..cache.loader import bind_public_names
        from ..cache.paths import get_cache_dir
        from ..engine import compile_and_load_result
        from ..errors import BuildError
        from ..pins.registry import pin
        from .bundle import error_payload, ok_bundle

        args, opts = options_for_cell(line)
        if args.alias is not None:
            from ..pins.rules import validate_alias

            validate_alias(args.alias)  # before spending a build on a cell whose pin must fail
        profile = args.profile or DEFAULT_PROFILE
        cache_dir = get_cache_dir()
        try:
            res = compile_and_load_result(cell, **opts)
        except Exception as e:
            payload = error_payload(e, cache_dir=cache_dir, profile=profile, line_offset=CELL_LINE_OFFSET)
            if (
                isinstance(e, BuildError)
                and e.stage in ("Cython compilation", "C compilation")
                and e.diagnostics
            ):
                from ..report.diagnostics import summarize

                payload["error"]["message"] = summarize(e.diagnostics, e.stage, CELL_LINE_OFFSET)
                # The saved error output's evalue is str(e): make it name cell lines like the rest.
                e.args = (payload["error"]["message"],)
            log = getattr(e, "log", None) or getattr(e, "output", None)
            if args.verbose and log:
                payload["log"] = log
            _fail(e, payload)
            raise
        if args.alias:
            try:
                pin(res.key, alias=args.alias, overwrite=args.overwrite, team=args.team)
            except Exception as e:
                payload = res.to_json(CELL_LINE_OFFSET)
                payload.update(
                    status="error", error={"type": type(e).__name__, "message": _pin_failure(e, args.alias)}
                )
                _fail(e, payload)
                raise
        ns = self.shell.user_ns if self.shell is not None else {}
        bound = bind_public_names(res.module, ns)
        team = [args.alias] if args.alias and args.team else []
        bundle = ok_bundle(
            res,
            CELL_LINE_OFFSET,
            bound,
            res.aliases(),
            team_aliases=team,
            team_signer=_signing_key_id() if team else None,
        )
        if args.verbose:
            bundle["text/plain"] = _verbose_log(bundle[MIME_TYPE], bundle["text/plain"], res.log)
        display(bundle, raw=True)


def _signing_key_id() -> str | None:
    """The id of the key this kernel signs team pins with (the pin just succeeded, so it is readable)."""
    from ..remote.signing import signer_id
    from ..remote.tier import current_tier

    try:
        t = current_tier()
        return None if t is None else signer_id(t.signing_key())
    except Exception:  # noqa: BLE001 - the pin is made; only the label is missing
        return None


def options_for_cell(line: str) -> tuple[Any, dict[str, Any]]:
    """The parsed ``%%cython_pin`` line (its argparse namespace) and the engine options running the cell
    uses: the magic and a build ahead of the cell (which must compute the very key the run does) both
    call this. UsageError for a bad line."""
    args = magic_arguments.parse_argstring(CythonPinMagics.cython_pin, _join_flag_values(line))
    return args, _build_options(args)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magic (idempotent)."""
    ipython.register_magics(CythonPinMagics)
