"""Content-addressed keys: a canonical encoding of everything that affects the build, hashed."""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING

from ..build.toolchain import toolchain_fingerprint
from .hashing import sha256_file

if TYPE_CHECKING:
    from typing import Any

    from ..build.options import BuildOptions

KEY_SCHEMA = 1


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".pxd", ".pxi", ".c", ".cc", ".cpp", ".inc")
INCLUDE_DIR_CONTENT_LIMIT = (256, 16 << 20)  # files, bytes: above this, (name, size, mtime) only


def include_dir_digest(path: str) -> dict[str, Any]:
    """What the key records about a user include directory: the content hash of each header-like file at its
    top level (so editing ``-I mylib/`` headers rebuilds). Big directories (> 256 such files or > 16 MB) are
    summarised by name, size and mtime instead, which costs a stat per file, never stale but may rebuild
    after a touch."""
    try:
        names = sorted(n for n in os.listdir(path) if n.endswith(HEADER_SUFFIXES))
    except OSError:
        return {"missing": True}
    stats = []
    for n in names:
        try:
            st = os.stat(os.path.join(path, n))
        except OSError:
            continue
        if os.path.isfile(os.path.join(path, n)):
            stats.append((n, st.st_size, st.st_mtime_ns))
    max_files, max_bytes = INCLUDE_DIR_CONTENT_LIMIT
    if len(stats) > max_files or sum(s for _, s, _ in stats) > max_bytes:
        return {"stat": [list(s) for s in stats]}
    return {"sha256": {n: sha256_file(os.path.join(path, n)) for n, _, _ in stats}}


def compute_key(
    kind: str,
    sources: dict[str, str],
    opts: BuildOptions,
    numpy_used: bool,
    root: str | None,
    extra: dict[str, Any] | None = None,
) -> str:
    """sha256 (64 lowercase hex) of the canonical JSON encoding of all build inputs.

    ``sources`` maps a logical module name to its source; for single-module builds that name is ``""``
    (so the default module name, derived from the key, is not part of it).
    """
    material = {
        "schema": KEY_SCHEMA,
        "kind": kind,
        "sources": {k: _digest(v.encode("utf-8")) for k, v in sorted(sources.items())},
        "support_files": {n: _digest(c) for n, c in sorted(opts.support_files.items())},
        "extra_source_contents": [sha256_file(p) for p in opts.extra_sources],
        "include_dir_contents": [include_dir_digest(d) for d in opts.include_dirs],
        "options": opts.key_material(numpy_used),
        "toolchain": toolchain_fingerprint(opts.language, numpy_used, root),
        "extra": extra or {},
    }
    if kind == "module" and "[" in sources.get("", ""):  # typed memoryviews: the shared utility module
        from ..build.shared_utility import spec

        shared = spec(sources[""], opts, root or "")
        if shared is not None:
            material["shared"] = shared["key"]
    blob = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return _digest(blob.encode("ascii"))
