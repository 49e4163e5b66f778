"""Atomic file replacement: write a temporary file beside the target, then ``os.replace`` it in."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import IO, Any


def atomic_write(
    path: str,
    write: Callable[[IO[Any]], object],
    *,
    binary: bool = False,
    durable: bool = True,
    mode: int = 0o600,
) -> None:
    """Replace ``path`` with what ``write(f)`` writes, atomically: readers see the old file or the new one,
    never a part. The temporary file is ``<path>.<pid>.<random>.tmp`` and is removed if anything fails
    (e.g. ENOSPC), leaving ``path`` untouched. ``durable`` fsyncs the file and its folder, so the new content
    survives a crash once this returns."""
    tmp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as f:
            write(f)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        try:
            dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
