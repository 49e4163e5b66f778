"""Keys, trusted-keys files and signatures (no store)."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from cython_pin.remote import signing


@pytest.fixture
def pair(tmp_path):  # noqa: ANN201
    priv, pub, line = signing.keygen(str(tmp_path), "k", "ci@example")
    return signing.load_private_key(priv), line


def test_keygen_writes_a_private_key_only_the_owner_can_read(tmp_path) -> None:
    priv, pub, line = signing.keygen(str(tmp_path), "k", "")
    assert stat.S_IMODE(os.stat(priv).st_mode) == 0o600
    assert line.startswith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5") and line.endswith(" k")
    with open(pub, encoding="utf-8") as f:
        assert f.read().strip() == line
    with pytest.raises(FileExistsError):
        signing.keygen(str(tmp_path), "k", "")


def test_round_trip_and_key_id(pair) -> None:
    key, line = pair
    trusted = signing.parse_trusted_keys(line)
    env = signing.sign({"a": 1, "b": [1, 2]}, key)
    doc, signer = signing.verify(env, trusted)
    assert doc == {"a": 1, "b": [1, 2]} and signer.comment == "ci@example"
    assert env["key_id"] == trusted[0].key_id and env["key_id"].startswith("SHA256:")


@pytest.mark.parametrize(
    "mangle, reason",
    [
        (lambda e: {"signed": e["signed"]}, "unsigned"),
        (lambda e: "not a dict", "unsigned"),
        (lambda e: dict(e, key_id="SHA256:someoneelse"), "untrusted"),
        (lambda e: dict(e, signed=dict(e["signed"], a=2)), "bad-signature"),
        (lambda e: dict(e, signature=base64.b64encode(b"x" * 64).decode()), "bad-signature"),
        (lambda e: dict(e, signature="%%%"), "bad-signature"),
    ],
)
def test_refusals(pair, mangle, reason: str) -> None:
    key, line = pair
    env = signing.sign({"a": 1}, key)
    with pytest.raises(signing.SignatureRefused) as e:
        signing.verify(mangle(env), signing.parse_trusted_keys(line))
    assert e.value.reason == reason


def test_other_signer_is_untrusted(pair, tmp_path) -> None:
    key, line = pair
    other_priv, _pub, _line = signing.keygen(str(tmp_path / "o"), "o", "")
    env = signing.sign({"a": 1}, signing.load_private_key(other_priv))
    with pytest.raises(signing.SignatureRefused) as e:
        signing.verify(env, signing.parse_trusted_keys(line))
    assert e.value.reason == "untrusted"


def test_trusted_keys_file_forms(pair) -> None:
    from cryptography.hazmat.primitives import serialization

    key, line = pair
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = f"# comment\n\n{line}\n{base64.b64encode(raw).decode()} raw-form\n"
    keys = signing.parse_trusted_keys(text)
    assert [k.key_id for k in keys] == [keys[0].key_id] * 2
    assert [k.comment for k in keys] == ["ci@example", "raw-form"]


@pytest.mark.parametrize(
    "bad, words",
    [
        ("ssh-rsa AAAAB3NzaC1yc2E= x", "not ed25519"),
        ("not base64 at all!", "line 2"),
        (base64.b64encode(b"short").decode(), "32"),
        ("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB", "not an ssh-ed25519"),
    ],
)
def test_a_bad_line_is_an_error_naming_it(bad: str, words: str) -> None:
    with pytest.raises(signing.KeyFileError) as e:
        signing.parse_trusted_keys(f"# first\n{bad}\n", "trusted.txt")
    assert "trusted.txt, line 2" in str(e.value) and words in str(e.value)


def test_openssh_private_key_is_accepted(tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    k = Ed25519PrivateKey.generate()
    p = tmp_path / "id_ed25519"
    p.write_bytes(
        k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    assert signing.signer_id(signing.load_private_key(str(p))) == signing.signer_id(k)


def test_non_ed25519_private_key_is_refused(tmp_path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p = tmp_path / "ec.pem"
    p.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(signing.KeyFileError, match="not ed25519"):
        signing.load_private_key(str(p))


# A key pair written by `python -m cython_pin keygen` before keys were read and written through
# cryptography's OpenSSH support (a throwaway test key), with the id ssh-keygen -lf gave for it then.
OLD_PEM = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIF+6qHRErDoeUlkxEOXckQOAcaoksr+BwpkVVEfJ7p1g
-----END PRIVATE KEY-----
"""
OLD_PUB = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIy0z15wsoCv9WVJi9lUk2zG1SSUIMEzqYivtgiZUG1N made-by-old-code\n"
)
OLD_ID = "SHA256:kbLckDy/+3WdQN1HXHjxch5FC2I685x3Uz1Yf5CVUEw"
OLD_SIGNATURE = "iRHH+Ccgb53li8lwQGKTXEh2Bnk72qSWWqqnxiYbLzAqqT7KTFt5sIKD1FYNUvd6xyK9pxlegeLPLA7vzZJDAA=="


def test_key_files_written_by_the_old_keygen_still_load(tmp_path) -> None:
    priv = tmp_path / "old.pem"
    priv.write_bytes(OLD_PEM)
    key = signing.load_private_key(str(priv))
    (trusted,) = signing.parse_trusted_keys(OLD_PUB)
    assert signing.signer_id(key) == trusted.key_id == OLD_ID and trusted.comment == "made-by-old-code"
    # ed25519 signatures are deterministic: the same bytes as the old code signed, and they verify
    env = signing.sign({"a": 1}, key)
    assert env["signature"] == OLD_SIGNATURE
    assert signing.verify(env, [trusted])[0] == {"a": 1}
    assert signing.openssh_line(key.public_key(), "made-by-old-code") + "\n" == OLD_PUB


def test_key_id_is_what_ssh_keygen_shows(tmp_path) -> None:
    import shutil
    import subprocess

    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed")
    priv, pub, line = signing.keygen(str(tmp_path), "k", "ci@example")
    out = subprocess.run(["ssh-keygen", "-lf", pub], capture_output=True, text=True, check=True).stdout
    key_id = signing.signer_id(signing.load_private_key(priv))
    assert out.split()[1] == key_id and out.split()[2] == "ci@example" and line.endswith(" ci@example")


def test_without_cryptography_keys_are_a_clear_error(pair, tmp_path, monkeypatch) -> None:
    """The remote extra missing: a KeyFileError (the remote is not used), never an ImportError in a build."""
    import sys

    _key, line = pair
    monkeypatch.setitem(sys.modules, "cryptography", None)
    for call in (lambda: signing.parse_trusted_keys(line), lambda: signing.load_private_key(str(tmp_path))):
        with pytest.raises(signing.KeyFileError, match=r"cython-pin\[remote\]"):
            call()
