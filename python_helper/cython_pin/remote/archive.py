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
    buf = io.BytesIO()
    import gzip

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
    """Extract regular files into the existing folder ``dest``; ArchiveRefused on any link, device, absolute
    or ``..`` member. Returns the relative paths written."""
    written = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for m in tar.getmembers():
                name = m.name
                if m.isdir():
                    continue
                if (
                    not m.isfile()
                    or not name
                    or name.startswith("/")
                    or ".." in name.split("/")
                    or "\0" in name
                ):
                    raise ArchiveRefused(f"unsafe archive member {name!r}")
                target = os.path.join(dest, *name.split("/"))
                os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                src = tar.extractfile(m)
                if src is None:
                    raise ArchiveRefused(f"unreadable archive member {name!r}")
                with open(target, "xb") as out:  # "x": a duplicate member is refused, not overwritten
                    out.write(src.read())
                written.append(name)
    except (tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, FileExistsError):
            raise ArchiveRefused("the archive lists a file twice") from None
        raise ArchiveRefused(f"the archive cannot be read ({e})") from None
    return written
