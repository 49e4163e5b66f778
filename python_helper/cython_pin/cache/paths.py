"""Where the cache lives: explicit ``cache_dir`` > $CYTHON_PIN_CACHE_DIR > $XDG_CACHE_HOME/cython_pin >
~/.cache/cython_pin."""

from __future__ import annotations

import os

STAGING = ".staging"
LOCKS = ".locks"
TRASH = ".trash"
NUMPY_MARKERS = "needs-numpy"  # numpy_detect's "this key's build needs numpy" markers


def get_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Return the absolute cache root that would be used (does not create it)."""
    if cache_dir is not None and str(cache_dir) != "":
        root = os.fspath(cache_dir) if isinstance(cache_dir, (str, os.PathLike)) else None
        if not isinstance(root, str) or "\0" in root:
            raise ValueError(
                f"cache_dir must be a folder path (str or os.PathLike, no NUL), got {cache_dir!r}."
            )
    elif os.environ.get("CYTHON_PIN_CACHE_DIR"):
        root = os.environ["CYTHON_PIN_CACHE_DIR"]
    elif os.environ.get("XDG_CACHE_HOME"):
        root = os.path.join(os.environ["XDG_CACHE_HOME"], "cython_pin")
    else:
        root = os.path.join(os.path.expanduser("~"), ".cache", "cython_pin")
    return os.path.abspath(os.path.expanduser(root))


def ensure_dir(path: str) -> str:
    """Create ``path`` (and parents) with mode 0700 if missing; return it."""
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def ensure_root(cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Return the cache root, creating it (0700) with its private subfolders."""
    root = ensure_dir(get_cache_dir(cache_dir))
    for sub in (STAGING, LOCKS):
        p = os.path.join(root, sub)
        if not os.path.isdir(p):
            os.makedirs(p, mode=0o700, exist_ok=True)
    return root


def entry_dir(root: str, key: str) -> str:
    """Directory of the cache entry for ``key``."""
    return os.path.join(root, key)


def lock_path(root: str, name: str) -> str:
    """Path of the lock file ``name`` (created on demand)."""
    return os.path.join(root, LOCKS, name + ".lock")


def numpy_marker(root: str, key: str) -> str:
    """Path of the marker saying the build of ``key`` found it needs numpy (see numpy_detect)."""
    return os.path.join(root, NUMPY_MARKERS, key)


def numpy_remembered(root: str, key: str) -> bool:
    """Whether a build of ``key`` found that it needs numpy (one stat; a hit needs no numpy_detect)."""
    return os.path.exists(numpy_marker(root, key))
