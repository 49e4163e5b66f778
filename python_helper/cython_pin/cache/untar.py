"""Unpacking an entry archive (an export, a team-cache download) without trusting it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tarfile

MAX_UNPACKED_BYTES = 1 << 30  # far above any real entry; a larger archive is refused before it is written


def extract_checked(tar: tarfile.TarFile, dest: str, members: list[tarfile.TarInfo]) -> list[str]:
    """Extract ``members`` of ``tar`` into the existing folder ``dest`` through tarfile's ``data`` filter (PEP
    706: nothing outside ``dest``, no links leaving it, no devices, no setuid bits), after the checks that
    filter does not make: an entry holds only regular files and folders (no links at all), names each file
    once, and unpacks to at most MAX_UNPACKED_BYTES. ValueError naming the problem; nothing is extracted
    then. Returns the names of the files."""
    import tarfile

    if not hasattr(tarfile, "data_filter"):  # Python 3.10.0-3.10.11 predate PEP 706
        raise ValueError("unpacking an archive safely needs tarfile's data filter (Python 3.10.12 or later)")
    files = []
    for m in members:
        if not (m.isfile() or m.isdir()):
            raise ValueError(f"archive member {m.name!r} is not a regular file or folder")
        if m.isfile():
            files.append(m)
    names = [m.name for m in files]
    if len(set(names)) != len(names):
        raise ValueError("the archive lists a file twice")
    if sum(m.size for m in files) > MAX_UNPACKED_BYTES:
        raise ValueError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES >> 20} MiB")
    try:
        for m in members:  # every member through the filter before anything is written
            tarfile.data_filter(m, dest)
    except tarfile.FilterError as e:
        raise ValueError(f"unsafe archive member: {e}") from None
    tar.extractall(dest, members=members, filter="data")
    return names
