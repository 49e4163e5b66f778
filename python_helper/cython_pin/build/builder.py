"""Cold builds: Cython in-process (no setuptools), then the C compiler called directly, both with their
output captured at the file-descriptor level so nothing leaks to the Jupyter server's terminal. The
environment's compiler settings (CC, CFLAGS, CPPFLAGS, LDFLAGS, LDSHARED) apply where setuptools applies
them."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import BuildError
from ..report.diagnostics import Diagnostic, parse_compiler, parse_cython, summarize
from .options import BuildOptions
from .toolchain import compiler_command, flag_environment, python_include_dirs

if TYPE_CHECKING:
    from typing import Any

    from .pch import Pending


@dataclass
class Unit:
    """One extension module to build: ``full_name`` (dotted), its .pyx and the artifact to produce."""

    full_name: str
    pyx_path: str
    artifact_path: str
    c_path: str = ""


@dataclass
class BuildOutput:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    cythonize_s: float = 0.0
    compile_s: float = 0.0
    output: str = ""
    annotation_html: dict[str, str] = field(default_factory=dict)  # unit full name -> Cython html path
    commands: list[str] = field(default_factory=list)  # what ran, as shell command lines

    def log(self) -> str:
        """The command lines, then the tools' full output (what ``%%cython --verbose`` prints)."""
        return _build_log(self.commands, self.output)


def _build_log(commands: list[str], output: str) -> str:
    """Command lines prefixed with ``$``, then the output."""
    text = "".join(f"$ {c}\n" for c in commands)
    return text + output if output.strip() else text


@contextlib.contextmanager
def capture_output(path: str) -> Iterator[None]:
    """Append to ``path`` what is written meanwhile to ``sys.stdout`` and ``sys.stderr`` (Cython reports
    there; in a kernel they are ipykernel's streams, not the fds) and to fds 1 and 2 (C-level writes, which
    would otherwise reach the Jupyter server's terminal), with Cython's own ``captured_fd``."""
    import io

    from Cython.Utils import captured_fd

    for s in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            s.flush()
    text = io.StringIO()
    with captured_fd(1) as fd_out, captured_fd(2) as fd_err:
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield
        finally:
            fd_text = (fd_out() + fd_err()).decode("utf-8", "replace")
            with open(path, "a", encoding="utf-8", errors="replace") as f:
                f.write(text.getvalue() + fd_text)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _missing(what: str, fix: str) -> BuildError:
    diag = Diagnostic(0, 0, "error", f"{what} is not installed in this kernel's environment: {fix}", "helper")
    return BuildError(f"{what} is missing: {fix}", diagnostics=[diag], stage="setup")


def _numpy_include_dir() -> str:
    """numpy's C headers (imports numpy: only on cold builds that use it)."""
    try:
        import numpy
    except ImportError:
        raise _missing("numpy", "run `python -m pip install numpy`, or pass numpy=False.") from None
    include: str = numpy.get_include()
    return include


def _ldshared_flags() -> list[str]:
    """Link flags from sysconfig LDSHARED minus the compiler word (e.g. ``-shared -L... -Wl,-rpath,...``)."""
    import shlex
    import sysconfig

    ld = shlex.split(sysconfig.get_config_var("LDSHARED") or "cc -shared")
    flags = ld[1:]
    if not any(a in ("-shared", "-bundle") for a in flags):
        flags.insert(0, "-shared")
    return flags


@dataclass(frozen=True)
class EnvironmentFlags:
    """The environment's compiler flags as command words, applied where setuptools applies them."""

    compile: tuple[str, ...] = ()  # CFLAGS then CPPFLAGS, on every compile
    link: tuple[str, ...] = ()  # LDFLAGS, on every link
    link_command: tuple[str, ...] = ()  # LDSHARED: links separately from the compile, with this command

    @classmethod
    def read(cls) -> EnvironmentFlags:
        """From the environment now."""
        import shlex

        env = flag_environment()
        return cls(
            compile=tuple(shlex.split(env.get("CFLAGS", "")) + shlex.split(env.get("CPPFLAGS", ""))),
            link=tuple(shlex.split(env.get("LDFLAGS", ""))),
            link_command=tuple(shlex.split(env.get("LDSHARED", ""))),
        )


