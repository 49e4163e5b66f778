"""A build's recipe: what another process needs to rebuild it (the source, the resolved options, whether
numpy was used), read from its cache entry, carried compressed in a pickled reference. The receiving process
recomputes the key from the recipe and refuses it unless it gives the reference's key."""

from __future__ import annotations

import json
import os
import zlib
from typing import TYPE_CHECKING

from ..cache.entries import read_meta
from ..cache.paths import entry_dir

if TYPE_CHECKING:
    from typing import Any

    from ..build.options import BuildOptions

RECIPE_FORMAT = 1
MAX_RECIPE_BYTES = 9 << 20  # decompressed: the engine's source limit (8 MB) and the options
_LISTS = (
    "opt_flags",
    "include_dirs",
    "library_dirs",
    "libraries",
    "extra_compile_args",
    "extra_link_args",
    "extra_sources",
)


def from_entry(root: str, key: str) -> bytes | None:
    """The recipe of the module build ``key`` in cache ``root``, compressed; None when it cannot be rebuilt
    from its entry alone (a package or shared build, support files, which the entry does not keep, or an entry
    written without its options)."""
    try:
        meta = read_meta(root, key)
    except Exception:  # an unreadable meta.json: the reference still names the build
        return None
    if not meta or meta.get("kind", "module") != "module" or not isinstance(meta.get("source"), str):
        return None
    options = meta.get("options")
    if not isinstance(options, dict) or options.get("support_files"):
        return None
    try:
        with open(os.path.join(entry_dir(root, key), meta["source"]), encoding="utf-8") as f:
            source = f.read()
    except (OSError, ValueError):
        return None
    doc = {
        "format": RECIPE_FORMAT,
        "source": source,
        "options": {k: v for k, v in options.items() if k != "support_files"},
        "numpy": bool(meta.get("numpy")),
    }
    return zlib.compress(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8"), 9)


class Recipe:
    """A recipe read back: ``source``, ``numpy`` (used by the build) and :meth:`options`."""

    def __init__(self, source: str, options: dict[str, Any], numpy: bool) -> None:
        self.source, self.raw_options, self.numpy = source, options, numpy

    def options(self) -> BuildOptions:
        """The build's options as the engine resolved them (a profile is not applied again: the recorded
        flags, directives and macros already include it). ValueError for a malformed field."""
        from ..build.options import PROFILE_SETTINGS, BuildOptions, check_module_name
        from ..names import is_identifier

        d = self.raw_options
        name = d.get("module_name")
        if name is not None:
            if not is_identifier(name):
                raise ValueError(f"module_name {name!r} is not an identifier")
            check_module_name(name, "module_name")
        if d.get("profile") not in PROFILE_SETTINGS:
            raise ValueError(f"unknown profile {d.get('profile')!r}")
        if d.get("language") not in ("c", "c++"):
            raise ValueError(f"unknown language {d.get('language')!r}")
        lists = {k: d.get(k) for k in _LISTS}
        for k, v in lists.items():
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValueError(f"{k} must be a list of strings")
        macros = d.get("define_macros")
        if not isinstance(macros, list) or not all(
            isinstance(m, list)
            and len(m) == 2
            and isinstance(m[0], str)
            and isinstance(m[1], (str, type(None)))
            for m in macros
        ):
            raise ValueError("define_macros must be [name, value] pairs")
        directives = d.get("compiler_directives")
        if not isinstance(directives, dict):
            raise ValueError("compiler_directives must be a dict")
        openmp = d.get("openmp")  # absent: auto, decided again from what Cython generates
        if openmp is not None and not isinstance(openmp, bool):
            raise ValueError("openmp must be true, false or absent")
        return BuildOptions(
            profile=d["profile"],
            module_name=name,
            cache_dir=None,
            annotate=bool(d.get("annotate")),
            annotate_fullc=bool(d.get("annotate_fullc")),
            force_rebuild=False,
            use_cache=True,
            verbose=0,
            language=d["language"],
            compiler_directives=dict(directives),
            define_macros=[(m[0], m[1]) for m in macros],
            support_files={},
            numpy=self.numpy,
            lock_timeout_s=600.0,
            pure_python=bool(d.get("pure_python")),
            pgo=bool(d.get("pgo")),
            openmp=openmp,
            **lists,
        )


def read(blob: object) -> Recipe:
    """The recipe in ``blob`` (as :func:`from_entry` made it). ValueError when it is not one."""
    if not isinstance(blob, bytes):
        raise ValueError(f"a recipe is bytes, got {type(blob).__name__}")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(blob, MAX_RECIPE_BYTES)
        if inflater.unconsumed_tail:
            raise ValueError(f"it is larger than {MAX_RECIPE_BYTES} bytes")
        doc = json.loads(raw.decode("utf-8"))
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"it is not a compressed JSON recipe ({e})") from e
    if not isinstance(doc, dict) or doc.get("format") != RECIPE_FORMAT:
        raise ValueError(f"unknown recipe format {doc.get('format') if isinstance(doc, dict) else doc!r}")
    source, options, numpy = doc.get("source"), doc.get("options"), doc.get("numpy")
    if not isinstance(source, str) or not isinstance(options, dict) or not isinstance(numpy, bool):
        raise ValueError("it lacks its source, options or numpy flag")
    return Recipe(source, options, numpy)
