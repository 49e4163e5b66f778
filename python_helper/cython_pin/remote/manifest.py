"""Entry manifests and the store layout.

Layout under the store's prefix (every object written once)::

    v1/<abi tag>/archives/<archive sha256>.tar.gz   the entry's files (meta.json included)
    v1/<abi tag>/manifests/<key>.json              signed manifest, written last, create-only
    v1/<abi tag>/manifests/<key>.<n>.json          generation n >= 1: written only when every earlier one
                                                   is refused (a bad upload never blocks a good one)
    v1/team-pins...                                team pins (see team_pins.py)

Readers take the first generation that verifies; writers upload only when none does, as the next
generation. Concurrent writers that find the same generation free race for one create-only name, so one
manifest per generation is ever published. Generation 0 is where every earlier version wrote, so stores
made before generations existed are read as they are.

The ABI tag partitions the store so a manifest built for another interpreter, platform or libc is never
even read.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

LAYOUT = "v1"
MANIFEST_FORMAT = 1
MAX_GENERATIONS = 16  # refused manifests of one key walked past before giving up
_SHA_RE = re.compile(r"^[0-9a-f]{64}\Z")


def abi_tag() -> str:
    """Interpreter, platform and libc, e.g. ``cpython-311-x86_64-linux-gnu-glibc2.36``."""
    from ..build.toolchain import ext_suffix

    parts = ext_suffix().split(".")
    tag = (
        parts[1]
        if len(parts) >= 3
        else f"{sys.implementation.name}-{sys.version_info[0]}{sys.version_info[1]}"
    )
    try:
        libc = (os.confstr("CS_GNU_LIBC_VERSION") or "").replace(" ", "")
    except (ValueError, OSError, AttributeError):
        libc = ""
    return f"{tag}-{libc or 'nolibc'}"


def manifest_path(abi: str, key: str, generation: int = 0) -> str:
    """Where generation ``generation`` of ``key``'s manifest is (see the layout above)."""
    if generation == 0:
        return f"{LAYOUT}/{abi}/manifests/{key}.json"
    return f"{LAYOUT}/{abi}/manifests/{key}.{generation}.json"


def archive_path(abi: str, archive_sha256: str) -> str:
    """Where the archive with this sha256 is."""
    return f"{LAYOUT}/{abi}/archives/{archive_sha256}.tar.gz"


def make_manifest(
    key: str, abi: str, meta: dict[str, Any], archive_sha256: str, archive_size: int, signer: str
) -> dict[str, Any]:
    """The manifest of one entry (what gets signed)."""
    from ..cache.entries import utc_now

    return {
        "format": MANIFEST_FORMAT,
        "key": key,
        "abi_tag": abi,
        "module_name": meta["module_name"],
        "kind": meta.get("kind", "module"),
        "artifacts": [{"path": a["path"], "sha256": a["sha256"]} for a in meta["artifacts"]],
        "archive": archive_path(abi, archive_sha256),
        "archive_sha256": archive_sha256,
        "archive_size": archive_size,
        "created_utc": utc_now(),
        "signer": signer,
    }


def manifest_problem(m: dict[str, Any], key: str, abi: str) -> tuple[str, str] | None:
    """(reason, message) when a signed manifest cannot describe ``key`` on this ABI, else None."""
    if m.get("format") != MANIFEST_FORMAT:
        return "format", f"manifest format {m.get('format')!r} is not {MANIFEST_FORMAT}"
    if m.get("key") != key:
        return "other-key", f"the manifest is for another key ({str(m.get('key'))[:16]}...)"
    if m.get("abi_tag") != abi:
        return "abi", f"the manifest is for ABI {m.get('abi_tag')!r}, this kernel is {abi!r}"
    sha = m.get("archive_sha256")
    if not isinstance(sha, str) or not _SHA_RE.match(sha) or m.get("archive") != archive_path(abi, sha):
        return "shape", "the manifest's archive is not the content-addressed archive of its sha256"
    arts = m.get("artifacts")
    if not isinstance(arts, list) or not arts or not isinstance(m.get("module_name"), str):
        return "shape", "the manifest lists no artifacts or no module name"
    for a in arts:
        p = a.get("path") if isinstance(a, dict) else None
        if not isinstance(p, str) or not isinstance(a.get("sha256"), str) or not _SHA_RE.match(a["sha256"]):
            return "shape", f"artifact record {a!r} lacks a path or sha256"
        if not p or "\0" in p or p.startswith("/") or ".." in p.split("/") or "\\" in p:
            return "path", f"artifact path {p!r} escapes the entry"
    return None
