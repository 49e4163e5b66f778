"""One entry as one archive: a deterministic ``.tar.gz`` of the entry folder, and its careful unpacking."""

from __future__ import annotations

import io
import os
import tarfile

MAX_ARCHIVE_BYTES = 512 << 20  # larger than any real entry; a bigger object is refused unread


class ArchiveRefused(ValueError):
    """An archive that must not be unpacked (unsafe member, wrong contents)."""


def pack(entry: str) -> bytes:
    """Every regular file under ``entry``, sorted, with fixed owner, mode and time: the same files give the
    same bytes, so the archive's sha256 names its content."""
    import gzip

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        files = []
        for dirpath, dirs, names in os.walk(entry):
            dirs.sort()
            files += [os.path.join(dirpath, n) for n in names]
        for path in sorted(files):
            rel = os.path.relpath(path, entry).replace(os.sep, "/")
            st = os.lstat(path)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = st.st_size, 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(path, "rb") as f:
                tar.addfile(info, f)
    return buf.getvalue()


def unpack(data: bytes, dest: str) -> list[str]:
    """Extract the archive into the existing folder ``dest`` (cython_pin.cache.untar.extract_checked: the
    ``data`` filter, regular files only, each once, bounded size); ArchiveRefused otherwise. Returns the
    relative paths of the files written."""
    from ..cache.untar import extract_checked

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            return extract_checked(tar, dest, tar.getmembers())
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise ArchiveRefused(f"the archive cannot be unpacked safely ({e})") from None