def link_commands(
    compiler: list[str],
    compile_flags: list[str],
    sources: list[str],
    link_flags: list[str],
    artifact: str,
    env_flags: EnvironmentFlags,
) -> list[list[str]]:
    """The commands, run in order, that make the extension module ``artifact`` from C ``sources``.
    ``compile_flags`` already hold the environment's CFLAGS/CPPFLAGS; ``link_flags`` are the user's
    (libraries, extra link args). One command compiles and links, with LDFLAGS after sysconfig's shared
    flags; with LDSHARED set, as in setuptools, each source is compiled to an object file and LDSHARED
    (followed by LDFLAGS, CFLAGS and CPPFLAGS) links them."""
    if not env_flags.link_command:
        return [
            [
                *compiler,
                *compile_flags,
                *sources,
                *_ldshared_flags(),
                *env_flags.link,
                *link_flags,
                "-o",
                artifact,
            ]
        ]
    stem = os.path.splitext(artifact)[0]
    objects = [f"{stem}.{i}.o" for i in range(len(sources))]
    compiles = [
        [*compiler, *compile_flags, "-c", src, "-o", obj] for src, obj in zip(sources, objects, strict=True)
    ]
    link = [
        *env_flags.link_command,
        *env_flags.link,
        *env_flags.compile,
        *objects,
        *link_flags,
        "-o",
        artifact,
    ]
    return [*compiles, link]


def run_side_by_side(commands: list[list[str]], cwd: str) -> list[tuple[int, str]]:
    """Run ``commands`` at the same time in the build folder ``cwd`` (environment:
    :func:`.toolchain.compiler_run_env`); each one's exit status and merged output. Raises OSError when one
    cannot start. However this returns or raises (that OSError, a kernel interrupt, a cancelled build ahead),
    none of them is left running."""
    import subprocess

    from .toolchain import compiler_run_env

    env = compiler_run_env(cwd)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for cmd in commands:
            procs.append(
                subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            )
        outputs = [p.communicate()[0].decode("utf-8", "replace") for p in procs]
        return [(p.returncode, text) for p, text in zip(procs, outputs, strict=True)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while Cython runs (restored after, as it was): a first compile allocates so many
    long-lived objects that the collections it triggers find next to nothing."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def cythonize_unit(
    unit: Unit, opts: BuildOptions, include_path: list[str], log_path: str, shared: str | None = None
) -> int:
    """Run Cython on one unit in-process; returns the number of errors (output goes to ``log_path``).
    ``shared``: the shared utility module the C imports its utility functions from."""
    with _gc_paused():
        return _cythonize_unit(unit, opts, include_path, log_path, shared)


def language_level(opts: BuildOptions) -> int | str:
    """The language level the build uses (``-2``/``-3`` of the magic, or the compiler directive)."""
    level = opts.compiler_directives.get("language_level", 3)
    return level if level == "3str" else int(level)


def _cython_command_line(
    unit: Unit, opts: BuildOptions, include_path: list[str], shared: str | None = None
) -> str:
    """The ``cython`` command line equivalent to the in-process run of :func:`cythonize_unit`."""
    import shlex

    c_path = unit.c_path or os.path.splitext(unit.pyx_path)[0] + (".cpp" if opts.language == "c++" else ".c")
    args = ["cython", f"-{language_level(opts)}" if language_level(opts) != "3str" else "-3str"]
    if opts.language == "c++":
        args.append("--cplus")
    if opts.annotate:
        args.append("--annotate-fullc" if opts.annotate_fullc else "--annotate")
    for d in include_path:
        args += ["-I", d]
    for k, v in sorted(opts.compiler_directives.items()):
        if k != "language_level":
            args += ["-X", f"{k}={v}"]
    if shared:
        args += ["--shared", shared]
    args += ["--module-name", unit.full_name, "-o", c_path, unit.pyx_path]
    return shlex.join(args)


