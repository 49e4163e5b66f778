"""Manifest checks and archive unpacking refusals (no store)."""

from __future__ import annotations

import io
import tarfile

import pytest
from cython_pin.remote import archive, manifest

KEY = "a" * 64
SHA = "b" * 64


def good(**over: object) -> dict:
    m = {
        "format": 1,
        "key": KEY,
        "abi_tag": "abi",
        "module_name": "m",
        "artifacts": [{"path": "m.so", "sha256": SHA}],
        "archive": manifest.archive_path("abi", SHA),
        "archive_sha256": SHA,
    }
    m.update(over)
    return m


def test_a_good_manifest_passes() -> None:
    assert manifest.manifest_problem(good(), KEY, "abi") is None


@pytest.mark.parametrize(
    "over, reason",
    [
        ({"key": "c" * 64}, "other-key"),
        ({"abi_tag": "other"}, "abi"),
        ({"format": 2}, "format"),
        ({"archive": "v1/abi/archives/elsewhere.tar.gz"}, "shape"),
        ({"artifacts": []}, "shape"),
        ({"artifacts": [{"path": "../../evil.so", "sha256": SHA}]}, "path"),
        ({"artifacts": [{"path": "/etc/evil.so", "sha256": SHA}]}, "path"),
        ({"artifacts": [{"path": "m.so", "sha256": "nothex"}]}, "shape"),
    ],
)
def test_refusals(over: dict, reason: str) -> None:
    problem = manifest.manifest_problem(good(**over), KEY, "abi")
    assert problem is not None and problem[0] == reason


def test_abi_tag_names_interpreter_platform_and_libc() -> None:
    tag = manifest.abi_tag()
    assert tag.startswith("cpython-3") and "linux" in tag and "glibc" in tag


def _tar(members: list[tarfile.TarInfo]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for m in members:
            t.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)
    return buf.getvalue()


def test_pack_is_deterministic_and_unpacks(tmp_path) -> None:
    src = tmp_path / "e"
    (src / "sub").mkdir(parents=True)
    (src / "a.so").write_bytes(b"abc")
    (src / "sub" / "b.txt").write_bytes(b"def")
    data = archive.pack(str(src))
    assert archive.pack(str(src)) == data
    out = tmp_path / "out"
    out.mkdir()
    assert sorted(archive.unpack(data, str(out))) == ["a.so", "sub/b.txt"]
    assert (out / "sub" / "b.txt").read_bytes() == b"def"


@pytest.mark.parametrize("kind", ["dotdot", "symlink", "inner-symlink", "hardlink", "fifo", "duplicate"])
def test_unsafe_members_are_refused(tmp_path, kind: str) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    if kind in ("symlink", "inner-symlink", "hardlink"):
        m = tarfile.TarInfo("link.so")
        m.type = tarfile.LNKTYPE if kind == "hardlink" else tarfile.SYMTYPE
        m.linkname = "/etc/passwd" if kind == "symlink" else "m.so"
        members = [m]
    elif kind == "fifo":
        m = tarfile.TarInfo("pipe")
        m.type = tarfile.FIFOTYPE
        members = [m]
    elif kind == "duplicate":
        a, b = tarfile.TarInfo("m.so"), tarfile.TarInfo("m.so")
        a.size = b.size = 1
        members = [a, b]
    else:
        m = tarfile.TarInfo("sub/../../evil.so")
        m.size = 1
        members = [m]
    with pytest.raises(archive.ArchiveRefused):
        archive.unpack(_tar(members), str(dest))
    assert not (tmp_path / "evil.so").exists() and list(dest.iterdir()) == []


def test_absolute_names_stay_inside(tmp_path) -> None:
    """tarfile's data filter strips the leading slash: the file lands inside the destination."""
    dest = tmp_path / "dest"
    dest.mkdir()
    m = tarfile.TarInfo(str(tmp_path / "evil.so"))
    m.size = 1
    archive.unpack(_tar([m]), str(dest))
    assert not (tmp_path / "evil.so").exists()
    assert (dest / str(tmp_path).lstrip("/") / "evil.so").read_bytes() == b"x"


def test_an_archive_too_large_unpacked_is_refused(tmp_path, monkeypatch) -> None:
    from cython_pin.cache import untar

    monkeypatch.setattr(untar, "MAX_UNPACKED_BYTES", 1000)
    a, b = tarfile.TarInfo("a.so"), tarfile.TarInfo("b.so")
    a.size = b.size = 600
    with pytest.raises(archive.ArchiveRefused, match="more than"):
        archive.unpack(_tar([a, b]), str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_garbage_is_refused(tmp_path) -> None:
    with pytest.raises(archive.ArchiveRefused):
        archive.unpack(b"not a tar.gz", str(tmp_path))
