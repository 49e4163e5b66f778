"""The team-cache configuration, read from the kernel's environment (the names are a public contract)."""

from __future__ import annotations

import os

MODES = ("read-only", "read-write", "off")
VARIABLES = (
    "CYTHON_PIN_REMOTE",
    "CYTHON_PIN_REMOTE_MODE",
    "CYTHON_PIN_TRUSTED_KEYS",
    "CYTHON_PIN_SIGNING_KEY",
    "CYTHON_PIN_REMOTE_TIMEOUT",
    "CYTHON_PIN_REMOTE_BACKOFF",
)
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_BACKOFF_S = 30.0


class RemoteConfigError(ValueError):
    """The environment describes a remote that cannot be used as written: ``url`` and ``mode`` (None when
    not one of MODES) as set, for a status that says what is wrong with which remote."""

    def __init__(self, message: str, url: str = "", mode: str | None = None) -> None:
        super().__init__(message)
        self.url, self.mode = url, mode


class RemoteConfig:
    """``CYTHON_PIN_REMOTE`` and friends, validated. ``mode`` is ``read-only`` unless set."""

    def __init__(
        self,
        url: str,
        mode: str = "read-only",
        trusted_keys: str | None = None,
        signing_key: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        backoff_s: float = DEFAULT_BACKOFF_S,
    ) -> None:
        self.url, self.mode, self.trusted_keys, self.signing_key = url, mode, trusted_keys, signing_key
        self.timeout_s, self.backoff_s = timeout_s, backoff_s

    def __repr__(self) -> str:
        return f"RemoteConfig(url={self.url!r}, mode={self.mode!r}, timeout_s={self.timeout_s})"


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 3600:  # NaN too
        raise ValueError(f"{name}={raw!r}: expected a number of seconds between 0 and 3600.")
    return value


def snapshot() -> tuple[str | None, ...]:
    """The team-cache variables as set now: when they change, the configuration is read again."""
    return tuple(os.environ.get(n) for n in VARIABLES)


def from_env() -> RemoteConfig | None:
    """The configured remote, or None when ``CYTHON_PIN_REMOTE`` is unset/empty. Raises RemoteConfigError on
    an unusable setting (unknown mode or scheme, bad timeout)."""
    url = os.environ.get("CYTHON_PIN_REMOTE", "").strip()
    if not url:
        return None
    mode = os.environ.get("CYTHON_PIN_REMOTE_MODE", "").strip() or "read-only"
    try:
        if mode not in MODES:
            raise ValueError(f"CYTHON_PIN_REMOTE_MODE={mode!r}: expected one of {', '.join(MODES)}.")
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in ("s3", "gs", "az", "file"):
            raise ValueError(
                f"CYTHON_PIN_REMOTE={url!r}: expected s3://bucket/prefix, gs://, az:// or file:///shared/dir."
            )
        return RemoteConfig(
            url=url,
            mode=mode,
            trusted_keys=os.environ.get("CYTHON_PIN_TRUSTED_KEYS") or None,
            signing_key=os.environ.get("CYTHON_PIN_SIGNING_KEY") or None,
            timeout_s=_seconds("CYTHON_PIN_REMOTE_TIMEOUT", DEFAULT_TIMEOUT_S),
            backoff_s=_seconds("CYTHON_PIN_REMOTE_BACKOFF", DEFAULT_BACKOFF_S),
        )
    except ValueError as e:
        raise RemoteConfigError(str(e), url, mode if mode in MODES else None) from None
