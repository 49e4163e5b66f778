"""The build server's wire format and identity.

Messages are JSON objects, one per line, on a Unix stream socket. A connection carries one request:

- client → server: ``{"op": "hello", "identity"}``, then ``{"op": "build", ...}`` (see :mod:`.client`),
  and maybe ``{"op": "cancel"}``; ``{"op": "retire"}`` asks a mismatched server to stop serving.
- server → client: ``{"op": "hello", "identity", "pid", "started_by"}`` (``started_by``: the token of the
  client that started it), then ``{"op": "stage", "stage", "diagnostics"}`` while the build runs, and one
  final ``{"op": "result", ...}`` or ``{"op": "error", ...}``.

Build options travel with :func:`encode_value`, which keeps bytes and tuples (support files, macros).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

IDLE_ENV = "CYTHON_PIN_BUILD_SERVER_IDLE_S"
SWITCH_ENV = "CYTHON_PIN_BUILD_SERVER"
MARKER_ENV = "CYTHON_PIN_BUILD_SERVER_PROCESS"  # set in the server's environment: how to find it in /proc
DEFAULT_IDLE_S = 600.0
MAX_SOCKET_PATH = 104  # sun_path is 108 bytes on Linux, fewer elsewhere


def enabled() -> bool:
    """Whether builds go to the build server (``CYTHON_PIN_BUILD_SERVER=0`` builds in-process)."""
    return os.environ.get(SWITCH_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def idle_seconds() -> float:
    """How long the server waits without a build before it exits."""
    raw = os.environ.get(IDLE_ENV, "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_IDLE_S
    except ValueError:
        value = DEFAULT_IDLE_S
    return max(0.1, value)


def encode_value(value: Any) -> Any:
    """``value`` as JSON-able data, bytes and tuples tagged so :func:`decode_value` restores them. Raises
    TypeError on anything else that JSON cannot carry."""
    if isinstance(value, bytes):
        import base64

        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only str keys travel to the build server")
        return {k: encode_value(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a {type(value).__name__} option value cannot travel to the build server")


def decode_value(data: Any) -> Any:
    """The inverse of :func:`encode_value`."""
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if isinstance(data, dict):
        if set(data) == {"$bytes"}:
            import base64

            return base64.b64decode(data["$bytes"])
        if set(data) == {"$tuple"}:
            return tuple(decode_value(v) for v in data["$tuple"])
        return {k: decode_value(v) for k, v in data.items()}
    return data


def dumps(msg: dict[str, Any]) -> bytes:
    """One message as a line."""
    return (json.dumps(msg, separators=(",", ":")) + "\n").encode("utf-8")


def _package_dir() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _code_fingerprint() -> str:
    """The package's Python files (names, sizes, mtimes): a server started from other code is not used,
    even when the version string is the same (an editable install being worked on)."""
    import hashlib

    h = hashlib.sha256()
    top = _package_dir()
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(dirpath, name))
                h.update(f"{os.path.relpath(dirpath, top)}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def identity(root: str) -> dict[str, Any]:
    """What a server must match to build for this process: user, node, cache, interpreter and its ABI,
    Cython, this package's version, location and code."""
    import socket
    import sysconfig

    from .._version import __version__
    from ..build.toolchain import cython_version

    return {
        "uid": os.getuid(),
        "host": socket.gethostname(),  # a cache on a shared file system: one server per node
        "cache_dir": root,
        # normalised: started by a relative path (``../venv/bin/python``) sys.executable keeps the "..",
        # and the server, started by that absolute path, would see it without them
        "python": os.path.normpath(sys.executable),
        "prefix": sys.prefix,
        "abi": sysconfig.get_config_var("EXT_SUFFIX") or "",
        "python_version": sys.version,
        "cython": cython_version(root),
        "version": __version__,
        "package": _package_dir(),
        "code": _code_fingerprint(),
    }


def server_name(ident: dict[str, Any]) -> str:
    """The socket's base name: servers of other identities live beside it under other names. The code
    fingerprint is left out: a server of the same version but other code is replaced, not doubled."""
    import hashlib

    material = json.dumps({k: v for k, v in ident.items() if k != "code"}, sort_keys=True)
    return "b-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def runtime_dir(root: str) -> str:
    """The private folder (0700, ours) for sockets, start locks and logs: ``$XDG_RUNTIME_DIR/cython_pin``
    when that is usable, else ``<cache>/.server``. Raises OSError when the folder is not private."""
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    if base and os.path.isdir(base) and os.stat(base).st_uid == os.getuid():
        d = os.path.join(base, "cython_pin")
    else:
        d = os.path.join(root, ".server")
    try:
        os.mkdir(d, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(d)
    import stat

    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise OSError(f"the build server folder {d} is not a folder owned by this user")
    if st.st_mode & 0o077:
        os.chmod(d, 0o700)
    return d


def log_path(directory: str, name: str) -> str:
    """The log of the server ``name`` (its stdout and stderr, appended to by each server of that name)."""
    return os.path.join(directory, name + ".log")


def socket_path(directory: str, name: str) -> str:
    """Where the server ``name`` listens. Raises OSError when the path is too long for a Unix socket."""
    path = os.path.join(directory, name + ".sock")
    if len(path.encode()) > MAX_SOCKET_PATH:
        raise OSError(
            f"the build server socket path {path} is longer than {MAX_SOCKET_PATH} bytes; set "
            "XDG_RUNTIME_DIR to a short folder (or CYTHON_PIN_BUILD_SERVER=0)"
        )
    return path
