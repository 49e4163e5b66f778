"""Build options: profiles, validation and normalisation (no heavy imports)."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from ..constants import DEFAULT_PROFILE, PROFILES
from ..names import is_identifier, reserved_module_names

if TYPE_CHECKING:
    from typing import Any


# What each profile (constants.PROFILES, in that order) sets.
PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    "fast-debug": {
        "opt_flags": ["-O0", "-g"],
        "directives": {"boundscheck": True, "wraparound": True, "cdivision": False},
        "annotate": False,
    },
    "release": {
        "opt_flags": ["-O3"],
        "directives": {"boundscheck": False, "wraparound": False, "cdivision": True},
        "annotate": False,
        "define_macros": [("NDEBUG", None)],
    },
    "annotate": {
        "opt_flags": ["-O0", "-g"],
        "directives": {"boundscheck": True, "wraparound": True, "cdivision": False},
        "annotate": True,
    },
}
SUPPORT_SUFFIXES = (".pxd", ".pxi", ".h", ".c", ".cpp", ".hpp")

KNOWN_OPTIONS = frozenset(
    (
        "module_name",
        "cache_dir",
        "profile",
        "annotate",
        "force_rebuild",
        "use_cache",
        "verbose",
        "language",
        "compiler_directives",
        "include_dirs",
        "library_dirs",
        "libraries",
        "define_macros",
        "extra_compile_args",
        "extra_link_args",
        "extra_sources",
        "support_files",
        "numpy",
        "openmp",
        "lock_timeout_s",
        "pure_python",
        "pgo",
    )
)


class BuildOptions:
    """Options after the profile is applied; explicit options win over the profile.

    A plain class (not a dataclass) so that building it costs nothing on the cache-hit path.
    """

    profile: str
    module_name: str | None
    cache_dir: str | None
    annotate: bool
    annotate_fullc: bool
    force_rebuild: bool
    use_cache: bool
    verbose: int
    language: str
    compiler_directives: dict[str, Any]
    opt_flags: list[str]
    include_dirs: list[str]
    library_dirs: list[str]
    libraries: list[str]
    define_macros: list[tuple[str, str | None]]
    extra_compile_args: list[str]
    extra_link_args: list[str]
    extra_sources: list[str]
    support_files: dict[str, bytes]
    numpy: bool | None
    openmp: bool | None  # None: auto, decided from what Cython generated (build/openmp.py)
    lock_timeout_s: float | None
    pure_python: bool
    pgo: bool

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"BuildOptions({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def key_material(self, numpy_used: bool) -> dict[str, Any]:
        """Everything that affects the build output (the cache location and flags like verbose do not)."""
        return {
            "module_name": self.module_name,
            "annotate": self.annotate,
            "language": self.language,
            "compiler_directives": {k: _jsonable(v) for k, v in sorted(self.compiler_directives.items())},
            "opt_flags": self.opt_flags,
            "include_dirs": self.include_dirs,
            "library_dirs": self.library_dirs,
            "libraries": self.libraries,
            "define_macros": [[n, v] for n, v in self.define_macros],
            "extra_compile_args": self.extra_compile_args,
            "extra_link_args": self.extra_link_args,
            "extra_sources": self.extra_sources,
            "numpy": numpy_used,
            # only when set, so the keys of every build without them stay as they were
            **({"pure_python": True} if self.pure_python else {}),
            **({"annotate_fullc": True} if self.annotate_fullc else {}),
            **({"pgo": True} if self.pgo else {}),
            **({"openmp": self.openmp} if self.openmp is not None else {}),
        }

    def summary(self) -> dict[str, Any]:
        """Readable summary stored in meta.json."""
        d = self.key_material(bool(self.numpy))
        d["profile"] = self.profile
        d["support_files"] = sorted(self.support_files)
        return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in sorted(v.items())}
    return repr(v)


def _str_list(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    try:
        out = [os.fspath(v) for v in value]
    except TypeError:
        raise ValueError(f"{name} must be a list of strings, got {value!r}.") from None
    for v in out:
        if not isinstance(v, str):
            raise ValueError(f"{name} must contain strings, got {v!r}.")
        if "\0" in v:
            raise ValueError(f"{name} entry {v!r} contains a NUL byte (it cannot be passed to the compiler).")
    return out


def _macros(value: Any) -> list[tuple[str, str | None]]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.items())
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"define_macros must be a list or dict, got {value!r}.")
    out: list[tuple[str, str | None]] = []
    for m in value:
        if isinstance(m, str):
            name, _, val = m.partition("=")
            out.append((name, val or None))
        elif isinstance(m, (tuple, list)) and len(m) in (1, 2):
            out.append((str(m[0]), None if len(m) == 1 or m[1] is None else str(m[1])))
        else:
            raise ValueError(
                f"define_macros entries must be 'NAME', 'NAME=VALUE' or (name, value); got {m!r}."
            )
    return out


def _support_files(value: Any) -> dict[str, bytes]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("support_files must be a dict of file name -> text or bytes.")
    out: dict[str, bytes] = {}
    for name, content in value.items():
        if (
            not isinstance(name, str)
            or not name
            or "/" in name
            or "\\" in name
            or name.startswith(".")
            or any(ord(c) < 32 for c in name)
            or len(name) > 200
        ):
            raise ValueError(
                f"support_files name {name!r:.240} must be a plain file name like 'helpers.pxd' (no "
                "separators, control characters or leading '.', at most 200 characters)."
            )
        if not name.endswith(SUPPORT_SUFFIXES):
            raise ValueError(
                f"support_files name {name!r} must end with one of {', '.join(SUPPORT_SUFFIXES)}."
            )
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray)):
            raise ValueError(f"support_files[{name!r}] must be str or bytes.")
        out[name] = bytes(content)
    return dict(sorted(out.items()))


MODULE_NAME_MAX_LEN = 100


def check_module_name(name: str, what: str) -> None:
    """Refuse names that would shadow Python itself (keywords, standard-library or built-in modules) or
    cannot be a file name."""
    import keyword

    if len(name) > MODULE_NAME_MAX_LEN:
        raise ValueError(f"{what} {name[:40]!r}... is {len(name)} characters; at most {MODULE_NAME_MAX_LEN}.")
    if keyword.iskeyword(name) or name in reserved_module_names():
        raise ValueError(
            f"{what} {name!r} is already used by Python (a keyword or a standard-library module); registering"
            " the build under it would shadow it. Pick another name."
        )


def resolve_options(opts: dict[str, Any]) -> BuildOptions:
    """Validate keyword options and apply the profile. Raises ValueError for bad arguments."""
    unknown = sorted(set(opts) - KNOWN_OPTIONS)
    if unknown:
        raise ValueError(
            f"Unknown option(s): {', '.join(unknown)}. Known options: {', '.join(sorted(KNOWN_OPTIONS))}."
        )
    profile = opts.get("profile") or DEFAULT_PROFILE
    if not isinstance(profile, str) or profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; use one of {', '.join(PROFILES)}.")
    prof = PROFILE_SETTINGS[profile]
    module_name = opts.get("module_name")
    if module_name is not None and (not isinstance(module_name, str) or not is_identifier(module_name)):
        raise ValueError(f"module_name {module_name!r} must be a Python identifier (letters, digits, '_').")
    if module_name is not None:
        check_module_name(module_name, "module_name")
    language = opts.get("language") or "c"
    if not isinstance(language, str):
        raise ValueError(f"language must be 'c' or 'c++', got {language!r}.")
    language = language.lower()
    if language in ("cpp", "cxx"):
        language = "c++"
    if language not in ("c", "c++"):
        raise ValueError(f"language must be 'c' or 'c++', got {opts.get('language')!r}.")
    directives = dict(prof["directives"])
    directives["language_level"] = 3
    user_directives = opts.get("compiler_directives") or {}
    if not isinstance(user_directives, dict):
        raise ValueError("compiler_directives must be a dict, e.g. {'boundscheck': False}.")
    directives.update(user_directives)
    annotate = opts.get("annotate")
    annotate_fullc = annotate == "fullc"  # Cython's --annotate-fullc: the whole generated C in the annotation
    if isinstance(annotate, str) and not annotate_fullc:
        raise ValueError(f"annotate must be True, False, None or 'fullc', got {annotate!r}.")
    annotate = prof["annotate"] if annotate is None else bool(annotate)
    level = directives.get("language_level", 3)
    if level not in (2, 3, "2", "3", "3str"):
        raise ValueError(f"language_level must be 2, 3 or '3str', got {level!r}.")
    verbose = opts.get("verbose") or 0
    if isinstance(verbose, bool):
        verbose = int(verbose)
    if not isinstance(verbose, int):
        raise ValueError("verbose must be an int (0 = quiet).")
    lock_timeout = opts.get("lock_timeout_s", 600.0)
    if lock_timeout is not None and (
        not isinstance(lock_timeout, (int, float)) or not lock_timeout >= 0  # 'not >=' also refuses NaN
    ):
        raise ValueError("lock_timeout_s must be a non-negative number of seconds or None (wait forever).")
    pure_python = opts.get("pure_python", False)
    if not isinstance(pure_python, bool):
        raise ValueError("pure_python must be True (the source is Python-syntax, a .py module) or False.")
    pgo = opts.get("pgo", False)
    if not isinstance(pgo, bool):
        raise ValueError("pgo must be True (profile-guided optimisation) or False.")
    numpy = opts.get("numpy")
    if numpy is not None and not isinstance(numpy, bool):
        raise ValueError("numpy must be True, False or None (auto: only when the source uses numpy).")
    openmp = opts.get("openmp")
    if openmp is not None and not isinstance(openmp, bool):
        raise ValueError(
            "openmp must be True, False or None (auto: when the code Cython generates uses OpenMP, as "
            "prange, parallel and cimport openmp do)."
        )
    extra_sources = [os.path.abspath(p) for p in _str_list("extra_sources", opts.get("extra_sources"))]
    for p in extra_sources:
        if not os.path.isfile(p):
            raise FileNotFoundError(f"extra_sources file {p!r} does not exist; pass existing .c/.cpp files.")
    include_dirs = [os.path.abspath(p) for p in _str_list("include_dirs", opts.get("include_dirs"))]
    for p in include_dirs:
        if not os.path.isdir(p):
            raise FileNotFoundError(f"include_dirs entry {p!r} is not an existing directory.")
    macros = list(prof.get("define_macros", [])) + _macros(opts.get("define_macros"))
    cache_dir = opts.get("cache_dir")
    if cache_dir is not None:
        from ..cache.paths import get_cache_dir

        get_cache_dir(cache_dir)  # ValueError naming a non-path or NUL-containing value
    return BuildOptions(
        profile=profile,
        module_name=module_name,
        cache_dir=None if cache_dir is None else os.fspath(cache_dir),
        annotate=annotate,
        annotate_fullc=annotate_fullc,
        force_rebuild=bool(opts.get("force_rebuild", False)),
        use_cache=bool(opts.get("use_cache", True)),
        verbose=verbose,
        language=language,
        compiler_directives=directives,
        opt_flags=list(prof["opt_flags"]),
        include_dirs=include_dirs,
        library_dirs=[os.path.abspath(p) for p in _str_list("library_dirs", opts.get("library_dirs"))],
        libraries=_str_list("libraries", opts.get("libraries")),
        define_macros=macros,
        extra_compile_args=_str_list("extra_compile_args", opts.get("extra_compile_args")),
        extra_link_args=_str_list("extra_link_args", opts.get("extra_link_args")),
        extra_sources=extra_sources,
        support_files=_support_files(opts.get("support_files")),
        numpy=numpy,
        openmp=openmp,
        lock_timeout_s=None if lock_timeout is None else float(lock_timeout),
        pure_python=pure_python,
        pgo=pgo,
    )


_NUMPY_PATTERN = r"^\s*(?:c?import\s+numpy|from\s+numpy[\s.]|c?import\s+[\w.,\s]*\bnumpy\b)"


def uses_numpy(source: str, support_files: dict[str, bytes]) -> bool:
    """Auto-detect numpy use: the source (or a .pxd/.pxi support file) imports or cimports numpy."""
    if "numpy" not in source and not support_files:
        return False
    numpy_re = re.compile(_NUMPY_PATTERN, re.M)  # compiled on demand (re caches it)
    if numpy_re.search(source):
        return True
    for name, content in support_files.items():
        if name.endswith((".pxd", ".pxi")) and numpy_re.search(content.decode("utf-8", "replace")):
            return True
    return False
