"""Profile-guided optimisation as ``%%cython --pgo`` does it: build the module instrumented, run its
module-level code as the training run, rebuild it with the recorded profile.

Differences from Cython's magic, each for a reason:
- the training run happens in a child Python process, because gcc's runtime writes the profile when the
  instrumented library is unloaded or its process exits, and an extension module is never unloaded;
- the instrumented build is a cache entry of its own (its key is the final key's inputs plus "generate")
  holding the profile, so a later rebuild of the optimised module does not train again.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ..errors import BuildError

if TYPE_CHECKING:
    from typing import Any

    from .job import Job
    from .options import BuildOptions

PROFILE_DIR = "profile"  # inside the instrumented build's entry
# Both steps compile with paths relative to their (different) build dirs: GCC names the profile after the
# output path and checks each function's source file name against it.
GCC_FLAGS = {
    "generate": ["-fprofile-generate={profile}", "-fprofile-prefix-path={work}"],
    "use": [
        "-fprofile-use={profile}",
        "-fprofile-correction",
        "-fprofile-prefix-path={work}",
        "-Wmissing-profile",
    ],
}


def _compiler_family(language: str, root: str | None) -> str | None:
    """``"gcc"`` when the compiler is GCC (the only one with PGO flags here), else its name."""
    from .toolchain import compiler_identity

    ident = compiler_identity(language, root)
    text = f"{ident.get('path') or ''} {ident.get('version') or ''} {' '.join(ident.get('command') or [])}"
    if "clang" in text:
        return "clang"
    if "gcc" in text or "g++" in text or "GCC" in text:
        return "gcc"
    return os.path.basename(str((ident.get("command") or ["?"])[0]))


def flags(step: str, profile_dir: str, work_dir: str) -> list[str]:
    """Compiler and linker flags of one PGO step ("generate" or "use") for GCC."""
    return [f.format(profile=profile_dir, work=work_dir) for f in GCC_FLAGS[step]]


def _training_name(module_name: str) -> str:
    """The name the instrumented module is imported under (``"_pgo_" in __name__`` is how a cell tells)."""
    return "_pgo_" + module_name


def _wrapper_source(module_name: str) -> str:
    """A C file giving the instrumented library a second init function, so it is imported as
    ``_pgo_<name>`` while the profile is recorded for the very code the final ``<name>`` is built from."""
    pgo = _training_name(module_name)
    return (
        '#include "Python.h"\n'
        f"extern PyMODINIT_FUNC PyInit_{module_name}(void);\n"
        f"PyMODINIT_FUNC PyInit_{pgo}(void);\n"
        f"PyMODINIT_FUNC PyInit_{pgo}(void) {{ return PyInit_{module_name}(); }}\n"
    )


_TRAIN = """
import importlib.util, json, sys
name, path, extra_path = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:0] = [p for p in extra_path if p not in sys.path]
spec = importlib.util.spec_from_file_location(name, path)
module = importlib.util.module_from_spec(spec)
sys.modules[name] = module
spec.loader.exec_module(module)
"""


def train(artifact: str, module_name: str, compiled_profile_dir: str, profile_dir: str) -> tuple[str, float]:
    """Import the instrumented ``artifact`` as ``_pgo_<module_name>`` in a child Python (its module-level
    code is the training run); the profile lands in ``profile_dir``. Returns (the child's output, seconds).
    BuildError (stage "PGO training") when the module code raises."""
    import json
    import subprocess
    import time

    parts = [p for p in os.path.abspath(compiled_profile_dir).split(os.sep) if p]
    env = dict(os.environ, GCOV_PREFIX=profile_dir, GCOV_PREFIX_STRIP=str(len(parts)))
    env.pop("PYTHONSTARTUP", None)
    cmd = [sys.executable, "-c", _TRAIN, _training_name(module_name), artifact, json.dumps(sys.path)]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        data, _ = p.communicate()
    except BaseException:  # e.g. the kernel is interrupted: do not leave the training run behind
        p.kill()
        p.wait()
        raise
    text = data.decode("utf-8", "replace")
    _flatten(profile_dir)
    if p.returncode != 0:
        from ..report.diagnostics import Diagnostic

        last = [ln for ln in text.strip().splitlines() if ln.strip()][-1:] or [f"exit status {p.returncode}"]
        msg = f"PGO training run failed: {last[0]}"
        raise BuildError(
            msg,
            diagnostics=[Diagnostic(0, 0, "error", msg, "helper", None)],
            output=text,
            log=f"$ {' '.join(cmd[:2])} <import {_training_name(module_name)}>\n{text}",
            stage="PGO training",
        )
    return text, time.perf_counter() - t0


def _flatten(profile_dir: str) -> None:
    """Move every profile file found under ``profile_dir`` to its top level (where the optimised step
    looks for it)."""
    for dirpath, _dirs, files in os.walk(profile_dir):
        for n in files:
            if n.endswith(".gcda") and dirpath != profile_dir:
                os.replace(os.path.join(dirpath, n), os.path.join(profile_dir, n))


def _has_profile(profile_dir: str) -> bool:
    """True when ``profile_dir`` holds recorded profile data."""
    try:
        return any(n.endswith(".gcda") for n in os.listdir(profile_dir))
    except OSError:
        return False


def _with_flags(opts: BuildOptions, extra: list[str], extra_sources: tuple[str, ...] = ()) -> BuildOptions:
    """A copy of ``opts`` with ``extra`` compiler and linker flags (the link needs them too when LDSHARED
    links separately) and more sources. Not part of any key: both PGO steps are derived from the same
    inputs."""
    from .options import BuildOptions

    fields = dict(opts.__dict__)
    fields["extra_compile_args"] = list(opts.extra_compile_args) + extra
    fields["extra_link_args"] = list(opts.extra_link_args) + extra
    fields["extra_sources"] = list(opts.extra_sources) + list(extra_sources)
    fields["relative_paths"] = True
    return BuildOptions(**fields)


def use_opts(job: Job, staging: str) -> BuildOptions:
    """Options of the optimised step of a ``pgo`` build in ``staging``: the profile comes from the
    instrumented build's cache entry, built and trained first when missing (caller holds ``job``'s lock)."""
    import hashlib

    from ..cache.entries import key_lock, read_meta
    from ..cache.paths import entry_dir
    from .cold import build
    from .job import Job

    o = job.opts
    family = _compiler_family(o.language, job.root)
    if family != "gcc":
        job.log.append(f"No PGO configuration known for C compiler '{family}': built without the profile.\n")
        return o
    gen_key = hashlib.sha256(f"pgo-generate:{job.key}".encode()).hexdigest()
    gen = Job("module", gen_key, _training_name(job.name), job.root, o, job.numpy_used, job.prepare, 0, 0)
    times: dict[str, float] = {"cythonize": 0.0, "compile": 0.0}
    gen.meta_extra = {"pgo": "generate"}

    def gen_opts(gen_staging: str) -> BuildOptions:
        profile = os.path.join(gen_staging, PROFILE_DIR)
        gen.meta_extra["pgo_compiled_profile_dir"] = profile
        wrapper = os.path.join(gen_staging, _training_name(job.name) + ".c")
        with open(wrapper, "w", encoding="utf-8") as f:
            f.write(_wrapper_source(job.name))
        return _with_flags(o, flags("generate", profile, gen_staging), (wrapper,))

    def train_in_staging(gen_staging: str, units: list[Any]) -> set[str]:
        profile = os.path.join(gen_staging, PROFILE_DIR)
        output, seconds = train(units[0].artifact_path, job.name, profile, profile)
        times["compile"] += seconds
        gen.log.append(f"$ <training run: import {_training_name(job.name)}>\n{output}")
        names = os.listdir(profile) if os.path.isdir(profile) else []
        return {os.path.join(PROFILE_DIR, n) for n in names}

    gen.build_opts, gen.after_build = gen_opts, train_in_staging
    profile = os.path.join(entry_dir(job.root, gen_key), PROFILE_DIR)
    with key_lock(job.root, gen_key, o.lock_timeout_s):
        meta = None if o.force_rebuild else read_meta(job.root, gen_key)
        if meta is None:
            meta, t = build(gen)
            times["cythonize"] += t["cythonize"]
            times["compile"] += t["compile"]
        elif not _has_profile(profile):  # the profile was removed: train the cached build again
            art = os.path.join(entry_dir(job.root, gen_key), meta["artifacts"][0]["path"])
            output, seconds = train(art, job.name, meta["pgo_compiled_profile_dir"], profile)
            times["compile"] += seconds
            gen.log.append(f"$ <training run: import {_training_name(job.name)}>\n{output}")
        else:
            gen.log.append(f"(instrumented build and its profile from the cache: {gen_key})\n")
    job.log += gen.log
    job.meta_extra = {"pgo": "use"}
    job.extra_timings.update(times)  # beside the key lock's wait
    return _with_flags(o, flags("use", profile, staging))