def _cythonize_unit(
    unit: Unit, opts: BuildOptions, include_path: list[str], log_path: str, shared: str | None
) -> int:
    try:
        from Cython.Compiler import Errors
        from Cython.Compiler.Main import CompilationOptions, compile_single, default_options
    except ImportError:
        raise _missing("Cython", "run `python -m pip install cython` in this kernel's environment.") from None

    cplus = opts.language == "c++"
    unit.c_path = os.path.splitext(unit.pyx_path)[0] + (".cpp" if cplus else ".c")
    copts = CompilationOptions(
        default_options,
        output_file=unit.c_path,
        annotate="fullc" if opts.annotate and opts.annotate_fullc else opts.annotate,
        cplus=cplus,
        include_path=include_path,
        compiler_directives=dict(opts.compiler_directives),
        language_level=language_level(opts),
        timestamps=False,
        shared_utility_qualified_name=shared,
    )
    with capture_output(log_path), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = compile_single(unit.pyx_path, copts, unit.full_name)
            nerr = int(getattr(res, "num_errors", 0) or 0)
        except Exception as e:  # noqa: BLE001 - Cython internal failure becomes a diagnostic
            print(f"{os.path.basename(unit.pyx_path)}:0:0: Cython crashed: {type(e).__name__}: {e}")
            nerr = 1
        finally:
            with contextlib.suppress(Exception):
                Errors.close_listing_file()
        for w in caught:
            print(f"warning: {os.path.basename(unit.pyx_path)}:0:0: {w.message}")
    return nerr


