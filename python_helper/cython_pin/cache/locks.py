"""Advisory file locks (``fcntl.flock``) that the OS releases when the holding process dies."""

from __future__ import annotations

import errno
import os
import time
from types import TracebackType


class LockTimeout(TimeoutError):
    """The lock could not be acquired in time."""


class FileLock:
    """Exclusive lock on ``path``. Use as a context manager. ``timeout`` None waits forever."""

    def __init__(self, path: str, timeout: float | None = None, what: str = "") -> None:
        self.path = path
        self.timeout = timeout
        self.what = what or os.path.basename(path)
        self._fd: int | None = None

    def acquire(self) -> FileLock:
        import fcntl  # here, not at module level: a cache hit takes no lock and skips this import

        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        delay = 0.005
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            else:
                if self._still_at_path(fd):
                    break
                os.close(fd)  # its file was removed (cache clean-up) while we waited: lock the new one
                continue
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeout(
                    f"Timed out after {self.timeout:g}s waiting for the lock on {self.what} ({self.path}). "
                    "Another process is building or editing it; wait and retry, or raise lock_timeout_s."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.02)  # a waiter notices the release soon, with few polls
        self._fd = fd
        return self

    def _still_at_path(self, fd: int) -> bool:
        """Whether the file locked through ``fd`` is still the one at ``self.path``."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)

    def release(self) -> None:
        import fcntl

        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def is_locked(path: str) -> bool:
    """True if some process currently holds the lock on ``path``."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
