"""ed25519 keys: key pairs for writers, the trusted-keys file for readers, signatures over canonical JSON.

Keys are read and written in OpenSSH's formats by ``cryptography``. A key id is OpenSSH's fingerprint of
the public key (``SHA256:`` + unpadded base64 of the sha256 of its wire blob), so ``ssh-keygen -lf key.pub``
shows the same id an admin sees in results.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SSH_TYPE = "ssh-ed25519"


class KeyFileError(ValueError):
    """A key file that cannot be used (unreadable, malformed, wrong key type, no library to read it)."""


def _need_cryptography() -> None:
    """KeyFileError when the ``remote`` extra's cryptography is missing: the remote is then not used, and
    the builds go on locally."""
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise KeyFileError(
            "reading ed25519 keys needs the cryptography package (pip install 'cython-pin[remote]')."
        ) from None


def openssh_line(public: Ed25519PublicKey, comment: str = "") -> str:
    """``ssh-ed25519 AAAA... comment``: the key as one line of a trusted-keys (or authorized_keys) file."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    line = public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")
    return f"{line} {comment}".rstrip()


def key_id(public: Ed25519PublicKey) -> str:
    """OpenSSH's fingerprint of ``public``: the sha256 of its wire blob (the line's base64 field)."""
    blob = base64.b64decode(openssh_line(public).split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class TrustedKey:
    """One trusted public key, its key id and the comment from the trusted-keys file."""

    def __init__(self, public: Ed25519PublicKey, comment: str = "") -> None:
        self.public, self.comment, self.key_id = public, comment, key_id(public)

    def label(self) -> str:
        """``SHA256:... (comment)`` for results and status lines."""
        return f"{self.key_id} ({self.comment})" if self.comment else self.key_id


def _parse_line(line: str) -> TrustedKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    parts = line.split(None, 2)
    if parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
        if parts[0] != SSH_TYPE:
            raise ValueError(f"key type {parts[0]} is not ed25519")
        if len(parts) < 2:
            raise ValueError("no key after ssh-ed25519")
        try:
            key = load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
        except (ValueError, UnsupportedAlgorithm) as e:
            raise ValueError(f"not an ssh-ed25519 public key ({e})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"not an ssh-ed25519 public key (a {type(key).__name__})")
        return TrustedKey(key, parts[2].strip() if len(parts) > 2 else "")
    # the other form: base64 of the 32 raw bytes, then an optional comment
    parts = line.split(None, 1)
    raw = base64.b64decode(parts[0], validate=True)
    return TrustedKey(Ed25519PublicKey.from_public_bytes(raw), parts[1].strip() if len(parts) > 1 else "")


def parse_trusted_keys(text: str, where: str = "trusted keys") -> list[TrustedKey]:
    """Keys from a trusted-keys file: ``ssh-ed25519 AAAA... comment`` or raw base64 lines; ``#`` comments and
    blank lines are ignored. Any other line is an error naming it (a typo must not silently drop a key)."""
    _need_cryptography()
    keys: list[TrustedKey] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(_parse_line(line))
        except ValueError as e:  # binascii.Error is a ValueError
            raise KeyFileError(f"{where}, line {n}: {e} ({line[:40]!r}).") from None
    return keys


def load_trusted_keys(path: str) -> list[TrustedKey]:
    """Parse the trusted-keys file at ``path`` (KeyFileError if unreadable or malformed)."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        raise KeyFileError(f"Cannot read CYTHON_PIN_TRUSTED_KEYS file {path}: {e}.") from e
    return parse_trusted_keys(text, path)


def load_private_key(path: str) -> Ed25519PrivateKey:
    """An ed25519 private key from a PEM (PKCS#8) or OpenSSH private key file without a passphrase."""
    _need_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise KeyFileError(f"Cannot read CYTHON_PIN_SIGNING_KEY file {path}: {e}.") from e
    key: Any
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"CYTHON_PIN_SIGNING_KEY file {path} is not a usable private key: {e}.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"CYTHON_PIN_SIGNING_KEY file {path} holds a {type(key).__name__}, not ed25519.")
    return key


def signer_id(key: Ed25519PrivateKey) -> str:
    """The key id of a writer's private key (what its signatures name)."""
    return key_id(key.public_key())


def keygen(directory: str, name: str = "cython-pin-signing", comment: str = "") -> tuple[str, str, str]:
    """Write ``<dir>/<name>.pem`` (private, PKCS#8 PEM, mode 0600, never overwritten) and
    ``<dir>/<name>.pub`` (its OpenSSH public line); return (private path, public path, public line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    os.makedirs(directory, mode=0o700, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    priv = os.path.join(directory, name + ".pem")
    pub = os.path.join(directory, name + ".pub")
    fd = os.open(priv, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # O_EXCL: never replace a key
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(priv, 0o600)  # whatever the umask
    line = openssh_line(key.public_key(), comment or name)
    with open(pub, "w", encoding="utf-8") as f:
        f.write(line + "\n")
    return priv, pub, line


def canonical(doc: dict[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace, ASCII only."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign(doc: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed envelope ``{"signed": doc, "key_id": ..., "signature": base64}``."""
    return {
        "signed": doc,
        "key_id": signer_id(key),
        "signature": base64.b64encode(key.sign(canonical(doc))).decode(),
    }


class SignatureRefused(ValueError):
    """An envelope that is not validly signed by a trusted key; ``reason`` is one word for the figures."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def verify(envelope: Any, trusted: list[TrustedKey]) -> tuple[dict[str, Any], TrustedKey]:
    """The signed document and its signer, or SignatureRefused (reason ``unsigned``, ``untrusted`` or
    ``bad-signature``)."""
    from cryptography.exceptions import InvalidSignature

    if (
        not isinstance(envelope, dict)
        or not isinstance(envelope.get("signed"), dict)
        or not isinstance(envelope.get("signature"), str)
        or not isinstance(envelope.get("key_id"), str)
    ):
        raise SignatureRefused("unsigned", "it carries no signature")
    signer = next((k for k in trusted if k.key_id == envelope["key_id"]), None)
    if signer is None:
        raise SignatureRefused(
            "untrusted", f"it is signed by {envelope['key_id']}, which is not a trusted key"
        )
    try:
        sig = base64.b64decode(envelope["signature"], validate=True)
        signer.public.verify(sig, canonical(envelope["signed"]))
    except (ValueError, InvalidSignature):
        raise SignatureRefused("bad-signature", f"its signature by {signer.key_id} does not verify") from None
    return envelope["signed"], signer