def warm_up_cython(scratch: str) -> None:
    """Run Cython once on a small module in the folder ``scratch`` (made here, removed after; one left by a
    killed process is replaced), output discarded, so a process that builds later (the build server, and
    each child it forks) finds Cython's utility code already loaded and parsed: a first compile in a
    process does that work, every later one reuses it."""
    import shutil

    from .options import resolve_options

    source = (
        "def _warm_up(int n, double x, list xs):\n"
        "    cdef int i\n"
        "    for i in range(n):\n"
        "        x += xs[i]\n"
        "    return x\n"
    )
    shutil.rmtree(scratch, ignore_errors=True)
    os.mkdir(scratch, 0o700)
    try:
        pyx = os.path.join(scratch, "cython_pin_warm_up.pyx")
        with open(pyx, "w", encoding="utf-8") as f:
            f.write(source)
        unit = Unit("cython_pin_warm_up", pyx, "")
        cythonize_unit(unit, resolve_options({}), [scratch], os.path.join(scratch, "cython.log"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _early_annotation(out: BuildOutput, units: list[Unit]) -> dict[str, Any] | None:
    """A one-module annotated build's per-line scores as soon as Cython wrote them, without the whole C
    (a build ahead shows them while the C compiler still runs); None otherwise."""
    if len(units) != 1 or units[0].full_name not in out.annotation_html:
        return None
    from ..report.annotation import parse_cython_html

    try:
        with open(out.annotation_html[units[0].full_name], encoding="utf-8") as f:
            annotation = parse_cython_html(f.read())
    except (OSError, ValueError):
        return None
    annotation.pop("full_c", None)
    return annotation


def unit_commands(
    unit: Unit,
    opts: BuildOptions,
    include_dirs: list[str],
    extra_sources: list[str],
    env_flags: EnvironmentFlags,
    *,
    openmp: bool = False,
) -> list[list[str]]:
    """The commands, run in order, that build one unit (see :func:`link_commands`); ``openmp``: with the
    compiler's OpenMP flag on compile and link."""
    from .openmp import FLAG as OPENMP_FLAG

    # -pipe: the assembly goes from the compiler to the assembler through a pipe, not a temporary file (the
    # same binary, sooner; P3w in benchmarks.memory)
    flags = ["-fPIC", "-fwrapv", "-fno-strict-aliasing", "-fdiagnostics-color=never", "-pipe"]
    flags += opts.opt_flags
    if openmp:
        flags.append(OPENMP_FLAG)
    flags += env_flags.compile  # as setuptools: after the base flags, before the build's own
    for name, value in opts.define_macros:
        flags.append(f"-D{name}" if value is None else f"-D{name}={value}")
    for d in include_dirs:
        flags += ["-I", d]
    flags += opts.extra_compile_args
    c_path, artifact = unit.c_path, unit.artifact_path
    if getattr(opts, "relative_paths", False):  # PGO: the same names in both steps' build dirs
        work = os.path.dirname(unit.c_path)
        c_path, artifact = os.path.relpath(c_path, work), os.path.relpath(artifact, work)
        extra_sources = [
            os.path.relpath(p, work) if p.startswith(work + os.sep) else p for p in extra_sources
        ]
    link = [w for d in opts.library_dirs for w in ("-L", d)]
    link += [f"-l{lib}" for lib in opts.libraries]
    link += opts.extra_link_args
    if openmp:
        link.append(OPENMP_FLAG)
    compiler = compiler_command(opts.language)
    return link_commands(compiler, flags, [c_path, *extra_sources], link, artifact, env_flags)


def build_units(
    units: list[Unit],
    opts: BuildOptions,
    numpy_used: bool,
    work_dir: str,
    user_files: dict[str, str | None],
    *,
    key: str | None = None,
    module_name: str | None = None,
    root: str | None = None,
    shared: str | None = None,
) -> BuildOutput:
    """Cythonize and compile every unit inside ``work_dir``. Raises BuildError with diagnostics. With the
    cache ``root``, the compile uses (and if needed first makes) a precompiled Python.h (:mod:`.pch`).
    ``shared``: the name of the shared utility module (:mod:`.shared_utility`) the modules import."""
    from . import pch

    pending = pch.start(opts, root) if root is not None else None
    try:
        return _build_units(units, opts, numpy_used, work_dir, user_files, key, module_name, pending, shared)
    except Exception:  # the user's code failed to build: the header is still good for the next build
        if pending is not None:
            pending.finish_later()
        raise
    except BaseException:
        if pending is not None:
            pending.abandon()
        raise


def _build_units(
    units: list[Unit],
    opts: BuildOptions,
    numpy_used: bool,
    work_dir: str,
    user_files: dict[str, str | None],
    key: str | None,
    module_name: str | None,
    pending: Pending | None,
    shared: str | None,
) -> BuildOutput:
    out = BuildOutput()
    include_path = [work_dir] + opts.include_dirs
    log_path = os.path.join(work_dir, ".cython.log")
    from . import progress

    t0 = time.perf_counter()
    progress.stage("cython", key, module_name, t0)
    nerr = 0
    for u in units:
        out.commands.append(_cython_command_line(u, opts, include_path, shared))
        nerr += cythonize_unit(u, opts, include_path, log_path, shared)
    out.cythonize_s = time.perf_counter() - t0
    cy_text = _read(log_path)
    out.output = cy_text
    out.diagnostics = parse_cython(cy_text, user_files)
    if nerr:
        if not any(d.severity == "error" for d in out.diagnostics):
            tail = cy_text.strip().splitlines()[-1:] or ["Cython reported errors without details."]
            out.diagnostics.append(Diagnostic(0, 0, "error", tail[0], "cython", None))
        raise BuildError(
            summarize(out.diagnostics, "Cython compilation"),
            diagnostics=out.diagnostics,
            output=cy_text,
            log=out.log(),
            key=key,
            module_name=module_name,
            stage="Cython compilation",
            timings={"cythonize": out.cythonize_s},
        )
    for u in units:
        if opts.annotate:
            html = os.path.splitext(u.c_path)[0] + ".html"
            if os.path.exists(html):
                out.annotation_html[u.full_name] = html

    from .c_sources import included_support_sources
    from .numpy_detect import NumpyNeeded, generated_code_needs_numpy
    from .openmp import generated_code_uses_openmp

    c_paths = [u.c_path for u in units]
    if not numpy_used and generated_code_needs_numpy(c_paths):
        raise NumpyNeeded
    openmp = opts.openmp if opts.openmp is not None else generated_code_uses_openmp(c_paths)
    pch_folder = pending.folder() if pending is not None else None
    inc = [work_dir] + ([pch_folder] if pch_folder else []) + opts.include_dirs
    if numpy_used:
        inc.append(_numpy_include_dir())
    inc += python_include_dirs()
    included = included_support_sources(c_paths, opts.support_files)  # compiled as part of the module
    extra = [
        os.path.join(work_dir, n)
        for n in opts.support_files
        if n.endswith((".c", ".cpp")) and n not in included
    ]
    extra += opts.extra_sources
    env_flags = EnvironmentFlags.read()  # the environment as this build starts
    progress.stage("compile", key, module_name, t0, out.diagnostics, _early_annotation(out, units))
    t1 = time.perf_counter()
    import shlex

    per_unit = [unit_commands(u, opts, inc, extra, env_flags, openmp=openmp) for u in units]
    texts = []
    failed = False
    for step in range(max(len(c) for c in per_unit)):  # every unit's first command, then the next ones
        batch = [cmds[step] for cmds in per_unit if step < len(cmds)]
        out.commands += [shlex.join(cmd) for cmd in batch]
        try:
            results = run_side_by_side(batch, work_dir)
        except OSError as e:
            diag = Diagnostic(
                0,
                0,
                "error",
                f"cannot run the C compiler {e.filename or batch[0][0]!r}: {e}. Install a C compiler "
                "(e.g. apt install build-essential) or set CC.",
                "helper",
                None,
            )
            raise BuildError(
                f"C compilation failed: {diag.message}",
                diagnostics=[diag],
                log=out.log(),
                key=key,
                module_name=module_name,
                stage="C compilation",
            ) from e
        texts += [text for _status, text in results]
        failed = any(status != 0 for status, _text in results)
        if failed:
            break
    out.compile_s = time.perf_counter() - t1
    cc_text = "\n".join(texts)
    out.output = cy_text + cc_text
    generated = {os.path.basename(u.c_path): u.c_path for u in units}
    cc_diags = parse_compiler(cc_text, user_files, generated)
    out.diagnostics += cc_diags
    if failed:
        if not any(d.severity == "error" for d in cc_diags):
            last = [ln for ln in cc_text.strip().splitlines() if ln.strip()][-1:] or ["compiler failed"]
            out.diagnostics.append(Diagnostic(0, 0, "error", last[0], "compiler", None))
        summary = summarize(out.diagnostics, "C compilation")
        if not any(d.severity == "error" and (d.line or d.file) for d in out.diagnostics):
            summary += _name_rejected_flags(opts, out.diagnostics)
        raise BuildError(
            summary,
            diagnostics=out.diagnostics,
            output=out.output,
            log=out.log(),
            key=key,
            module_name=module_name,
            stage="C compilation",
            timings={"cythonize": out.cythonize_s, "compile": out.compile_s},
        )
    return out


def _name_rejected_flags(opts: BuildOptions, diagnostics: list[Diagnostic]) -> str:
    """When the compiler failed without pointing at a line: which of the user's flags it refuses (added
    to ``diagnostics``); returns the text for the error's summary ("" if none). The environment's flags are
    not tried one word at a time: they often hold pairs such as ``-isystem DIR``."""
    from ..report.c_diagnostics import rejected_flags

    flags = opts.extra_compile_args + opts.extra_link_args
    if not flags:
        return ""
    bad = rejected_flags(compiler_command(opts.language), flags)
    for flag in bad:
        where = "extra_compile_args" if flag in opts.extra_compile_args else "extra_link_args"
        diagnostics.append(
            Diagnostic(0, 0, "error", f"the compiler rejects the flag {flag!r} (from {where})", "compiler")
        )
    return f": the compiler rejects {', '.join(repr(f) for f in bad)}" if bad else ""


def trial_compile(language: str = "c", include_python: bool = True) -> tuple[bool, str]:
    """Compile a trivial C file (including Python.h) to a shared object as a build would (the environment's
    compiler settings included); returns (ok, message)."""
    import subprocess
    import tempfile

    cmd0 = compiler_command(language)
    env_flags = EnvironmentFlags.read()
    with tempfile.TemporaryDirectory(prefix="cython_pin_probe_") as d:
        src = os.path.join(d, "probe.c")
        with open(src, "w") as f:
            f.write(
                ("#include <Python.h>\n" if include_python else "")
                + "int cython_pin_probe(void){return 1;}\n"
            )
        flags = ["-fPIC", "-fdiagnostics-color=never", *env_flags.compile]
        if include_python:
            for p in python_include_dirs():
                flags += ["-I", p]
        msg = ""
        for cmd in link_commands(cmd0, flags, [src], [], os.path.join(d, "probe.so"), env_flags):
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False, cwd=d)
            except (OSError, subprocess.SubprocessError) as e:
                return False, f"{cmd[0]}: {e}"
            msg = (proc.stdout + proc.stderr).strip()
            if proc.returncode != 0:
                return False, msg
        return True, msg
